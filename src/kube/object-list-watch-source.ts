// A ListWatchSource for any list endpoint (namespaces, cluster-scoped policies), so that the
// informer's recovery (backoff, relist on 410, watchdog, resync) is reused for them as it is for
// EcsScheduledTasks. Watch settings match KubeListWatchSource's; see there for why.
import { CoreV1Api, CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, POLICY_PLURAL, VERSION } from '../api/constants.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { httpStatusOf } from './api-errors.js';
import type { ListResult, ListWatchSource, WatchHandlers } from './list-watch-source.js';

interface RawList {
  items?: unknown[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export interface ObjectListWatchSourceOptions {
  /** The collection's path, for the watch: /api/v1/namespaces, /apis/<group>/<version>/<plural>. */
  readonly path: string;
  /** One page of the list. */
  readonly listPage: (page: { limit: number; _continue?: string }) => Promise<RawList>;
  readonly pageSize?: number;
  readonly inactivityTimeoutMs?: number;
  readonly minWatchTimeoutSeconds?: number;
  readonly random?: () => number;
}

export class ObjectListWatchSource implements ListWatchSource {
  private readonly watcher: Watch;
  private readonly options: ObjectListWatchSourceOptions;
  private readonly random: () => number;

  constructor(kubeConfig: KubeConfig, options: ObjectListWatchSourceOptions) {
    this.watcher = new Watch(kubeConfig);
    (this.watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs =
      options.inactivityTimeoutMs ?? 120_000;
    this.options = options;
    this.random = options.random ?? Math.random;
  }

  async list(): Promise<ListResult> {
    const items: unknown[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.options.listPage({
        limit: this.options.pageSize ?? 500,
        _continue: continueToken,
      });
      for (const item of page.items ?? []) items.push(item);
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    // The informer only reads metadata (name, namespace, resourceVersion), which every object has.
    return { items: items as EcsScheduledTaskResource[], resourceVersion };
  }

  async watch(resourceVersion: string, handlers: WatchHandlers): Promise<() => void> {
    const timeoutSeconds = Math.floor((this.options.minWatchTimeoutSeconds ?? 300) * (1 + this.random()));
    let done = false;
    const controller = await this.watcher.watch(
      this.options.path,
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      (type: string, object: unknown) => {
        if (!done) handlers.onEvent(type, object);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        handlers.onDone(err ?? undefined);
      },
    );
    return () => {
      done = true;
      controller.abort();
    };
  }
}

/** Every Namespace, for their labels (what a policy's namespaceSelector reads). */
export function namespacesSource(kubeConfig: KubeConfig): ObjectListWatchSource {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return new ObjectListWatchSource(kubeConfig, {
    path: '/api/v1/namespaces',
    listPage: (page) => core.listNamespace(page) as Promise<RawList>,
  });
}

/** Every EcsSchedulerPolicy (cluster-scoped). */
export function policiesSource(kubeConfig: KubeConfig): ObjectListWatchSource {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  return new ObjectListWatchSource(kubeConfig, {
    path: `/apis/${GROUP}/${VERSION}/${POLICY_PLURAL}`,
    listPage: async (page) => {
      try {
        return (await api.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: POLICY_PLURAL,
          ...page,
        })) as RawList;
      } catch (err) {
        // The usual cause: a controller upgraded without its CRDs. Say so in every retry's log line.
        if (httpStatusOf(err) === 404)
          throw new Error(
            `the ${POLICY_PLURAL}.${GROUP} CRD is not installed: apply crds/ecsschedulerpolicies.yaml ` +
              '(or run with --policy off on a single-tenant cluster)',
            { cause: err },
          );
        throw err;
      }
    },
  });
}
