// Turning what RunTask said into a run record. Pure, so the awkward cases (partial launches,
// capacity failures, dry runs) are table rows rather than branches inside the reconciler.
import type { RunRecord, TaskRecord } from '../../api/types.js';
import type { LaunchFailure } from '../ports.js';
import { launchedTaskCount, plannedTasks, RunReason, withReason } from './run-tracking.js';

/** What one launch attempt produced: tasks adopted from an earlier attempt plus new ones. */
export interface LaunchOutcome {
  readonly tasks: readonly TaskRecord[];
  readonly adopted: number;
  readonly failures: readonly LaunchFailure[];
  readonly dryRun: boolean;
  /** RunTask attempts the run has made, this one included: the next attempt's token number. */
  readonly attempts: number;
  /** When ECS accepted the first tasks of this attempt (after any quota wait); else `now`. */
  readonly acceptedAt?: Date;
  /** Batches of this attempt that got no answer; the run records them until they are confirmed. */
  readonly unconfirmed?: UnconfirmedLaunch;
}

export type UnconfirmedLaunch = NonNullable<RunRecord['unconfirmedLaunch']>;

/** The run waiting for its unanswered batches: not fully known, so never a shortfall yet. */
function withUnconfirmed(
  run: RunRecord,
  unconfirmed: UnconfirmedLaunch,
  failures: readonly LaunchFailure[],
): RunRecord {
  const also = failures.length > 0 ? `; earlier batches: ${describeFailures(failures)}` : '';
  return {
    ...run,
    unconfirmedLaunch: unconfirmed,
    reason: RunReason.LaunchUnconfirmed,
    message: `launched ${launchedTaskCount(run)} of ${plannedTasks(run)}; ${unconfirmed.count} in RunTask batches without an answer, confirming them before anything new launches${also}`,
  };
}

export function describeFailures(failures: readonly LaunchFailure[]): string {
  const parts = failures.map((f) => [f.reason, f.detail].filter(Boolean).join(' '));
  return [...new Set(parts)].join('; ') || 'no reason given';
}

const onlyCapacity = (failures: readonly LaunchFailure[]) =>
  failures.length > 0 && failures.every((f) => f.capacity);

export interface NewRunInput {
  /** scheduledTime, queueDepth: what the run is about, before launching. */
  readonly base: RunRecord;
  /** Tasks the run wants running in all (taskCount or the trigger's count, capped). */
  readonly desired: number;
  /** Tasks to launch now: the desired count, or with TopUp the shortfall. */
  readonly count: number;
  readonly outcome: LaunchOutcome;
  readonly now: Date;
  /** Scheduled runs retry capacity failures later; run-now runs do not (see the reconciler). */
  readonly retryable: boolean;
  /** What the launch decision said, e.g. "topping up by 2". */
  readonly message: string;
}

/** The record of a run's first launch attempt. */
export function newRunRecord(input: NewRunInput): RunRecord {
  const { base, count, outcome, now } = input;
  const at = now.toISOString();
  if (outcome.dryRun) {
    return {
      ...base,
      result: 'DryRun',
      desiredCount: input.desired,
      launchCount: count,
      launchedAt: at,
      finishedAt: at,
      message: `dry run: ${input.message}`,
    };
  }
  const launched = outcome.tasks.length;
  const running: RunRecord = {
    ...base,
    result: 'Running',
    desiredCount: input.desired,
    launchCount: count,
    launchAttempts: outcome.attempts,
    tasks: [...outcome.tasks],
    ...(launched > 0 ? { launchedAt: (outcome.acceptedAt ?? now).toISOString() } : {}),
    message:
      outcome.adopted > 0
        ? `${input.message} (${outcome.adopted} adopted from an earlier attempt)`
        : input.message,
  };
  if (outcome.unconfirmed) return withUnconfirmed(running, outcome.unconfirmed, outcome.failures);
  if (launched >= count) return running;
  const why = describeFailures(outcome.failures);
  if (onlyCapacity(outcome.failures) && input.retryable) {
    return {
      ...running,
      reason: RunReason.CapacityUnavailable,
      message: `launched ${launched} of ${count}, retrying: ${why}`,
    };
  }
  const reason = onlyCapacity(outcome.failures) ? RunReason.CapacityUnavailable : RunReason.RunTaskFailure;
  if (launched === 0) {
    const { tasks: _tasks, ...rest } = running;
    return { ...rest, result: 'LaunchFailed', reason, message: why, finishedAt: at };
  }
  // Some tasks run; the shortfall is final, so the run will settle as Failed with this reason.
  return withReason(
    { ...running, launchCount: launched },
    reason,
    `launched ${launched} of ${count}: ${why}`,
  );
}

/** A pending run after another attempt to launch the tasks it is short of. */
export function retriedRunRecord(run: RunRecord, outcome: LaunchOutcome, now: Date): RunRecord {
  const tasks = [...(run.tasks ?? []), ...outcome.tasks];
  const launched = launchedTaskCount(run) + outcome.tasks.length;
  const desired = plannedTasks(run);
  const launchedAt =
    run.launchedAt ?? (outcome.tasks.length > 0 ? (outcome.acceptedAt ?? now).toISOString() : undefined);
  const updated: RunRecord = {
    ...run,
    tasks,
    launchAttempts: outcome.attempts,
    ...(launchedAt ? { launchedAt } : {}),
  };
  if (outcome.unconfirmed) return withUnconfirmed(updated, outcome.unconfirmed, outcome.failures);
  if (launched >= desired) {
    if (updated.reason !== RunReason.CapacityUnavailable) return updated;
    const { reason: _reason, ...rest } = updated;
    return { ...rest, message: `launched ${launched} task(s) after capacity retries` };
  }
  const why = describeFailures(outcome.failures);
  if (onlyCapacity(outcome.failures) || outcome.failures.length === 0) {
    return updated.reason === undefined || updated.reason === RunReason.CapacityUnavailable
      ? {
          ...updated,
          reason: RunReason.CapacityUnavailable,
          message: `launched ${launched} of ${desired}, retrying: ${why}`,
        }
      : updated;
  }
  if (launched === 0) {
    const { tasks: _tasks, ...rest } = updated;
    return {
      ...rest,
      result: 'LaunchFailed',
      reason: RunReason.RunTaskFailure,
      message: why,
      finishedAt: now.toISOString(),
    };
  }
  return withReason(
    { ...updated, launchCount: launched },
    RunReason.RunTaskFailure,
    `launched ${launched} of ${desired}: ${why}`,
  );
}

/**
 * A run after its unanswered batches were resent under their original tokens or found by
 * startedBy. What is still missing then is a shortfall like any other: retried for capacity
 * (`retryable`: a scheduled run's first attempt), else final.
 */
export function confirmedRunRecord(
  run: RunRecord,
  outcome: LaunchOutcome,
  now: Date,
  retryable: boolean,
): RunRecord {
  const { unconfirmedLaunch: _unconfirmed, ...rest } = run;
  const launchedAt =
    run.launchedAt ?? (outcome.tasks.length > 0 ? (outcome.acceptedAt ?? now).toISOString() : undefined);
  const updated: RunRecord = {
    ...rest,
    tasks: [...(run.tasks ?? []), ...outcome.tasks],
    ...(launchedAt ? { launchedAt } : {}),
  };
  if (outcome.unconfirmed) return withUnconfirmed(updated, outcome.unconfirmed, outcome.failures);
  const { reason: _reason, ...clean } = updated;
  const base: RunRecord = updated.reason === RunReason.LaunchUnconfirmed ? clean : updated;
  const launched = launchedTaskCount(base);
  const desired = plannedTasks(base);
  if (launched >= desired) {
    return { ...base, message: `launched ${launched} task(s); the batches without an answer are confirmed` };
  }
  const why = describeFailures(outcome.failures);
  const capacity = outcome.failures.length === 0 || onlyCapacity(outcome.failures);
  const open = base.reason === undefined || base.reason === RunReason.CapacityUnavailable;
  if (capacity && retryable && open) {
    return {
      ...base,
      reason: RunReason.CapacityUnavailable,
      message: `launched ${launched} of ${desired}, retrying: ${why}`,
    };
  }
  return withReason(
    { ...base, launchCount: launched },
    capacity ? RunReason.CapacityUnavailable : RunReason.RunTaskFailure,
    `launched ${launched} of ${desired}: ${why}`,
  );
}
