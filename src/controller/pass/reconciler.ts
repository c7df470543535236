// One level-based pass over one EcsScheduledTask: read the cached object and the clock once, fold
// in what the task tracker observed, decide with the pure functions of ../decide/, act through the
// ports, and write the status once at the end. Events and metrics go out only after that write
// succeeded, so a pass that loses a conflict and is retried does not report twice.
import { isDeepStrictEqual } from 'node:util';
import type { EcsScheduledTaskResource, RunRecord, RunResult, Status } from '../../api/types.js';
import { validateResource, VersionedValidator } from '../../api/validation.js';
import type { Logger } from '../../log/logger.js';
import { ScheduleError, type CompiledSchedule } from '../../schedule/schedule.js';
import { compileSpecSchedule, scheduleSummary } from '../../schedule/schedule-union.js';
import type { Clock } from '../clock.js';
import { ACCESS_DENIED_REASON, AccessDenials } from '../runtime/access-denial.js';
import { ConditionType, findCondition } from '../decide/conditions.js';
import {
  deliverDeadLetters,
  nextDeadLetterAttempt,
  type DeadLetterRetryOptions,
  type DeadLetterSink,
} from './dead-letter.js';
import { reportDroppedRuns } from './dropped-runs.js';
import { AccessDeniedError, TerminalError } from '../errors.js';
import { PassAbortedError } from '../runtime/fencing.js';
import type { ControllerMetrics } from '../metrics-port.js';
import {
  EventReason,
  keyOf,
  type EventRecorder,
  type LeaseFence,
  type PolicyGate,
  type QueueDepthSource,
  type ResourceKey,
  type ResourceStore,
  type TaskLauncher,
} from '../ports.js';
import { iso, launchWindowOf, type Pass } from './reconcile-pass.js';
import { lastResult, sortRuns } from '../decide/run-history.js';
import { LaunchLedger } from '../runtime/run-ledger.js';
import { DEFAULT_LOOKUPS_PER_SECOND, LookupBudget } from '../runtime/lookup-budget.js';
import { LaunchStep } from './run-launch.js';
import { enforceActiveDeadline, followTasks, nextDeadline, observeRuns } from './run-observation.js';
import { decideRun, type EndDecision } from '../decide/run-decision.js';
import type { SchedulePlan } from '../decide/schedule-plan.js';
import { awaitingRetry, cancelledRetry, isFailure, nextRetryAt } from '../decide/run-retry.js';
import { RunReason, unfinishedTaskArns } from '../decide/run-tracking.js';
import { ScheduleStep } from './schedule-step.js';
import { runBuffered } from './buffered-run.js';
import { buildStatus, newestVerdict, stalledStatus } from '../decide/status-builder.js';
import type { CalendarSource } from '../calendar-port.js';
import { CalendarCompiler, CalendarReason, resolveCalendars } from '../decide/calendar-lookup.js';
import { includedFires } from '../../schedule/exclusion-calendar.js';
import { repairStatus } from '../decide/status-repair.js';
import { droppedRuns } from '../decide/status-size.js';
import { TaskTracker } from '../runtime/task-tracker.js';
import { mayWaitToWrite } from '../decide/launch-write.js';
import { WaitingWrites, type WaitingWrite } from './waiting-writes.js';

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
   * The shared task tracker (the app's reconcile loop wakes the controller from it). Without one, each pass asks
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
  /** Where spec.deadLetter messages go; without one they stay Pending in the run records. */
  readonly deadLetters?: DeadLetterSink;
  /** When a dead letter that cannot be sent is given up (--dead-letter-max-attempts, --dead-letter-max-age). */
  readonly deadLetterRetry?: DeadLetterRetryOptions;
  /** EcsScheduleCalendars for spec.excludeCalendars; without one, a resource naming any stalls. */
  readonly calendars?: CalendarSource;
  /**
   * The process's one budget of passed-over-time lookups (--adoption-lookups-per-second), shared
   * by every resource. Default: a budget of this reconciler's own at the default rate.
   */
  readonly adoptionLookups?: LookupBudget;
  /**
   * How long the status write of a run just launched may wait for the run to end, so that a short
   * run is written once, with its result (--launch-write-delay). Default 0: written at once.
   */
  readonly launchWriteDelayMs?: number;
  /** Remembers which object versions were validated. Default: one of the reconciler's own. */
  readonly validator?: VersionedValidator;
}

/**
 * Ends the pass's deciding and runs `write` in its turn (the controller's write lane). Every write
 * of a pass goes through it, once the pass has launched what it will launch.
 */
export type Commit = <T>(write: () => Promise<T>) => Promise<T>;

/** A pass outside a controller (tests): writes go at once. */
const WRITE_NOW: Commit = (write) => write();

export interface ReconcileResult {
  /** Look at the resource again this long after the pass's clock read (the next fire, a poll, or a retry). */
  readonly requeueAfterMs?: number;
}

const DEFAULT_MISSING_GRACE_MS = 2 * 60_000;
const DEFAULT_ACTIVE_POLL_MS = 10_000;
const DEFAULT_LAUNCH_RETRY_WINDOW_SECONDS = 300;
const DEFAULT_MAX_TASKS_PER_RUN = 100;
const DEFAULT_FENCE_MARGIN_MS = 2_000;
/**
 * The tasks of a waiting launch are asked about this long before its write is due (at most a
 * quarter of the delay): DescribeTasks, the wake and the pass take a moment, and a run seen ended
 * then is written once.
 */
const LAUNCH_CHECK_LEAD_MS = 2_000;
const ACCESS_WAITING_FOR =
  "waiting for the role's permissions to be fixed: tried again at the next scheduled time, resync or change";
/**
 * A graceful stop writes the waiting statuses within this; what is left is the next term's to
 * adopt. Short beside --shutdown-timeout (25 s), which the whole shutdown must fit in.
 */
const WAITING_FLUSH_TIMEOUT_MS = 5_000;
/** What a resource stalled on a calendar waits for; a calendar change wakes it (no retry). */
const CALENDAR_WAITING_FOR: Readonly<Record<string, string>> = {
  [CalendarReason.CalendarNotFound]: 'waiting for the EcsScheduleCalendar to be created',
  [CalendarReason.InvalidCalendar]: 'waiting for the EcsScheduleCalendar to be fixed',
};
/** A pass that nobody cancels: tests, and callers from before cancellation existed. */
const NEVER_ABORTED = new AbortController().signal;

export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #missingGraceMs: number;
  readonly #activePollMs: number;
  readonly #retryWindowSeconds: number;
  readonly #tracker: TaskTracker;
  /** True when the tracker is ours alone: each pass refreshes its own resource's tasks. */
  readonly #inline: boolean;
  readonly #ledger = new LaunchLedger();
  readonly #denials = new AccessDenials();
  readonly #launches: LaunchStep;
  readonly #schedule: ScheduleStep;
  readonly #calendarCompiler = new CalendarCompiler();
  readonly #lookups: LookupBudget;
  readonly #launchWriteDelayMs: number;
  readonly #waiting = new WaitingWrites();
  readonly #validator: VersionedValidator;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#missingGraceMs = deps.missingTaskGraceMs ?? DEFAULT_MISSING_GRACE_MS;
    this.#activePollMs = deps.activePollMs ?? DEFAULT_ACTIVE_POLL_MS;
    this.#retryWindowSeconds = deps.launchRetryWindowSeconds ?? DEFAULT_LAUNCH_RETRY_WINDOW_SECONDS;
    this.#launchWriteDelayMs = Math.max(0, deps.launchWriteDelayMs ?? 0);
    this.#validator = deps.validator ?? new VersionedValidator();
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
    this.#launches = new LaunchStep({
      launcher: deps.launcher,
      ...(deps.queueDepth ? { queueDepth: deps.queueDepth } : {}),
      fence: deps.fence,
      fenceMarginMs: deps.fenceMarginMs ?? DEFAULT_FENCE_MARGIN_MS,
      ledger: this.#ledger,
    });
    this.#lookups =
      deps.adoptionLookups ??
      new LookupBudget({ perSecond: DEFAULT_LOOKUPS_PER_SECOND, now: () => deps.clock.now().getTime() });
    this.#schedule = new ScheduleStep(deps.launcher, this.#launches, this.#ledger, this.#lookups);
  }

  /**
   * One pass. `signal` is the leadership term's: when it aborts, ECS calls in flight are abandoned
   * and the pass ends without writing (the next leader decides again from the same identities).
   */
  async reconcile(
    key: ResourceKey,
    signal: AbortSignal = NEVER_ABORTED,
    commit: Commit = WRITE_NOW,
  ): Promise<ReconcileResult> {
    const resource = this.#deps.store.get(key);
    if (!resource) {
      this.#deps.metrics.forget(key);
      this.#tracker.forget(key);
      this.#denials.forget(key);
      this.#lookups.forget(key);
      this.#waiting.delete(key);
      this.#ledger.forget(key);
      return {};
    }
    const now = this.#deps.clock.now();
    const log = this.#deps.logger.child({ resource: key });
    const waiting = this.#waiting.get(key, signal, resource.metadata.uid);

    const issues = this.#validator.validate(resource);
    const specIssues = issues.filter((i) => !i.path.startsWith('status'));
    if (specIssues.length > 0) {
      const message = specIssues.map((i) => `${i.path}: ${i.message}`).join('; ');
      return this.#stall(resource, EventReason.InvalidSpec, message, now, log, commit, waiting);
    }
    let schedule: CompiledSchedule;
    try {
      schedule = compileSpecSchedule(resource.spec, key);
    } catch (error) {
      if (error instanceof ScheduleError)
        return this.#stall(resource, EventReason.InvalidSpec, error.message, now, log, commit, waiting);
      throw error;
    }
    const calendars = this.#deps.calendars;
    const resolved = resolveCalendars(
      resource,
      calendars && ((namespace, name) => calendars.get(namespace, name)),
      this.#calendarCompiler,
    );
    if (!resolved.ok)
      return this.#stall(resource, resolved.reason, resolved.message, now, log, commit, waiting);
    // Before any AWS or SQS call: a denied resource is never acted on.
    const decision = this.#deps.policy?.evaluate(resource) ?? { allowed: true as const };
    if (!decision.allowed) {
      this.#deps.metrics.policyDenied?.(key, decision.field);
      return this.#stall(resource, RunReason.PolicyDenied, decision.message, now, log, commit, waiting, {
        field: decision.field,
        value: decision.value,
        policies: decision.policies,
      });
    }
    // A waiting write is what this resource's status already is, as far as deciding goes.
    const status = waiting
      ? structuredClone(waiting.status)
      : this.#readStatus(resource, issues.length > specIssues.length, log);

    this.#ledger.enterTerm(signal, now, key);
    const previousVerdict = newestVerdict(status.runs);
    const pass: Pass = {
      key,
      resource,
      spec: resource.spec,
      now,
      log,
      cluster: resource.spec.task.cluster ?? this.#deps.defaultCluster,
      signal,
      // The role acts for this namespace: its STS session is named and tagged after it.
      identity: decision.identity && {
        ...decision.identity,
        namespace: resource.metadata.namespace ?? 'default',
      },
      window: launchWindowOf(key, resource.spec, this.#retryWindowSeconds),
      maxTasksPerRun: Math.min(
        this.#deps.maxTasksPerRun ?? DEFAULT_MAX_TASKS_PER_RUN,
        decision.maxTasksPerRun ?? Number.POSITIVE_INFINITY,
      ),
      runs: sortRuns(status.runs ?? []),
      events: [],
      recorded: [],
      retried: [],
      deadLetters: [],
      launchDelays: [],
      launched: [],
      errors: [],
      missedRunsTotal: status.missedRunsTotal ?? 0,
      launchedRunsTotal: status.launchedRunsTotal ?? 0,
      buffered: status.bufferedRun,
      lastSuccessfulTime: status.lastSuccessfulTime,
      queueDepth: undefined,
      triggerProblem: undefined,
      lastSettledResult: lastResult(status.runs ?? []) ?? status.lastResult,
      pendingLookups: [...(status.pendingLookups ?? [])],
      lookups: { found: 0, none: 0 },
      lookupWaitMs: undefined,
    };

    const after = new Date(
      status.lastScheduleTime ?? resource.metadata.creationTimestamp ?? now.toISOString(),
    );
    const {
      plan,
      actions: [observe],
    } = decideRun({
      at: 'start',
      spec: pass.spec,
      now,
      runs: pass.runs,
      resource,
      fires: schedule,
      after,
      lastRunNow: status.lastRunNow,
      buffered: pass.buffered !== undefined,
      launchedRunsTotal: pass.launchedRunsTotal,
      jitterSeconds: pass.window.jitterSeconds,
      ...(resolved.exclusions ? { exclusions: resolved.exclusions } : {}),
    });
    const fresh = observe.fresh;
    try {
      await observeRuns(pass, this.#tracker, {
        inline: this.#inline,
        fresh,
        missingGraceMs: this.#missingGraceMs,
      });
    } catch (error) {
      // Nothing is decided yet; a denial past the bound stalls here as it would at the end.
      const denial =
        error instanceof AccessDeniedError ? this.#denials.observe(key, [error], now) : undefined;
      if (!denial) throw error;
      await this.#stall(resource, denial.reason, denial.message, now, log, commit, waiting);
      return this.#requeue(pass, this.#decideEnd(pass, plan));
    }
    await enforceActiveDeadline(pass, this.#deps.launcher);
    await this.#launches.retryPending(pass);
    await this.#launches.launchRetries(pass);
    await runBuffered(pass, this.#launches);

    const lastScheduleTime = await this.#schedule.runSchedule(
      pass,
      plan,
      status.lastScheduleTime,
      // Passed-over times are walked for their lookups: an excluded one is never recorded Missed.
      resolved.exclusions ? includedFires(schedule, resolved.exclusions) : schedule,
      after,
    );
    const lastRunNow = await this.#schedule.runNow(pass, status.lastRunNow);
    await deliverDeadLetters(pass, {
      ...(this.#deps.deadLetters ? { sink: this.#deps.deadLetters } : {}),
      fence: this.#deps.fence,
      fenceMarginMs: this.#deps.fenceMarginMs ?? DEFAULT_FENCE_MARGIN_MS,
      ...(this.#deps.deadLetterRetry ? { retry: this.#deps.deadLetterRetry } : {}),
    });

    // An AccessDenied that outlasted IAM propagation: a policy problem, not worth retrying hot.
    const denial = this.#denials.observe(key, pass.errors, now);
    if (denial) this.#warnOnce(pass, denial.reason, denial.message);
    const problem = denial
      ? { terminal: true, ...denial, waitingFor: ACCESS_WAITING_FOR }
      : pass.triggerProblem;
    // The run that reached maxRuns may have launched in this very pass: no next time is shown.
    const end = this.#decideEnd(pass, plan);
    const { exhausted } = end;
    const next = buildStatus({
      previous: status,
      generation: resource.metadata.generation,
      now,
      suspended: pass.spec.suspend ?? false,
      pending: end.pending,
      retrying: pass.runs.find(awaitingRetry),
      resolvedSchedule: schedule.resolved,
      scheduleSummary: scheduleSummary(pass.spec),
      nextScheduleTime: exhausted ? undefined : iso(plan.nextScheduleTime),
      lastScheduleTime,
      lastSuccessfulTime: pass.lastSuccessfulTime,
      lastRunNow,
      missedRunsTotal: pass.missedRunsTotal,
      pendingLookups: pass.pendingLookups,
      launchedRunsTotal: pass.launchedRunsTotal,
      bufferedRun: pass.buffered,
      ...(exhausted ? { maxRunsReached: pass.spec.maxRuns } : {}),
      runs: pass.runs,
      limits: pass.spec,
      ...(problem ? { trigger: problem } : {}),
    });
    reportDroppedRuns(pass, droppedRuns(pass.runs, next.runs));
    // Leadership lost mid-pass or while the write waited its turn: what this pass decided may
    // already be another replica's to decide.
    const fenced = () => {
      if (signal.aborted) throw new PassAbortedError('the pass was cancelled before its status write');
    };
    fenced();
    const written = resource.status ?? {};
    const report = () =>
      this.#report(pass, plan, exhausted, lastScheduleTime, previousVerdict, newestVerdict(next.runs));
    const launched = new Set([...(waiting?.launched ?? []), ...pass.launched]);
    const writeBy = waiting?.writeBy ?? new Date(now.getTime() + this.#launchWriteDelayMs);
    if (
      this.#launchWriteDelayMs > 0 &&
      pass.errors.length === 0 &&
      !problem &&
      pass.events.every((e) => e.type === 'Normal') &&
      mayWaitToWrite({ written, next, launched, now, writeBy })
    ) {
      // Nothing here is news but launches of a moment ago: the write waits for their end (or
      // the delay). The ledger keeps the key unrecorded meanwhile, and events wait with it.
      this.#waiting.set(key, {
        status: next,
        signal,
        uid: resource.metadata.uid,
        writeBy,
        launched,
        reports: [...(waiting?.reports ?? []), report],
      });
      const checkBy = writeBy.getTime() - Math.min(LAUNCH_CHECK_LEAD_MS, this.#launchWriteDelayMs / 4);
      followTasks(this.#tracker, pass, checkBy > now.getTime() ? new Date(checkBy) : undefined);
      const { requeueAfterMs: after } = this.#requeue(pass, end);
      return {
        requeueAfterMs: Math.min(after ?? Number.POSITIVE_INFINITY, writeBy.getTime() - now.getTime()),
      };
    }
    if (!isDeepStrictEqual(next, written)) {
      // A ConflictError propagates: the queue retries, and the next pass re-reads and decides again
      // (from the waiting write, if there is one: it stays until a write carries it).
      await commit(async () => {
        fenced();
        this.#validator.wrote(resource, await this.#deps.store.writeStatus(resource, next));
      });
    }
    this.#waiting.delete(key);
    // A launch whose answer was lost (a timeout) may have started tasks that no record shows
    // yet: until a pass ends clean, the next one looks them up before launching.
    if (pass.errors.length === 0) this.#ledger.recorded(key);
    followTasks(this.#tracker, pass);
    for (const earlier of waiting?.reports ?? []) earlier();
    report();

    // No retry with backoff: the next attempt is the next scheduled time's (or the resync's), so a
    // denial of a side call (a dead letter, DescribeTasks) does not stop the schedule as well.
    if (denial) return this.#requeue(pass, end);
    if (pass.errors[0]) throw pass.errors[0];
    // Like an invalid spec: nothing this controller can do changes the answer, so no requeue.
    if (pass.triggerProblem?.terminal) {
      throw new TerminalError(pass.triggerProblem.message, pass.triggerProblem.reason);
    }
    return this.#requeue(pass, end);
  }

  /**
   * A graceful stop of the term `signal` names (SIGTERM, the lease given up): writes the statuses
   * still waiting for their launches' end, within a bound. A write that does not land leaves its
   * launches to the next term, which finds them by startedBy. A lost term writes nothing.
   */
  async flush(
    signal: AbortSignal,
    commit: Commit = WRITE_NOW,
    timeoutMs = WAITING_FLUSH_TIMEOUT_MS,
  ): Promise<void> {
    const entries = this.#waiting.of(signal);
    if (entries.length === 0 || signal.aborted) return;
    let cancel: (() => void) | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      cancel = this.#deps.clock.setTimer(() => resolve('timeout'), timeoutMs);
    });
    let failed = 0;
    const writes = Promise.all(
      entries.map(([key, waiting]) =>
        this.#flushOne(key, waiting, signal, commit).catch((error: unknown) => {
          failed++;
          this.#deps.logger.warn(
            'could not write a waiting status on shutdown; the next term adopts its runs',
            {
              resource: key,
              error,
            },
          );
        }),
      ),
    ).then(() => 'done' as const);
    const outcome = await Promise.race([writes, timedOut]);
    cancel?.();
    this.#deps.logger.info('wrote the statuses waiting for their launches to end', {
      waiting: entries.length,
      failed,
      timedOut: outcome === 'timeout',
    });
  }

  async #flushOne(
    key: ResourceKey,
    waiting: WaitingWrite,
    signal: AbortSignal,
    commit: Commit,
  ): Promise<void> {
    const resource = this.#deps.store.get(key);
    if (!resource || resource.metadata.uid !== waiting.uid) return;
    await commit(async () => {
      if (signal.aborted) throw new PassAbortedError('the term ended before the waiting status was written');
      await this.#deps.store.writeStatus(resource, waiting.status);
    });
    if (this.#waiting.get(key, signal, waiting.uid) === waiting) this.#waiting.delete(key);
    this.#ledger.recorded(key);
    for (const report of waiting.reports) report();
  }

  /**
   * The stored status, repaired field by field when it fails the schema. Not a copy: the pass only
   * reads it and builds the next status from new objects (the cache's object is never mutated;
   * the unit tests' store deep-freezes it), and repairStatus copies before it drops a field.
   */
  #readStatus(resource: EcsScheduledTaskResource, malformed: boolean, log: Logger): Status {
    const status = resource.status ?? {};
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
   * A resource the controller will not act on (an invalid spec, a policy denial, a lasting AWS
   * access denial): report it once on the object and as a Warning event, and do not retry. The
   * status keeps everything else.
   */
  async #stall(
    resource: EcsScheduledTaskResource,
    reason: string,
    message: string,
    now: Date,
    log: Logger,
    commit: Commit,
    waiting: WaitingWrite | undefined,
    details: Record<string, unknown> = {},
  ): Promise<ReconcileResult> {
    const previous = findCondition(resource.status?.conditions, ConditionType.Stalled);
    // Launches whose write waits are part of the status: the stall is written with them.
    const stored = waiting?.status ?? resource.status ?? {};
    const { status: before, cancelled } =
      reason === RunReason.PolicyDenied
        ? this.#cancelRetries(resource, stored, message, now)
        : { status: stored, cancelled: [] };
    const waitingFor =
      CALENDAR_WAITING_FOR[reason] ??
      (reason === RunReason.PolicyDenied
        ? 'waiting for the spec or an EcsSchedulerPolicy to change'
        : reason === ACCESS_DENIED_REASON
          ? ACCESS_WAITING_FOR
          : 'waiting for the spec to be fixed');
    const status = stalledStatus(before, resource.metadata.generation, reason, message, now, waitingFor);
    if (!isDeepStrictEqual(status, resource.status ?? {}))
      await commit(async () =>
        this.#validator.wrote(resource, await this.#deps.store.writeStatus(resource, status)),
      );
    if (waiting) {
      const key = keyOf(resource);
      this.#waiting.delete(key);
      this.#ledger.recorded(key);
      for (const earlier of waiting.reports) earlier();
    }
    if (previous?.status !== 'True' || previous.reason !== reason || previous.message !== message) {
      const what =
        reason === RunReason.PolicyDenied
          ? 'denied by policy'
          : reason === ACCESS_DENIED_REASON
            ? 'AWS denied access for longer than IAM takes to apply a change'
            : reason in CALENDAR_WAITING_FOR
              ? 'an excluded calendar is missing or invalid'
              : 'invalid spec';
      log.warn(what, {
        issues: message,
        ...details,
      });
      this.#deps.events.record(resource, 'Warning', reason, message);
    }
    for (const run of cancelled) {
      this.#deps.metrics.runRecorded(run.result as RunResult, keyOf(resource));
      this.#deps.events.record(
        resource,
        'Warning',
        run.result === 'LaunchFailed' ? EventReason.LaunchFailed : EventReason.RunFailed,
        `run scheduled at ${run.scheduledTime}: ${run.message ?? ''}`,
      );
    }
    return {};
  }

  /** A Warning event for a stall, unless the resource already shows that same stall. */
  #warnOnce(pass: Pass, reason: string, message: string): void {
    const stalled = findCondition(pass.resource.status?.conditions, ConditionType.Stalled);
    if (stalled?.status === 'True' && stalled.reason === reason && stalled.message === message.slice(0, 1024))
      return;
    pass.events.push({ type: 'Warning', reason, message });
  }

  /**
   * A denied resource launches nothing, retries included: a retry waiting when the policies stopped
   * allowing the resource ends now, recorded with why, rather than launching whenever they allow it
   * again. Its dead letter waits for that, since the queue is the policy's to allow too.
   */
  #cancelRetries(
    resource: EcsScheduledTaskResource,
    status: Status,
    message: string,
    now: Date,
  ): { status: Status; cancelled: RunRecord[] } {
    const cancelled: RunRecord[] = [];
    const runs = (status.runs ?? []).map((run) => {
      if (!awaitingRetry(run)) return run;
      const closed = cancelledRetry(run, `the EcsSchedulerPolicies no longer allow it: ${message}`, now);
      const marked: RunRecord =
        resource.spec.deadLetter && isFailure(closed) && !closed.deadLetter
          ? { ...closed, deadLetter: { state: 'Pending' } }
          : closed;
      cancelled.push(marked);
      return marked;
    });
    return cancelled.length === 0 ? { status, cancelled } : { status: { ...status, runs }, cancelled };
  }

  /** Events and metrics, once the status that explains them is stored. */
  #report(
    pass: Pass,
    plan: SchedulePlan,
    exhausted: boolean,
    lastScheduleTime: string | undefined,
    before: RunRecord | undefined,
    after: RunRecord | undefined,
  ): void {
    const { events, metrics } = this.#deps;
    for (const e of pass.events) {
      const details = e.scheduledTime === undefined ? undefined : { scheduledTime: e.scheduledTime };
      events.record(pass.resource, e.type, e.reason, e.message, details);
      if (e.type === 'Warning') pass.log.warn(e.message, { reason: e.reason, ...details });
    }
    for (const result of pass.recorded) metrics.runRecorded(result, pass.key);
    for (const reason of pass.retried) metrics.runRetried?.(pass.key, reason);
    for (const outcome of pass.deadLetters) metrics.deadLetter?.(pass.key, outcome);
    for (const seconds of pass.launchDelays) metrics.launchDelay(seconds);
    const { found, none } = pass.lookups;
    const waiting = pass.pendingLookups.length > 0;
    if (found + none > 0 || waiting || pass.resource.status?.pendingLookups) {
      metrics.adoptionLookups?.(pass.key, pass.lookups, waiting);
    }
    const last = lastScheduleTime ? new Date(lastScheduleTime) : undefined;
    // Counted once: only the excluded times the stored watermark has moved past.
    const excluded = (plan.excluded ?? []).filter((t) => last && t.getTime() <= last.getTime()).length;
    if (excluded > 0) metrics.excludedRuns?.(pass.key, excluded);
    const stopped = pass.spec.suspend || exhausted;
    metrics.scheduleTimes(pass.key, stopped ? undefined : plan.nextScheduleTime, last);
    if (pass.queueDepth !== undefined) metrics.queueDepth(pass.key, pass.queueDepth);
    if (after && (before?.scheduledTime !== after.scheduledTime || before.result !== after.result)) {
      const lastSuccess = pass.lastSuccessfulTime ? new Date(pass.lastSuccessfulTime) : undefined;
      metrics.lastRun?.(pass.key, after.result as RunResult, lastSuccess);
    }
  }

  /** decideRun's word on the end of the pass: pending runs, maxRuns, and when to look again. */
  #decideEnd(pass: Pass, plan: SchedulePlan): EndDecision {
    // Without a sink nothing is tried, so a letter's past time must not requeue at once, forever.
    const letterAt = this.#deps.deadLetters ? nextDeadLetterAttempt(pass.runs) : undefined;
    const deadline = nextDeadline(pass);
    const retryAt = nextRetryAt(pass.runs);
    return decideRun({
      at: 'end',
      spec: pass.spec,
      now: pass.now,
      runs: pass.runs,
      launchedRunsTotal: pass.launchedRunsTotal,
      window: pass.window,
      ...(plan.wakeAt ? { wakeAt: plan.wakeAt } : {}),
      // With the shared tracker a task's end wakes the resource; inline, the pass must come back.
      ...(this.#inline && unfinishedTaskArns(pass.runs).length > 0 ? { pollMs: this.#activePollMs } : {}),
      ...(deadline ? { deadline } : {}),
      ...(retryAt ? { retryAt } : {}),
      ...(letterAt ? { letterAt } : {}),
    });
  }

  #requeue(pass: Pass, end: EndDecision): ReconcileResult {
    const after = end.actions[0]?.ms;
    // Passed-over times waiting for the lookup budget: back when this resource's turn comes.
    const wait = pass.lookupWaitMs;
    const soonest = wait === undefined ? after : Math.min(after ?? wait, wait);
    return soonest === undefined ? {} : { requeueAfterMs: soonest };
  }
}
