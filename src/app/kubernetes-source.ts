// Kubernetes mode: the kube clients, the resource informer, the calendars' informer and, when
// enforced, the policy gate (EcsSchedulerPolicy and the namespaces' labels).
import type { Clock } from '../controller/clock.js';
import type { Config } from '../config.js';
import type { WriteLane } from '../flow/write-lane.js';
import {
  createKubeAdapters,
  loadKubeConfig,
  type PooledKubeConfig,
  type WatchMetrics,
} from '../kube/index.js';
import { KubeCalendars } from '../kube/calendar-informer.js';
import { KubePolicyGate } from '../kube/policy-gate.js';
import type { ResourceInformer } from '../kube/resource-informer.js';
import type { Logger } from '../log/logger.js';
import { isOwnedBy, ownerSelector } from '../shard/sharding.js';
import type { ResourceSource } from './resource-source.js';

export interface KubernetesSource {
  readonly source: ResourceSource;
  /** Also for the lease; closed only once nothing will use its kept-alive connections again. */
  readonly kubeConfig: PooledKubeConfig;
  /** The resource cache; with --sharding, of this replica's own resources only. */
  readonly informer: ResourceInformer;
}

export function kubernetesSource(
  config: Config,
  logger: Logger,
  clock: Clock,
  watchMetrics: WatchMetrics,
  writeLane: WriteLane,
): KubernetesSource {
  const kubeConfig = loadKubeConfig({ kubeconfigPath: config.kubeconfig, context: config.context });
  const { informer, store, events } = createKubeAdapters({
    kubeConfig,
    namespace: config.namespace,
    identity: config.identity,
    clock,
    logger,
    watchMetrics,
    writeLane,
    eventSeriesIntervalMs: config.eventSeriesIntervalSeconds * 1000,
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
  const calendars = new KubeCalendars(kubeConfig, { namespace: config.namespace, clock, logger });
  const source: ResourceSource = {
    store,
    events,
    ...(policies === undefined ? {} : { policy: policies.gate }),
    calendars,
    subscribe: (listener) => void informer.subscribe(listener),
    keys: () => informer.keys(),
    hasSynced: () => informer.hasSynced() && calendars.hasSynced(),
    silence: () => ({ silentMs: informer.silentForMs(), watchdogMs: informer.watchdogPeriodMs }),
    start: async () => {
      informer.start();
      policies?.start();
      calendars.start();
      // Judging resources before the policies (or calendars) are in would deny (or stall) them
      // all, once, for nothing.
      await Promise.all([informer.waitForSync(), policies?.waitForSync(), calendars.waitForSync()]);
    },
    stop: async () => {
      informer.stop();
      policies?.stop();
      calendars.stop();
      // Best effort and bounded: the series counts not yet written, then the writes in flight.
      await events.drain();
    },
    // Lost, not handed back at shutdown: the next leader reports the events from here on.
    leadershipLost: () => events.forget(),
  };
  return { source, kubeConfig, informer };
}
