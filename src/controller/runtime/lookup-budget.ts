// One paced budget of ECS reads for looking up passed-over times (ListTasks by startedBy), shared
// by every resource of the process. After a failover every resource may have dozens of times an
// earlier leader launched without recording them; all of them must be looked up before any is
// recorded Missed, but not all at once: a burst of every resource's lookups passes ECS's read
// quota, and the throttled passes back off and fall behind (see pass/schedule-step.ts).
import { TokenBucket } from '../../flow/token-bucket.js';

export interface LookupBudgetOptions {
  /** Sustained lookups per second (--adoption-lookups-per-second). */
  readonly perSecond: number;
  /** Lookups allowed at once when the budget is full. Default: two seconds' worth, at least 1. */
  readonly burst?: number;
  /** Milliseconds, from the controller's clock. */
  readonly now: () => number;
}

/**
 * A resource that finds the budget empty reserves the next lookup (the bucket goes into debt, as
 * golang.org/x/time/rate's Reserve does) and is told when that is: its pass requeues then and
 * takes it. Reserving keeps the resources first come, first served, and wakes each once instead of
 * every waiting resource re-polling an empty bucket.
 */
export class LookupBudget {
  readonly #bucket: TokenBucket;
  readonly #now: () => number;
  /** When each waiting resource's reserved lookup is due (already paid for). */
  readonly #reserved = new Map<string, number>();

  constructor(options: LookupBudgetOptions) {
    this.#now = options.now;
    this.#bucket = new TokenBucket({
      capacity: options.burst ?? Math.max(1, Math.floor(options.perSecond * 2)),
      refillPerSecond: options.perSecond,
      now: options.now,
    });
  }

  /**
   * One lookup for `key`: 0 when it may be made now, else the milliseconds until its turn (the
   * caller makes no lookup now and asks again then).
   */
  take(key: string): number {
    const now = this.#now();
    const due = this.#reserved.get(key);
    if (due !== undefined) {
      if (now < due) return due - now;
      this.#reserved.delete(key);
      return 0;
    }
    const wait = this.#bucket.reserve(1);
    if (wait === 0) return 0;
    this.#reserved.set(key, now + wait);
    return wait;
  }

  /** Resources waiting for their turn. */
  get waiting(): number {
    return this.#reserved.size;
  }

  /** The resource is gone: its reserved lookup is nobody's. */
  forget(key: string): void {
    this.#reserved.delete(key);
  }
}

/** --adoption-lookups-per-second's default: see docs/operating. */
export const DEFAULT_LOOKUPS_PER_SECOND = 5;
