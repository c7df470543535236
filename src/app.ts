// The composition root: the only place that wires the subsystems to each other. Each is built by
// its builder in src/app/; the stages at the end are the one start/stop sequence.
import { systemClock, type Clock } from './controller/clock.js';
import { keysAffectedBy } from './controller/ports.js';
import { CalendarReferences } from './controller/runtime/calendar-references.js';
import type { Config } from './config.js';
import type { Logger } from './log/logger.js';
import { createMetrics } from './metrics/index.js';
import { createShardMetrics } from './metrics/shard-metrics.js';
import { shardLeaseName } from './shard/shard-labels.js';
import { buildAwsAdapters } from './app/aws-adapters.js';
import { buildBackfills } from './app/backfills.js';
import { HttpServers } from './app/http-servers.js';
import { kubernetesSource } from './app/kubernetes-source.js';
import { leaderTerm } from './app/leader-term.js';
import { Leadership } from './app/leadership.js';
import { Lifecycle } from './app/lifecycle.js';
import { buildReconcileLoop } from './app/reconcile-loop.js';
import { logSynced, startWithin } from './app/resource-source.js';
import { standaloneSource } from './app/standalone-source.js';
import { checkAwsCredentials, warnIfPolicyOff } from './app/startup-checks.js';
import { statusWriteLane } from './app/status-write-lane.js';
import { buildTaskEvents } from './app/task-events.js';

export { StartupError } from './app/startup-error.js';

export interface RunningApp {
  readonly metricsPort: number | undefined;
  readonly healthPort: number | undefined;
  /** Graceful: stop taking work, finish in-flight launches, release the lease, close servers. */
  stop(): Promise<void>;
}

export async function startApp(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
): Promise<RunningApp> {
  if (!config.dryRun) await checkAwsCredentials(config);
  warnIfPolicyOff(config, logger);

  const metrics = createMetrics({
    leaseName: config.leaderElectionId,
    perResource: config.perResourceMetrics,
    ...(config.sharding ? { shardLeaseName: shardLeaseName(config.identity) } : {}),
  });
  const aws = buildAwsAdapters(config, clock, logger, metrics.ecs);
  const writeLane = statusWriteLane();
  const { source, kubeConfig, informer } =
    config.mode === 'standalone'
      ? { source: standaloneSource(config, logger, clock), kubeConfig: undefined, informer: undefined }
      : kubernetesSource(config, logger, clock, metrics.watch, writeLane);
  const leadership = new Leadership({
    config,
    clock,
    logger,
    metrics: metrics.leader,
    ...(kubeConfig === undefined ? {} : { kubeConfig }),
    ...(source.fence === undefined ? {} : { lock: source.fence }),
    ...(config.sharding && informer && metrics.shardLease
      ? {
          sharding: {
            owned: informer,
            shardLease: metrics.shardLease,
            watch: metrics.watch,
            shard: createShardMetrics(metrics.registry),
          },
        }
      : {}),
  });
  const loop = buildReconcileLoop({
    config,
    clock,
    logger,
    metrics,
    source,
    aws,
    writeLane,
    fence: leadership,
  });
  const taskEvents = buildTaskEvents(config, clock, logger, metrics.taskEvents, (taskArn) =>
    loop.tracker.hint(taskArn),
  );
  // EcsTaskBackfills: Kubernetes mode only.
  const backfills =
    kubeConfig &&
    buildBackfills({ config, clock, logger, kubeConfig, source, launcher: aws.launcher, fence: leadership });
  let stopping = false;
  const scheduleTerm = leaderTerm(loop.terms, loop.tracker, taskEvents, () => {
    if (!stopping) source.leadershipLost?.();
  });
  const term = backfills ? backfills.withTerm(scheduleTerm) : scheduleTerm;

  // A calendar created, edited or deleted is looked at again by the resources that name it.
  const calendarReferences = new CalendarReferences();
  source.subscribe((key) => {
    calendarReferences.update(key, source.store.get(key));
    loop.terms.enqueue(key);
  });
  source.calendars.onChange((namespace, name) => {
    for (const key of calendarReferences.referencing(namespace, name)) loop.terms.enqueue(key);
  });
  // A policy or a namespace's labels changed: the verdicts it may change are looked at again, so a
  // denied resource launches (or an allowed one stops launching) without a restart.
  source.policy?.onChange((change) => {
    for (const key of keysAffectedBy(change, source.keys())) loop.terms.enqueue(key);
  });

  const http = new HttpServers(config, metrics.registry, {
    stopping: () => stopping,
    synced: () => source.hasSynced(),
    leaseHealthy: () => leadership.isHealthy(),
    oldestReconcileMs: () => loop.oldestInFlightAgeMs(),
    silence: () => source.silence?.(),
  });

  // Started in this order, stopped in the reverse one: the servers answer while the first list
  // loads; the term drains before the task events, the tracker and the source stop; the kept-alive
  // API server connections close only once nothing will use them again; the AWS clients last.
  const lifecycle = new Lifecycle([
    { name: 'aws clients', stop: () => aws.close() },
    { name: 'http servers', start: () => http.start(), stop: () => http.stop() },
    {
      name: 'resource source',
      start: async () => {
        await startWithin(source, config.cacheSyncTimeoutSeconds);
        logSynced(source, config.mode, clock, logger);
      },
      stop: async () => {
        await source.stop();
        await kubeConfig?.close();
      },
    },
    ...(backfills ? [backfills.stage] : []),
    { name: 'task tracker', stop: () => loop.tracker.stop() },
    {
      name: 'task events',
      stop: async () => {
        await taskEvents?.stop();
        taskEvents?.close();
      },
    },
    { name: 'leadership', start: () => leadership.start(term), stop: () => leadership.stop() },
  ]);
  await lifecycle.start();

  return {
    metricsPort: http.metricsPort,
    healthPort: http.healthPort,
    stop: async () => {
      stopping = true;
      logger.info('shutting down: draining in-flight work');
      await lifecycle.stop();
      logger.info('stopped');
    },
  };
}
