// The rate-limited work queue of resource keys, with client-go's contract: a key is queued at most
// once, never handed to two workers at once, and a key added while it is being processed is
// processed again after it is done. Delays go through the Clock port so tests drive them by hand.
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import type { Clock } from '../clock.js';
import type { WorkQueueMetrics } from '../metrics-port.js';
import { noopWorkQueueMetrics } from '../metrics-port.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

export interface WorkQueueOptions {
  readonly clock: Clock;
  /** Default: client-go's default controller rate limiter (5 ms..1000 s per key, 10/s burst 100). */
  readonly rateLimiter?: RateLimiter;
  /** Default: no metrics. */
  readonly metrics?: WorkQueueMetrics;
  /** Where handler failures are logged. Default: nowhere. */
  readonly logger?: Logger;
}

/**
 * Processes one key. A rejection is logged and the key retried with backoff; it never escapes.
 * `releaseWorker` lets the worker go on to the next key while this one finishes (its status write,
 * waiting in the write lane): the key stays in flight, so it is still never processed twice at once.
 */
export type WorkHandler = (key: string, releaseWorker: () => void) => Promise<void>;

interface Delayed {
  readonly readyAt: number;
  readonly cancel: () => void;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly #metrics: WorkQueueMetrics;
  readonly #logger: Logger;
  /**
   * Keys waiting for a worker, in order, in two lanes. A key whose requested time came (addAfter:
   * a run may be due) goes first; other adds (watch events, task-tracker wakes, resyncs) can come
   * in bursts of thousands and would otherwise hold a due launch back by seconds. Every key here
   * is also in #dirty.
   */
  readonly #queue: string[] = [];
  readonly #urgent: string[] = [];
  /** Dirty keys that belong in the urgent lane (also while they are being processed). */
  readonly #urgentDirty = new Set<string>();
  /** Keys that need processing: queued, or re-added while being processed. */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  /** When each in-flight key was handed out (clock ms): /healthz reads the oldest. */
  readonly #processingSince = new Map<string, number>();
  readonly #delayed = new Map<string, Delayed>();
  readonly #queuedAt = new Map<string, number>();
  #waitingWorkers: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  readonly #workers: Promise<void>[] = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.#clock = options.clock;
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter(options.clock);
    this.#metrics = options.metrics ?? noopWorkQueueMetrics;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Keys waiting for a worker (not counting delayed or in-flight ones). */
  get length(): number {
    return this.#queue.length + this.#urgent.length;
  }

  /** Keys being processed right now. */
  get inFlight(): number {
    return this.#processing.size;
  }

  /** Whether a pass over `key` is running (its status write included). */
  isProcessing(key: string): boolean {
    return this.#processing.has(key);
  }

  /** How long the oldest in-flight key has been processed, in ms; 0 when none is. */
  oldestInFlightAgeMs(): number {
    let oldest: number | undefined;
    for (const since of this.#processingSince.values()) {
      if (oldest === undefined || since < oldest) oldest = since;
    }
    return oldest === undefined ? 0 : this.#clock.now().getTime() - oldest;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string): void {
    this.#add(key, false);
  }

  #add(key: string, urgent: boolean): void {
    if (this.#shuttingDown) return;
    if (this.#dirty.has(key)) {
      if (urgent && !this.#urgentDirty.has(key)) this.#promote(key);
      return;
    }
    if (urgent) this.#urgentDirty.add(key);
    this.#dirty.add(key);
    this.#metrics.added();
    // A key being processed waits in #dirty; done() queues it once the worker lets go of it.
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  /** Adds `key` after `delayMs`. When the key is already waiting, the earlier time wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const readyAt = this.#clock.now().getTime() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    existing?.cancel();
    const cancel = this.#clock.setTimer(() => {
      this.#delayed.delete(key);
      this.#add(key, true);
    }, delayMs);
    this.#delayed.set(key, { readyAt, cancel });
  }

  /** Adds `key` after its backoff: exponential per key, and within the global rate. */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics.retried();
    this.addAfter(key, this.#limiter.when(key));
  }

  /** The key succeeded: its backoff starts over. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** The next key to process, or undefined once the queue is shutting down. Pair with done(). */
  async get(): Promise<string | undefined> {
    while (!this.#shuttingDown) {
      const key = this.#urgent.shift() ?? this.#queue.shift();
      if (key !== undefined) {
        this.#dirty.delete(key);
        this.#urgentDirty.delete(key);
        this.#processing.add(key);
        this.#processingSince.set(key, this.#clock.now().getTime());
        const queuedAt = this.#queuedAt.get(key);
        this.#queuedAt.delete(key);
        if (queuedAt !== undefined)
          this.#metrics.queueDuration((this.#clock.now().getTime() - queuedAt) / 1000);
        this.#metrics.depth(this.length);
        return key;
      }
      await new Promise<void>((resolve) => this.#waitingWorkers.push(resolve));
    }
    return undefined;
  }

  /** Processing of `key` finished; if it was re-added meanwhile, it goes back in the queue. */
  done(key: string): void {
    this.#processing.delete(key);
    this.#processingSince.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#enqueue(key);
    if (this.#processing.size === 0 && this.#shuttingDown) this.#resolveDrain();
  }

  /** Runs `concurrency` workers that call `handler` for each key until shutDown(). */
  start(concurrency: number, handler: WorkHandler): void {
    for (let i = 0; i < Math.max(1, concurrency); i++) this.#workers.push(this.#work(handler));
  }

  /** Stops handing out work and drops delayed adds. In-flight keys finish; see drain(). */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { cancel } of this.#delayed.values()) cancel();
    this.#delayed.clear();
    const waiting = this.#waitingWorkers;
    this.#waitingWorkers = [];
    for (const wake of waiting) wake();
    if (this.#processing.size === 0) this.#resolveDrain();
  }

  /** Resolves once shutDown() was called and every in-flight key is done. */
  async drain(): Promise<void> {
    if (!this.#shuttingDown || this.#processing.size > 0) {
      await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    }
    await Promise.all(this.#workers);
  }

  /** A key already waiting in the ordinary lane became due: it moves ahead (rare, so O(n) is fine). */
  #promote(key: string): void {
    this.#urgentDirty.add(key);
    const at = this.#queue.indexOf(key);
    if (at < 0) return; // being processed: done() puts it in the urgent lane
    this.#queue.splice(at, 1);
    this.#urgent.push(key);
  }

  #enqueue(key: string): void {
    (this.#urgentDirty.has(key) ? this.#urgent : this.#queue).push(key);
    this.#queuedAt.set(key, this.#clock.now().getTime());
    this.#metrics.depth(this.length);
    this.#waitingWorkers.shift()?.();
  }

  #resolveDrain(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #work(handler: WorkHandler): Promise<void> {
    for (;;) {
      const key = await this.get();
      if (key === undefined) return;
      await new Promise<void>((releaseWorker) => void this.#process(handler, key, releaseWorker));
    }
  }

  async #process(handler: WorkHandler, key: string, releaseWorker: () => void): Promise<void> {
    const startedAt = this.#clock.now().getTime();
    try {
      // Called through an async wrapper so a handler that throws synchronously is caught too.
      await (async () => handler(key, releaseWorker))();
    } catch (error) {
      this.#logger.error('work item failed; retrying with backoff', { resource: key, error });
      this.addRateLimited(key);
    } finally {
      this.#metrics.workDuration((this.#clock.now().getTime() - startedAt) / 1000);
      this.done(key);
      releaseWorker();
    }
  }
}
