// The backfill controller's moving parts, built from ports: one Controller (work queue, backoff,
// requeue-after) per leadership term, as the EcsScheduledTask controller has, over the backfills'
// cache. The composition root hands in the adapters and calls lead/finish with the other terms.
import type { EcsTaskBackfillResource } from '../api/backfill-types.js';
import type { Clock } from '../controller/clock.js';
import { Controller } from '../controller/controller.js';
import { ControllerTerms } from '../controller/controller-terms.js';
import { noopControllerMetrics } from '../controller/metrics-port.js';
import type { ResourceKey } from '../controller/ports.js';
import { WorkQueue } from '../controller/runtime/work-queue.js';
import type { Logger } from '../log/logger.js';
import { BackfillReconciler, type BackfillReconcilerDeps } from './backfill-reconciler.js';

/** Backfills are few and each pass is short: a small pool of workers is plenty. */
const BACKFILL_WORKERS = 4;

export interface BackfillRuntimeOptions extends Omit<BackfillReconcilerDeps, 'logger' | 'clock'> {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Every backfill key in the cache. */
  readonly keys: () => readonly ResourceKey[];
}

export class BackfillRuntime {
  readonly #terms: ControllerTerms;
  readonly #options: BackfillRuntimeOptions;

  constructor(options: BackfillRuntimeOptions) {
    this.#options = options;
    const logger = options.logger.child({ component: 'backfill' });
    const reconciler = new BackfillReconciler({ ...options, logger });
    this.#terms = new ControllerTerms({
      newController: () =>
        new Controller({
          reconciler,
          queue: new WorkQueue({ clock: options.clock, logger }),
          clock: options.clock,
          metrics: noopControllerMetrics,
          logger,
        }),
      keys: options.keys,
      concurrency: BACKFILL_WORKERS,
      logger,
    });
  }

  /** A backfill was added, changed or deleted. */
  enqueue(key: ResourceKey): void {
    this.#terms.enqueue(key);
  }

  /** An EcsScheduledTask changed (or came, or went): the backfills that name it look again. */
  taskChanged(taskKey: ResourceKey): void {
    for (const key of this.#options.keys()) {
      const backfill: EcsTaskBackfillResource | undefined = this.#options.backfills.get(key);
      if (backfill && `${backfill.metadata.namespace ?? 'default'}/${backfill.spec.taskRef.name}` === taskKey)
        this.#terms.enqueue(key);
    }
  }

  /** A policy changed: every backfill waiting on one looks again. */
  policyChanged(): void {
    for (const key of this.#options.keys()) this.#terms.enqueue(key);
  }

  lead(signal: AbortSignal): void {
    this.#terms.lead(signal);
  }

  finish(): Promise<void> {
    return this.#terms.finish();
  }

  settled(): Promise<void> {
    return this.#terms.settled();
  }
}
