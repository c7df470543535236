// One level-based pass over one EcsScheduledTask: read the cached object and the clock once, fold
// in what the task tracker observed, decide with the pure functions next door, act through the
// ports, and write the status once at the end. Events and metrics go out only after that write
// succeeded, so a pass that loses a conflict and is retried does not report twice.
import { isDeepStrictEqual } from 'node:util';
import { RUN_NOW_ANNOTATION } from '../api/constants.js';
import type {
  ConcurrencyPolicy,
  EcsScheduledTaskResource,
  RunRecord,
  RunResult,
  Status,
} from '../api/types.js';
import { validateResource } from '../api/validation.js';
import type { Logger } from '../log/logger.js';
import { compileSchedule, ScheduleError, type CompiledSchedule } from '../schedule/schedule.js';
import { jitterSeconds } from '../schedule/stable-hash.js';
import type { Clock } from './clock.js';
import { decideLaunch } from './concurrency-policy.js';
import { ConditionType, findCondition } from './conditions.js';
import { desiredTaskCount } from './desired-count.js';
import { TerminalError } from './errors.js';
import { assertMayLaunch, PassAbortedError } from './fencing.js';
import { newRunRecord, retriedRunRecord, type LaunchOutcome } from './launch-outcome.js';
import type { ControllerMetrics } from './metrics-port.js';
import {
  EventReason,
  type EventRecorder,
  type LeaseFence,
  type PolicyGate,
  type QueueDepthSource,
  type ResourceKey,
  type ResourceStore,
  type TaskLauncher,
} from './ports.js';
import {
  addRun,
  adoptedRun,
  iso,
  later,
  launchDelay,
  replaceRun,
  settled,
  toTransient,
  type Pass,
} from './reconcile-pass.js';
import { lastResult, sortRuns } from './run-history.js';
import { runNowIdentity, scheduledRunIdentity, type RunIdentity } from './run-identity.js';
import { LaunchLedger, launchClientToken } from './run-ledger.js';
import { launchWindowEnd, planSchedule, type SchedulePlan } from './run-plan.js';
import {
  isFinished,
  launchedTaskCount,
  overdueRuns,
  plannedTasks,
  RunReason,
  trackRuns,
  unfinishedTaskArns,
  withReason,
} from './run-tracking.js';
import { buildStatus, newestVerdict, stalledStatus } from './status-builder.js';
import { repairStatus } from './status-repair.js';
import { TaskTracker, type TrackedTask } from './task-tracker.js';

export interface ReconcilerDeps {
  readonly store: ResourceStore;
  readonly launcher: TaskLauncher;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly metrics: ControllerMetrics;
  readonly logger: Logger;
  /** Launches go out only while this holds the lease (`fenceMarginMs` ahead). */
  readonly fence: LeaseFence;
  /** Safety margin of the fence check before each RunTask. Default 2 s. */
  readonly fenceMarginMs?: number;
  /**
   * The shared task tracker (app.ts wakes the controller from it). Without one, each pass asks
   * ECS about its own resource's tasks and requeues every `activePollMs` while they run.
   */
  readonly tracker?: TaskTracker;
  /** Tenancy: decides before any AWS call whether the resource may run, and as which role. */
  readonly policy?: PolicyGate;
  /** Controller-wide cap on tasks per run (`--max-tasks-per-run`). Default 100. */
  readonly maxTasksPerRun?: number;
  /** Required for resources with `spec.trigger.sqs`; without it their runs are Skipped. */
  readonly queueDepth?: QueueDepthSource;
  /** ECS cluster for resources that do not name one (`--default-cluster`). */
  readonly defaultCluster: string;
  /** How long a fresh ARN may be MISSING from DescribeTasks before the task counts as lost. Default 2 min. */
  readonly missingTaskGraceMs?: number;
  /** Without a shared tracker: how often a resource with running tasks is looked at again. Default 10 s. */
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
const DEFAULT_MAX_TASKS_PER_RUN = 100;
const DEFAULT_FENCE_MARGIN_MS = 2_000;
// Capacity retries back off with the time already spent, between these bounds: roughly doubling,
// without keeping an attempt counter anywhere (the run's scheduled time is the only state).
const MIN_CAPACITY_RETRY_MS = 5_000;
const MAX_CAPACITY_RETRY_MS = 60_000;
/** Passed-over times looked up in ECS per pass (each lookup is two ListTasks calls). */
const MAX_MISSED_LOOKUPS = 10;

/** A pass that nobody cancels: tests, and callers from before cancellation existed. */
const NEVER_ABORTED = new AbortController().signal;

type RunKind = 'scheduled' | 'run-now';

export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #missingGraceMs: number;
  readonly #activePollMs: number;
  readonly #retryWindowSeconds: number;
  readonly #tracker: TaskTracker;
  /** True when the tracker is ours alone: each pass refreshes its own resource's tasks. */
  readonly #inline: boolean;
  readonly #ledger = new LaunchLedger();

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#missingGraceMs = deps.missingTaskGraceMs ?? DEFAULT_MISSING_GRACE_MS;
    this.#activePollMs = deps.activePollMs ?? DEFAULT_ACTIVE_POLL_MS;
    this.#retryWindowSeconds = deps.launchRetryWindowSeconds ?? DEFAULT_LAUNCH_RETRY_WINDOW_SECONDS;
    this.#inline = deps.tracker === undefined;
    this.#tracker =
      deps.tracker ??
      new TaskTracker({
        launcher: deps.launcher,
        clock: deps.clock,
        logger: deps.logger,
        onWake: () => undefined,
        missingGraceMs: this.#missingGraceMs,
        autoPoll: false,
      });
  }

  /**
   * One pass. `signal` is the leadership term's: when it aborts, ECS calls in flight are abandoned
   * and the pass ends without writing (the next leader decides again from the same identities).
   */
  async reconcile(key: ResourceKey, signal: AbortSignal = NEVER_ABORTED): Promise<ReconcileResult> {
    const resource = this.#deps.store.get(key);
    if (!resource) {
      this.#deps.metrics.forget(key);
      this.#tracker.forget(key);
      return {};
    }
    const now = this.#deps.clock.now();
    const log = this.#deps.logger.child({ resource: key });

    const issues = validateResource(resource);
    const specIssues = issues.filter((i) => !i.path.startsWith('status'));
    if (specIssues.length > 0) {
      const message = specIssues.map((i) => `${i.path}: ${i.message}`).join('; ');
      return this.#stall(resource, EventReason.InvalidSpec, message, now, log);
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
      if (error instanceof ScheduleError)
        return this.#stall(resource, EventReason.InvalidSpec, error.message, now, log);
      throw error;
    }
    // Before any AWS or SQS call: a denied resource is never acted on.
    const decision = this.#deps.policy?.evaluate(resource) ?? { allowed: true as const };
    if (!decision.allowed) {
      this.#deps.metrics.policyDenied?.(key, decision.field);
      return this.#stall(resource, RunReason.PolicyDenied, decision.message, now, log, {
        field: decision.field,
        value: decision.value,
        policies: decision.policies,
      });
    }
    const status = this.#readStatus(resource, issues.length > specIssues.length, log);

    this.#ledger.enterTerm(signal, now);
    const previousVerdict = newestVerdict(status.runs);
    const pass: Pass = {
      key,
      resource,
      spec: resource.spec,
      now,
      log,
      cluster: resource.spec.task.cluster ?? this.#deps.defaultCluster,
      signal,
      identity: decision.identity,
      maxTasksPerRun: Math.min(
        this.#deps.maxTasksPerRun ?? DEFAULT_MAX_TASKS_PER_RUN,
        decision.maxTasksPerRun ?? Number.POSITIVE_INFINITY,
      ),
      runs: sortRuns(status.runs ?? []),
      events: [],
      recorded: [],
      launchDelays: [],
      errors: [],
      missedRunsTotal: status.missedRunsTotal ?? 0,
      lastSuccessfulTime: status.lastSuccessfulTime,
      queueDepth: undefined,
      lastSettledResult: lastResult(status.runs ?? []) ?? status.lastResult,
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

    const next = buildStatus({
      previous: status,
      generation: resource.metadata.generation,
      now,
      suspended: pass.spec.suspend ?? false,
      pending: pass.runs.some((r) => this.#isPending(pass, r)),
      resolvedSchedule: schedule.resolved,
      nextScheduleTime: iso(plan.nextScheduleTime),
      lastScheduleTime,
      lastSuccessfulTime: pass.lastSuccessfulTime,
      lastRunNow,
      missedRunsTotal: pass.missedRunsTotal,
      runs: pass.runs,
      limits: pass.spec,
    });
    // Leadership lost mid-pass: what this pass decided may already be another replica's to decide.
    if (signal.aborted) throw new PassAbortedError('the pass was cancelled before its status write');
    if (!isDeepStrictEqual(next, resource.status ?? {})) {
      // A ConflictError propagates: the queue retries, and the next pass re-reads and decides again.
      await this.#deps.store.writeStatus(resource, next);
    }
    this.#ledger.recorded(key);
    this.#follow(pass);
    this.#report(pass, plan, lastScheduleTime, previousVerdict, newestVerdict(next.runs));

    if (pass.errors[0]) throw pass.errors[0];
    return this.#requeue(pass, plan);
  }

  /** The stored status, repaired field by field when it fails the schema. */
  #readStatus(resource: EcsScheduledTaskResource, malformed: boolean, log: Logger): Status {
    const status = structuredClone(resource.status ?? {});
    if (!malformed) return status;
    const validate = (candidate: Status) =>
      validateResource({ ...resource, status: candidate }).filter((i) => i.path.startsWith('status'));
    const repaired = repairStatus(status, validate(status), validate);
    log.warn('repaired a malformed status: dropped the fields that fail the schema', {
      removed: repaired.removed,
    });
    return repaired.status;
  }

  /**
   * A resource the controller will not act on (an invalid spec, a policy denial): report it once
   * on the object and as a Warning event, and do not retry. The status keeps everything else.
   */
  async #stall(
    resource: EcsScheduledTaskResource,
    reason: string,
    message: string,
    now: Date,
    log: Logger,
    details: Record<string, unknown> = {},
  ): Promise<ReconcileResult> {
    const previous = findCondition(resource.status?.conditions, ConditionType.Stalled);
    const waitingFor =
      reason === RunReason.PolicyDenied
        ? 'waiting for the spec or an EcsSchedulerPolicy to change'
        : 'waiting for the spec to be fixed';
    const status = stalledStatus(
      resource.status ?? {},
      resource.metadata.generation,
      reason,
      message,
      now,
      waitingFor,
    );
    if (!isDeepStrictEqual(status, resource.status ?? {}))
      await this.#deps.store.writeStatus(resource, status);
    if (previous?.status !== 'True' || previous.reason !== reason || previous.message !== message) {
      log.warn(reason === RunReason.PolicyDenied ? 'denied by policy' : 'invalid spec', {
        issues: message,
        ...details,
      });
      this.#deps.events.record(resource, 'Warning', reason, message);
    }
    return {};
  }

  #jitter(pass: Pass, scheduledTime: Date): number {
    return jitterSeconds(pass.key, scheduledTime, pass.spec.jitterSeconds ?? 0);
  }

  /** A scheduled run short of tasks after capacity failures, still inside its launch window. */
  #isPending(pass: Pass, run: RunRecord): boolean {
    if (run.result !== 'Running' || launchedTaskCount(run) >= plannedTasks(run)) return false;
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

  /** The tasks of unfinished runs, each in the cluster it was launched in. */
  #trackedTasks(pass: Pass): TrackedTask[] {
    return pass.runs
      .filter((r) => r.result === 'Running')
      .flatMap((r) =>
        (r.tasks ?? [])
          .filter((t) => !isFinished(t))
          .map((t) => ({
            taskArn: t.taskArn,
            cluster: r.cluster ?? pass.cluster,
            launchedAt: new Date(r.launchedAt ?? r.scheduledTime),
          })),
      );
  }

  /** The earliest activeDeadlineSeconds expiry among running runs. */
  #nextDeadline(pass: Pass): Date | undefined {
    const seconds = pass.spec.activeDeadlineSeconds;
    if (seconds === undefined) return undefined;
    const times = pass.runs
      .filter((r) => r.result === 'Running' && r.reason !== RunReason.DeadlineExceeded)
      .map((r) => Date.parse(r.launchedAt ?? r.scheduledTime) + seconds * 1000);
    return times.length > 0 ? new Date(Math.min(...times)) : undefined;
  }

  #follow(pass: Pass): void {
    const deadline = this.#nextDeadline(pass);
    this.#tracker.follow(pass.key, this.#trackedTasks(pass), {
      ...(pass.identity ? { identity: pass.identity } : {}),
      ...(deadline ? { deadline } : {}),
    });
  }

  /** Folds the tracker's observations into the runs; inline, asks ECS first. */
  async #observe(pass: Pass): Promise<void> {
    if (this.#inline) {
      this.#follow(pass);
      try {
        await this.#tracker.refresh(pass.key, pass.signal);
      } catch (error) {
        // Nothing is decided yet, so there is nothing to write: retry the whole pass.
        throw toTransient(error, 'describing tasks');
      }
    }
    const tracked = trackRuns(pass.runs, this.#tracker.observations(pass.key), {
      now: pass.now,
      missingGraceMs: this.#missingGraceMs,
      isPending: (run) => this.#isPending(pass, run),
    });
    pass.runs = tracked.runs;
    for (const run of tracked.settled) settled(pass, run);
  }

  async #enforceActiveDeadline(pass: Pass): Promise<void> {
    for (const { run, taskArns } of overdueRuns(pass.runs, pass.spec.activeDeadlineSeconds, pass.now)) {
      const message = `stopped ${taskArns.length} task(s) still running after activeDeadlineSeconds (${pass.spec.activeDeadlineSeconds}s)`;
      try {
        await this.#deps.launcher.stopTasks(
          run.cluster ?? pass.cluster,
          taskArns,
          'ecs-scheduler: activeDeadlineSeconds exceeded',
          this.#callOptions(pass),
        );
      } catch (error) {
        pass.errors.push(toTransient(error, 'stopping overdue tasks'));
        continue;
      }
      pass.log.info('stopped overdue tasks', { scheduledTime: run.scheduledTime, taskArns });
      replaceRun(pass, run, withReason(run, RunReason.DeadlineExceeded, message));
      pass.events.push({
        type: 'Warning',
        reason: EventReason.DeadlineExceeded,
        message: `run scheduled at ${run.scheduledTime}: ${message}`,
      });
    }
  }

  #callOptions(pass: Pass) {
    return { signal: pass.signal, ...(pass.identity ? { identity: pass.identity } : {}) };
  }

  /** Scheduled runs short of tasks after capacity failures try again for the remainder. */
  async #retryPendingLaunches(pass: Pass): Promise<void> {
    for (const run of pass.runs.filter((r) => this.#isPending(pass, r))) {
      const scheduled = new Date(run.scheduledTime);
      const known = (run.tasks ?? []).map((t) => t.taskArn);
      const remainder = plannedTasks(run) - launchedTaskCount(run);
      const outcome = await this.#launch(pass, {
        identity: scheduledRunIdentity(pass.resource, scheduled),
        scheduled,
        kind: 'scheduled',
        count: remainder,
        known,
        // Records from before attempts were counted made one attempt at least.
        attempt: run.launchAttempts ?? 1,
        cluster: run.cluster ?? pass.cluster,
      });
      if (!outcome) continue;
      const updated = retriedRunRecord(run, outcome, pass.now);
      if (!run.launchedAt && updated.launchedAt) launchDelay(pass, scheduled);
      replaceRun(pass, run, updated);
      if (updated.result === 'LaunchFailed') settled(pass, updated);
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
   * One RunTask attempt of a run, with the attempt's deterministic token. Where the token cannot
   * vouch for an earlier attempt (see LaunchLedger), tasks started under the run's startedBy are
   * looked up first and adopted, and only the remainder is launched. Undefined after a transient
   * failure, which is recorded on the pass. Throws PassAbortedError when the lease is not held.
   */
  async #launch(
    pass: Pass,
    a: {
      readonly identity: RunIdentity;
      readonly scheduled: Date;
      readonly kind: RunKind;
      readonly count: number;
      readonly known: readonly string[];
      readonly attempt: number;
      readonly cluster: string;
    },
  ): Promise<LaunchOutcome | undefined> {
    const { launcher } = this.#deps;
    const { identity } = a;
    try {
      const already = new Set(a.known);
      const lookup = this.#ledger.needsLookup({
        key: pass.key,
        scheduledTime: a.scheduled,
        kind: a.kind,
        now: pass.now,
        signal: pass.signal,
      });
      const found = lookup
        ? (await launcher.findTasks(a.cluster, identity.startedBy, this.#callOptions(pass))).filter(
            (arn) => !already.has(arn),
          )
        : [];
      const adopted = found.map((taskArn) => ({ taskArn }));
      // Tasks found unrecorded mean this attempt already went out: the next one gets a new token.
      const attempt = found.length > 0 ? a.attempt + 1 : a.attempt;
      const remainder = a.count - found.length;
      if (remainder <= 0) {
        return { tasks: adopted, adopted: found.length, failures: [], dryRun: false, attempts: attempt };
      }
      assertMayLaunch(pass.signal, this.#deps.fence, this.#deps.fenceMarginMs ?? DEFAULT_FENCE_MARGIN_MS);
      this.#ledger.launching(pass.key);
      const result = await launcher.runTasks(
        {
          cluster: a.cluster,
          task: pass.spec.task,
          count: remainder,
          startedBy: identity.startedBy,
          clientToken: launchClientToken(identity, attempt),
          tags: identity.tags,
          ...(pass.identity ? { identity: pass.identity } : {}),
        },
        { signal: pass.signal },
      );
      // A replayed or conflicting token names tasks we may already hold: keep each task once.
      const seen = new Set([...already, ...found]);
      const launched = result.tasks
        .filter((t) => !seen.has(t.taskArn) && seen.add(t.taskArn))
        .map((t) => ({ taskArn: t.taskArn, ...(t.lastStatus ? { lastStatus: t.lastStatus } : {}) }));
      pass.log.info('launched tasks', {
        startedBy: identity.startedBy,
        attempt,
        launched: launched.length,
        adopted: found.length,
        failures: result.failures.length,
      });
      return {
        tasks: [...adopted, ...launched],
        adopted: found.length,
        failures: result.failures,
        dryRun: result.dryRun === true,
        attempts: attempt + 1,
      };
    } catch (error) {
      if (error instanceof PassAbortedError) throw error;
      if (error instanceof TerminalError) {
        // ECS refused the request itself (bad parameters): retrying the same request cannot help.
        return {
          tasks: [],
          adopted: 0,
          failures: [{ reason: error.reason, detail: error.message, capacity: false }],
          dryRun: false,
          attempts: a.attempt + 1,
        };
      }
      if (pass.signal.aborted) throw new PassAbortedError('the pass was cancelled while launching');
      pass.log.warn('launch attempt failed; will retry', { startedBy: identity.startedBy, error });
      pass.errors.push(toTransient(error, 'launching tasks'));
      return undefined;
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
    // adopted rather than reported Missed. The token cannot tell (asking RunTask would launch what
    // was never launched), so they are looked up by startedBy. Only the oldest few: the time right
    // after the watermark is the one a crash leaves behind; each lookup costs ListTasks calls.
    const adopted = new Map<Date, string[]>();
    // plan.missed is newest first.
    for (const time of plan.missed.slice(Math.max(0, plan.missed.length - MAX_MISSED_LOOKUPS))) {
      try {
        const found = await this.#deps.launcher.findTasks(
          pass.cluster,
          scheduledRunIdentity(pass.resource, time).startedBy,
          this.#callOptions(pass),
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
      addRun(
        pass,
        found
          ? adoptedRun(time, found, pass.cluster)
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
        this.#callOptions(pass),
      );
    } catch (error) {
      pass.errors.push(toTransient(error, 'looking for tasks already launched'));
      return false;
    }
    if (found.length > 0) {
      addRun(pass, adoptedRun(time, found, pass.cluster));
      return true;
    }
    const deadline = pass.spec.startingDeadlineSeconds ?? 0;
    const message = `too late to start: more than startingDeadlineSeconds (${deadline}s) after ${time.toISOString()}`;
    pass.missedRunsTotal += 1;
    addRun(pass, {
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
      addRun(pass, {
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
        addRun(pass, {
          scheduledTime,
          result: 'Skipped',
          reason: RunReason.TriggerUnavailable,
          message: 'this controller has no SQS client configured',
        });
        return true;
      }
      try {
        depth = await this.#deps.queueDepth.queueDepth(sqs, this.#callOptions(pass));
      } catch (error) {
        pass.errors.push(toTransient(error, 'reading the trigger queue depth'));
        return false;
      }
      pass.queueDepth = depth;
    }
    const base: RunRecord = {
      scheduledTime,
      result: 'Running',
      cluster: pass.cluster,
      ...(depth !== undefined ? { queueDepth: depth } : {}),
    };
    const wanted = desiredTaskCount(pass.spec, depth);
    const desired = Math.min(wanted, pass.maxTasksPerRun);
    const decision = decideLaunch(
      pass.spec.concurrencyPolicy as ConcurrencyPolicy | undefined,
      desired,
      unfinishedTaskArns(pass.runs),
    );
    if (decision.action === 'skip') {
      addRun(pass, {
        ...base,
        result: 'Skipped',
        reason: decision.reason,
        message: decision.message,
        desiredCount: desired,
      });
      return true;
    }
    if (decision.stop.length > 0 && !(await this.#replace(pass, decision.stop, scheduledTime))) return false;

    const outcome = await this.#launch(pass, {
      identity,
      scheduled,
      kind,
      count: decision.count,
      known: [],
      attempt: 0,
      cluster: pass.cluster,
    });
    if (!outcome) return false;
    if ((pass.spec.concurrencyPolicy ?? 'Allow') !== 'Allow') this.#supersedePending(pass);
    const capped =
      wanted > desired ? ` (capped from ${wanted} by maxTasksPerRun ${pass.maxTasksPerRun})` : '';
    const run = newRunRecord({
      base,
      desired,
      count: decision.count,
      outcome,
      now: pass.now,
      retryable: kind === 'scheduled',
      message: `${decision.message}${capped}`,
    });
    addRun(pass, run);
    if (run.result === 'Running' && outcome.tasks.length > 0) {
      if (kind === 'scheduled') launchDelay(pass, scheduled);
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
    const stopped = new Set(taskArns);
    const byCluster = new Map<string, string[]>();
    for (const run of pass.runs.filter((r) => r.result === 'Running')) {
      const cluster = run.cluster ?? pass.cluster;
      for (const t of run.tasks ?? []) {
        if (stopped.has(t.taskArn)) byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), t.taskArn]);
      }
    }
    try {
      for (const [cluster, arns] of byCluster) {
        await this.#deps.launcher.stopTasks(
          cluster,
          arns,
          `ecs-scheduler: replaced by the run scheduled at ${scheduledTime}`,
          this.#callOptions(pass),
        );
      }
    } catch (error) {
      pass.errors.push(toTransient(error, 'stopping tasks to replace them'));
      return false;
    }
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
      const launched = launchedTaskCount(run);
      if (launched === 0) {
        const { tasks: _tasks, ...rest } = run;
        const closed: RunRecord = {
          ...rest,
          result: 'LaunchFailed',
          reason: RunReason.Superseded,
          message: 'a newer run started before capacity was found',
          finishedAt: pass.now.toISOString(),
        };
        replaceRun(pass, run, closed);
        settled(pass, closed);
      } else {
        replaceRun(
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

  /** Events and metrics, once the status that explains them is stored. */
  #report(
    pass: Pass,
    plan: SchedulePlan,
    lastScheduleTime: string | undefined,
    before: RunRecord | undefined,
    after: RunRecord | undefined,
  ): void {
    const { events, metrics } = this.#deps;
    for (const e of pass.events) {
      events.record(pass.resource, e.type, e.reason, e.message);
      if (e.type === 'Warning') pass.log.warn(e.message, { reason: e.reason });
    }
    for (const result of pass.recorded) metrics.runRecorded(result);
    for (const seconds of pass.launchDelays) metrics.launchDelay(seconds);
    const last = lastScheduleTime ? new Date(lastScheduleTime) : undefined;
    metrics.scheduleTimes(pass.key, pass.spec.suspend ? undefined : plan.nextScheduleTime, last);
    if (pass.queueDepth !== undefined) metrics.queueDepth(pass.key, pass.queueDepth);
    if (after && (before?.scheduledTime !== after.scheduledTime || before.result !== after.result)) {
      const lastSuccess = pass.lastSuccessfulTime ? new Date(pass.lastSuccessfulTime) : undefined;
      metrics.lastRun?.(pass.key, after.result as RunResult, lastSuccess);
    }
  }

  #requeue(pass: Pass, plan: SchedulePlan): ReconcileResult {
    const candidates: number[] = [];
    if (plan.wakeAt) candidates.push(plan.wakeAt.getTime() - pass.now.getTime() + REQUEUE_PADDING_MS);
    // With the shared tracker a task's end wakes the resource; inline, the pass must come back.
    if (this.#inline && unfinishedTaskArns(pass.runs).length > 0) candidates.push(this.#activePollMs);
    const deadline = this.#nextDeadline(pass);
    if (deadline) candidates.push(deadline.getTime() - pass.now.getTime() + REQUEUE_PADDING_MS);
    for (const run of pass.runs.filter((r) => this.#isPending(pass, r))) {
      const waited = pass.now.getTime() - Date.parse(run.scheduledTime);
      candidates.push(Math.min(MAX_CAPACITY_RETRY_MS, Math.max(MIN_CAPACITY_RETRY_MS, waited)));
    }
    if (candidates.length === 0) return {};
    return { requeueAfterMs: Math.max(0, Math.min(...candidates)) };
  }
}
