// The cluster-mode verbs' view of the API server: read one EcsScheduledTask and merge-patch it,
// with the kubeconfig, context and default namespace that kubectl would use. Client-library errors
// become ClusterError with a message a user can act on.
import { delimiter } from 'node:path';
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { BACKFILL_PLURAL, GROUP, PLURAL, SINGULAR, VERSION } from '../api/constants.js';
import type { EcsTaskBackfillResource } from '../api/backfill-types.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { loadKubeConfig } from '../kube/kube-config.js';

export interface ResourceRef {
  readonly namespace: string;
  readonly name: string;
}

/** A failure to show the user as is; the command exits 1. */
export class ClusterError extends Error {
  override name = 'ClusterError';
}

export interface ScheduledTaskClient {
  get(ref: ResourceRef): Promise<EcsScheduledTaskResource>;
  /** RFC 7386 merge patch: only the fields given change, so concurrent writers keep theirs. */
  mergePatch(ref: ResourceRef, patch: Record<string, unknown>): Promise<EcsScheduledTaskResource>;
  /** Creates an EcsTaskBackfill (metadata.generateName allowed); returns it as stored. */
  createBackfill(backfill: EcsTaskBackfillResource): Promise<EcsTaskBackfillResource>;
}

export interface ClusterConnection {
  readonly client: ScheduledTaskClient;
  /** The namespace of the current context, else `default`, as kubectl picks it. */
  readonly defaultNamespace: string;
}

export interface ConnectOptions {
  /** --kubeconfig, else $KUBECONFIG (a list, merged as kubectl merges it). */
  readonly kubeconfig?: string;
  readonly context?: string;
}

export type Connect = (options: ConnectOptions) => ClusterConnection;

export const connectCluster: Connect = (options) => {
  let kc: KubeConfig;
  try {
    kc = loadMerged(options);
  } catch (error) {
    throw new ClusterError((error as Error).message, { cause: error });
  }
  const context = kc.getContextObject(kc.getCurrentContext());
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  return {
    client: new KubeScheduledTaskClient(kc.makeApiClient(CustomObjectsApi), server),
    defaultNamespace: context?.namespace || 'default',
  };
};

function loadMerged(options: ConnectOptions): KubeConfig {
  const files = (options.kubeconfig ?? '').split(delimiter).filter(Boolean);
  if (files.length <= 1) return loadKubeConfig({ kubeconfigPath: files[0], context: options.context });
  // kubectl's rule for a KUBECONFIG list: the first file to set a value wins.
  const kc = loadKubeConfig({ kubeconfigPath: files[0] });
  for (const file of files.slice(1)) {
    const next = new KubeConfig();
    next.loadFromFile(file);
    kc.mergeConfig(next, true);
  }
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null)
      throw new Error(`kubeconfig has no context "${options.context}"`);
    kc.setCurrentContext(options.context);
  }
  return kc;
}

class KubeScheduledTaskClient implements ScheduledTaskClient {
  constructor(
    private readonly api: CustomObjectsApi,
    private readonly server: string,
  ) {}

  async get(ref: ResourceRef): Promise<EcsScheduledTaskResource> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: ref.namespace,
        name: ref.name,
      })) as EcsScheduledTaskResource;
    } catch (error) {
      throw this.explain(error, 'get', ref);
    }
  }

  async mergePatch(ref: ResourceRef, patch: Record<string, unknown>): Promise<EcsScheduledTaskResource> {
    try {
      return (await this.api.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: PLURAL,
          namespace: ref.namespace,
          name: ref.name,
          body: patch,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as EcsScheduledTaskResource;
    } catch (error) {
      throw this.explain(error, 'patch', ref);
    }
  }

  async createBackfill(backfill: EcsTaskBackfillResource): Promise<EcsTaskBackfillResource> {
    const namespace = backfill.metadata.namespace ?? 'default';
    try {
      return (await this.api.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: BACKFILL_PLURAL,
        namespace,
        body: backfill,
      })) as EcsTaskBackfillResource;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) {
        throw new ClusterError(
          `the API server does not know ${BACKFILL_PLURAL}.${GROUP}; install the CRDs: ecs-scheduler crd | kubectl apply --server-side -f -`,
          { cause: error },
        );
      }
      throw this.explain(error, 'create a backfill in', {
        namespace,
        name: backfill.metadata.name ?? '',
      });
    }
  }

  private explain(error: unknown, verb: string, ref: ResourceRef): ClusterError {
    if (!(error instanceof ApiException)) {
      const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (error as Error).message;
      return new ClusterError(`cannot reach the API server at ${this.server}: ${detail}`, { cause: error });
    }
    const status = statusBody(error.body);
    const message = status.message ?? `HTTP ${error.code}`;
    switch (error.code) {
      case 404:
        // A 404 without the object's name in it means the resource type itself is unknown.
        return new ClusterError(
          status.details?.name === ref.name
            ? `${SINGULAR} "${ref.name}" not found in namespace "${ref.namespace}"`
            : `the API server does not know ${PLURAL}.${GROUP}; install the CRD: ecs-scheduler crd | kubectl apply -f -`,
          { cause: error },
        );
      case 401:
        return new ClusterError(
          `unauthorized at ${this.server}: ${message}; check the kubeconfig's credentials`,
          {
            cause: error,
          },
        );
      case 403:
        return new ClusterError(`forbidden: ${message}`, { cause: error });
      default:
        return new ClusterError(`${verb} ${ref.namespace}/${ref.name}: ${message}`, { cause: error });
    }
  }
}

function statusBody(body: unknown): { message?: string; details?: { name?: string } } {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as { message?: string };
    } catch {
      return { message: body };
    }
  }
  return (body ?? {}) as { message?: string };
}
