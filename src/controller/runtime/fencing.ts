// The last check before a launch: this replica may act only while it still holds the lease, with
// a margin for the time the launch takes, and only while its pass has not been cancelled. A
// replica paused past its lease (a long GC, a partition) fails this check when it resumes, so the
// new leader is the only one launching.
import { TransientError } from '../errors.js';
import type { LaunchCheck, LeaseFence } from '../ports.js';

/** Standalone mode and tests: the state file lock (or nothing) is the fence. */
export const alwaysHeld: LeaseFence = { holds: () => true };

/** A pass abandoned because leadership was lost or the pass was cancelled; nothing is written. */
export class PassAbortedError extends TransientError {
  constructor(message: string) {
    super(message, 'Aborted');
    this.name = 'PassAbortedError';
  }
}

/** Throws PassAbortedError unless the pass may still launch. */
export function assertMayLaunch(
  signal: AbortSignal,
  fence: LeaseFence,
  marginMs: number,
  key?: string,
): void {
  if (signal.aborted) throw new PassAbortedError('the pass was cancelled before launching');
  if (!fence.holds(marginMs, key)) {
    throw new PassAbortedError(
      `the lease is not held for another ${marginMs} ms, or the resource is no longer ours: not launching`,
    );
  }
}

/**
 * The same check as a LaunchCheck, for the launcher to ask before each of its RunTask calls: a
 * launch of many batches spends seconds in rate-limiter waits and calls, and the lease may lapse
 * between two of them.
 */
export function launchCheck(
  signal: AbortSignal,
  fence: LeaseFence,
  marginMs: number,
  key?: string,
): LaunchCheck {
  return () => assertMayLaunch(signal, fence, marginMs, key);
}
