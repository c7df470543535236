// Retries of a failed run as further attempts of the same run (spec.retryPolicy). A failed attempt
// is folded into the run's record as a short summary, and the record waits, still Running and
// with no tasks, until `retryAt`. The run's result is its last attempt's. Pure.
import type { RunRecord, Spec } from '../../api/types.js';
import { RunReason } from './run-tracking.js';
import { MAX_TASK_TEXT_LENGTH, taskOutcome } from './status-size.js';

type AttemptRecord = NonNullable<RunRecord['attempts']>[number];

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly backoffMs: number;
}

/** backoffSeconds when retryPolicy names none; the CRD shows the same default. */
export const DEFAULT_BACKOFF_SECONDS = 60;
/** An attempt's message is kept this short: the run's own message carries the details. */
const ATTEMPT_MESSAGE_MAX = MAX_TASK_TEXT_LENGTH;

/**
 * Failures another attempt may fix. Not retried: DeadlineExceeded (the run used its time),
 * Replaced and Superseded (a newer run took over on purpose).
 */
const RETRYABLE: ReadonlySet<string> = new Set([
  RunReason.NonZeroExit,
  RunReason.TaskStopped,
  RunReason.TasksVanished,
  RunReason.CapacityUnavailable,
  RunReason.RunTaskFailure,
]);

export function retryPolicyOf(spec: Pick<Spec, 'retryPolicy'>): RetryPolicy {
  return {
    maxRetries: spec.retryPolicy?.maxRetries ?? 0,
    backoffMs: (spec.retryPolicy?.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS) * 1000,
  };
}

/** The attempt a record describes (1 for records from before retries existed). */
export function attemptOf(run: RunRecord): number {
  return run.attempt ?? 1;
}

/** A run between a failed attempt and its retry. */
export function awaitingRetry(run: RunRecord): boolean {
  return run.result === 'Running' && run.retryAt !== undefined;
}

export function isFailure(run: RunRecord): boolean {
  return run.result === 'Failed' || run.result === 'LaunchFailed';
}

const cut = (text: string | undefined, max: number) =>
  text === undefined || text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** The compact record of a settled attempt: counts by outcome and the first failed task. */
export function attemptSummary(run: RunRecord): AttemptRecord {
  const counts: Record<string, number> = { ...run.omittedTasks };
  for (const task of run.tasks ?? []) {
    const outcome = taskOutcome(task);
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  const failed = (run.tasks ?? []).find((t) => taskOutcome(t) !== 'Succeeded');
  const message = cut(run.message, ATTEMPT_MESSAGE_MAX);
  return {
    attempt: attemptOf(run),
    result: run.result,
    ...(run.reason !== undefined ? { reason: run.reason } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(run.launchedAt !== undefined ? { launchedAt: run.launchedAt } : {}),
    ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
    ...(Object.keys(counts).length > 0 ? { taskCounts: counts } : {}),
    ...(failed !== undefined ? { failedTask: failed.taskArn } : {}),
  };
}

/**
 * The record that waits for the next attempt of a run that just failed, or undefined when the run
 * is final: it did not fail, its reason is not worth another attempt, or no retries are left.
 */
export function retryRecord(run: RunRecord, policy: RetryPolicy, now: Date): RunRecord | undefined {
  if (!isFailure(run) || run.reason === undefined || !RETRYABLE.has(run.reason)) return undefined;
  const attempt = attemptOf(run);
  if (attempt > policy.maxRetries) return undefined;
  const retryAt = new Date(now.getTime() + policy.backoffMs).toISOString();
  const summary = attemptSummary(run);
  return {
    scheduledTime: run.scheduledTime,
    result: 'Running',
    reason: RunReason.Retrying,
    message: `attempt ${attempt} of ${policy.maxRetries + 1} failed (${run.reason}: ${summary.message ?? ''}); attempt ${attempt + 1} at ${retryAt}`,
    ...(run.cluster !== undefined ? { cluster: run.cluster } : {}),
    ...(run.desiredCount !== undefined ? { desiredCount: run.desiredCount } : {}),
    ...(run.launchCount !== undefined ? { launchCount: run.launchCount } : {}),
    ...(run.queueDepth !== undefined ? { queueDepth: run.queueDepth } : {}),
    ...(run.runNowKey !== undefined ? { runNowKey: run.runNowKey } : {}),
    attempt: attempt + 1,
    retryAt,
    attempts: [...(run.attempts ?? []), summary],
  };
}

/**
 * A waiting run whose retry will not happen (a newer run took over): it ends with its last
 * attempt's result, and that attempt becomes the record's own again.
 */
export function cancelledRetry(run: RunRecord, why: string, now: Date): RunRecord {
  const attempts = run.attempts ?? [];
  const last = attempts.at(-1);
  const { retryAt: _retryAt, attempts: _attempts, ...rest } = run;
  const earlier = attempts.slice(0, -1);
  return {
    ...rest,
    result: last?.result ?? 'Failed',
    ...(last?.reason !== undefined ? { reason: last.reason } : {}),
    message: `${last?.message ?? 'the last attempt failed'}; no retry: ${why}`,
    ...(last?.launchedAt !== undefined ? { launchedAt: last.launchedAt } : {}),
    finishedAt: last?.finishedAt ?? now.toISOString(),
    ...(last?.taskCounts !== undefined ? { omittedTasks: last.taskCounts } : {}),
    attempt: last?.attempt ?? attemptOf(run),
    ...(earlier.length > 0 ? { attempts: earlier } : {}),
  };
}

/** Waiting runs whose retry is due. */
export function dueRetries(runs: readonly RunRecord[], now: Date): RunRecord[] {
  return runs.filter((r) => awaitingRetry(r) && Date.parse(r.retryAt!) <= now.getTime());
}

/** The earliest retry still to come, for the requeue. */
export function nextRetryAt(runs: readonly RunRecord[]): Date | undefined {
  const times = runs.filter(awaitingRetry).map((r) => Date.parse(r.retryAt!));
  return times.length > 0 ? new Date(Math.min(...times)) : undefined;
}
