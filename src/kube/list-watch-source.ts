// The I/O half of the informer: one list, one watch stream. Kept behind a small port so that the
// informer's recovery logic (backoff, relist, watchdog, resync) is unit-tested with a fake.
import { CustomObjectsApi, setHeaderOptions, Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../api/constants.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { httpStatusOf } from './api-errors.js';

export interface ListResult {
  readonly items: EcsScheduledTaskResource[];
  /** The list's resourceVersion: where the following watch starts. */
  readonly resourceVersion: string;
}

export interface WatchHandlers {
  /** One event: ADDED | MODIFIED | DELETED | BOOKMARK | ERROR, with the raw object. */
  onEvent(type: string, object: unknown): void;
  /** The stream ended: `err` undefined for a clean close. Called at most once per watch. */
  onDone(err: unknown): void;
}

export interface ListWatchSource {
  list(): Promise<ListResult>;
  /**
   * Opens a watch from `resourceVersion` with bookmarks. Resolves with a function that closes
   * the stream; a failure to open is reported through `onDone` or by rejecting.
   */
  watch(resourceVersion: string, handlers: WatchHandlers): Promise<() => void>;
}

export interface ListWatchOptions {
  /** Items per list page. Default 500, as client-go's reflector. */
  readonly pageSize?: number;
  /**
   * The stream is closed by the client when no byte arrived for this long. Bookmarks arrive
   * about once a minute, so the default of 2 min only fires on a dead connection. Default 120 s.
   */
  readonly inactivityTimeoutMs?: number;
  /**
   * The server ends each watch after a random 5-10 min (client-go's reflector does the same),
   * which keeps connections from pinning one API server replica forever.
   */
  readonly minWatchTimeoutSeconds?: number;
  readonly random?: () => number;
  /** Only objects with these labels (a sharded replica watches only what it owns). */
  readonly labelSelector?: string;
}

export interface RawList {
  items?: unknown[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export interface ObjectListWatchSourceOptions extends ListWatchOptions {
  /** The collection's path, for the watch: /api/v1/namespaces, /apis/<group>/<version>/<plural>. */
  readonly path: string;
  /**
   * The Accept header of the watch, when not plain JSON (a metadata-only watch asks for
   * PartialObjectMetadata). The list asks for its own in `listPage`.
   */
  readonly watchAccept?: string;
  /** One page of the list. */
  readonly listPage: (page: {
    limit: number;
    _continue?: string;
    labelSelector?: string;
  }) => Promise<RawList>;
}

/**
 * A ListWatchSource for any list endpoint: EcsScheduledTasks, and the namespaces and policies the
 * policy gate follows, so the informer's recovery (backoff, relist on 410, watchdog, resync) is
 * the same for all of them.
 */
export class ObjectListWatchSource implements ListWatchSource {
  private readonly watcher: Watch;
  private readonly options: ObjectListWatchSourceOptions;
  private readonly random: () => number;

  constructor(kubeConfig: KubeConfig, options: ObjectListWatchSourceOptions) {
    this.watcher = new Watch(withAccept(kubeConfig, options.watchAccept));
    // Watch's inactivity timeout (30 s) is private and shorter than the bookmark interval, so a
    // quiet but healthy stream would be cut every 30 s. There is no public option for it.
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
        ...(this.options.labelSelector === undefined ? {} : { labelSelector: this.options.labelSelector }),
      });
      for (const item of page.items ?? []) items.push(item);
      // Every page of one paginated list carries the same resourceVersion: the snapshot's.
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    // Typed as EcsScheduledTasks; informers of other kinds read only the metadata every object has.
    return { items: items as EcsScheduledTaskResource[], resourceVersion };
  }

  async watch(resourceVersion: string, handlers: WatchHandlers): Promise<() => void> {
    const timeoutSeconds = Math.floor((this.options.minWatchTimeoutSeconds ?? 300) * (1 + this.random()));
    let done = false;
    const controller = await this.watcher.watch(
      this.options.path,
      {
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
        labelSelector: this.options.labelSelector,
      },
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

/**
 * Watch only sets its headers through the config's authentication hook, so a different Accept is
 * added there, on a view of the config that shares everything else (connections included).
 */
function withAccept(kubeConfig: KubeConfig, accept: string | undefined): KubeConfig {
  if (accept === undefined) return kubeConfig;
  const view = Object.create(kubeConfig) as KubeConfig;
  view.applySecurityAuthentication = async (context) => {
    await kubeConfig.applySecurityAuthentication(context);
    context.setHeaderParam('Accept', accept);
  };
  return view;
}

/** The API server's server-side projection to metadata only (what `kubectl get -o name` uses). */
const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
const PARTIAL_METADATA_LIST =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

export interface KubeListWatchSourceOptions extends ListWatchOptions {
  /** Watch one namespace; all namespaces when undefined. */
  readonly namespace?: string;
  /**
   * List and watch only the objects' metadata (PartialObjectMetadata): the sharder needs labels
   * and uids, not specs and run histories, so it caches a fraction of each object.
   */
  readonly metadataOnly?: boolean;
}

/** The EcsScheduledTasks of one namespace, or of all. */
export class KubeListWatchSource extends ObjectListWatchSource {
  constructor(kubeConfig: KubeConfig, options: KubeListWatchSourceOptions = {}) {
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    const { namespace, metadataOnly, ...rest } = options;
    const collection = { group: GROUP, version: VERSION, plural: PLURAL };
    const listOptions = metadataOnly ? setHeaderOptions('Accept', PARTIAL_METADATA_LIST) : undefined;
    super(kubeConfig, {
      ...rest,
      ...(metadataOnly ? { watchAccept: PARTIAL_METADATA } : {}),
      path:
        namespace === undefined
          ? `/apis/${GROUP}/${VERSION}/${PLURAL}`
          : `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}`,
      listPage: async (page) =>
        (namespace === undefined
          ? await api.listClusterCustomObject({ ...collection, ...page }, listOptions)
          : await api.listNamespacedCustomObject(
              { ...collection, ...page, namespace },
              listOptions,
            )) as RawList,
    });
  }
}

/**
 * One of our namespaced kinds other than EcsScheduledTask, in one namespace or in all. A 404 on
 * the list names the CRD to apply: the usual cause is a controller upgraded without its CRDs, and
 * every retry's log line then says so.
 */
export function customObjectsSource(
  kubeConfig: KubeConfig,
  plural: string,
  namespace?: string,
): ObjectListWatchSource {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const collection = { group: GROUP, version: VERSION, plural };
  return new ObjectListWatchSource(kubeConfig, {
    path:
      namespace === undefined
        ? `/apis/${GROUP}/${VERSION}/${plural}`
        : `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${plural}`,
    listPage: async (page) => {
      try {
        return (
          namespace === undefined
            ? await api.listClusterCustomObject({ ...collection, ...page })
            : await api.listNamespacedCustomObject({ ...collection, ...page, namespace })
        ) as RawList;
      } catch (err) {
        if (httpStatusOf(err) === 404)
          throw new Error(`the ${plural}.${GROUP} CRD is not installed: apply crds/${plural}.yaml`, {
            cause: err,
          });
        throw err;
      }
    },
  });
}
