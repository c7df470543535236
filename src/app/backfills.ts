// The EcsTaskBackfill controller (Kubernetes mode): its own cache of backfills and its own terms,
// with the schedule's launcher, fence and policies, and the EcsScheduledTasks from the schedule's
// cache. The composition root hands its term to the leader term and its cache to the lifecycle.
import type { KubeConfig } from '@kubernetes/client-node';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { BackfillRuntime } from '../backfill/backfill-runtime.js';
import type { Clock } from '../controller/clock.js';
import type { LeaseFence, TaskLauncher } from '../controller/ports.js';
import type { Config } from '../config.js';
import { createBackfillAdapters } from '../kube/backfill-adapters.js';
import type { Logger } from '../log/logger.js';
import type { LeaderTerm } from './leader-term.js';
import type { ResourceSource } from './resource-source.js';
import type { Stage } from './lifecycle.js';

export interface Backfills {
  /** Starts and stops the backfills' watch. Not waited for at start: a controller upgraded before the backfill CRD still runs the schedules. */
  readonly stage: Stage;
  /** The leader term with the backfills' term begun, lost, finished and settled alongside. */
  withTerm(term: LeaderTerm): LeaderTerm;
}

export function buildBackfills(options: {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly kubeConfig: KubeConfig;
  readonly source: ResourceSource;
  readonly launcher: TaskLauncher;
  readonly fence: LeaseFence;
}): Backfills {
  const { config, clock, logger, source } = options;
  const cache = createBackfillAdapters({
    kubeConfig: options.kubeConfig,
    namespace: config.namespace,
    clock,
    logger,
  });
  const runtime = new BackfillRuntime({
    backfills: cache,
    tasks: source.store,
    // Sharded, the cache holds this replica's tasks only: a backfill follows its task's owner.
    tasksComplete: !config.sharding,
    calendars: source.calendars,
    launcher: options.launcher,
    // The same recorder as the tasks': it names the backfill's kind in `regarding`.
    events: {
      record: (backfill, ...rest) =>
        source.events.record(backfill as unknown as EcsScheduledTaskResource, ...rest),
    },
    clock,
    logger,
    defaultCluster: config.defaultCluster,
    maxTasksPerRun: config.maxTasksPerRun,
    ...(source.policy === undefined ? {} : { policy: source.policy }),
    fence: options.fence,
    keys: () => cache.informer.keys(),
  });
  cache.informer.subscribe((key) => runtime.enqueue(key));
  // A task that appears, changes or goes, and a policy change, wake the backfills they concern.
  source.subscribe((key) => runtime.taskChanged(key));
  source.policy?.onChange(() => runtime.policyChanged());
  return {
    stage: {
      name: 'backfills watch',
      start: () => cache.informer.start(),
      stop: () => cache.informer.stop(),
    },
    withTerm: (term) => ({
      begin: (signal) => {
        term.begin(signal);
        runtime.lead(signal);
      },
      lost: async () => {
        await Promise.all([term.lost(), runtime.finish()]);
      },
      finish: async () => {
        await Promise.all([term.finish(), runtime.finish()]);
      },
      settled: async () => {
        await Promise.all([term.settled(), runtime.settled()]);
      },
      isProcessing: (key) => term.isProcessing(key),
    }),
  };
}
