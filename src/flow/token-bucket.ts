// The one token bucket of the codebase: the ECS quotas the launcher keeps to, the work queue's
// overall retry rate, and the ECS simulator's quotas all use it. It lives in flow/, beside the one
// backoff, because it belongs to no single layer: it takes time as a function and imports nothing,
// so the core, the adapters and the test simulator can share it without depending on each other.

export interface TokenBucketOptions {
  /** Burst size: how many tokens the bucket holds when full. It starts full. */
  readonly capacity: number;
  /** Sustained rate: tokens added per second. */
  readonly refillPerSecond: number;
  /** Milliseconds since some epoch; monotonic enough for rate limiting. */
  readonly now: () => number;
  /** Resolves after `ms` milliseconds; only acquire() waits. Default: a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const timerSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class TokenBucket {
  readonly #capacity: number;
  readonly #ratePerMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  // May go negative: a caller reserves its tokens at once and sleeps off the debt, as
  // golang.org/x/time/rate's Reserve does. Reserving first makes waiters first-come first-served
  // and wakes each exactly once, instead of a herd re-polling.
  #tokens: number;
  #updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.capacity > 0)) throw new RangeError('capacity must be positive');
    if (!(options.refillPerSecond > 0)) throw new RangeError('refillPerSecond must be positive');
    this.#capacity = options.capacity;
    this.#ratePerMs = options.refillPerSecond / 1000;
    this.#now = options.now;
    this.#sleep = options.sleep ?? timerSleep;
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
