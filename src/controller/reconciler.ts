// One level-based pass over one EcsScheduledTask: read the cached object and the clock once,
// observe the tasks it tracks, decide with the pure functions next door, act through the ports,
// and write the status once at the end. Events and metrics go out only after that write
// succeeded, so a pass that loses a conflict and is retried does not report twice.
import { isDeepStrictEqual } from 'node:util';
import { RUN_NOW_ANNOTATION } from '../api/constants.js';
import type {
  ConcurrencyPolicy,
  EcsScheduledTaskResource,
  RunRecord,
  RunResult,
  Spec,
  Status,
} from '../api/types.js';
import { validateResource } from '../api/validation.js';
import type { Logger } from '../log/logger.js';
import { compileSchedule, ScheduleError, type CompiledSchedule } from '../schedule/schedule.js';
import { jitterSeconds } from '../schedule/stable-hash.js';
import type { Clock } from './clock.js';
import { decideLaunch } from './concurrency-policy.js';
import { ConditionType, findCondition, setConditions } from './conditions.js';
import { desiredTaskCount } from './desired-count.js';
import { TerminalError, TransientError } from './errors.js';
import { newRunRecord, retriedRunRecord, type LaunchOutcome } from './launch-outcome.js';
import type { ControllerMetrics } from './metrics-port.js';
import {
  EventReason,
  type EventRecorder,
  type EventType,
  type QueueDepthSource,
  type ResourceStore,
  type TaskLauncher,
  type TaskObservation,
} from './ports.js';
import { lastResult, sortRuns, trimRuns } from './run-history.js';
import { runNowIdentity, scheduledRunIdentity, type RunIdentity } from './run-identity.js';
import { launchWindowEnd, planSchedule, type SchedulePlan } from './run-plan.js';
import {
  activeTasks,
  overdueRuns,
  plannedTasks,
  RunReason,
  trackRuns,
  unfinishedTaskArns,
  withReason,
} from './run-tracking.js';

export interface ReconcilerDeps {
  readonly store: ResourceStore;
  readonly launcher: TaskLauncher;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly metrics: ControllerMetrics;
  readonly logger: Logger;
  /** Required for resources with `spec.trigger.sqs`; without it their runs are Skipped. */
  readonly queueDepth?: QueueDepthSource;
  /** ECS cluster for resources that do not name one (`--default-cluster`). */
  readonly defaultCluster: string;
  /** How long a fresh ARN may be MISSING from DescribeTasks before the task counts as lost. Default 2 min. */
  readonly missingTaskGraceMs?: number;
  /** How often a resource with running tasks is looked at again. Default 10 s. */
  readonly activePollMs?: number;
  /** How long capacity failures are retried when startingDeadlineSeconds is unset. Default 300 s. */
  readonly launchRetryWindowSeconds?: number;
}

export interface ReconcileResult {
  /** Look at the resource again after this long (the next fire, a poll, or a retry). */
  readonly requeueAfterMs?: number;
}

/** Requeue a little after the fire time, so a clock slightly behind ours does not find it not yet due. */
const REQUEUE_PADDING_MS = 100;
const DEFAULT_MISSING_GRACE_MS = 2 * 60_000;
const DEFAULT_ACTIVE_POLL_MS = 10_000;
const DEFAULT_LAUNCH_RETRY_WINDOW_SECONDS = 300;
// Capacity retries back off with the time already spent, between these bounds: roughly doubling,
// without keeping an attempt counter anywhere (the run's scheduled time is the only state).
const MIN_CAPACITY_RETRY_MS = 5_000;
const MAX_CAPACITY_RETRY_MS = 60_000;
/** Passed-over times looked up in ECS per pass (each lookup is two ListTasks calls). */
const MAX_MISSED_LOOKUPS = 10;

interface PendingEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

/** Everything one pass has decided so far. Only this pass touches it. */
interface Pass {
  readonly key: string;
  /** The cached object: read it, never mutate it. */
  readonly resource: EcsScheduledTaskResource;
  readonly spec: Spec;
  readonly now: Date;
  readonly log: Logger;
  readonly cluster: string;
  runs: RunRecord[];
  readonly events: PendingEvent[];
  readonly recorded: RunResult[];
  readonly launchDelays: number[];
  readonly errors: TransientError[];
  missedRunsTotal: number;
  lastSuccessfulTime: string | undefined;
  queueDepth: number | undefined;
}

type RunKind = 'scheduled' | 'run-now';

function toTransient(error: unknown, what: string): TransientError {
  if (error instanceof TransientError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TransientError(`${what}: ${message}`, 'Unknown', { cause: error });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A scheduled time whose tasks an earlier pass launched but never recorded. */
function adoptedRun(time: Date, taskArns: readonly string[]): RunRecord {
  return {
    scheduledTime: time.toISOString(),
    result: 'Running',
    desiredCount: taskArns.length,
    launchCount: taskArns.length,
    tasks: taskArns.map((taskArn) => ({ taskArn })),
    message: `${taskArns.length} task(s) adopted from an earlier attempt`,
  };
}

const iso = (d: Date | undefined) => d?.toISOString();
const later = (a: string | undefined, b: string | undefined) =>
  a === undefined ? b : b === undefined ? a : Date.parse(a) >= Date.parse(b) ? a : b;

export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #missingGraceMs: number;
  readonly #activePollMs: number;
  readonly #retryWindowSeconds: number;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#missingGraceMs = deps.missingTaskGraceMs ?? DEFAULT_MISSING_GRACE_MS;
    this.#activePollMs = deps.activePollMs ?? DEFAULT_ACTIVE_POLL_MS;
    this.#retryWindowSeconds = deps.launchRetryWindowSeconds ?? DEFAULT_LAUNCH_RETRY_WINDOW_SECONDS;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const resource = this.#deps.store.get(key);
    if (!resource) {
      this.#deps.metrics.forget(key);
      return {};
    }
    const now = this.#deps.clock.now();
    const log = this.#deps.logger.child({ resource: key });

    const issues = validateResource(resource);
    const specIssues = issues.filter((i) => !i.path.startsWith('status'));
    if (specIssues.length > 0) {
      return this.#stall(resource, specIssues.map((i) => `${i.path}: ${i.message}`).join('; '), now, log);
    }
    let schedule: CompiledSchedule;
    try {
      schedule = compileSchedule(resource.spec.schedule, {
        timeZone: resource.spec.timeZone,
        startTime: resource.spec.startTime ? new Date(resource.spec.startTime) : undefined,
        endTime: resource.spec.endTime ? new Date(resource.spec.endTime) : undefined,
        hashKey: key,
      });
    } catch (error) {
      if (error instanceof ScheduleError) return this.#stall(resource, error.message, now, log);
      throw error;
    }
    // A status that does not match the schema (hand-edited, or from another version) is not
    // trusted: start from an empty one; run identities still prevent duplicate launches.
    const status: Status = issues.length > specIssues.length ? {} : structuredClone(resource.status ?? {});
    if (issues.length > specIssues.length) log.warn('ignoring a malformed status', { issues });

    const pass: Pass = {
      key,
      resource,
      spec: resource.spec,
      now,
      log,
      cluster: resource.spec.task.cluster ?? this.#deps.defaultCluster,
      runs: sortRuns(status.runs ?? []),
      events: [],
      recorded: [],
      launchDelays: [],
      errors: [],
      missedRunsTotal: status.missedRunsTotal ?? 0,
      lastSuccessfulTime: status.lastSuccessfulTime,
      queueDepth: undefined,
    };

    await this.#observe(pass);
    await this.#enforceActiveDeadline(pass);
    await this.#retryPendingLaunches(pass);

    const plan = planSchedule({
      fires: schedule,
      now,
      after: new Date(status.lastScheduleTime ?? resource.metadata.creationTimestamp ?? now.toISOString()),
      suspend: pass.spec.suspend ?? false,
      startingDeadlineSeconds: pass.spec.startingDeadlineSeconds,
      jitterSeconds: (t) => this.#jitter(pass, t),
    });
    const lastScheduleTime = await this.#runSchedule(pass, plan, status.lastScheduleTime);
    const lastRunNow = await this.#runNow(pass, status.lastRunNow);

    const next = this.#finalStatus(pass, status, schedule, plan, lastScheduleTime, lastRunNow);
    if (!isDeepStrictEqual(next, resource.status ?? {})) {
      // A ConflictError propagates: the queue retries, and the next pass re-reads and decides again.
      await this.#deps.store.writeStatus(resource, next);
    }
    this.#report(pass, plan, lastScheduleTime);

    if (pass.errors[0]) throw pass.errors[0];
    return this.#requeue(pass, plan);
  }

  /** An invalid spec: report it once on the object and as a Warning event, and do not retry. */
  async #stall(
    resource: EcsScheduledTaskResource,
    message: string,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    const previous = findCondition(resource.status?.conditions, ConditionType.Stalled);
    const generation = resource.metadata.generation;
    const conditions = setConditions(
      resource.status?.conditions,
      [
        {
          type: ConditionType.Ready,
          status: 'False',
          reason: EventReason.InvalidSpec,
          message,
          observedGeneration: generation,
        },
        {
          type: ConditionType.Stalled,
          status: 'True',
          reason: EventReason.InvalidSpec,
          message,
          observedGeneration: generation,
        },
        {
          type: ConditionType.Reconciling,
          status: 'False',
          reason: EventReason.InvalidSpec,
          message: 'waiting for the spec to be fixed',
          observedGeneration: generation,
        },
      ],
      now,
    );
    const status: Status = withoutUndefined({
      ...structuredClone(resource.status ?? {}),
      observedGeneration: generation,
      conditions,
    });
    if (!isDeepStrictEqual(status, resource.status ?? {}))
      await this.#deps.store.writeStatus(resource, status);
    if (previous?.status !== 'True' || previous.message !== message) {
      log.warn('invalid spec', { issues: message });
      this.#deps.events.record(resource, 'Warning', EventReason.InvalidSpec, message);
    }
    return {};
  }

  #jitter(pass: Pass, scheduledTime: Date): number {
    return jitterSeconds(pass.key, scheduledTime, pass.spec.jitterSeconds ?? 0);
  }

  /** A scheduled run short of tasks after capacity failures, still inside its launch window. */
  #isPending(pass: Pass, run: RunRecord): boolean {
    if (run.result !== 'Running' || (run.tasks?.length ?? 0) >= plannedTasks(run)) return false;
    if (run.reason === RunReason.DeadlineExceeded || run.reason === RunReason.Replaced) return false;
    const scheduled = new Date(run.scheduledTime);
    const end = launchWindowEnd(
      scheduled,
      this.#jitter(pass, scheduled),
      pass.spec.startingDeadlineSeconds,
      this.#retryWindowSeconds,
    );
    return pass.now.getTime() < end.getTime();
  }

  /** DescribeTasks for every unfinished task, then fold the answers into the runs. */
  async #observe(pass: Pass): Promise<void> {
    const arns = unfinishedTaskArns(pass.runs);
    let observations: TaskObservation[] = [];
    if (arns.length > 0) {
      try {
        observations = await this.#deps.launcher.describeTasks(pass.cluster, arns);
      } catch (error) {
        // Nothing is decided yet, so there is nothing to write: retry the whole pass.
        throw toTransient(error, 'describing tasks');
      }
    }
    const tracked = trackRuns(pass.runs, observations, {
      now: pass.now,
      missingGraceMs: this.#missingGraceMs,
      isPending: (run) => this.#isPending(pass, run),
    });
    pass.runs = tracked.runs;
    for (const run of tracked.settled) this.#settled(pass, run);
  }

  #settled(pass: Pass, run: RunRecord): void {
    pass.recorded.push(run.result as RunResult);
    const what = `run scheduled at ${run.scheduledTime}`;
    if (run.result === 'Succeeded') {
      pass.lastSuccessfulTime = later(pass.lastSuccessfulTime, run.finishedAt);
      pass.events.push({ type: 'Normal', reason: EventReason.RunSucceeded, message: `${what} succeeded` });
    } else if (run.result === 'LaunchFailed') {
      pass.events.push({
        type: 'Warning',
        reason: EventReason.LaunchFailed,
        message: `${what}: ${run.reason}: ${run.message}`,
      });
    } else {
      pass.events.push({
        type: 'Warning',
        reason: EventReason.RunFailed,
        message: `${what} failed: ${run.reason}: ${run.message}`,
      });
    }
  }

  async #enforceActiveDeadline(pass: Pass): Promise<void> {
    for (const { run, taskArns } of overdueRuns(pass.runs, pass.spec.activeDeadlineSeconds, pass.now)) {
      const message = `stopped ${taskArns.length} task(s) still running after activeDeadlineSeconds (${pass.spec.activeDeadlineSeconds}s)`;
      try {
        await this.#deps.launcher.stopTasks(
          pass.cluster,
          taskArns,
          'ecs-scheduler: activeDeadlineSeconds exceeded',
        );
      } catch (error) {
        pass.errors.push(toTransient(error, 'stopping overdue tasks'));
        continue;
      }
      pass.log.info('stopped overdue tasks', { scheduledTime: run.scheduledTime, taskArns });
      this.#replaceRun(pass, run, withReason(run, RunReason.DeadlineExceeded, message));
      pass.events.push({
        type: 'Warning',
        reason: EventReason.DeadlineExceeded,
        message: `run scheduled at ${run.scheduledTime}: ${message}`,
      });
    }
  }

  #replaceRun(pass: Pass, old: RunRecord, updated: RunRecord): void {
    pass.runs = pass.runs.map((r) => (r === old ? updated : r));
  }

  /** Scheduled runs short of tasks after capacity failures try again for the remainder. */
  async #retryPendingLaunches(pass: Pass): Promise<void> {
    for (const run of pass.runs.filter((r) => this.#isPending(pass, r))) {
      const scheduled = new Date(run.scheduledTime);
      const known = (run.tasks ?? []).map((t) => t.taskArn);
      const remainder = plannedTasks(run) - known.length;
      const outcome = await this.#launch(
        pass,
        scheduledRunIdentity(pass.resource, scheduled),
        remainder,
        known,
        'retry',
      );
      if (!outcome) continue;
      const updated = retriedRunRecord(run, outcome, pass.now);
      if (!run.launchedAt && updated.launchedAt) this.#launchDelay(pass, scheduled);
      this.#replaceRun(pass, run, updated);
      if (updated.result === 'LaunchFailed') this.#settled(pass, updated);
      else if (outcome.tasks.length > 0) {
        pass.events.push({
          type: 'Normal',
          reason: EventReason.Launched,
          message: `run scheduled at ${run.scheduledTime}: launched ${outcome.tasks.length} more task(s) after capacity retries`,
        });
      }
    }
  }

  /**
   * Adopts tasks an earlier attempt already launched under this identity (a crash between
   * RunTask and the status write), then launches only the remainder. Undefined after a transient
   * failure, which is recorded on the pass.
   */
  async #launch(
    pass: Pass,
    identity: RunIdentity,
    count: number,
    known: readonly string[],
    attempt: 'first' | 'retry',
  ): Promise<LaunchOutcome | undefined> {
    const launcher = this.#deps.launcher;
    try {
      const already = new Set(known);
      const found = (await launcher.findTasks(pass.cluster, identity.startedBy)).filter(
        (arn) => !already.has(arn),
      );
      const adopted = found.map((taskArn) => ({ taskArn }));
      const remainder = count - found.length;
      if (remainder <= 0) return { tasks: adopted, adopted: found.length, failures: [], dryRun: false };
      // A retry (or a top-up of adopted tasks) needs a fresh token: ECS answers a reused one with
      // the first attempt's result. Our guard against duplicates across crashes is findTasks above.
      const clientToken =
        attempt === 'first' && found.length === 0
          ? identity.clientToken
          : `${identity.clientToken}-r${Math.floor(pass.now.getTime() / 1000).toString(36)}`;
      const result = await launcher.runTasks({
        cluster: pass.cluster,
        task: pass.spec.task,
        count: remainder,
        startedBy: identity.startedBy,
        clientToken: clientToken.slice(0, 64),
        tags: identity.tags,
      });
      const launched = result.tasks.map((t) => ({
        taskArn: t.taskArn,
        ...(t.lastStatus ? { lastStatus: t.lastStatus } : {}),
      }));
      pass.log.info('launched tasks', {
        startedBy: identity.startedBy,
        launched: launched.length,
        adopted: found.length,
        failures: result.failures.length,
      });
      return {
        tasks: [...adopted, ...launched],
        adopted: found.length,
        failures: result.failures,
        dryRun: result.dryRun === true,
      };
    } catch (error) {
      if (error instanceof TerminalError) {
        // ECS refused the request itself (bad parameters): retrying the same request cannot help.
        return {
          tasks: [],
          adopted: 0,
          failures: [{ reason: error.reason, detail: error.message, capacity: false }],
          dryRun: false,
        };
      }
      pass.log.warn('launch attempt failed; will retry', { startedBy: identity.startedBy, error });
      pass.errors.push(toTransient(error, 'launching tasks'));
      return undefined;
    }
  }

  #launchDelay(pass: Pass, scheduled: Date): void {
    pass.launchDelays.push((pass.now.getTime() - scheduled.getTime()) / 1000);
  }

  #addRun(pass: Pass, run: RunRecord): void {
    pass.runs = sortRuns([run, ...pass.runs]);
    if (run.result !== 'Running') this.#settledOnCreation(pass, run);
  }

  /** Events and metrics for a run that got its final result without ever running. */
  #settledOnCreation(pass: Pass, run: RunRecord): void {
    if (run.result === 'LaunchFailed') return this.#settled(pass, run);
    pass.recorded.push(run.result as RunResult);
    if (run.result === 'Skipped') {
      pass.events.push({
        type: 'Normal',
        reason: EventReason.Skipped,
        message: `run scheduled at ${run.scheduledTime} skipped: ${run.reason}: ${run.message}`,
      });
    } else if (run.result === 'DryRun') {
      pass.events.push({
        type: 'Normal',
        reason: EventReason.DryRun,
        message: `run scheduled at ${run.scheduledTime}: ${run.message}`,
      });
    }
  }

  /** Missed and due scheduled times. Returns the new lastScheduleTime (the watermark). */
  async #runSchedule(
    pass: Pass,
    plan: SchedulePlan,
    previous: string | undefined,
  ): Promise<string | undefined> {
    // A passed-over time may have been launched by an earlier pass whose status write never
    // landed (the API server was down, or the process died right after RunTask). Those tasks are
    // adopted rather than reported Missed. Only the oldest few are looked up: the time right after
    // the watermark is the one a crash leaves behind, and an outage long enough to leave more
    // than this many behind is rare; each lookup costs ListTasks calls.
    const adopted = new Map<Date, string[]>();
    // plan.missed is newest first.
    for (const time of plan.missed.slice(Math.max(0, plan.missed.length - MAX_MISSED_LOOKUPS))) {
      try {
        const found = await this.#deps.launcher.findTasks(
          pass.cluster,
          scheduledRunIdentity(pass.resource, time).startedBy,
        );
        if (found.length > 0) adopted.set(time, found);
      } catch (error) {
        // Nothing added yet: the whole schedule step is retried with the watermark unmoved.
        pass.errors.push(toTransient(error, 'looking for tasks already launched'));
        return previous;
      }
    }
    for (const time of plan.missed) {
      const found = adopted.get(time);
      this.#addRun(
        pass,
        found
          ? adoptedRun(time, found)
          : {
              scheduledTime: time.toISOString(),
              result: 'Missed',
              reason: RunReason.Coalesced,
              message: 'a later scheduled time was due at the same pass; only the most recent one runs',
            },
      );
    }
    // Counted beyond the records kept, so missedRunsTotal stays true after a long outage.
    for (let i = plan.missed.length; i < plan.missedCount; i++) pass.recorded.push('Missed');
    const missedCount = plan.missedCount - adopted.size;
    pass.missedRunsTotal += missedCount;
    if (missedCount > 0) {
      const count = plan.missedMore ? `at least ${missedCount}` : String(missedCount);
      pass.events.push({
        type: 'Warning',
        reason: EventReason.MissedSchedule,
        message: `missed ${count} scheduled time(s) before ${iso(plan.lastScheduleTime)}; only the most recent is considered`,
      });
    }
    const handledUpTo = later(previous, iso(plan.missed[0]));
    if (plan.tooLate) {
      if (!(await this.#recordTooLate(pass, plan.tooLate))) return handledUpTo;
    }
    if (
      plan.due &&
      !(await this.#startRun(pass, plan.due, scheduledRunIdentity(pass.resource, plan.due), 'scheduled'))
    ) {
      return handledUpTo;
    }
    return later(previous, iso(plan.lastScheduleTime));
  }

  /** Missed by startingDeadlineSeconds, unless an earlier pass launched it and crashed before writing. */
  async #recordTooLate(pass: Pass, time: Date): Promise<boolean> {
    let found: string[];
    try {
      found = await this.#deps.launcher.findTasks(
        pass.cluster,
        scheduledRunIdentity(pass.resource, time).startedBy,
      );
    } catch (error) {
      pass.errors.push(toTransient(error, 'looking for tasks already launched'));
      return false;
    }
    if (found.length > 0) {
      this.#addRun(pass, adoptedRun(time, found));
      return true;
    }
    const deadline = pass.spec.startingDeadlineSeconds ?? 0;
    const message = `too late to start: more than startingDeadlineSeconds (${deadline}s) after ${time.toISOString()}`;
    pass.missedRunsTotal += 1;
    this.#addRun(pass, {
      scheduledTime: time.toISOString(),
      result: 'Missed',
      reason: RunReason.StartingDeadlineExceeded,
      message,
    });
    pass.events.push({ type: 'Warning', reason: EventReason.MissedSchedule, message });
    return true;
  }

  /** Run-now by annotation: once per distinct value. Returns the new status.lastRunNow. */
  async #runNow(pass: Pass, previous: string | undefined): Promise<string | undefined> {
    const value = pass.resource.metadata.annotations?.[RUN_NOW_ANNOTATION];
    if (!value || value === previous) return previous;
    if (pass.spec.suspend) {
      this.#addRun(pass, {
        scheduledTime: pass.now.toISOString(),
        result: 'Skipped',
        reason: RunReason.Suspended,
        message: `run-now "${value}" ignored: the resource is suspended`,
      });
      return value;
    }
    const started = await this.#startRun(
      pass,
      pass.now,
      runNowIdentity(pass.resource, value, pass.now),
      'run-now',
    );
    return started ? value : previous;
  }

  /** Decides and launches one due run. False after a transient failure: the time stays due. */
  async #startRun(pass: Pass, scheduled: Date, identity: RunIdentity, kind: RunKind): Promise<boolean> {
    const scheduledTime = scheduled.toISOString();
    const sqs = pass.spec.trigger?.sqs;
    let depth: number | undefined;
    if (sqs) {
      if (!this.#deps.queueDepth) {
        this.#addRun(pass, {
          scheduledTime,
          result: 'Skipped',
          reason: RunReason.TriggerUnavailable,
          message: 'this controller has no SQS client configured',
        });
        return true;
      }
      try {
        depth = await this.#deps.queueDepth.queueDepth(sqs);
      } catch (error) {
        pass.errors.push(toTransient(error, 'reading the trigger queue depth'));
        return false;
      }
      pass.queueDepth = depth;
    }
    const base: RunRecord = {
      scheduledTime,
      result: 'Running',
      ...(depth !== undefined ? { queueDepth: depth } : {}),
    };
    const desired = desiredTaskCount(pass.spec, depth);
    const decision = decideLaunch(
      pass.spec.concurrencyPolicy as ConcurrencyPolicy | undefined,
      desired,
      unfinishedTaskArns(pass.runs),
    );
    if (decision.action === 'skip') {
      this.#addRun(pass, {
        ...base,
        result: 'Skipped',
        reason: decision.reason,
        message: decision.message,
        desiredCount: desired,
      });
      return true;
    }
    if (decision.stop.length > 0 && !(await this.#replace(pass, decision.stop, scheduledTime))) return false;

    const outcome = await this.#launch(pass, identity, decision.count, [], 'first');
    if (!outcome) return false;
    if ((pass.spec.concurrencyPolicy ?? 'Allow') !== 'Allow') this.#supersedePending(pass);
    const run = newRunRecord({
      base,
      desired,
      count: decision.count,
      outcome,
      now: pass.now,
      retryable: kind === 'scheduled',
      message: decision.message,
    });
    this.#addRun(pass, run);
    if (run.result === 'Running' && outcome.tasks.length > 0) {
      if (kind === 'scheduled') this.#launchDelay(pass, scheduled);
      pass.events.push({
        type: 'Normal',
        reason: EventReason.Launched,
        message: `${kind === 'run-now' ? 'run-now' : `run scheduled at ${scheduledTime}`}: ${run.message}`,
      });
    }
    return true;
  }

  /** Replace: stop the running tasks before the new run launches. */
  async #replace(pass: Pass, taskArns: readonly string[], scheduledTime: string): Promise<boolean> {
    try {
      await this.#deps.launcher.stopTasks(
        pass.cluster,
        taskArns,
        `ecs-scheduler: replaced by the run scheduled at ${scheduledTime}`,
      );
    } catch (error) {
      pass.errors.push(toTransient(error, 'stopping tasks to replace them'));
      return false;
    }
    const stopped = new Set(taskArns);
    pass.runs = pass.runs.map((r) =>
      r.result === 'Running' && (r.tasks ?? []).some((t) => stopped.has(t.taskArn))
        ? withReason(r, RunReason.Replaced, `replaced by the run scheduled at ${scheduledTime}`)
        : r,
    );
    return true;
  }

  /** Under Forbid, Replace and TopUp a new run takes over: older runs stop retrying for capacity. */
  #supersedePending(pass: Pass): void {
    for (const run of pass.runs.filter((r) => this.#isPending(pass, r))) {
      const launched = run.tasks?.length ?? 0;
      if (launched === 0) {
        const { tasks: _tasks, ...rest } = run;
        const closed: RunRecord = {
          ...rest,
          result: 'LaunchFailed',
          reason: RunReason.Superseded,
          message: 'a newer run started before capacity was found',
          finishedAt: pass.now.toISOString(),
        };
        this.#replaceRun(pass, run, closed);
        this.#settled(pass, closed);
      } else {
        this.#replaceRun(
          pass,
          run,
          withReason(
            { ...run, launchCount: launched },
            RunReason.CapacityUnavailable,
            `launched ${launched} of ${plannedTasks(run)}; a newer run took over`,
          ),
        );
      }
    }
  }

  #finalStatus(
    pass: Pass,
    previous: Status,
    schedule: CompiledSchedule,
    plan: SchedulePlan,
    lastScheduleTime: string | undefined,
    lastRunNow: string | undefined,
  ): Status {
    const generation = pass.resource.metadata.generation;
    const suspended = pass.spec.suspend ?? false;
    const pending = pass.runs.some((r) => this.#isPending(pass, r));
    const ready = suspended
      ? { reason: 'Suspended', message: 'suspended: no new runs are launched' }
      : plan.nextScheduleTime
        ? { reason: 'Scheduled', message: 'the schedule is active' }
        : { reason: 'NoFutureRuns', message: 'the schedule has no future fire times' };
    const conditions = setConditions(
      previous.conditions,
      [
        { type: ConditionType.Ready, status: 'True', ...ready, observedGeneration: generation },
        {
          type: ConditionType.Stalled,
          status: 'False',
          reason: 'ValidSpec',
          message: 'the spec is valid',
          observedGeneration: generation,
        },
        pending
          ? {
              type: ConditionType.Reconciling,
              status: 'True',
              reason: RunReason.CapacityUnavailable,
              message: 'retrying a launch that found no capacity',
              observedGeneration: generation,
            }
          : {
              type: ConditionType.Reconciling,
              status: 'False',
              reason: 'Idle',
              message: 'nothing in progress',
              observedGeneration: generation,
            },
      ],
      pass.now,
    );
    const active = activeTasks(pass.runs);
    return withoutUndefined<Status>({
      observedGeneration: generation,
      conditions,
      resolvedSchedule: schedule.resolved,
      nextScheduleTime: suspended ? undefined : iso(plan.nextScheduleTime),
      lastScheduleTime,
      lastSuccessfulTime: pass.lastSuccessfulTime,
      lastResult: lastResult(pass.runs) ?? previous.lastResult,
      activeCount: active.length,
      active,
      lastRunNow,
      missedRunsTotal: pass.missedRunsTotal,
      runs: trimRuns(pass.runs, pass.spec),
    });
  }

  /** Events and metrics, once the status that explains them is stored. */
  #report(pass: Pass, plan: SchedulePlan, lastScheduleTime: string | undefined): void {
    for (const e of pass.events) this.#deps.events.record(pass.resource, e.type, e.reason, e.message);
    for (const result of pass.recorded) this.#deps.metrics.runRecorded(result);
    for (const seconds of pass.launchDelays) this.#deps.metrics.launchDelay(seconds);
    const last = lastScheduleTime ? new Date(lastScheduleTime) : undefined;
    this.#deps.metrics.scheduleTimes(pass.key, pass.spec.suspend ? undefined : plan.nextScheduleTime, last);
    if (pass.queueDepth !== undefined) this.#deps.metrics.queueDepth(pass.key, pass.queueDepth);
  }

  #requeue(pass: Pass, plan: SchedulePlan): ReconcileResult {
    const candidates: number[] = [];
    if (plan.wakeAt) candidates.push(plan.wakeAt.getTime() - pass.now.getTime() + REQUEUE_PADDING_MS);
    if (unfinishedTaskArns(pass.runs).length > 0) candidates.push(this.#activePollMs);
    for (const run of pass.runs.filter((r) => this.#isPending(pass, r))) {
      const waited = pass.now.getTime() - Date.parse(run.scheduledTime);
      candidates.push(Math.min(MAX_CAPACITY_RETRY_MS, Math.max(MIN_CAPACITY_RETRY_MS, waited)));
    }
    if (candidates.length === 0) return {};
    return { requeueAfterMs: Math.max(0, Math.min(...candidates)) };
  }
}
