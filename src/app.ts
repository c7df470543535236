// The composition root: the only place that builds real adapters and wires them to the core.
import { ECSClient } from '@aws-sdk/client-ecs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { systemClock, type Clock } from './controller/clock.js';
import { Controller } from './controller/controller.js';
import { ControllerTerms } from './controller/controller-terms.js';
import {
  keysAffectedBy,
  type EventRecorder,
  type LeaseFence,
  type PolicyGate,
  type QueueDepthSource,
  type ResourceKey,
  type ResourceStore,
  type TaskLauncher,
} from './controller/ports.js';
import { Reconciler } from './controller/pass/reconciler.js';
import { overviewOf, summarize } from './controller/runtime/startup-summary.js';
import { TaskTracker } from './controller/runtime/task-tracker.js';
import { WorkQueue } from './controller/runtime/work-queue.js';
import type { Config } from './config.js';
import { awsRequestHandler } from './aws/aws-http-handler.js';
import { createAwsTaskLauncher } from './aws/ecs/aws-task-launcher.js';
import { DryRunLauncher } from './aws/ecs/dry-run-launcher.js';
import {
  createTaskEventsSqsClient,
  TASK_EVENTS_WAIT_SECONDS,
  TaskStateEvents,
} from './aws/sqs/task-state-events.js';
import { createEcsRateLimiters } from './aws/ecs/ecs-rate-limiters.js';
import {
  createKubeAdapters,
  createLeaseElector,
  loadKubeConfig,
  type LeaseElector,
  type PooledKubeConfig,
} from './kube/index.js';
import { KubePolicyGate } from './kube/policy-gate.js';
import { AwsClientPool } from './aws/aws-client-pool.js';
import { AssumedRoleCredentials, createStsApi } from './aws/assumed-role-credentials.js';
import type { Logger } from './log/logger.js';
import { startHttpServer, type Readiness, type RunningHttpServer } from './metrics/health-server.js';
import { liveness } from './metrics/liveness.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { PolicyIndex } from './policy/policy-index.js';
import { FileEventRecorder } from './standalone/file-event-recorder.js';
import { ManifestStore } from './standalone/manifest-store.js';
import { PolicyFolder } from './standalone/policy-folder.js';
import { StateFile } from './standalone/state-file.js';
import { StateLock } from './standalone/state-lock.js';
import { SqsDeadLetterSink } from './aws/sqs/sqs-dead-letter-sink.js';
import { WriteLane } from './flow/write-lane.js';
import { createSqsClient } from './aws/sqs/sqs-client.js';
import { SqsQueueDepth } from './aws/sqs/sqs-queue-depth.js';
import { createShardMetrics } from './metrics/shard-metrics.js';
import { shardLeaseName } from './shard/shard-labels.js';
import { isOwnedBy, ownerSelector, startSharding, type RunningSharding } from './shard/sharding.js';
import { regionOfQueueUrl } from './aws/sqs/sqs-queue-url.js';

// Writes in flight: when no pass is deciding, enough to keep the API server's write path full;
// while passes decide, two, so writes keep moving under a steady stream of launches without taking
// the event loop from them.
const STATUS_WRITE_CONCURRENCY = 32;
const STATUS_WRITE_CONCURRENCY_WHILE_DECIDING = 2;
// Decided passes whose writes may wait before workers stop being handed back: enough for 1,000
// runs due in the same second; at 10,000 resources an unbounded backlog ran a 256 MiB heap out.
const STATUS_WRITES_WAITING_MAX = 1_000;

/** A start-up problem the user can fix; the message says how. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

export interface RunningApp {
  readonly metricsPort: number | undefined;
  readonly healthPort: number | undefined;
  /** Graceful: stop taking work, finish in-flight launches, release the lease, close servers. */
  stop(): Promise<void>;
}

/** Where resources come from, and how a change reaches the controller. */
interface ResourceSource {
  readonly store: ResourceStore;
  readonly events: EventRecorder;
  subscribe(listener: (key: ResourceKey) => void): void;
  keys(): ResourceKey[];
  hasSynced(): boolean;
  /** How long the API server has said nothing, and the watchdog period; none in standalone mode. */
  silence?(): { silentMs: number; watchdogMs: number };
  /** The admin policies of this source (EcsSchedulerPolicy), when enforced; start() syncs them too. */
  readonly policy?: PolicyGate;
  /** Standalone mode: the state file's lock, which launches must still hold. */
  readonly fence?: LeaseFence;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const CREDENTIALS_TIMEOUT_MS = 5_000;

/**
 * Resolves credentials through the SDK's default chain once, at start-up, so that a machine
 * without any fails here with a clear message instead of on the first RunTask.
 */
async function checkAwsCredentials(config: Config): Promise<void> {
  const client = new ECSClient({ region: config.awsRegion ?? 'us-east-1', endpoint: config.ecsEndpoint });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.config.credentials(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), CREDENTIALS_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    throw new StartupError(
      `no AWS credentials found (${(error as Error).message}). Either provide credentials (AWS_ACCESS_KEY_ID/` +
        'AWS_SECRET_ACCESS_KEY, AWS_PROFILE, IRSA or EKS Pod Identity), or run with --dry-run to launch nothing ' +
        'and log the RunTask requests instead.',
    );
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
  if (!config.awsRegion) {
    throw new StartupError('no AWS region: set AWS_REGION or pass --region (or use --dry-run).');
  }
}

function standaloneSource(config: Config, logger: Logger, clock: Clock): ResourceSource {
  const manifestsDir = config.manifestsDir ?? '.';
  // Policies come from their own folder, which tenants cannot write; each read replaces them all.
  const policies =
    config.policy === 'enforce'
      ? new PolicyIndex({ defaultCluster: config.defaultCluster, region: config.awsRegion, logger })
      : undefined;
  const policyFolder =
    policies && config.policiesDir !== undefined
      ? new PolicyFolder({ dir: config.policiesDir, sink: policies, logger, clock })
      : undefined;
  if (policies && config.policiesDir === undefined) {
    logger.warn(
      'no --policies folder: no EcsSchedulerPolicy applies, so every EcsScheduledTask is denied. Pass ' +
        '--policies DIR (a folder the tenants cannot write; policies in --manifests are not honoured), ' +
        'or --policy off for a single tenant',
      { manifests: manifestsDir },
    );
  }
  if (config.policiesDir !== undefined && isInside(manifestsDir, config.policiesDir)) {
    logger.warn(
      '--policies is inside --manifests: it is not read as manifests, but whoever may write the manifests ' +
        'folder can replace it. Keep it apart outside a single-user setup.',
      { manifests: manifestsDir, policies: config.policiesDir },
    );
  }
  const lock = new StateLock({
    statePath: config.stateFile,
    host: config.host,
    clock,
    logger,
    leaseDurationMs: config.leaseDurationSeconds * 1000,
    renewPeriodMs: Math.min(config.retryPeriodSeconds, config.leaseDurationSeconds / 3) * 1000,
  });
  const store = new ManifestStore({
    dir: manifestsDir,
    stateFile: new StateFile({ path: config.stateFile, logger }),
    logger,
    clock,
    lock,
    ...(config.policiesDir === undefined ? {} : { skip: [config.policiesDir] }),
  });
  return {
    store,
    events: new FileEventRecorder(logger),
    ...(policies === undefined ? {} : { policy: policies }),
    fence: lock,
    subscribe: (listener) => void store.onChange(listener),
    keys: () => store.keys(),
    hasSynced: () => store.hasSynced(),
    start: async () => {
      // Judging resources before the policies are in would deny them all, once, for nothing.
      await policyFolder?.start();
      await store.start();
    },
    stop: async () => {
      await store.stop();
      await policyFolder?.stop();
    },
  };
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function kubernetesSource(
  config: Config,
  logger: Logger,
  clock: Clock,
  metrics: Metrics,
  writeLane: WriteLane,
) {
  const kubeConfig = loadKubeConfig({ kubeconfigPath: config.kubeconfig, context: config.context });
  const { informer, store, events } = createKubeAdapters({
    kubeConfig,
    namespace: config.namespace,
    identity: config.identity,
    clock,
    logger,
    watchMetrics: metrics.watch,
    writeLane,
    // Sharded: this replica caches only its own resources, and a drained one is as good as gone.
    ...(config.sharding
      ? {
          labelSelector: ownerSelector(config.identity),
          visible: (resource: Parameters<typeof isOwnedBy>[1]) => isOwnedBy(config.identity, resource),
        }
      : {}),
  });
  const policies =
    config.policy === 'enforce'
      ? new KubePolicyGate(kubeConfig, {
          defaultCluster: config.defaultCluster,
          region: config.awsRegion,
          clock,
          logger,
        })
      : undefined;
  const source: ResourceSource = {
    store,
    events,
    ...(policies === undefined ? {} : { policy: policies.gate }),
    subscribe: (listener) => void informer.subscribe(listener),
    keys: () => informer.keys(),
    hasSynced: () => informer.hasSynced(),
    silence: () => ({ silentMs: informer.silentForMs(), watchdogMs: informer.watchdogPeriodMs }),
    start: async () => {
      informer.start();
      policies?.start();
      // Judging resources before the policies are in would deny them all, once, for nothing.
      await Promise.all([informer.waitForSync(), policies?.waitForSync()]);
    },
    stop: async () => {
      informer.stop();
      policies?.stop();
      await events.flush();
    },
  };
  return { source, kubeConfig, informer };
}

/** Starts the source; rejects with a StartupError when the first list takes longer than `seconds`. */
async function startWithin(source: ResourceSource, seconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      source.start(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new StartupError(
                `resources not loaded within ${seconds} s (--cache-sync-timeout): is the API server reachable?`,
              ),
            ),
          seconds * 1000,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startApp(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
): Promise<RunningApp> {
  if (!config.dryRun) await checkAwsCredentials(config);
  if (config.policy === 'off') {
    logger.warn(
      'POLICY ENFORCEMENT IS OFF (--policy off): anyone who may create an EcsScheduledTask in any watched ' +
        "namespace can run any task definition, in any cluster, with any role override this controller's " +
        'IAM role can pass. Use it only when every namespace is trusted (a single tenant); see ' +
        'docs/operating/tenancy.md.',
    );
  }
  const metrics = createMetrics({
    // Sharded, the Lease that decides what this replica may do is its shard's.
    leaseName: config.sharding ? shardLeaseName(config.identity) : config.leaderElectionId,
    perResource: config.perResourceMetrics,
  });
  const awsOptions = {
    region: config.awsRegion,
    endpoint: config.ecsEndpoint,
    maxAttempts: config.awsMaxAttempts,
  };
  // ECS and SQS clients per identity: the controller's own, or a policy's assumeRoleArn.
  const sts = createStsApi({
    region: config.awsRegion,
    endpoint: config.stsEndpoint,
    maxAttempts: config.awsMaxAttempts,
  });
  const clients = new AwsClientPool({
    credentials: new AssumedRoleCredentials({ sts, clock, logger, sessionTags: config.stsSessionTags }),
    ...(config.awsRegion === undefined ? {} : { defaultRegion: config.awsRegion }),
    createEcsClient: (credentials) =>
      new ECSClient({
        ...(config.awsRegion === undefined ? {} : { region: config.awsRegion }),
        ...(config.ecsEndpoint === undefined ? {} : { endpoint: config.ecsEndpoint }),
        ...(credentials === undefined ? {} : { credentials }),
        maxAttempts: config.awsMaxAttempts,
        requestHandler: awsRequestHandler(),
      }),
    createSqsClient: (credentials, region) =>
      createSqsClient({
        ...awsOptions,
        endpoint: config.sqsEndpoint,
        region: region ?? config.awsRegion,
        credentials,
      }),
  });
  const launcher: TaskLauncher = config.dryRun
    ? new DryRunLauncher({ logger })
    : createAwsTaskLauncher({
        ...awsOptions,
        clock,
        metrics: metrics.ecs,
        logger,
        ecsClientFor: clients.ecsClientFor,
        limiters: createEcsRateLimiters(clock, undefined, config.ecsRateLimits),
      });
  const queueDepth: QueueDepthSource = new SqsQueueDepth({
    ...awsOptions,
    endpoint: config.sqsEndpoint,
    logger,
    sqsClientFor: clients.sqsClientFor,
  });
  // spec.deadLetter: the same per-identity SQS clients and queue URL host check as the trigger.
  const deadLetters = new SqsDeadLetterSink({
    sqsClientFor: clients.sqsClientFor,
    ...(config.awsRegion === undefined ? {} : { region: config.awsRegion }),
    ...(config.sqsEndpoint === undefined ? {} : { endpoint: config.sqsEndpoint }),
    clock,
  });

  // Status writes and events wait behind passes that are deciding (and may launch). Measured with
  // 1,000 resources due in the same second (docs/developing/performance.md): the concurrency bounds below
  // keep the API server busy without taking the event loop from the launches.
  const writeLane = new WriteLane({
    concurrency: STATUS_WRITE_CONCURRENCY,
    concurrencyWhileDeciding: STATUS_WRITE_CONCURRENCY_WHILE_DECIDING,
    maxWaiting: STATUS_WRITES_WAITING_MAX,
  });
  let source: ResourceSource;
  let elector: LeaseElector | undefined;
  let kubeConfig: PooledKubeConfig | undefined;
  let informer: ReturnType<typeof kubernetesSource>['informer'] | undefined;
  let sharding: RunningSharding | undefined;
  if (config.mode === 'standalone') {
    source = standaloneSource(config, logger, clock);
  } else {
    ({ source, kubeConfig, informer } = kubernetesSource(config, logger, clock, metrics, writeLane));
  }

  // With an elector (Kubernetes mode with --leader-elect), launches wait for its lease.
  const leaderElected = (config.leaderElect || config.sharding) && config.mode !== 'standalone';
  // One tracker follows every resource's tasks in shared DescribeTasks batches and wakes a
  // resource only when one of its tasks finished; `terms` exists by the time it first wakes.
  const tracker = new TaskTracker({
    launcher,
    clock,
    logger,
    metrics: metrics.tracker,
    onWake: (key) => terms.enqueue(key),
    // With events, polls are only the net for an event lost on the way: a long task is checked
    // every 5 minutes instead of every minute, which spares the account's DescribeTasks budget.
    ...(config.taskEventsQueue === undefined ? {} : { maxPollMs: 5 * 60_000 }),
  });
  // Only the leader follows tasks, so only the leader reads the events: a follower would delete
  // messages the leader needs.
  // Its own SQS client: a long poll needs a request timeout longer than its wait.
  const taskEventsSqs =
    config.taskEventsQueue === undefined
      ? undefined
      : createTaskEventsSqsClient({
          ...awsOptions,
          endpoint: config.sqsEndpoint,
          region: regionOfQueueUrl(config.taskEventsQueue) ?? config.awsRegion,
          waitSeconds: TASK_EVENTS_WAIT_SECONDS,
        });
  const taskEvents =
    config.taskEventsQueue === undefined || taskEventsSqs === undefined
      ? undefined
      : new TaskStateEvents({
          sqs: taskEventsSqs,
          waitSeconds: TASK_EVENTS_WAIT_SECONDS,
          queueUrl: config.taskEventsQueue,
          clock,
          logger,
          metrics: metrics.taskEvents,
          onStopped: (taskArn) => tracker.hint(taskArn),
        });
  if (taskEvents) metrics.taskEvents.mode('events');
  const lead = (signal: AbortSignal) => {
    taskEvents?.start();
    terms.lead(signal);
  };
  const reconciler = new Reconciler({
    store: source.store,
    launcher,
    events: source.events,
    clock,
    metrics: metrics.controller,
    logger,
    queueDepth,
    deadLetters,
    deadLetterRetry: {
      maxAttempts: config.deadLetterMaxAttempts,
      maxAgeMs: config.deadLetterMaxAgeSeconds * 1000,
    },
    defaultCluster: config.defaultCluster,
    tracker,
    maxTasksPerRun: config.maxTasksPerRun,
    ...(source.policy === undefined ? {} : { policy: source.policy }),
    // Without leader election this replica is alone; with it, only the elector's lease counts.
    fence: {
      holds: (marginMs, key) =>
        sharding
          ? sharding.holds(marginMs, key)
          : elector
            ? elector.holds(marginMs)
            : source.fence
              ? source.fence.holds(marginMs)
              : !leaderElected,
    },
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
  source.subscribe((key) => terms.enqueue(key));
  // A policy or a namespace's labels changed: the verdicts it may change are looked at again, so a
  // denied resource launches (or an allowed one stops launching) without a restart.
  source.policy?.onChange((change) => {
    for (const key of keysAffectedBy(change, source.keys())) terms.enqueue(key);
  });

  let stopping = false;
  const readiness = (): Readiness => {
    if (stopping) return { ready: false, reason: 'shutting down' };
    if (!source.hasSynced()) return { ready: false, reason: 'cache not synced' };
    if (elector && !elector.isHealthy())
      return { ready: false, reason: 'the leader election Lease is unreachable' };
    if (sharding && !sharding.isHealthy())
      return { ready: false, reason: 'the shard or leader Lease is unreachable' };
    return { ready: true };
  };
  const http: RunningHttpServer = await startHttpServer({
    metricsAddress: config.metricsBindAddress,
    healthAddress: config.healthProbeBindAddress,
    registry: metrics.registry,
    readiness,
    liveness: () => {
      const silence = source.silence?.();
      return liveness({
        oldestReconcileMs: queue?.oldestInFlightAgeMs() ?? 0,
        stuckReconcileMs: config.stuckReconcileSeconds * 1000,
        informerSilentMs: silence?.silentMs,
        informerWatchdogMs: silence?.watchdogMs,
      });
    },
  });

  // Crash-only start-up: a failure here closes the servers so the process can exit with the reason,
  // instead of answering /healthz forever while /readyz says not ready.
  try {
    await startWithin(source, config.cacheSyncTimeoutSeconds);
  } catch (error) {
    source.stop().catch(() => undefined);
    await http.close();
    throw error;
  }
  const overviews = source
    .keys()
    .map((key) => source.store.get(key))
    .filter((r) => r !== undefined)
    .map((r) => overviewOf(r, clock.now()));
  for (const o of overviews) logger.debug('resource known', { ...o });
  logger.info('resources synced', { mode: config.mode, ...summarize(overviews) });

  // Losing a term aborts its passes through `signal`; stop() lets them finish. The lost term's
  // passes are aborted before they follow anything, so the tracker stops spending this account's
  // DescribeTasks budget on tasks another replica now follows.
  const endTerm = async () => {
    tracker.clear();
    await taskEvents?.stop();
    return terms.finish();
  };
  if (config.sharding && kubeConfig && informer) {
    sharding = startSharding({
      kubeConfig,
      ...(config.namespace === undefined ? {} : { namespace: config.namespace }),
      leaseNamespace: config.leaderElectionNamespace,
      leaderElectionId: config.leaderElectionId,
      identity: config.identity,
      leaseDurationSeconds: config.leaseDurationSeconds,
      renewDeadlineSeconds: config.renewDeadlineSeconds,
      retryPeriodSeconds: config.retryPeriodSeconds,
      owned: informer,
      isProcessing: (key) => terms.isProcessing(key),
      onStartedShard: lead,
      onStoppedShard: endTerm,
      clock,
      logger,
      metrics: {
        shardLease: metrics.leader,
        watch: metrics.watch,
        shard: createShardMetrics(metrics.registry),
      },
    });
  } else if (config.leaderElect && kubeConfig) {
    elector = createLeaseElector(kubeConfig, {
      name: config.leaderElectionId,
      namespace: config.leaderElectionNamespace,
      identity: config.identity,
      leaseDurationSeconds: config.leaseDurationSeconds,
      renewDeadlineSeconds: config.renewDeadlineSeconds,
      retryPeriodSeconds: config.retryPeriodSeconds,
      clock,
      logger,
      metrics: metrics.leader,
      onStartedLeading: lead,
      onStoppedLeading: endTerm,
    });
    elector.start();
  } else {
    metrics.leader.setLeader(true);
    // One term that only stop() ends.
    lead(new AbortController().signal);
  }

  return {
    metricsPort: http.metricsPort,
    healthPort: http.healthPort,
    stop: async () => {
      stopping = true;
      logger.info('shutting down: draining in-flight work');
      // The elector keeps renewing while the term drains, then releases the lease.
      if (sharding) await sharding.stop();
      else if (elector) await elector.stop();
      else await terms.finish();
      await terms.settled();
      await taskEvents?.stop();
      taskEventsSqs?.destroy();
      tracker.stop();
      await source.stop();
      // The kept-alive API server connections: closed only once nothing will use them again.
      await kubeConfig?.close();
      await http.close();
      if ('close' in launcher && typeof launcher.close === 'function') launcher.close();
      (queueDepth as SqsQueueDepth).close();
      clients.close();
      sts.close();
      logger.info('stopped');
    },
  };
}
