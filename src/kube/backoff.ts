// Watch restart delays. Pure so the schedule can be tested without timers.

export interface BackoffOptions {
  /** Delay after the first failure. Default 1 s. */
  readonly initialMs?: number;
  /** Upper bound for any delay, jitter included. Default 30 s. */
  readonly maxMs?: number;
  /** Growth per consecutive failure. Default 2. */
  readonly factor?: number;
  /**
   * Each delay is spread uniformly over ±jitter of its nominal value, so that many controllers
   * restarted by the same API server outage do not reconnect in lockstep. Default 0.2.
   */
  readonly jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialMs: 1_000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
};

/**
 * Delay before retry number `attempt` (0 = first retry after a failure). `random` returns [0, 1).
 * The nominal delay is initialMs * factor^attempt, capped at maxMs, then jittered and capped again.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs, factor, jitter } = { ...DEFAULT_BACKOFF, ...options };
  const exponent = Math.max(0, Math.floor(attempt));
  // Cap the exponent before computing the power so large attempt counts cannot overflow to Infinity.
  const nominal = Math.min(maxMs, initialMs * Math.pow(factor, Math.min(exponent, 64)));
  const spread = nominal * jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(maxMs, Math.round(nominal + spread)));
}
