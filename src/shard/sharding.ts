// The builder of `run --sharding`: everything a replica runs for sharding, started and stopped in
// one place. Each replica holds its shard's Lease and works on the resources labelled with its
// identity while it does (its informer selects only those); the replica that wins the ordinary
// leader election also runs the sharder, which assigns resources to the live shards.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { EcsScheduledTaskResource } from '../api/types.js';
import type { Clock } from '../controller/clock.js';
import type { LeaderMetrics, WatchMetrics } from '../kube/metrics-port.js';
import { KubeLabelPatchClient } from '../kube/label-patch-client.js';
import { KubeLeaseClient, storedLeaseOf } from '../kube/lease-client.js';
import { LeaseElector } from '../kube/lease-elector.js';
import { KubeListWatchSource, ObjectListWatchSource, type RawList } from '../kube/list-watch-source.js';
import { ResourceInformer } from '../kube/resource-informer.js';
import type { Logger } from '../log/logger.js';
import { DrainAcknowledger, isDraining } from './drain-acknowledger.js';
import { OWNER_LABEL, RING_LABEL, shardLeaseName } from './shard-labels.js';
import type { ShardMetrics } from './shard-metrics-port.js';
import { Sharder, type LeaseObject, type MetadataObject, type WatchedCache } from './sharder.js';

export { ownerSelector } from './shard-labels.js';

export interface ShardingOptions {
  readonly kubeConfig: KubeConfig;
  /** Watched namespace of the resources; all when undefined. */
  readonly namespace?: string;
  /** Where the Leases live (--leader-election-namespace). */
  readonly leaseNamespace: string;
  /** The leader Lease's name (--leader-election-id), also the ring's name. */
  readonly leaderElectionId: string;
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
  /** This replica's resources: the informer selected by ownerSelector(identity). */
  readonly owned: WatchedCache<EcsScheduledTaskResource> & { refresh(reason: string): Promise<void> };
  /** Whether a pass over the key has not settled (ControllerTerms.isProcessing). */
  readonly isProcessing: (key: string) => boolean;
  /** A shard term begins: work on the owned resources until `signal` aborts. */
  readonly onStartedShard: (signal: AbortSignal) => void;
  /** A shard term ends (lost, or stop()): the returned promise lets in-flight passes finish. */
  readonly onStoppedShard: () => Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: {
    /** The leader Lease (the sharder's): leader_election_master_status of --leader-election-id. */
    readonly leader?: LeaderMetrics;
    /** The shard Lease: a term of this replica's own resources. */
    readonly shardLease: LeaderMetrics;
    readonly watch: WatchMetrics;
    readonly shard: ShardMetrics;
  };
}

export interface RunningSharding {
  /**
   * The launch fence: this replica's shard Lease is ours for `marginMs` more and, with `key`, the
   * resource is labelled ours and not draining.
   */
  holds(marginMs: number, key?: string): boolean;
  /** For /readyz: both Leases reachable. */
  isHealthy(): boolean;
  /** Stops acting (the term drains), releases the shard Lease, and hands the sharder over. */
  stop(): Promise<void>;
}

/** What a sharded replica shows the controller: a resource being drained is as good as gone. */
export function isOwnedBy(identity: string, resource: EcsScheduledTaskResource | undefined): boolean {
  return resource?.metadata.labels?.[OWNER_LABEL] === identity && !isDraining(resource);
}

function labelsOrUidChanged(
  before: EcsScheduledTaskResource | undefined,
  after: EcsScheduledTaskResource,
): boolean {
  return (
    before === undefined ||
    before.metadata.uid !== after.metadata.uid ||
    !isDeepStrictEqual(before.metadata.labels ?? {}, after.metadata.labels ?? {})
  );
}

/** How long the leader Lease must stay ours for the sharder to send a write. */
const SHARDER_WRITE_MARGIN_MS = 2_000;

function holderChanged(before: V1Lease | undefined, after: V1Lease): boolean {
  return before === undefined || before.spec?.holderIdentity !== after.spec?.holderIdentity;
}

export function startSharding(o: ShardingOptions): RunningSharding {
  const { kubeConfig, clock, logger } = o;
  const ring = { [RING_LABEL]: o.leaderElectionId };
  const ringLeases = new KubeLeaseClient(kubeConfig, { labels: ring });
  const labels = new KubeLabelPatchClient(kubeConfig);
  const timings = {
    leaseDurationSeconds: o.leaseDurationSeconds,
    renewDeadlineSeconds: o.renewDeadlineSeconds,
    retryPeriodSeconds: o.retryPeriodSeconds,
  };

  let shardTerms = 0;
  const shardLease = new LeaseElector({
    client: ringLeases,
    name: shardLeaseName(o.identity),
    namespace: o.leaseNamespace,
    identity: o.identity,
    ...timings,
    clock,
    logger: logger.child({ shard: o.identity }),
    metrics: o.metrics.shardLease,
    onStartedLeading: (signal) => {
      // A later term follows a lost one, maybe a pause past the Lease: while paused, our resources
      // may have moved, and the watch may not have said so yet. The term starts on a fresh list.
      if (shardTerms++ === 0) return o.onStartedShard(signal);
      void o.owned.refresh('new shard term').then(() => {
        if (!signal.aborted) o.onStartedShard(signal);
      });
    },
    onStoppedLeading: o.onStoppedShard,
  });

  const coordination = kubeConfig.makeApiClient(CoordinationV1Api);
  const sharder: Sharder = new Sharder({
    newResourceCache: () =>
      new ResourceInformer({
        source: new KubeListWatchSource(kubeConfig, {
          ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
          metadataOnly: true,
        }),
        clock,
        logger: logger.child({ informer: 'sharder-resources' }),
        metrics: o.metrics.watch,
        significant: labelsOrUidChanged,
      }),
    newLeaseCache: () =>
      new ResourceInformer({
        source: new ObjectListWatchSource(kubeConfig, {
          path: `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(o.leaseNamespace)}/leases`,
          labelSelector: `${RING_LABEL}=${o.leaderElectionId}`,
          listPage: async (page) =>
            (await coordination.listNamespacedLease({ namespace: o.leaseNamespace, ...page })) as RawList,
        }),
        clock,
        logger: logger.child({ informer: 'shard-leases' }),
        metrics: o.metrics.watch,
        // A renewal changes nothing in the ring; a Lease that stops renewing sends no event at
        // all, which the sharder's own timer covers. Only a new holder is worth a pass at once.
        significant: holderChanged as never,
      }) as unknown as WatchedCache<LeaseObject>,
    leaseOf: (object: LeaseObject) => {
      const name = object.metadata?.name;
      if (name === undefined) return undefined;
      const stored = storedLeaseOf(object as V1Lease);
      return { name, record: stored.record, resourceVersion: stored.resourceVersion };
    },
    leaseClient: ringLeases,
    leaseRemover: ringLeases,
    labels,
    // The same margin as a launch's: a write takes about as long.
    mayAct: (): boolean => leader.holds(SHARDER_WRITE_MARGIN_MS),
    namespace: o.leaseNamespace,
    identity: o.identity,
    leaseDurationSeconds: o.leaseDurationSeconds,
    retryPeriodSeconds: o.retryPeriodSeconds,
    clock,
    logger,
    metrics: o.metrics.shard,
  });
  const leader: LeaseElector = new LeaseElector({
    client: new KubeLeaseClient(kubeConfig),
    name: o.leaderElectionId,
    namespace: o.leaseNamespace,
    identity: o.identity,
    ...timings,
    clock,
    logger,
    ...(o.metrics.leader === undefined ? {} : { metrics: o.metrics.leader }),
    onStartedLeading: (signal) => void sharder.lead(signal),
    onStoppedLeading: () => sharder.stop(),
  });

  const drains = new DrainAcknowledger({
    cache: o.owned as unknown as WatchedCache<MetadataObject>,
    isProcessing: o.isProcessing,
    labels,
    identity: o.identity,
    clock,
    logger,
    metrics: o.metrics.shard,
  });
  const countOwned = () => o.metrics.shard.setOwned(o.owned.keys().length);
  const unsubscribe = o.owned.subscribe(countOwned);
  countOwned();

  drains.start();
  sharder.watchRing();
  shardLease.start();
  leader.start();
  logger.info('sharding: working on the resources labelled with this replica', {
    identity: o.identity,
    label: `${OWNER_LABEL}=${o.identity}`,
    shardLease: `${o.leaseNamespace}/${shardLeaseName(o.identity)}`,
  });

  return {
    holds: (marginMs, key) =>
      shardLease.holds(marginMs) && (key === undefined || isOwnedBy(o.identity, o.owned.get(key))),
    isHealthy: () => shardLease.isHealthy() && leader.isHealthy(),
    stop: async () => {
      // The shard's term drains while its Lease is renewed, then the Lease is released: the
      // sharder sees the shard gone at its next look and relabels at once.
      await Promise.all([shardLease.stop(), leader.stop()]);
      sharder.stopWatchingRing();
      drains.stop();
      unsubscribe();
    },
  };
}
