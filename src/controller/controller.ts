// Wires the work queue to the reconciler with controller-runtime's contract: a pass that returns
// "requeue after X" is looked at again then, a pass that throws is retried with per-key backoff,
// a pass that throws a TerminalError is not retried (the spec must change first), and a pass that
// succeeds resets that backoff. Waiting never happens on a worker: delays are timers in the queue,
// and a pass gives its worker back once it has decided, while its status write waits in the lane.
import type { WriteLane } from '../flow/write-lane.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from './clock.js';
import { ConflictError, TerminalError } from './errors.js';
import { PassAbortedError } from './runtime/fencing.js';
import type { ControllerMetrics, ReconcileOutcome } from './metrics-port.js';
import type { ResourceKey } from './ports.js';
import type { Commit, ReconcileResult } from './pass/reconciler.js';
import type { WorkQueue } from './runtime/work-queue.js';

/**
 * One pass over one key. `signal` aborts when the pass must stop: leadership was lost. The pass
 * makes its writes through `commit`, which ends its deciding.
 */
export interface ReconcilePass {
  reconcile(key: ResourceKey, signal: AbortSignal, commit: Commit): Promise<ReconcileResult>;
  /** A graceful stop: writes what the term's passes decided and left waiting (launch writes). */
  flush?(signal: AbortSignal, commit: Commit): Promise<void>;
}

export interface ControllerDeps {
  readonly reconciler: ReconcilePass;
  readonly queue: WorkQueue;
  readonly clock: Clock;
  readonly metrics: ControllerMetrics;
  readonly logger: Logger;
  /** Where status writes wait behind deciding passes. Without one they go at once. */
  readonly writeLane?: WriteLane;
}

export class Controller {
  readonly #deps: ControllerDeps;
  /** Aborted by abort(): every pass of this controller sees it. */
  readonly #passes = new AbortController();
  #started = false;
  #workers = 0;
  /** Passes holding a worker: deciding. */
  #busy = 0;
  /** Passes not yet settled: deciding, or with their writes waiting or in flight. */
  #running = 0;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
  }

  /** Passes not yet settled, their writes included. */
  get inFlight(): number {
    return this.#running;
  }

  /** Whether a pass over `key` has not settled yet (a drained resource is let go only after). */
  isProcessing(key: ResourceKey): boolean {
    return this.#deps.queue.isProcessing(key);
  }

  /** Asks for a pass over `key` (an informer event, a resync). Duplicates collapse in the queue. */
  enqueue(key: ResourceKey): void {
    this.#deps.queue.add(key);
  }

  /** Starts `concurrency` workers (`--max-concurrent-reconciles`). */
  start(concurrency: number): void {
    if (this.#started) return;
    this.#started = true;
    this.#workers = Math.max(1, concurrency);
    this.#deps.metrics.workers?.(this.#workers, 0);
    this.#deps.queue.start(concurrency, (key, releaseWorker) => this.#process(key, releaseWorker));
  }

  /**
   * Graceful stop: no new work is handed out, in-flight passes (and their launches) finish, and
   * status writes left waiting by them are made. After abort() those are dropped instead.
   */
  async stop(): Promise<void> {
    this.#deps.queue.shutDown();
    await this.#deps.queue.drain();
    const { writeLane, reconciler } = this.#deps;
    if (this.#passes.signal.aborted || !reconciler.flush) return;
    await reconciler.flush(this.#passes.signal, (write) => (writeLane ? writeLane.run(write) : write()));
  }

  /**
   * Hard stop: no new work, and in-flight passes are told through their signal to stop at once.
   * Resolves when every pass has settled, so a following term cannot overlap with one of these.
   */
  async abort(reason?: unknown): Promise<void> {
    this.#passes.abort(reason);
    await this.stop();
  }

  async #process(key: ResourceKey, releaseWorker: () => void): Promise<void> {
    const { queue, clock, metrics, writeLane } = this.#deps;
    const signal = this.#passes.signal;
    const log = this.#deps.logger.child({ resource: key });
    const startedAt = clock.now().getTime();
    let outcome: ReconcileOutcome = 'success';
    // Counted apart from the call: an optional call skips its arguments when the method is absent.
    this.#busy++;
    this.#running++;
    metrics.workers?.(this.#workers, this.#busy);
    const stopDeciding = writeLane?.deciding();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#busy--;
      metrics.workers?.(this.#workers, this.#busy);
      releaseWorker();
    };
    const commit: Commit = (write) => {
      stopDeciding?.();
      // Backpressure: with the lane full, the pass keeps its worker until its write is done, so
      // deciding slows to the pace of writing instead of piling decided statuses up in memory.
      if (!writeLane || writeLane.hasRoom()) release();
      return writeLane ? writeLane.run(write) : write();
    };
    try {
      const result = await this.#deps.reconciler.reconcile(key, signal, commit);
      queue.forget(key);
      if (result.requeueAfterMs !== undefined) {
        outcome = 'requeue_after';
        // The delay counts from when the pass read the clock, at its start; a slow pass (an ECS
        // latency spike) must not push the next due time back by its own length.
        const elapsed = clock.now().getTime() - startedAt;
        queue.addAfter(key, Math.max(0, result.requeueAfterMs - elapsed));
      }
    } catch (error) {
      if (signal.aborted || error instanceof PassAbortedError) {
        // Not a failure of the resource. Lost the term: the next leader picks the key up from its
        // cache. Fence down but the term not over yet (a slow renewal): the backoff retries it.
        outcome = 'aborted';
        log.info('pass aborted: this replica may no longer hold the lease', {
          reason: signal.aborted ? describeReason(signal.reason) : (error as Error).message,
        });
        if (!signal.aborted) queue.addRateLimited(key);
      } else if (error instanceof TerminalError) {
        // Retrying cannot help; the resource's next change (a spec fix) queues it again.
        outcome = 'terminal';
        queue.forget(key);
        log.warn('reconcile failed terminally; not retried until the resource changes', {
          reason: error.reason,
          error,
        });
      } else {
        outcome = 'error';
        // A conflict is the normal price of optimistic concurrency, not worth a warning.
        if (error instanceof ConflictError) log.debug('status write conflicted; retrying', { error });
        else log.warn('reconcile failed; retrying with backoff', { error, requeues: queue.numRequeues(key) });
        queue.addRateLimited(key);
      }
    } finally {
      stopDeciding?.();
      release();
      this.#running--;
      metrics.reconciled(outcome, (clock.now().getTime() - startedAt) / 1000);
    }
  }
}

function describeReason(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
