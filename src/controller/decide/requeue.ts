// When the pass looks at a resource again. Pure: a branch helper of decideRun (./run-decision.ts).

/**
 * Requeue a little after the fire time, so a timer that fires a hair early by the wall clock (NTP
 * slewing it against the monotonic one) does not find the time not yet due. The pass reads the
 * only clock that decides, so a few milliseconds cover it; every run's launch waits this long.
 */
export const REQUEUE_PADDING_MS = 25;
// Capacity retries back off with the time already spent, between these bounds: roughly doubling,
// without keeping an attempt counter anywhere (the run's scheduled time is the only state).
const MIN_CAPACITY_RETRY_MS = 5_000;
const MAX_CAPACITY_RETRY_MS = 60_000;

export interface RequeueInput {
  readonly now: Date;
  /** The schedule's next moment (planSchedule's wakeAt). */
  readonly wakeAt?: Date;
  /** Set when nobody else wakes the resource while its tasks run (no shared tracker): poll this often. */
  readonly pollMs?: number;
  /** The earliest activeDeadlineSeconds expiry of a running run. */
  readonly deadline?: Date;
  /** The earliest retry attempt still to come. */
  readonly retryAt?: Date;
  /** The next dead-letter attempt (only where there is a sink to send to). */
  readonly letterAt?: Date;
  /** Scheduled times of the runs still retrying for capacity (isPendingRun). */
  readonly pending: readonly Date[];
}

/** How long after `now` the pass looks at the resource again; undefined: only when something changes. */
export function requeueAfterMs(input: RequeueInput): number | undefined {
  const { now } = input;
  const candidates: number[] = [];
  const at = (t: Date) => t.getTime() - now.getTime() + REQUEUE_PADDING_MS;
  if (input.wakeAt) candidates.push(at(input.wakeAt));
  if (input.pollMs !== undefined) candidates.push(input.pollMs);
  if (input.deadline) candidates.push(at(input.deadline));
  if (input.retryAt) candidates.push(at(input.retryAt));
  if (input.letterAt) candidates.push(at(input.letterAt));
  for (const scheduled of input.pending) {
    const waited = now.getTime() - scheduled.getTime();
    candidates.push(Math.min(MAX_CAPACITY_RETRY_MS, Math.max(MIN_CAPACITY_RETRY_MS, waited)));
  }
  if (candidates.length === 0) return undefined;
  return Math.max(0, Math.min(...candidates));
}
