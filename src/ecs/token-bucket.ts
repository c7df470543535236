// A client-side token bucket, so that we stay inside ECS's documented per-account throttles
// instead of discovering them through ThrottlingException. Pure apart from the injected clock and
// sleep, so tests drive it with a fake clock.
import type { Clock } from '../controller/clock.js';

export interface TokenBucketOptions {
  /** Burst size: how many tokens the bucket holds when full. It starts full. */
  readonly capacity: number;
  /** Sustained rate: tokens added per second. */
  readonly refillPerSecond: number;
  /** Milliseconds since some epoch; monotonic enough for rate limiting. */
  readonly now: () => number;
  /** Resolves after `ms` milliseconds. */
  readonly sleep: (ms: number) => Promise<void>;
}

export class TokenBucket {
  readonly #capacity: number;
  readonly #ratePerMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  // May go negative: a caller reserves its tokens at once and sleeps off the debt. Reserving first
  // makes waiters first-come first-served and wakes each exactly once, instead of a herd re-polling.
  #tokens: number;
  #updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.capacity > 0)) throw new RangeError('capacity must be positive');
    if (!(options.refillPerSecond > 0)) throw new RangeError('refillPerSecond must be positive');
    this.#capacity = options.capacity;
    this.#ratePerMs = options.refillPerSecond / 1000;
    this.#now = options.now;
    this.#sleep = options.sleep;
    this.#tokens = options.capacity;
    this.#updatedAt = options.now();
  }

  /** Tokens available right now (negative while callers wait for reserved tokens). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes `n` tokens, waiting (via the injected sleep, never spinning) until they have accrued. */
  async acquire(n = 1): Promise<void> {
    const wait = this.reserve(n);
    if (wait > 0) await this.#sleep(wait);
  }

  /**
   * Takes `n` tokens now, possibly going into debt, and returns how many milliseconds the caller
   * must wait before acting (0 when the tokens were there).
   */
  reserve(n = 1): number {
    if (!(n > 0)) return 0;
    // A request larger than the bucket could never be satisfied; treat it as a full bucket's worth.
    const take = Math.min(n, this.#capacity);
    this.#refill();
    this.#tokens -= take;
    return this.#tokens >= 0 ? 0 : Math.ceil(-this.#tokens / this.#ratePerMs);
  }

  /** Takes `n` tokens only if they are available now. */
  tryAcquire(n = 1): boolean {
    this.#refill();
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#ratePerMs);
  }
}

/** A sleep driven by the Clock port, so a fake clock also drives every wait. */
export function clockSleep(clock: Clock): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve) => {
      clock.setTimer(resolve, ms);
    });
}

/** The RunTask limiters for one AWS account and region. */
export interface EcsRateLimiters {
  /** Every RunTask call. */
  readonly runTask: TokenBucket;
  /** RunTask calls that launch on Fargate, on top of `runTask`. */
  readonly fargateRunTask: TokenBucket;
  /** Tasks launched on Fargate (one token per task, not per call). */
  readonly fargateTasks: TokenBucket;
}

/**
 * ECS's documented per-account, per-region defaults: RunTask burst 100 at 40/s (request
 * throttling); on Fargate, RunTask calls at 20/s burst and sustained, and task launches burst 100
 * at 20/s (Fargate throttling quotas). Staying below them keeps one busy resource from starving
 * the others with ThrottlingException retries.
 */
export function createEcsRateLimiters(
  clock: Clock,
  sleep: (ms: number) => Promise<void> = clockSleep(clock),
) {
  const now = () => clock.now().getTime();
  return {
    runTask: new TokenBucket({ capacity: 100, refillPerSecond: 40, now, sleep }),
    fargateRunTask: new TokenBucket({ capacity: 20, refillPerSecond: 20, now, sleep }),
    fargateTasks: new TokenBucket({ capacity: 100, refillPerSecond: 20, now, sleep }),
  } satisfies EcsRateLimiters;
}
