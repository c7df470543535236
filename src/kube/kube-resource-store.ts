// ResourceStore on the Kubernetes API: reads come from the informer's cache, status writes go to
// the /status subresource with optimistic concurrency.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../api/constants.js';
import type { EcsScheduledTaskResource, Status } from '../api/types.js';
import { ConflictError, TerminalError, ThrottledError, TransientError } from '../controller/errors.js';
import { keyOf, type ResourceKey, type ResourceStore } from '../controller/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { describeError, httpStatusOf } from './api-errors.js';

/** The slice of the informer the store needs. */
export interface ResourceCacheView {
  get(key: ResourceKey): EcsScheduledTaskResource | undefined;
  applyWrite(basedOnResourceVersion: string | undefined, written: EcsScheduledTaskResource): boolean;
}

export interface KubeResourceStoreOptions {
  readonly api: Pick<CustomObjectsApi, 'replaceNamespacedCustomObjectStatus'>;
  readonly cache: ResourceCacheView;
  readonly logger?: Logger;
  /** Another kind of ours with a status subresource (EcsTaskBackfill); default EcsScheduledTask. */
  readonly kind?: { readonly kind: string; readonly plural: string };
}

export class KubeResourceStore implements ResourceStore {
  private readonly api: KubeResourceStoreOptions['api'];
  private readonly cache: ResourceCacheView;
  private readonly log: Logger;
  private readonly kind: { readonly kind: string; readonly plural: string };

  constructor(options: KubeResourceStoreOptions) {
    this.kind = options.kind ?? { kind: KIND, plural: PLURAL };
    this.api = options.api;
    this.cache = options.cache;
    this.log = (options.logger ?? silentLogger).child({ component: 'resource-store' });
  }

  get(key: ResourceKey): EcsScheduledTaskResource | undefined {
    return this.cache.get(key);
  }

  /**
   * PUTs the status subresource with `resource.metadata.resourceVersion` (and uid) as the
   * precondition. The server keeps everything but `status` from its own copy, so the body carries
   * only what identifies the object and the status: no copy or serialisation of the spec, labels
   * and annotations per write.
   *
   * - 409 (newer version, or deleted and recreated under the same name): ConflictError.
   * - 404 (the resource was deleted meanwhile): returns quietly with the unwritten object. There is
   *   nothing left to record; the watch's DELETED event makes the next reconcile forget the key.
   * - 400/422 (the status does not fit the CRD schema): TerminalError `StatusRejected`, as
   *   retrying the same write cannot help.
   * - 429: ThrottledError. 5xx, auth and network errors: TransientError.
   *
   * On success the cache gets the returned object, so the next reconcile sees its own write.
   */
  async writeStatus(resource: EcsScheduledTaskResource, status: Status): Promise<EcsScheduledTaskResource> {
    const namespace = resource.metadata.namespace ?? 'default';
    const name = resource.metadata.name ?? '';
    const basedOn = resource.metadata.resourceVersion;
    const { uid } = resource.metadata;
    const body = {
      apiVersion: API_VERSION,
      kind: this.kind.kind,
      metadata: { name, namespace, ...(uid === undefined ? {} : { uid }), resourceVersion: basedOn },
      status,
    };
    let written: EcsScheduledTaskResource;
    try {
      written = (await this.api.replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: this.kind.plural,
        name,
        body,
      })) as EcsScheduledTaskResource;
    } catch (err) {
      if (httpStatusOf(err) === 404) {
        this.log.debug('resource gone before its status was written', { resource: keyOf(resource) });
        return { ...resource, status };
      }
      throw mapError(err, keyOf(resource));
    }
    this.cache.applyWrite(basedOn, written);
    return written;
  }
}

function mapError(err: unknown, key: ResourceKey): Error {
  const code = httpStatusOf(err);
  const message = `writing status of ${key}: ${describeError(err)}`;
  switch (code) {
    case 409:
      return new ConflictError(message);
    case 400:
    case 422:
      return new TerminalError(message, 'StatusRejected');
    case 429:
      return new ThrottledError(message, { cause: err });
    default:
      return new TransientError(message, code === undefined ? 'KubeApiUnreachable' : 'KubeApiError', {
        cause: err,
      });
  }
}
