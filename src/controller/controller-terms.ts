// Leadership terms, one Controller (with its own queue) each. A lost term is aborted, and the
// next term does not hand out a single key until every pass of the earlier ones has settled:
// one replica never runs two passes of one key at once, across terms too (a pass from a lost
// term that has not noticed its abort yet could otherwise race the new term's pass).
import type { Logger } from '../log/logger.js';
import type { Controller } from './controller.js';
import type { ResourceKey } from './ports.js';

export interface ControllerTermsOptions {
  /** A fresh controller, with a fresh queue, for each term. */
  readonly newController: () => Controller;
  /** The keys known when a term starts; each gets a pass. */
  readonly keys: () => readonly ResourceKey[];
  /** Workers per term (`--max-concurrent-reconciles`). */
  readonly concurrency: number;
  readonly logger: Logger;
}

interface Term {
  readonly signal: AbortSignal;
  /** finish() came before the term could start: it never starts. */
  finished: boolean;
}

interface Running {
  readonly controller: Controller;
  /** Ends the term: its passes have settled. */
  readonly ended: () => void;
}

export class ControllerTerms {
  readonly #options: ControllerTermsOptions;
  #running: Running | undefined;
  #pending: Term[] = [];
  /** Controllers of ended terms whose passes have not all settled yet. */
  readonly #settling = new Set<Controller>();
  /** Controllers that finish() is stopping gracefully. */
  readonly #finishing = new Set<Controller>();
  /** Settles once every term begun so far has ended and its passes have settled. */
  #settled: Promise<void> = Promise.resolve();

  constructor(options: ControllerTermsOptions) {
    this.#options = options;
  }

  /** Feeds the running term, if any; between terms the next term's start-up pass covers it. */
  enqueue(key: ResourceKey): void {
    this.#running?.controller.enqueue(key);
  }

  /**
   * Whether any term, running or still settling, has a pass over `key` that has not settled: a
   * sharded replica lets a drained resource go only once this is false.
   */
  isProcessing(key: ResourceKey): boolean {
    if (this.#running?.controller.isProcessing(key)) return true;
    for (const c of this.#finishing) if (c.isProcessing(key)) return true;
    for (const c of this.#settling) if (c.isProcessing(key)) return true;
    return false;
  }

  /** The running term's controller, if any (for /healthz and tests). */
  get current(): Controller | undefined {
    return this.#running?.controller;
  }

  /**
   * Begins a term that lasts until `signal` aborts; aborting it aborts the term's passes. The
   * term starts only once the earlier terms' passes have settled.
   */
  lead(signal: AbortSignal): void {
    const passes = [...this.#settling].reduce((n, c) => n + c.inFlight, 0);
    if (passes > 0) {
      this.#options.logger.info('new term waits for the passes of the previous term to stop', { passes });
    }
    const term: Term = { signal, finished: false };
    this.#pending.push(term);
    this.#settled = this.#settled.then(() => this.#run(term));
  }

  /**
   * Graceful end of the running term: no new work, in-flight passes finish. A term still waiting
   * to start never starts. Does not wait for the term's signal.
   */
  async finish(): Promise<void> {
    for (const term of this.#pending) term.finished = true;
    this.#pending = [];
    const running = this.#running;
    this.#running = undefined;
    if (running === undefined) return;
    this.#finishing.add(running.controller);
    try {
      await running.controller.stop();
    } finally {
      this.#finishing.delete(running.controller);
    }
    running.ended();
  }

  /** Resolves once every term begun so far has ended and all of its passes have settled. */
  settled(): Promise<void> {
    return this.#settled;
  }

  #run(term: Term): Promise<void> {
    this.#pending = this.#pending.filter((t) => t !== term);
    if (term.finished || term.signal.aborted) return Promise.resolve();
    const { newController, keys, concurrency, logger } = this.#options;
    const controller = newController();
    for (const key of keys()) controller.enqueue(key);
    controller.start(concurrency);
    logger.info('controller started', { workers: concurrency });
    return new Promise<void>((resolve) => {
      const running: Running = { controller, ended: resolve };
      this.#running = running;
      // Synchronous on abort, so not one more key is handed out after the lease is gone.
      const end = () => {
        if (this.#running === running) this.#running = undefined;
        this.#settling.add(controller);
        const settled = () => {
          this.#settling.delete(controller);
          resolve();
        };
        void controller.abort(term.signal.reason).then(settled, settled);
      };
      if (term.signal.aborted) end();
      else term.signal.addEventListener('abort', end, { once: true });
    });
  }
}
