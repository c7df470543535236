// The controller proper: the shared task tracker, the reconciler that decides and launches, and
// one controller (work queue and workers) per leadership term.
import type { Clock } from '../controller/clock.js';
import { Controller } from '../controller/controller.js';
import { ControllerTerms } from '../controller/controller-terms.js';
import type { ControllerMetrics, WorkQueueMetrics } from '../controller/metrics-port.js';
import { Reconciler } from '../controller/pass/reconciler.js';
import type { LeaseFence } from '../controller/ports.js';
import { LookupBudget } from '../controller/runtime/lookup-budget.js';
import { TaskTracker, type TaskTrackerMetrics } from '../controller/runtime/task-tracker.js';
import { WorkQueue } from '../controller/runtime/work-queue.js';
import type { Config } from '../config.js';
import type { WriteLane } from '../flow/write-lane.js';
import type { Logger } from '../log/logger.js';
import type { AwsAdapters } from './aws-adapters.js';
import type { ResourceSource } from './resource-source.js';

export interface ReconcileLoopOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: {
    readonly controller: ControllerMetrics;
    readonly workQueue: WorkQueueMetrics;
    readonly tracker: TaskTrackerMetrics;
  };
  readonly source: ResourceSource;
  readonly aws: AwsAdapters;
  readonly writeLane: WriteLane;
  /** Whether launches may go ahead: this replica holds its lease (or is alone). */
  readonly fence: LeaseFence;
}

export interface ReconcileLoop {
  readonly tracker: TaskTracker;
  readonly terms: ControllerTerms;
  /** The age of the oldest reconcile in flight in the current term (0 when none). */
  oldestInFlightAgeMs(): number;
}

export function buildReconcileLoop(options: ReconcileLoopOptions): ReconcileLoop {
  const { config, clock, logger, metrics, source, aws, writeLane } = options;
  // One tracker follows every resource's tasks in shared DescribeTasks batches and wakes a
  // resource only when one of its tasks finished; `terms` exists by the time it first wakes.
  const tracker = new TaskTracker({
    launcher: aws.launcher,
    clock,
    logger,
    metrics: metrics.tracker,
    onWake: (key) => terms.enqueue(key),
    // With events, polls are only the net for an event lost on the way: a long task is checked
    // every 5 minutes instead of every minute, which spares the account's DescribeTasks budget.
    ...(config.taskEventsQueue === undefined ? {} : { maxPollMs: 5 * 60_000 }),
  });
  const reconciler = new Reconciler({
    store: source.store,
    launcher: aws.launcher,
    events: source.events,
    clock,
    metrics: metrics.controller,
    logger,
    queueDepth: aws.queueDepth,
    deadLetters: aws.deadLetters,
    deadLetterRetry: {
      maxAttempts: config.deadLetterMaxAttempts,
      maxAgeMs: config.deadLetterMaxAgeSeconds * 1000,
    },
    defaultCluster: config.defaultCluster,
    tracker,
    maxTasksPerRun: config.maxTasksPerRun,
    // One budget for the process: every resource's lookups after a failover share it.
    adoptionLookups: new LookupBudget({
      perSecond: config.adoptionLookupsPerSecond,
      now: () => clock.now().getTime(),
    }),
    ...(source.policy === undefined ? {} : { policy: source.policy }),
    fence: options.fence,
  });

  // One controller per leadership term: a lost lease aborts its passes and stops its queue for
  // good; a term won back starts a fresh one over every cached key, once the old passes settled.
  let queue: WorkQueue | undefined;
  const terms = new ControllerTerms({
    newController: () => {
      queue = new WorkQueue({ clock, metrics: metrics.workQueue, logger });
      return new Controller({
        reconciler,
        queue,
        clock,
        metrics: metrics.controller,
        logger,
        writeLane,
      });
    },
    keys: () => source.keys(),
    concurrency: config.maxConcurrentReconciles,
    logger,
  });
  return { tracker, terms, oldestInFlightAgeMs: () => queue?.oldestInFlightAgeMs() ?? 0 };
}
