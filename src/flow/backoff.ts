// The one exponential backoff of the codebase: the work queue's per-key retries, the informer's
// watch restarts and the ECS launcher's throttle retries all draw their delays here.
//
// Jitter only ever shortens a delay ("equal jitter" at 0.5, AWS's recommendation for retries):
// the cap is then a true upper bound, and a retry never waits less than (1 - jitter) of its step,
// so it cannot spin. Pure: `random` is an argument.

export interface BackoffPolicy {
  /** Delay before the first retry (attempt 0), before jitter. */
  readonly initialMs: number;
  /** Upper bound of any delay. */
  readonly maxMs: number;
  /** Growth per attempt. Default 2. */
  readonly factor?: number;
  /**
   * Share of each delay drawn at random, 0..1: the delay is uniform over
   * [step × (1 - jitter), step]. Default 0 (none), for callers that want exact delays.
   */
  readonly jitter?: number;
}

/**
 * Delay before retry number `attempt` (0 = the first retry after a failure). `random` returns
 * [0, 1). The step is initialMs × factor^attempt, capped at maxMs.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const factor = policy.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  // Cap the exponent before the power so huge attempt counts cannot overflow to Infinity.
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 64);
  const step = Math.min(policy.maxMs, policy.initialMs * factor ** exponent);
  return Math.round(step * (1 - jitter) + step * jitter * random());
}
