// Rate limiters for the work queue, after client-go's workqueue: a per-key exponential backoff so
// one failing resource backs off on its own, and a global token bucket so a burst of failures
// across many resources cannot hammer the API server or ECS. Time comes from the Clock port. The
// delays come from the codebase's one backoff and one token bucket (flow/).
import { backoffDelayMs } from '../../flow/backoff.js';
import { TokenBucket } from '../../flow/token-bucket.js';
import type { Clock } from '../clock.js';

export interface RateLimiter {
  /** How long to wait before handing `key` out again; records one more failure for it. */
  when(key: string): number;
  /** The key succeeded: its backoff starts over. */
  forget(key: string): void;
  /** Failures recorded for `key` since it was last forgotten. */
  numRequeues(key: string): number;
}

export interface ExponentialBackoffOptions {
  /** Delay after the first failure. Default 5 ms, as client-go. */
  readonly baseDelayMs?: number;
  /** Upper bound of the delay. Default 1000 s, as client-go. */
  readonly maxDelayMs?: number;
}

/** base * 2^failures, capped: 5 ms, 10 ms, 20 ms, ... 1000 s. */
export class ExponentialBackoffRateLimiter implements RateLimiter {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #failures = new Map<string, number>();

  constructor(options: ExponentialBackoffOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? 5;
    this.#maxDelayMs = options.maxDelayMs ?? 1_000_000;
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // No jitter: the global token bucket already spreads a burst of failures out.
    return backoffDelayMs(failures, { initialMs: this.#baseDelayMs, maxMs: this.#maxDelayMs });
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

export interface TokenBucketOptions {
  /** Tokens added per second. Default 10, as client-go's default controller rate limiter. */
  readonly ratePerSecond?: number;
  /** Bucket size, i.e. how many retries may go out at once. Default 100. */
  readonly burst?: number;
}

/**
 * A global token bucket. Each `when` reserves one token; when the bucket is empty the reservation
 * is still taken (the balance goes negative) and the caller waits until it would have refilled, as
 * golang.org/x/time/rate's Reserve does. So N callers in a burst get increasing, fair delays.
 */
export class TokenBucketRateLimiter implements RateLimiter {
  readonly #bucket: TokenBucket;

  constructor(clock: Clock, options: TokenBucketOptions = {}) {
    this.#bucket = new TokenBucket({
      capacity: options.burst ?? 100,
      refillPerSecond: options.ratePerSecond ?? 10,
      now: () => clock.now().getTime(),
    });
  }

  when(_key: string): number {
    return this.#bucket.reserve(1);
  }

  forget(_key: string): void {
    // The bucket is global; a key's success does not give tokens back.
  }

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The longest delay of several limiters: per-key backoff and the global bucket together. */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must see the failure (each one records it), so no short-circuit here.
    return this.#limiters.map((l) => l.when(key)).reduce((a, b) => Math.max(a, b), 0);
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiters.map((l) => l.numRequeues(key)).reduce((a, b) => Math.max(a, b), 0);
  }
}

/** client-go's DefaultControllerRateLimiter: 5 ms..1000 s per key, 10/s burst 100 overall. */
export function defaultControllerRateLimiter(clock: Clock): RateLimiter {
  return new MaxOfRateLimiter(new ExponentialBackoffRateLimiter(), new TokenBucketRateLimiter(clock));
}
