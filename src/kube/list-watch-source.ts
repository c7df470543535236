// The I/O half of the informer: one list, one watch stream. Kept behind a small port so that the
// informer's recovery logic (backoff, relist, watchdog, resync) is unit-tested with a fake.
import { CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../api/constants.js';
import type { EcsScheduledTaskResource } from '../api/types.js';

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

export interface KubeListWatchSourceOptions {
  /** Watch one namespace; all namespaces when undefined. */
  readonly namespace?: string;
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
}

interface RawList {
  items?: EcsScheduledTaskResource[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export class KubeListWatchSource implements ListWatchSource {
  private readonly api: CustomObjectsApi;
  private readonly watcher: Watch;
  private readonly namespace: string | undefined;
  private readonly pageSize: number;
  private readonly minWatchTimeoutSeconds: number;
  private readonly random: () => number;

  constructor(kubeConfig: KubeConfig, options: KubeListWatchSourceOptions = {}) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.watcher = new Watch(kubeConfig);
    // Watch's inactivity timeout (30 s) is private and shorter than the bookmark interval, so a
    // quiet but healthy stream would be cut every 30 s. There is no public option for it.
    (this.watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs =
      options.inactivityTimeoutMs ?? 120_000;
    this.namespace = options.namespace;
    this.pageSize = options.pageSize ?? 500;
    this.minWatchTimeoutSeconds = options.minWatchTimeoutSeconds ?? 300;
    this.random = options.random ?? Math.random;
  }

  async list(): Promise<ListResult> {
    const items: EcsScheduledTaskResource[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const common = {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        limit: this.pageSize,
        _continue: continueToken,
      };
      const page = (
        this.namespace === undefined
          ? await this.api.listClusterCustomObject(common)
          : await this.api.listNamespacedCustomObject({ ...common, namespace: this.namespace })
      ) as RawList;
      for (const item of page.items ?? []) items.push(item);
      // Every page of one paginated list carries the same resourceVersion: the snapshot's.
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    return { items, resourceVersion };
  }

  async watch(resourceVersion: string, handlers: WatchHandlers): Promise<() => void> {
    const path =
      this.namespace === undefined
        ? `/apis/${GROUP}/${VERSION}/${PLURAL}`
        : `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(this.namespace)}/${PLURAL}`;
    const timeoutSeconds = Math.floor(this.minWatchTimeoutSeconds * (1 + this.random()));
    let done = false;
    const controller = await this.watcher.watch(
      path,
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
