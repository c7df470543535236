// What one reconcile pass has decided so far, and the events and metrics its decisions produce.
// The reconciler owns the I/O; this module only accumulates, so the reporting rules (one event
// per ordinary run, failures always) live in one place.
import type { EcsScheduledTaskResource, RunRecord, RunResult, Spec } from '../../api/types.js';
import type { Logger } from '../../log/logger.js';
import { jitterSeconds } from '../../schedule/stable-hash.js';
import { TransientError } from '../errors.js';
import type { DeadLetterOutcome } from '../metrics-port.js';
import { EventReason, type AwsIdentity, type EcsCallOptions, type EventType } from '../ports.js';
import { sortRuns } from '../decide/run-history.js';
import type { LaunchWindow } from '../decide/run-decision.js';
import type { PendingLookup } from '../decide/passed-over.js';
import { attemptOf, isFailure, retryPolicyOf, retryRecord } from '../decide/run-retry.js';
import { DRY_RUN_NOTE, RUN_SUCCEEDED_NOTE, skippedNote } from '../decide/event-notes.js';

export interface PendingEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
  /** The run it is about, when the message leaves its time out (see event-notes.ts). */
  readonly scheduledTime?: string;
}

export interface TriggerProblem {
  readonly terminal: boolean;
  readonly reason: string;
  /** Starts with the field it is about when terminal (e.g. `spec.trigger.sqs.queueUrl: ...`). */
  readonly message: string;
}

/** Everything one pass has decided so far. Only this pass touches it. */
export interface Pass {
  readonly key: string;
  /** The cached object: read it, never mutate it. */
  readonly resource: EcsScheduledTaskResource;
  readonly spec: Spec;
  readonly now: Date;
  readonly log: Logger;
  /** Where new runs launch; runs already launched keep the cluster in their record. */
  readonly cluster: string;
  readonly signal: AbortSignal;
  /** The policy's role for every AWS call of this resource, if any. */
  readonly identity: AwsIdentity | undefined;
  /** Tasks one run may launch: the controller's and the policy's caps. */
  readonly maxTasksPerRun: number;
  /** Each scheduled time's launch window (capacity retries, adoption): an input of decideRun. */
  readonly window: LaunchWindow;
  runs: RunRecord[];
  readonly events: PendingEvent[];
  readonly recorded: RunResult[];
  /** Reasons of the failed attempts this pass scheduled a retry for. */
  readonly retried: string[];
  readonly deadLetters: DeadLetterOutcome[];
  readonly launchDelays: number[];
  /**
   * Scheduled times whose first RunTask this pass made and ECS answered in full: runs whose
   * launch write may wait a little (see ../decide/launch-write.ts).
   */
  readonly launched: string[];
  readonly errors: TransientError[];
  missedRunsTotal: number;
  /** BufferOne: the scheduled time waiting for the running run (status.bufferedRun). */
  buffered: { readonly scheduledTime: string; readonly since: string } | undefined;
  /** Scheduled runs started since creation (spec.maxRuns counts these): launched or adopted. */
  launchedRunsTotal: number;
  lastSuccessfulTime: string | undefined;
  queueDepth: number | undefined;
  /**
   * The trigger's queue depth could not be read. Terminal (a refused queueUrl, an unavailable
   * identity): the resource stalls until its spec changes. Otherwise it is retried with backoff
   * and shown as Reconciling.
   */
  triggerProblem: TriggerProblem | undefined;
  /** Result of the newest settled run so far: a success after a success needs no event. */
  lastSettledResult: string | undefined;
  /** Passed-over times still to look up (status.pendingLookups), oldest first. */
  pendingLookups: PendingLookup[];
  /** Passed-over times looked up this pass: with tasks found, and without. */
  readonly lookups: { found: number; none: number };
  /** Set when pendingLookups wait for the shared budget: the pass looks again this much later. */
  lookupWaitMs: number | undefined;
}

/** The stable jitter of a scheduled time of this resource. */
export function jitterOf(pass: Pass, scheduledTime: Date): number {
  return jitterSeconds(pass.key, scheduledTime, pass.spec.jitterSeconds ?? 0);
}

/** The launch windows of a resource's scheduled times, for decideRun. */
export function launchWindowOf(key: string, spec: Spec, retryWindowSeconds: number): LaunchWindow {
  return {
    ...(spec.startingDeadlineSeconds !== undefined
      ? { startingDeadlineSeconds: spec.startingDeadlineSeconds }
      : {}),
    retryWindowSeconds,
    jitterSeconds: (t) => jitterSeconds(key, t, spec.jitterSeconds ?? 0),
  };
}

/** Every ECS or SQS call of the pass: cancelled with it, made as the policy's role. */
export function callOptions(pass: Pass): EcsCallOptions {
  return { signal: pass.signal, ...(pass.identity ? { identity: pass.identity } : {}) };
}

export function toTransient(error: unknown, what: string): TransientError {
  if (error instanceof TransientError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TransientError(`${what}: ${message}`, 'Unknown', { cause: error });
}

export const iso = (d: Date | undefined) => d?.toISOString();

export const later = (a: string | undefined, b: string | undefined) =>
  a === undefined ? b : b === undefined ? a : Date.parse(a) >= Date.parse(b) ? a : b;

export function replaceRun(pass: Pass, old: RunRecord, updated: RunRecord): void {
  pass.runs = pass.runs.map((r) => (r === old ? updated : r));
}

/**
 * Events and metrics for a run that reached its final result. A success is reported as an event
 * only when it follows something else (the first run, or a recovery): in steady state the
 * Launched event is the run's only one. Failures are always reported.
 */
export function settled(pass: Pass, run: RunRecord, options: { readonly retry?: boolean } = {}): void {
  const retry = options.retry === false ? undefined : retryRecord(run, retryPolicyOf(pass.spec), pass.now);
  if (retry) {
    replaceRun(pass, run, retry);
    pass.retried.push(run.reason ?? 'Unknown');
    pass.log.info('run attempt failed; retrying', {
      scheduledTime: run.scheduledTime,
      attempt: attemptOf(run),
      reason: run.reason,
      retryAt: retry.retryAt,
    });
    pass.events.push({
      type: 'Warning',
      reason: run.result === 'LaunchFailed' ? EventReason.LaunchFailed : EventReason.RunFailed,
      message: `run scheduled at ${run.scheduledTime}: ${retry.message}`,
    });
    return;
  }
  if (isFailure(run) && pass.spec.deadLetter && !run.deadLetter) {
    // Sent by the dead-letter step of this pass or, if that fails, of a later one.
    const marked: RunRecord = { ...run, deadLetter: { state: 'Pending' } };
    replaceRun(pass, run, marked);
    run = marked;
  }
  pass.recorded.push(run.result as RunResult);
  const what = `run scheduled at ${run.scheduledTime}`;
  const previous = pass.lastSettledResult;
  pass.lastSettledResult = run.result;
  if (run.result === 'Succeeded') {
    pass.lastSuccessfulTime = later(pass.lastSuccessfulTime, run.finishedAt);
    if (previous !== 'Succeeded') {
      pass.events.push({
        type: 'Normal',
        reason: EventReason.RunSucceeded,
        message: RUN_SUCCEEDED_NOTE,
        scheduledTime: run.scheduledTime,
      });
    }
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

/** Adds a new run; one that is final at once (Skipped, DryRun, LaunchFailed) is reported now. */
export function addRun(pass: Pass, run: RunRecord): void {
  pass.runs = sortRuns([run, ...pass.runs]);
  if (run.result === 'Running') return;
  if (run.result === 'LaunchFailed') return settled(pass, run);
  pass.recorded.push(run.result as RunResult);
  if (run.result === 'Skipped') {
    pass.events.push({
      type: 'Normal',
      reason: EventReason.Skipped,
      message: skippedNote(run.reason, run.message),
      scheduledTime: run.scheduledTime,
    });
  } else if (run.result === 'DryRun') {
    pass.events.push({
      type: 'Normal',
      reason: EventReason.DryRun,
      message: DRY_RUN_NOTE,
      scheduledTime: run.scheduledTime,
    });
  }
}

/** The launch-delay metric: from the scheduled time to when ECS accepted the run's tasks. */
export function launchDelay(pass: Pass, scheduled: Date, launchedAt: Date): void {
  pass.launchDelays.push((launchedAt.getTime() - scheduled.getTime()) / 1000);
}
