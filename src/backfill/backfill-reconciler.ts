// One pass over one EcsTaskBackfill: settle its running runs, launch the times chosen in the last
// pass, choose the next ones (after asking ECS whether each was launched already), and write the
// status once. A time is chosen (written into status.active) before it is launched, so a
// controller that dies between RunTask and its status write finds its own tasks by startedBy in
// the next pass and never counts them as someone else's.
import { isDeepStrictEqual } from 'node:util';
import type {
  BackfillActiveRun,
  BackfillStatus,
  EcsTaskBackfillResource,
  RerunMode,
} from '../api/backfill-types.js';
import { MAX_BACKFILL_TIMES } from '../api/backfill-schema.js';
import { validateBackfill } from '../api/backfill-validation.js';
import type { EcsScheduledTaskResource, RunResult } from '../api/types.js';
import type { Clock } from '../controller/clock.js';
import type { CalendarSource } from '../controller/calendar-port.js';
import { CalendarCompiler, resolveCalendars } from '../controller/decide/calendar-lookup.js';
import { setConditions } from '../controller/decide/conditions.js';
import { describeFailures } from '../controller/decide/launch-outcome.js';
import {
  backfillRerunIdentity,
  scheduledRunIdentity,
  type RunIdentity,
} from '../controller/decide/run-identity.js';
import { TerminalError } from '../controller/errors.js';
import type {
  AwsIdentity,
  EventType,
  LeaseFence,
  PolicyGate,
  ResourceKey,
  TaskLauncher,
  TaskObservation,
} from '../controller/ports.js';
import { assertMayLaunch, launchCheck } from '../controller/runtime/fencing.js';
import { launchClientToken } from '../controller/runtime/run-ledger.js';
import type { Logger } from '../log/logger.js';
import { ScheduleError } from '../schedule/schedule.js';
import { compileSpecSchedule } from '../schedule/schedule-union.js';
import {
  afterScheduledLookup,
  backfillTimes,
  classifyTime,
  freeSlots,
  handledBySchedule,
  isFinished,
  progressConditions,
  refusedConditions,
  requeueAfterMs,
  runVerdict,
  stalledConditions,
  undecidedTimes,
  withProgress,
  type Counts,
} from './backfill-decision.js';

/** Where backfills live: the informer's cache, and their status subresource. */
export interface BackfillStore {
  get(key: ResourceKey): EcsTaskBackfillResource | undefined;
  writeStatus(backfill: EcsTaskBackfillResource, status: BackfillStatus): Promise<unknown>;
}

export interface BackfillEvents {
  record(backfill: EcsTaskBackfillResource, type: EventType, reason: string, message: string): void;
}

export interface BackfillReconcilerDeps {
  readonly backfills: BackfillStore;
  /** The EcsScheduledTasks, as the controller caches them. */
  readonly tasks: { get(key: ResourceKey): EcsScheduledTaskResource | undefined };
  /**
   * False with --sharding: `tasks` holds only this replica's shard, so a task missing from it is
   * another replica's to backfill (its owner acts), not a task that does not exist. Default true.
   */
  readonly tasksComplete?: boolean;
  readonly launcher: TaskLauncher;
  /** The task's spec.excludeCalendars: an excluded time is not backfilled either. */
  readonly calendars?: CalendarSource;
  readonly events: BackfillEvents;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly defaultCluster: string;
  readonly policy?: PolicyGate;
  readonly maxTasksPerRun?: number;
  readonly fence: LeaseFence;
  readonly fenceMarginMs?: number;
  /** ECS lookups (ListTasks by startedBy) per pass before the rest waits for the next. Default 20. */
  readonly lookupsPerPass?: number;
  /** How long a launched task may be unknown to DescribeTasks before it counts as lost. Default 2 min. */
  readonly missingGraceMs?: number;
  /** Bounds of the poll while runs are active. Default 2 s to 30 s. */
  readonly pollMs?: { readonly minMs: number; readonly maxMs: number };
}

export interface BackfillResult {
  /** Look again after this long; undefined: only a change wakes it. */
  readonly requeueAfterMs?: number;
}

/** A backfill waiting on the task or the policy is looked at again this often, besides on change. */
const STALLED_RECHECK_MS = 60_000;

interface Pass {
  readonly backfill: EcsTaskBackfillResource;
  readonly task: EcsScheduledTaskResource;
  readonly cluster: string;
  readonly count: number;
  readonly identity: AwsIdentity | undefined;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly now: Date;
  counts: {
    -readonly [K in keyof Counts]: number;
  };
  active: BackfillActiveRun[];
  failedTimes: string[];
  dryRunTimes: string[];
  lastDecidedTime: string | undefined;
  /** Events to record once the status is written. */
  readonly events: { type: EventType; reason: string; message: string }[];
}

export class BackfillReconciler {
  readonly #d: BackfillReconcilerDeps;
  readonly #calendarCompiler = new CalendarCompiler();

  constructor(deps: BackfillReconcilerDeps) {
    this.#d = deps;
  }

  async reconcile(key: ResourceKey, signal: AbortSignal): Promise<BackfillResult> {
    const backfill = this.#d.backfills.get(key);
    if (!backfill) return {};
    const status = backfill.status ?? {};
    if (isFinished(status.conditions)) return {};
    const now = this.#d.clock.now();
    const log = this.#d.logger.child({ backfill: key });
    const generation = backfill.metadata.generation;

    const issues = validateBackfill(backfill);
    if (issues.length > 0) {
      const message = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      return this.#refuse(backfill, 'InvalidSpec', message, now);
    }
    const namespace = backfill.metadata.namespace ?? 'default';
    const taskKey = `${namespace}/${backfill.spec.taskRef.name}`;
    const task = this.#d.tasks.get(taskKey);
    if (!task && this.#d.tasksComplete === false) return {};
    if (!task) {
      return this.#stall(
        backfill,
        'TaskNotFound',
        `EcsScheduledTask ${taskKey} (spec.taskRef.name) does not exist`,
        now,
      );
    }
    let times: readonly Date[];
    try {
      // spec.schedule, or the union of spec.schedules: an instant they share is one time.
      const fires = compileSpecSchedule(task.spec, taskKey);
      const result = backfillTimes(
        fires,
        {
          start: new Date(backfill.spec.start),
          end: new Date(backfill.spec.end),
          createdAt: new Date(backfill.metadata.creationTimestamp ?? now.toISOString()),
        },
        MAX_BACKFILL_TIMES,
      );
      if (!result.ok) {
        return this.#refuse(
          backfill,
          'TooManyTimes',
          `spec.start..spec.end holds more than ${result.limit} times of ${taskKey}'s schedule: split the range into several backfills`,
          now,
        );
      }
      times = result.times;
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      return this.#stall(backfill, 'InvalidSchedule', `${taskKey}: ${error.message}`, now);
    }
    // The task's calendars hold for its backfills too: an excluded time is not one of its times.
    const calendars = this.#d.calendars;
    const resolved = resolveCalendars(
      task,
      calendars && ((ns, name) => calendars.get(ns, name)),
      this.#calendarCompiler,
    );
    if (!resolved.ok) return this.#stall(backfill, resolved.reason, resolved.message, now);
    const exclusions = resolved.exclusions;
    if (exclusions) times = times.filter((time) => !exclusions.excludes(time));
    // Before any AWS call: a denied task is never launched, by its schedule or by a backfill.
    const decision = this.#d.policy?.evaluate(task) ?? { allowed: true as const };
    if (!decision.allowed) return this.#stall(backfill, 'PolicyDenied', decision.message, now);

    const pass: Pass = {
      backfill,
      task,
      cluster: task.spec.task.cluster ?? this.#d.defaultCluster,
      count: Math.min(
        task.spec.taskCount ?? 1,
        this.#d.maxTasksPerRun ?? Number.POSITIVE_INFINITY,
        decision.maxTasksPerRun ?? Number.POSITIVE_INFINITY,
      ),
      identity: decision.identity && { ...decision.identity, namespace },
      signal,
      log,
      now,
      counts: {
        total: times.length,
        launched: status.launched ?? 0,
        succeeded: status.succeeded ?? 0,
        failed: status.failed ?? 0,
        skipped: status.skipped ?? 0,
      },
      active: [...(status.active ?? [])],
      failedTimes: [...(status.failedTimes ?? [])],
      dryRunTimes: [...(status.dryRunTimes ?? [])],
      lastDecidedTime: status.lastDecidedTime,
      events: [],
    };

    await this.#settle(pass);
    await this.#launchChosen(pass);
    const remaining = await this.#choose(pass, undecidedTimes(times, pass.lastDecidedTime));

    const finished = remaining === 0 && pass.active.length === 0;
    const next: BackfillStatus = {
      ...status,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
      active: pass.active,
      failedTimes: pass.failedTimes,
      ...(pass.dryRunTimes.length > 0 ? { dryRunTimes: pass.dryRunTimes } : {}),
      ...(pass.lastDecidedTime === undefined ? {} : { lastDecidedTime: pass.lastDecidedTime }),
      ...(finished ? { completionTime: now.toISOString() } : {}),
    };
    const written = withProgress(
      next,
      pass.counts,
      progressConditions(
        pass.counts,
        finished,
        backfill.spec.dryRun ? pass.dryRunTimes.length : undefined,
        generation,
      ),
      now,
    );
    if (finished) pass.events.push(finishedEvent(pass));
    // A poll that saw nothing new (runs still running) writes nothing.
    if (!isDeepStrictEqual(written, status)) await this.#d.backfills.writeStatus(backfill, written);
    for (const e of pass.events) this.#d.events.record(backfill, e.type, e.reason, e.message);
    if (finished) log.info('backfill finished', { ...pass.counts });
    // Times left and room for them (the lookup budget ran out first): go on at once.
    const room = backfill.spec.dryRun || freeSlots(backfill.spec.maxConcurrent ?? 1, pass.active) > 0;
    if (remaining > 0 && room) return { requeueAfterMs: 0 };
    return requeueOf(pass.active, now, this.#d.pollMs);
  }

  /** Active runs whose tasks all stopped (or one failed) leave the window and are counted. */
  async #settle(pass: Pass): Promise<void> {
    const launched = pass.active.filter((r) => r.taskArns !== undefined && r.taskArns.length > 0);
    if (launched.length === 0) return;
    const observations = new Map<string, TaskObservation>();
    const byCluster = new Map<string, string[]>();
    for (const run of launched)
      byCluster.set(run.cluster, [...(byCluster.get(run.cluster) ?? []), ...(run.taskArns ?? [])]);
    for (const [cluster, arns] of byCluster) {
      const observed = await this.#d.launcher.describeTasks(cluster, arns, this.#callOptions(pass));
      for (const obs of observed) observations.set(obs.taskArn, obs);
    }
    const graceMs = this.#d.missingGraceMs ?? 120_000;
    pass.active = pass.active.filter((run) => {
      const verdict = runVerdict(run, observations, pass.now, graceMs);
      if (verdict.state === 'succeeded') {
        pass.counts.succeeded++;
        return false;
      }
      if (verdict.state === 'failed') {
        pass.counts.failed++;
        pass.failedTimes.push(run.scheduledTime);
        pass.events.push({
          type: 'Warning',
          reason: 'RunFailed',
          message: `the run of ${run.scheduledTime} failed: ${verdict.message ?? 'a task failed'}`,
        });
        return false;
      }
      return true;
    });
  }

  /**
   * Times chosen in an earlier pass: tasks found under their startedBy are this backfill's (the
   * time was looked up before it was chosen), so they are adopted; otherwise RunTask.
   */
  async #launchChosen(pass: Pass): Promise<void> {
    const chosen = pass.active.filter((r) => r.taskArns === undefined);
    for (const run of chosen) {
      const identity = this.#identityOf(pass, run);
      const found = await this.#d.launcher.findTasks(run.cluster, run.startedBy, this.#callOptions(pass));
      let arns = found;
      let failure: string | undefined;
      let dryRun = false;
      if (found.length === 0) {
        assertMayLaunch(pass.signal, this.#d.fence, this.#fenceMarginMs());
        try {
          const result = await this.#d.launcher.runTasks(
            {
              cluster: run.cluster,
              task: pass.task.spec.task,
              count: pass.count,
              startedBy: identity.startedBy,
              clientToken: launchClientToken(identity, 0),
              tags: identity.tags,
              ...(pass.identity ? { identity: pass.identity } : {}),
            },
            {
              signal: pass.signal,
              mayLaunch: launchCheck(pass.signal, this.#d.fence, this.#fenceMarginMs()),
            },
          );
          arns = result.tasks.map((t) => t.taskArn);
          dryRun = result.dryRun === true;
          if (arns.length === 0 && !dryRun)
            failure = describeFailures(result.failures) || 'ECS placed no task';
        } catch (error) {
          if (!(error instanceof TerminalError)) throw error;
          // ECS refused the request itself: the same request can never succeed.
          failure = error.message;
        }
      }
      const index = pass.active.indexOf(run);
      if (dryRun) {
        // The controller runs with --dry-run: the request was logged, nothing started.
        pass.active.splice(index, 1);
        pass.counts.skipped++;
        pass.dryRunTimes.push(run.scheduledTime);
        continue;
      }
      if (failure !== undefined) {
        pass.active.splice(index, 1);
        pass.counts.failed++;
        pass.failedTimes.push(run.scheduledTime);
        pass.events.push({
          type: 'Warning',
          reason: 'LaunchFailed',
          message: `the run of ${run.scheduledTime} could not launch: ${failure}`,
        });
        continue;
      }
      pass.counts.launched++;
      pass.active[index] = { ...run, taskArns: arns, launchedAt: pass.now.toISOString() };
      pass.log.info('backfill launched tasks', {
        startedBy: run.startedBy,
        scheduledTime: run.scheduledTime,
        launched: found.length === 0 ? arns.length : 0,
        adopted: found.length,
      });
    }
  }

  /**
   * Fills the concurrency window with the next times, in order. Returns how many times are still
   * undecided after this pass.
   */
  async #choose(pass: Pass, undecided: readonly Date[]): Promise<number> {
    const { spec } = pass.backfill;
    const rerun = (spec.rerun ?? 'MissedAndFailed') as RerunMode;
    const recorded = recordedResults(pass.task);
    const budget = this.#d.lookupsPerPass ?? 20;
    let lookups = 0;
    let decided = 0;
    for (const time of undecided) {
      // A dry run launches nothing, so nothing fills its window.
      if (!spec.dryRun && freeSlots(spec.maxConcurrent ?? 1, pass.active) === 0) break;
      if (lookups >= budget) break;
      const iso = time.toISOString();
      const scheduled = scheduledRunIdentity(pass.task, time);
      let action = classifyTime(rerun, recorded.get(time.getTime()));
      let identity: RunIdentity | undefined;
      if (action.action === 'scheduled') {
        lookups++;
        const found = await this.#d.launcher.findTasks(
          pass.cluster,
          scheduled.startedBy,
          this.#callOptions(pass),
        );
        const record = recorded.get(time.getTime());
        const unknown =
          record === undefined &&
          handledBySchedule(time, {
            createdAt: pass.task.metadata.creationTimestamp,
            lastScheduleTime: pass.task.status?.lastScheduleTime,
          });
        const next = afterScheduledLookup(rerun, found.length > 0, unknown);
        if (next === 'skip') action = { action: 'skip', reason: 'AlreadyLaunched' };
        else if (next === 'rerun') action = { action: 'rerun' };
        else identity = scheduled;
      }
      if (action.action === 'rerun') identity = backfillRerunIdentity(scheduled, this.#uidOf(pass));
      if (action.action === 'skip' || identity === undefined) {
        pass.counts.skipped++;
      } else if (spec.dryRun) {
        // Counted as skipped too, so the dry run completes: nothing of it will ever run.
        pass.counts.skipped++;
        pass.dryRunTimes.push(iso);
      } else {
        pass.active.push({
          scheduledTime: iso,
          startedBy: identity.startedBy,
          cluster: pass.cluster,
          ...(identity === scheduled ? {} : { rerun: true }),
        });
      }
      pass.lastDecidedTime = iso;
      decided++;
    }
    return undecided.length - decided;
  }

  #identityOf(pass: Pass, run: BackfillActiveRun): RunIdentity {
    const scheduled = scheduledRunIdentity(pass.task, new Date(run.scheduledTime));
    return run.rerun ? backfillRerunIdentity(scheduled, this.#uidOf(pass)) : scheduled;
  }

  #uidOf(pass: Pass): string {
    const { metadata } = pass.backfill;
    return metadata.uid ?? `${metadata.namespace ?? 'default'}/${metadata.name ?? ''}`;
  }

  #fenceMarginMs(): number {
    return this.#d.fenceMarginMs ?? 2_000;
  }

  #callOptions(pass: Pass) {
    return { signal: pass.signal, ...(pass.identity ? { identity: pass.identity } : {}) };
  }

  /** Waiting on something outside the backfill: one Warning per new reason, a slow recheck. */
  async #stall(
    backfill: EcsTaskBackfillResource,
    reason: string,
    message: string,
    now: Date,
  ): Promise<BackfillResult> {
    const status = backfill.status ?? {};
    const before = status.conditions?.find((c) => c.type === 'Stalled');
    const conditions = setConditions(
      status.conditions,
      stalledConditions(reason, message, backfill.metadata.generation),
      now,
    );
    const changed = before?.status !== 'True' || before.reason !== reason || before.message !== message;
    if (changed) {
      await this.#d.backfills.writeStatus(backfill, { ...status, conditions });
      this.#d.events.record(backfill, 'Warning', reason, message);
      this.#d.logger.warn('backfill stalled', {
        backfill: `${backfill.metadata.namespace ?? 'default'}/${backfill.metadata.name ?? ''}`,
        reason,
        message,
      });
    }
    return { requeueAfterMs: STALLED_RECHECK_MS };
  }

  /** A backfill that can never run as written: Failed, and never looked at again. */
  async #refuse(
    backfill: EcsTaskBackfillResource,
    reason: string,
    message: string,
    now: Date,
  ): Promise<BackfillResult> {
    const status = backfill.status ?? {};
    const conditions = setConditions(
      status.conditions,
      refusedConditions(reason, message, backfill.metadata.generation),
      now,
    );
    await this.#d.backfills.writeStatus(backfill, { ...status, conditions });
    this.#d.events.record(backfill, 'Warning', reason, message);
    return {};
  }
}

/** The results the task's status still records, by scheduled instant (run-now runs left out). */
function recordedResults(task: EcsScheduledTaskResource): Map<number, RunResult> {
  const out = new Map<number, RunResult>();
  for (const run of task.status?.runs ?? []) {
    if (run.runNowKey !== undefined) continue;
    out.set(Date.parse(run.scheduledTime), run.result as RunResult);
  }
  return out;
}

function finishedEvent(pass: Pass): { type: EventType; reason: string; message: string } {
  const c = pass.counts;
  if (pass.backfill.spec.dryRun) {
    const times = pass.dryRunTimes;
    const shown = times.slice(0, 20).join(', ');
    return {
      type: 'Normal',
      reason: 'DryRun',
      message:
        times.length === 0
          ? `dry run: nothing to launch among ${c.total} times`
          : `dry run: would launch ${times.length} of ${c.total} times: ${shown}${times.length > 20 ? `, and ${times.length - 20} more (status.dryRunTimes)` : ''}`,
    };
  }
  return {
    type: c.failed > 0 ? 'Warning' : 'Normal',
    reason: c.failed > 0 ? 'BackfillFailed' : 'BackfillComplete',
    message: `${c.launched} launched, ${c.succeeded} succeeded, ${c.failed} failed, ${c.skipped} skipped of ${c.total} times`,
  };
}

function requeueOf(
  active: readonly BackfillActiveRun[],
  now: Date,
  bounds: BackfillReconcilerDeps['pollMs'],
): BackfillResult {
  const after = requeueAfterMs(active, now, bounds ?? { minMs: 2_000, maxMs: 30_000 });
  return after === undefined ? {} : { requeueAfterMs: after };
}
