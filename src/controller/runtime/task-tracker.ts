// One component follows every active task of every resource. It asks ECS in batches (DescribeTasks
// takes 100 ARNs) per cluster and AWS identity across resources, instead of one DescribeTasks per
// resource per poll, and wakes a resource's reconcile only when one of its tasks reaches a state
// that changes its status. The reconciler reads the latest observations from here and never waits
// on ECS for them.
import type { Logger } from '../../log/logger.js';
import type { Clock } from '../clock.js';
import type { AwsIdentity, ResourceKey, TaskLauncher, TaskObservation } from '../ports.js';

export interface TrackedTask {
  readonly taskArn: string;
  /** The cluster the task was launched in: it is followed there, whatever the spec says now. */
  readonly cluster: string;
  /** When RunTask accepted it: a task ECS does not know yet is given `missingGraceMs` from here. */
  readonly launchedAt: Date;
}

export interface FollowOptions {
  /** The role the tasks were launched as (a policy's assumeRoleArn). */
  readonly identity?: AwsIdentity;
  /** The earliest activeDeadlineSeconds expiry among the runs: polls tighten as it nears. */
  readonly deadline?: Date;
  /**
   * Ask about the tasks by then at the latest: a run whose launch write waits (see the
   * reconciler's launch-write delay) is written once with its result only if its end is seen
   * before the wait is over, and the ordinary first check comes a poll interval or more later.
   */
  readonly checkBy?: Date;
}

/** Counts the tracker's work: ecs_scheduler_tracked_tasks and its polls. Optional. */
export interface TaskTrackerMetrics {
  tracked(tasks: number): void;
  polled(outcome: 'success' | 'error', describeCalls: number): void;
  /** A task state change event named a task: followed (`tracked`) or not ours (`ignored`). */
  hinted?(outcome: 'tracked' | 'ignored'): void;
}

export interface TaskTrackerOptions {
  readonly launcher: TaskLauncher;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Asks for a reconcile of `key`: the controller's enqueue. */
  readonly onWake: (key: ResourceKey) => void;
  /** Interval between polls while tasks are followed, and the first check of a new task. Default 10 s. */
  readonly pollMs?: number;
  /**
   * Longest time between two checks of one task. A task is checked again after a quarter of its
   * age, within [pollMs, maxPollMs]: a job that ran an hour is unlikely to end in the next ten
   * seconds, and each check costs a share of the account's DescribeTasks budget. Default 60 s.
   */
  readonly maxPollMs?: number;
  /** Shortest interval, used when an activeDeadlineSeconds falls due sooner. Default 1 s. */
  readonly minPollMs?: number;
  /** How long a fresh ARN may be MISSING before it counts as lost. Default 2 min. */
  readonly missingGraceMs?: number;
  /**
   * Also wake when a task is first seen RUNNING. Off by default: the running state then reaches
   * the status with the finishing write, which keeps an ordinary run at two status writes.
   */
  readonly wakeOnStart?: boolean;
  /**
   * How soon after a task state change event the named tasks are asked about, in ms: events of
   * one burst share a DescribeTasks. Default 500.
   */
  readonly hintDelayMs?: number;
  /** Polls on a timer of `clock`. False: only `refresh` and `poll` ask ECS (inline mode). Default true. */
  readonly autoPoll?: boolean;
  readonly metrics?: TaskTrackerMetrics;
}

interface Followed {
  readonly tasks: ReadonlyMap<string, TrackedTask>;
  readonly identity?: AwsIdentity;
  readonly deadline?: Date;
  readonly observations: Map<string, TaskObservation>;
  /** When each task is next worth a check (epoch ms). */
  readonly due: Map<string, number>;
  /** ARNs already reported as lost, so MISSING wakes once. */
  readonly reportedMissing: Set<string>;
  /** FollowOptions.checkBy (epoch ms), until a poll has asked about the tasks at or after it. */
  checkBy?: number;
}

// The namespace too: each namespace's session describes its own tasks (CloudTrail tells them apart).
const identityKey = (identity?: AwsIdentity) =>
  identity === undefined
    ? ''
    : `${identity.roleArn}|${identity.externalId ?? ''}|${identity.namespace ?? ''}`;

/** True when a change from `before` to `after` is worth a status write. */
function isWakeWorthy(
  before: TaskObservation | undefined,
  after: TaskObservation,
  wakeOnStart: boolean,
): boolean {
  if (after.lastStatus === 'STOPPED') return before?.lastStatus !== 'STOPPED';
  if (wakeOnStart && after.lastStatus === 'RUNNING') return before?.lastStatus !== 'RUNNING';
  return false;
}

export class TaskTracker {
  readonly #o: TaskTrackerOptions;
  readonly #pollMs: number;
  readonly #maxPollMs: number;
  readonly #minPollMs: number;
  readonly #graceMs: number;
  readonly #followed = new Map<ResourceKey, Followed>();
  /** Which key follows each task, for events that name only the task. */
  readonly #keyOfTask = new Map<string, ResourceKey>();
  /** Tasks over all keys, kept as keys change rather than summed per call. */
  #size = 0;
  #cancelTimer: (() => void) | undefined;
  #timerDueAt: number | undefined;
  #polling: Promise<void> | undefined;
  /** A hint came while a poll ran: the next poll comes at the hint delay, not the interval. */
  #rehint = false;
  #stopped = false;

  constructor(options: TaskTrackerOptions) {
    this.#o = options;
    this.#pollMs = options.pollMs ?? 10_000;
    this.#maxPollMs = Math.max(this.#pollMs, options.maxPollMs ?? 60_000);
    this.#minPollMs = options.minPollMs ?? 1_000;
    this.#graceMs = options.missingGraceMs ?? 2 * 60_000;
  }

  /** Tasks followed in all, over every resource. */
  get size(): number {
    return this.#size;
  }

  /**
   * Sets the tasks to follow for `key` (replacing the earlier set). Observations of tasks still
   * followed are kept; with no tasks the key is forgotten.
   */
  follow(key: ResourceKey, tasks: readonly TrackedTask[], options: FollowOptions = {}): void {
    if (tasks.length === 0) {
      this.forget(key);
      return;
    }
    const previous = this.#followed.get(key);
    this.#size -= previous?.tasks.size ?? 0;
    const byArn = new Map(tasks.map((t) => [t.taskArn, t]));
    for (const arn of previous?.tasks.keys() ?? []) if (!byArn.has(arn)) this.#keyOfTask.delete(arn);
    for (const arn of byArn.keys()) this.#keyOfTask.set(arn, key);
    const observations = new Map<string, TaskObservation>();
    for (const [arn, obs] of previous?.observations ?? []) if (byArn.has(arn)) observations.set(arn, obs);
    const now = this.#o.clock.now().getTime();
    // A pass that refreshes the tasks before deciding re-follows them without one: keep it.
    const checkBy = options.checkBy?.getTime() ?? previous?.checkBy;
    const due = new Map<string, number>();
    for (const arn of byArn.keys()) {
      const next = previous?.due.get(arn) ?? now + this.#pollMs;
      due.set(arn, checkBy === undefined ? next : Math.min(next, checkBy));
    }
    this.#followed.set(key, {
      tasks: byArn,
      observations,
      due,
      reportedMissing: new Set([...(previous?.reportedMissing ?? [])].filter((a) => byArn.has(a))),
      ...(options.identity ? { identity: options.identity } : {}),
      ...(options.deadline ? { deadline: options.deadline } : {}),
      ...(checkBy === undefined ? {} : { checkBy }),
    });
    this.#size += byArn.size;
    this.#o.metrics?.tracked(this.#size);
    this.#schedule(options.deadline);
    if (checkBy !== undefined) this.#scheduleIn(Math.max(0, checkBy - now));
  }

  forget(key: ResourceKey): void {
    const followed = this.#followed.get(key);
    if (!followed) return;
    this.#followed.delete(key);
    for (const arn of followed.tasks.keys()) this.#keyOfTask.delete(arn);
    this.#size -= followed.tasks.size;
    this.#o.metrics?.tracked(this.#size);
    // Nothing left: no timer, and the next follow() starts a fresh interval.
    if (this.#followed.size === 0) this.#schedule();
  }

  /**
   * Forgets every followed task: leadership was lost, and the next leader follows them (its first
   * passes re-follow each resource's unfinished tasks from the status). Unlike stop(), the tracker
   * follows again as soon as a pass asks it to, so a term won back needs nothing more.
   */
  clear(): void {
    this.#followed.clear();
    this.#keyOfTask.clear();
    this.#size = 0;
    this.#o.metrics?.tracked(0);
    this.#schedule();
  }

  /** The latest observation of each followed task of `key` that ECS has answered for. */
  observations(key: ResourceKey): TaskObservation[] {
    return [...(this.#followed.get(key)?.observations.values() ?? [])];
  }

  /**
   * A task state change event (EventBridge through SQS) named `taskArn`: if it is followed, it is
   * asked about in the next poll, which comes within `hintDelayMs`. The event is only a hint:
   * DescribeTasks stays the one source of what a task did, so a late, repeated or forged event
   * costs a batched call at most, and a lost one is caught by the ordinary polls.
   */
  hint(taskArn: string): void {
    const key = this.#keyOfTask.get(taskArn);
    const followed = key === undefined ? undefined : this.#followed.get(key);
    if (!followed || followed.observations.get(taskArn)?.lastStatus === 'STOPPED') {
      this.#o.metrics?.hinted?.('ignored');
      return;
    }
    this.#o.metrics?.hinted?.('tracked');
    followed.due.set(taskArn, this.#o.clock.now().getTime());
    this.#scheduleIn(this.#o.hintDelayMs ?? 500);
  }

  /** Asks ECS about `key`'s tasks now (inline mode). Throws what the launcher throws. */
  async refresh(key: ResourceKey, signal?: AbortSignal): Promise<void> {
    const followed = this.#followed.get(key);
    if (!followed) return;
    await this.#describe([[key, followed]], signal, true, Number.POSITIVE_INFINITY);
  }

  /** One round over every followed task, batched per cluster and identity. Never throws. */
  poll(signal?: AbortSignal): Promise<void> {
    const now = this.#o.clock.now().getTime();
    this.#polling ??= this.#describe([...this.#followed], signal, false, now).finally(() => {
      this.#polling = undefined;
      this.#schedule(undefined, true);
      if (this.#rehint) {
        this.#rehint = false;
        this.#scheduleIn(this.#o.hintDelayMs ?? 500);
      }
    });
    return this.#polling;
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  async #describe(
    entries: readonly (readonly [ResourceKey, Followed])[],
    signal: AbortSignal | undefined,
    rethrow: boolean,
    /** Only tasks due by then are asked about. */
    dueBy: number,
  ): Promise<void> {
    const asked = this.#o.clock.now().getTime();
    // cluster + identity -> ARNs, so one DescribeTasks covers up to 100 tasks of many resources.
    const groups = new Map<string, { cluster: string; identity?: AwsIdentity; arns: string[] }>();
    for (const [, f] of entries) {
      const deadlineNear =
        f.deadline !== undefined && f.deadline.getTime() - dueBy <= this.#pollMs + this.#minPollMs;
      for (const task of f.tasks.values()) {
        if (f.observations.get(task.taskArn)?.lastStatus === 'STOPPED') continue;
        if (!deadlineNear && (f.due.get(task.taskArn) ?? 0) > dueBy) continue;
        const id = `${task.cluster}\n${identityKey(f.identity)}`;
        let group = groups.get(id);
        if (!group) {
          group = { cluster: task.cluster, ...(f.identity ? { identity: f.identity } : {}), arns: [] };
          groups.set(id, group);
        }
        group.arns.push(task.taskArn);
      }
    }
    const answers = new Map<string, TaskObservation>();
    let calls = 0;
    let failed = false;
    for (const group of groups.values()) {
      calls += Math.ceil(group.arns.length / 100);
      try {
        const observed = await this.#o.launcher.describeTasks(group.cluster, group.arns, {
          ...(group.identity ? { identity: group.identity } : {}),
          ...(signal ? { signal } : {}),
        });
        for (const obs of observed) answers.set(obs.taskArn, obs);
      } catch (error) {
        failed = true;
        if (rethrow) throw error;
        // The observations already held stay; the next poll asks again.
        this.#o.logger.warn('describing tasks failed; keeping the last observations', {
          cluster: group.cluster,
          tasks: group.arns.length,
          error,
        });
      }
    }
    this.#o.metrics?.polled(failed ? 'error' : 'success', calls);
    const now = this.#o.clock.now().getTime();
    for (const [key] of entries) {
      // The key may have been re-followed or forgotten while ECS answered.
      const current = this.#followed.get(key);
      if (current === undefined) continue;
      let wake = false;
      for (const [arn, task] of current.tasks) {
        const obs = answers.get(arn);
        if (obs === undefined) continue;
        const age = asked - task.launchedAt.getTime();
        current.due.set(arn, asked + Math.min(this.#maxPollMs, Math.max(this.#pollMs, age / 4)));
        const before = current.observations.get(arn);
        current.observations.set(arn, obs);
        if (isWakeWorthy(before, obs, this.#o.wakeOnStart ?? false)) wake = true;
        if (
          obs.lastStatus === 'MISSING' &&
          now - task.launchedAt.getTime() >= this.#graceMs &&
          !current.reportedMissing.has(arn)
        ) {
          current.reportedMissing.add(arn);
          wake = true;
        }
      }
      if (current.checkBy !== undefined && asked >= current.checkBy) delete current.checkBy;
      // Inline refreshes come from the key's own pass: nothing to wake.
      if (wake && !rethrow) this.#o.onWake(key);
    }
  }

  /**
   * The next poll: the interval, or sooner when a deadline falls due before it. After a poll
   * every deadline is considered (`all`); a follow() only brings its own, so a large fleet does
   * not cost a walk over every resource per reconcile.
   */
  #schedule(deadline?: Date, all = false): void {
    if (this.#stopped || this.#o.autoPoll === false || this.#polling) return;
    if (this.#followed.size === 0) {
      this.#cancelTimer?.();
      this.#cancelTimer = undefined;
      this.#timerDueAt = undefined;
      return;
    }
    const now = this.#o.clock.now().getTime();
    let delay = this.#pollMs;
    const deadlines = all
      ? [...this.#followed.values()].flatMap((f) => (f.deadline ? [f.deadline] : []))
      : deadline
        ? [deadline]
        : [];
    for (const d of deadlines) {
      const until = d.getTime() - now;
      if (until > 0) delay = Math.min(delay, Math.max(this.#minPollMs, until));
    }
    if (all) {
      // A checkBy stays until a poll at or after it: one that passed during the last poll (or
      // before it, unasked) is due at the next, not a whole interval later.
      for (const f of this.#followed.values()) {
        if (f.checkBy !== undefined) delay = Math.min(delay, Math.max(this.#minPollMs, f.checkBy - now));
      }
    }
    this.#scheduleIn(delay);
  }

  /** Polls in `delay` ms unless a poll is already due sooner (or running: it reschedules after). */
  #scheduleIn(delay: number): void {
    if (this.#stopped || this.#o.autoPoll === false || this.#polling) {
      // A hint during a poll: that poll may have passed the task already; ask again right after.
      if (this.#polling) this.#rehint = true;
      return;
    }
    const now = this.#o.clock.now().getTime();
    const dueAt = now + delay;
    if (this.#cancelTimer && this.#timerDueAt !== undefined && this.#timerDueAt <= dueAt) return;
    this.#cancelTimer?.();
    this.#timerDueAt = dueAt;
    this.#cancelTimer = this.#o.clock.setTimer(() => {
      this.#cancelTimer = undefined;
      this.#timerDueAt = undefined;
      void this.poll();
    }, delay);
  }
}
