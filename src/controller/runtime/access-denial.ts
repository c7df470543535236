// When an access denial stops being IAM propagation and becomes a policy problem. Per resource, the
// first AccessDenied of a streak is remembered on the controller's clock; a pass that ends without
// any error ends the streak. A streak older than the bound stalls the resource: the reconciler
// writes Stalled, sends a Warning event, and requeues at the next scheduled time instead of
// retrying with backoff (the resync or a change to the resource also brings an attempt). In
// memory: a new leader starts its own count, which at worst gives a denial one more bound.
import { AccessDeniedError, IAM_PROPAGATION_MS, type TransientError } from '../errors.js';
import type { ResourceKey } from '../ports.js';

export const ACCESS_DENIED_REASON = 'AccessDenied';

export interface PersistentDenial {
  readonly reason: typeof ACCESS_DENIED_REASON;
  readonly message: string;
}

export class AccessDenials {
  readonly #since = new Map<ResourceKey, number>();
  readonly #limitMs: number;

  constructor(limitMs: number = IAM_PROPAGATION_MS) {
    this.#limitMs = limitMs;
  }

  /**
   * Folds in how a pass of `key` ended. Returns the denial when the streak has lasted longer than
   * the bound, else undefined (the pass's errors are retried with backoff as usual). An error other
   * than a denial neither starts nor ends a streak: it says nothing about permissions.
   */
  observe(key: ResourceKey, errors: readonly TransientError[], now: Date): PersistentDenial | undefined {
    const denied = errors.find((e) => e instanceof AccessDeniedError);
    if (denied === undefined) {
      if (errors.length === 0) this.#since.delete(key);
      return undefined;
    }
    const since = this.#since.get(key) ?? now.getTime();
    this.#since.set(key, since);
    if (now.getTime() - since <= this.#limitMs) return undefined;
    // Stable for the whole streak, so the Stalled condition and its event are written once.
    return {
      reason: ACCESS_DENIED_REASON,
      message:
        `AWS has denied access since ${new Date(since).toISOString()}, longer than IAM takes to ` +
        `apply a change: ${denied.message}`,
    };
  }

  forget(key: ResourceKey): void {
    this.#since.delete(key);
  }
}
