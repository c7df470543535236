// The Kubernetes adapters, wired by the app's builders (src/app/).
import { CustomObjectsApi, EventsV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { EcsScheduledTaskResource } from '../api/types.js';
import type { Clock } from '../controller/clock.js';
import type { Logger } from '../log/logger.js';
import type { BackoffPolicy } from '../flow/backoff.js';
import { KubeEventRecorder, type KubeEventRecorderOptions } from './kube-event-recorder.js';
import { KubeResourceStore } from './kube-resource-store.js';
import { KubeLeaseClient } from './lease-client.js';
import { LeaseElector, type LeaseElectorOptions } from './lease-elector.js';
import { KubeListWatchSource } from './list-watch-source.js';
import type { WatchMetrics } from './metrics-port.js';
import { ResourceInformer } from './resource-informer.js';
import { specOrMetadataChanged } from './change-predicate.js';

export { loadKubeConfig, type KubeConfigOptions } from './kube-config.js';
export { PooledKubeConfig, type KubeConnectionOptions } from './pooled-kube-config.js';
export { KubeEventRecorder, type KubeEventRecorderOptions } from './kube-event-recorder.js';
export { KubeResourceStore, type KubeResourceStoreOptions } from './kube-resource-store.js';
export { KubeLeaseClient, type LeaseClient } from './lease-client.js';
export { LeaseElector, type LeaseElectorOptions } from './lease-elector.js';
export { KubeListWatchSource, type ListWatchSource } from './list-watch-source.js';
export type { LeaderMetrics, WatchMetrics } from './metrics-port.js';
export { ResourceInformer, type ResourceInformerOptions } from './resource-informer.js';

export interface KubeAdaptersOptions {
  readonly kubeConfig: KubeConfig;
  /** Watch one namespace; all when undefined. */
  readonly namespace?: string;
  /** This replica's name (pod name): the events' reportingInstance. */
  readonly identity: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly watchMetrics?: WatchMetrics;
  readonly backoff?: BackoffPolicy;
  readonly watchdogMs?: number;
  readonly resyncMs?: number;
  /** Where events wait their turn behind launches (the controller's write lane). */
  readonly writeLane?: KubeEventRecorderOptions['writeLane'];
  /** Cache only these resources (a sharded replica: the ones labelled with its identity). */
  readonly labelSelector?: string;
  /** The store shows only the cached resources this accepts (a sharded replica hides drained ones). */
  readonly visible?: (resource: EcsScheduledTaskResource) => boolean;
  /** Repeats of an identical event are written at most this often. Default 5 min. */
  readonly eventSeriesIntervalMs?: number;
}

export interface KubeAdapters {
  /** Call start(), then waitForSync(); subscribe() feeds the work queue. stop() on shutdown. */
  readonly informer: ResourceInformer;
  readonly store: KubeResourceStore;
  readonly events: KubeEventRecorder;
}

export function createKubeAdapters(options: KubeAdaptersOptions): KubeAdapters {
  const { kubeConfig, logger, clock, visible } = options;
  const informer = new ResourceInformer({
    source: new KubeListWatchSource(kubeConfig, {
      namespace: options.namespace,
      ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
    }),
    clock,
    logger,
    metrics: options.watchMetrics,
    backoff: options.backoff,
    watchdogMs: options.watchdogMs,
    resyncMs: options.resyncMs,
    significant: specOrMetadataChanged,
  });
  const store = new KubeResourceStore({
    api: kubeConfig.makeApiClient(CustomObjectsApi),
    cache:
      visible === undefined
        ? informer
        : {
            get: (key) => {
              const resource = informer.get(key);
              return resource !== undefined && visible(resource) ? resource : undefined;
            },
            applyWrite: (basedOn, written) => informer.applyWrite(basedOn, written),
          },
    logger,
  });
  const events = new KubeEventRecorder({
    api: kubeConfig.makeApiClient(EventsV1Api),
    reportingInstance: options.identity,
    clock,
    logger,
    ...(options.writeLane ? { writeLane: options.writeLane } : {}),
    ...(options.eventSeriesIntervalMs === undefined
      ? {}
      : { seriesIntervalMs: options.eventSeriesIntervalMs }),
  });
  return { informer, store, events };
}

export function createLeaseElector(
  kubeConfig: KubeConfig,
  options: Omit<LeaseElectorOptions, 'client'>,
): LeaseElector {
  return new LeaseElector({ ...options, client: new KubeLeaseClient(kubeConfig) });
}
