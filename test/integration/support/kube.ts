import { randomBytes } from 'node:crypto';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../../src/api/constants.js';
import type { TestEnv } from './env.js';
import { loadTestEnv } from './env.js';

/** Coordinates of EcsScheduledTask for CustomObjectsApi calls. */
export const EST = { group: GROUP, version: VERSION, plural: PLURAL } as const;

export function kubeConfig(env: TestEnv = loadTestEnv()): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigPath);
  return kc;
}

export function customObjects(kc: KubeConfig = kubeConfig()): CustomObjectsApi {
  return kc.makeApiClient(CustomObjectsApi);
}

export function coreV1(kc: KubeConfig = kubeConfig()): CoreV1Api {
  return kc.makeApiClient(CoreV1Api);
}

/** The HTTP status of a client-node error, or undefined for anything else. */
export function httpStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The Status message the API server sent with a client-node error. */
export function apiMessage(err: unknown): string {
  if (!(err instanceof ApiException)) return String(err);
  const body: unknown = err.body;
  if (typeof body === 'string') {
    try {
      return String((JSON.parse(body) as { message?: unknown }).message ?? body);
    } catch {
      return body;
    }
  }
  return String((body as { message?: unknown } | undefined)?.message ?? err.message);
}

export interface TestNamespace {
  /** The namespace's name; valid inside the tests and hooks of the suite that declared it. */
  readonly name: string;
}

/**
 * Deletes every EcsScheduledTask in `namespace`, finalizers and all. The environment has no
 * kube-controller-manager, so a deleted namespace stays Terminating with its objects in it for
 * good; without this, a controller watching all namespaces in a later test would still see them.
 */
export async function deleteAllTasks(
  namespace: string,
  api: CustomObjectsApi = customObjects(),
): Promise<void> {
  const list = (await api.listNamespacedCustomObject({ ...EST, namespace })) as {
    items: { metadata: { name: string; finalizers?: string[] } }[];
  };
  for (const item of list.items) {
    if (!item.metadata.finalizers?.length) continue;
    await api.patchNamespacedCustomObject(
      { ...EST, namespace, name: item.metadata.name, body: { metadata: { finalizers: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
  await api.deleteCollectionNamespacedCustomObject({ ...EST, namespace });
}

/**
 * Declares a namespace of its own for the enclosing mocha suite: created in `before`; in
 * `after`, its EcsScheduledTasks are deleted and then the namespace (which stays Terminating: there
 * is no namespace controller). Names are unique per run, so reruns against a
 * warm environment never collide.
 */
export function useTestNamespace(prefix: string): TestNamespace {
  let name: string | undefined;
  const core = coreV1();
  before(async () => {
    const candidate = `it-${prefix}-${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 63);
    await core.createNamespace({
      body: { metadata: { name: candidate, labels: { 'ecs-scheduler.dev/test': 'true' } } },
    });
    name = candidate;
  });
  after(async () => {
    if (!name) return;
    await deleteAllTasks(name);
    try {
      await core.deleteNamespace({ name, propagationPolicy: 'Background' });
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
    }
  });
  return {
    get name(): string {
      if (!name) throw new Error('the test namespace exists only inside tests and hooks');
      return name;
    },
  };
}
