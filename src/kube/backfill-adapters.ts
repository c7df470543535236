// The EcsTaskBackfills, through the same list-watch (with its recovery) and status store as the
// EcsScheduledTasks: a cache the backfill controller reads, and writes to their /status.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { BACKFILL_KIND, BACKFILL_PLURAL } from '../api/constants.js';
import type { BackfillStatus, EcsTaskBackfillResource } from '../api/backfill-types.js';
import type { EcsScheduledTaskResource, Status } from '../api/types.js';
import type { Clock } from '../controller/clock.js';
import type { Logger } from '../log/logger.js';
import { KubeResourceStore } from './kube-resource-store.js';
import { customObjectsSource } from './list-watch-source.js';
import { ResourceInformer } from './resource-informer.js';
import { specOrMetadataChanged } from './change-predicate.js';

export interface BackfillAdapters {
  readonly informer: ResourceInformer;
  get(key: string): EcsTaskBackfillResource | undefined;
  writeStatus(backfill: EcsTaskBackfillResource, status: BackfillStatus): Promise<unknown>;
}

export function createBackfillAdapters(options: {
  readonly kubeConfig: KubeConfig;
  /** Watch one namespace; all when undefined. */
  readonly namespace?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}): BackfillAdapters {
  const { kubeConfig, namespace } = options;
  const source = customObjectsSource(kubeConfig, BACKFILL_PLURAL, namespace);
  const informer = new ResourceInformer({
    source,
    clock: options.clock,
    // No watch metrics: those series are the EcsScheduledTask watch's, and have no kind label.
    logger: options.logger?.child({ watch: BACKFILL_PLURAL }),
    // Our own status writes come back as watch events: only a spec or metadata change is news.
    significant: specOrMetadataChanged,
  });
  const store = new KubeResourceStore({
    api: kubeConfig.makeApiClient(CustomObjectsApi),
    cache: informer,
    logger: options.logger,
    kind: { kind: BACKFILL_KIND, plural: BACKFILL_PLURAL },
  });
  return {
    informer,
    get: (key) => informer.get(key) as unknown as EcsTaskBackfillResource | undefined,
    writeStatus: (backfill, status) =>
      store.writeStatus(backfill as unknown as EcsScheduledTaskResource, status as unknown as Status),
  };
}
