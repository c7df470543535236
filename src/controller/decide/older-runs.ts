// What becomes of runs already on record: retry attempts that are due (or closed: their cluster
// changed), older runs a new one takes over from (Forbid, Replace, TopUp), and which runs still
// retry for capacity. Pure: branch helpers of decideRun (./run-decision.ts).
import type { RunRecord, Spec } from '../../api/types.js';
import { TASKS_PER_BATCH } from '../ports.js';
import { launchWindowEnd } from './schedule-plan.js';
import { attemptOf, awaitingRetry, cancelledRetry, dueRetries, retryPolicyOf } from './run-retry.js';
import { launchedTaskCount, plannedTasks, RunReason, withReason } from './run-tracking.js';

/**
 * A further launch of `run` sends the current spec.task, which this pass's policy verdict judged
 * with the current cluster. In the cluster the run was recorded in it would be a request no
 * policy judged (the task definition of one, the cluster of the other), so it is not made.
 */
export function retargeted(run: RunRecord, cluster: string): boolean {
  return run.cluster !== undefined && run.cluster !== cluster;
}

export interface RetryDecision {
  /** Runs waiting for a retry in a cluster the spec no longer names: closed, saying why. */
  readonly cancel: readonly { readonly run: RunRecord; readonly why: string }[];
  /**
   * Attempts due now: the run's planned task count, under the attempt's own identity. The
   * concurrency policy is not asked again: a retry is the run it belongs to, not a new one.
   */
  readonly launch: readonly {
    readonly run: RunRecord;
    readonly attempt: number;
    readonly count: number;
    readonly desiredCount: number;
    readonly message: string;
  }[];
}

export function decideRetries(
  spec: Spec,
  runs: readonly RunRecord[],
  cluster: string,
  now: Date,
): RetryDecision {
  const policy = retryPolicyOf(spec);
  const cancel = runs
    .filter((r) => awaitingRetry(r) && retargeted(r, cluster))
    .map((run) => ({ run, why: `spec.task.cluster is now ${cluster}, and the run's was ${run.cluster}` }));
  const launch = dueRetries(runs, now)
    .filter((r) => !retargeted(r, cluster))
    .map((run) => {
      const attempt = attemptOf(run);
      const count = plannedTasks(run);
      return {
        run,
        attempt,
        count,
        desiredCount: run.desiredCount ?? count,
        message: `attempt ${attempt} of ${policy.maxRetries + 1}: launching ${count} task(s)`,
      };
    });
  return { cancel, launch };
}

export interface SupersededRun {
  readonly run: RunRecord;
  readonly updated: RunRecord;
  /**
   * `final`: settled, never retried (a waiting retry ends with its last attempt's result);
   * `retryable`: settled, and retried if spec.retryPolicy says so; `no`: it keeps running.
   */
  readonly settle: 'final' | 'retryable' | 'no';
}

/**
 * Under Forbid, Replace and TopUp (decideDueRun's `supersede`) a new run takes over: older runs
 * stop retrying for capacity, and a run waiting for its next attempt ends with its last attempt's
 * result. `isPending` is isPendingRun with the pass's launch window.
 */
export function decideSupersede(
  runs: readonly RunRecord[],
  scheduledTime: string,
  now: Date,
  isPending: (run: RunRecord) => boolean,
): SupersededRun[] {
  const cancelled = runs.filter(awaitingRetry).map((run): SupersededRun => ({
    run,
    updated: cancelledRetry(run, `the run scheduled at ${scheduledTime} took over`, now),
    settle: 'final',
  }));
  const pending = runs
    .filter((r) => !awaitingRetry(r) && isPending(r))
    .map((run): SupersededRun => {
      const launched = launchedTaskCount(run);
      if (launched === 0) {
        const { tasks: _tasks, ...rest } = run;
        return {
          run,
          updated: {
            ...rest,
            result: 'LaunchFailed',
            reason: RunReason.Superseded,
            message: 'a newer run started before capacity was found',
            finishedAt: now.toISOString(),
          },
          settle: 'retryable',
        };
      }
      return {
        run,
        updated: withReason(
          { ...run, launchCount: launched },
          RunReason.CapacityUnavailable,
          `launched ${launched} of ${plannedTasks(run)}; a newer run took over`,
        ),
        settle: 'no',
      };
    });
  return [...cancelled, ...pending];
}

export interface LaunchWindowInput {
  readonly now: Date;
  readonly startingDeadlineSeconds?: number;
  /** How long capacity failures are retried when startingDeadlineSeconds is unset. */
  readonly retryWindowSeconds: number;
  /** The stable jitter of a scheduled time of this resource. */
  readonly jitterSeconds: (scheduledTime: Date) => number;
}

/** A scheduled run short of tasks after capacity failures, still inside its launch window. */
export function isPendingRun(run: RunRecord, window: LaunchWindowInput): boolean {
  // Batches without an answer are confirmed whatever the window: their tasks may already run.
  if (run.result === 'Running' && run.unconfirmedLaunch !== undefined) return true;
  if (run.result !== 'Running' || launchedTaskCount(run) >= plannedTasks(run)) return false;
  // A retry launches once, at its time; a capacity shortfall there fails the attempt instead.
  if (run.retryAt !== undefined || attemptOf(run) > 1) return false;
  if (run.reason === RunReason.DeadlineExceeded || run.reason === RunReason.Replaced) return false;
  const scheduled = new Date(run.scheduledTime);
  const end = launchWindowEnd(
    scheduled,
    window.jitterSeconds(scheduled),
    window.startingDeadlineSeconds,
    window.retryWindowSeconds,
  );
  return window.now.getTime() < end.getTime();
}

export interface Resend {
  /** The first batch to send again, under its original token. */
  readonly fromBatch: number;
  /** Tasks to send from it; 0: only what was found is adopted. */
  readonly count: number;
  /** A capacity shortfall of the confirmed run may still be retried (spec.retryPolicy). */
  readonly retryable: boolean;
}

/**
 * A run whose RunTask batches got no answer, after its tasks were looked up by startedBy (moto
 * ignores tokens): with none found, the batches are resent under their original tokens, so ECS
 * answers with the tasks it already started and starts the rest. With some found, the first batch
 * did reach ECS and the ones after it never went out: only those are sent, still under their own
 * tokens, and a shortfall of the first is a capacity shortfall like any other.
 */
export function decideResend(run: RunRecord, found: number, cluster: string): Resend {
  const missing = run.unconfirmedLaunch!;
  const retryable = run.runNowKey === undefined && attemptOf(run) <= 1;
  // A run being stopped (its deadline, a Replace) only adopts what runs, to stop it too. So does a
  // run whose cluster the spec no longer names: a resend would go to a cluster this pass's policy
  // decision did not judge, and every launch is judged on what it sends.
  const stopping =
    run.reason === RunReason.DeadlineExceeded ||
    run.reason === RunReason.Replaced ||
    retargeted(run, cluster);
  if (stopping) return { fromBatch: missing.fromBatch, count: 0, retryable };
  if (found === 0) return { fromBatch: missing.fromBatch, count: missing.count, retryable };
  const firstBatch = Math.min(TASKS_PER_BATCH, missing.count);
  return {
    fromBatch: missing.fromBatch + 1,
    count: missing.count - Math.max(firstBatch, found),
    retryable,
  };
}
