// Wires the work queue to the reconciler with controller-runtime's contract: a pass that returns
// "requeue after X" is looked at again then, a pass that throws is retried with per-key backoff,
// and a pass that succeeds resets that backoff.
import type { Logger } from '../log/logger.js';
import type { Clock } from './clock.js';
import { ConflictError } from './errors.js';
import type { ControllerMetrics, ReconcileOutcome } from './metrics-port.js';
import type { ResourceKey } from './ports.js';
import type { ReconcileResult } from './reconciler.js';
import type { WorkQueue } from './work-queue.js';

export interface ControllerDeps {
  readonly reconciler: { reconcile(key: ResourceKey): Promise<ReconcileResult> };
  readonly queue: WorkQueue;
  readonly clock: Clock;
  readonly metrics: ControllerMetrics;
  readonly logger: Logger;
}

export class Controller {
  readonly #deps: ControllerDeps;
  #started = false;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
  }

  /** Asks for a pass over `key` (an informer event, a resync). Duplicates collapse in the queue. */
  enqueue(key: ResourceKey): void {
    this.#deps.queue.add(key);
  }

  /** Starts `concurrency` workers (`--max-concurrent-reconciles`). */
  start(concurrency: number): void {
    if (this.#started) return;
    this.#started = true;
    this.#deps.queue.start(concurrency, (key) => this.#process(key));
  }

  /** Graceful stop: no new work is handed out, and in-flight passes (and their launches) finish. */
  async stop(): Promise<void> {
    this.#deps.queue.shutDown();
    await this.#deps.queue.drain();
  }

  async #process(key: ResourceKey): Promise<void> {
    const { queue, clock, metrics } = this.#deps;
    const log = this.#deps.logger.child({ resource: key });
    const startedAt = clock.now().getTime();
    let outcome: ReconcileOutcome = 'success';
    try {
      const result = await this.#deps.reconciler.reconcile(key);
      queue.forget(key);
      if (result.requeueAfterMs !== undefined) {
        outcome = 'requeue_after';
        queue.addAfter(key, result.requeueAfterMs);
      }
    } catch (error) {
      outcome = 'error';
      // A conflict is the normal price of optimistic concurrency, not worth a warning.
      if (error instanceof ConflictError) log.debug('status write conflicted; retrying', { error });
      else log.warn('reconcile failed; retrying with backoff', { error, requeues: queue.numRequeues(key) });
      queue.addRateLimited(key);
    } finally {
      metrics.reconciled(outcome, (clock.now().getTime() - startedAt) / 1000);
    }
  }
}
