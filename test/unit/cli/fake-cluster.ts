// An in-memory ScheduledTaskClient for the cluster verbs: objects by namespace/name, RFC 7386
// merge patches applied and recorded.
import type { EcsTaskBackfillResource } from '../../../src/api/backfill-types.js';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import {
  ClusterError,
  type ClusterConnection,
  type Connect,
  type ConnectOptions,
  type ResourceRef,
  type ScheduledTaskClient,
} from '../../../src/cli/cluster-client.js';

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export class FakeCluster implements ScheduledTaskClient {
  readonly objects = new Map<string, EcsScheduledTaskResource>();
  readonly patches: { ref: ResourceRef; patch: Record<string, unknown> }[] = [];
  /** Backfills created, as stored (a generateName gets the suffix `x7k2p`). */
  readonly backfills: EcsTaskBackfillResource[] = [];
  readonly connections: ConnectOptions[] = [];
  forbidden = false;
  /** Called with the stored object on every get, so a test can play the controller. */
  onGet: (stored: EcsScheduledTaskResource, gets: number) => void = () => {};
  gets = 0;

  constructor(readonly defaultNamespace = 'default') {}

  add(resource: EcsScheduledTaskResource): this {
    this.objects.set(`${resource.metadata.namespace}/${resource.metadata.name}`, structuredClone(resource));
    return this;
  }

  async get(ref: ResourceRef): Promise<EcsScheduledTaskResource> {
    if (this.forbidden)
      throw new ClusterError(`forbidden: User "dev" cannot get resource "ecsscheduledtasks"`);
    const found = this.objects.get(`${ref.namespace}/${ref.name}`);
    if (found) this.onGet(found, ++this.gets);
    if (!found)
      throw new ClusterError(`ecsscheduledtask "${ref.name}" not found in namespace "${ref.namespace}"`);
    return structuredClone(found);
  }

  async mergePatch(ref: ResourceRef, patch: Record<string, unknown>): Promise<EcsScheduledTaskResource> {
    const current = await this.get(ref);
    this.patches.push({ ref, patch });
    const next = mergePatch(current, patch) as EcsScheduledTaskResource;
    this.objects.set(`${ref.namespace}/${ref.name}`, next);
    return structuredClone(next);
  }

  async createBackfill(backfill: EcsTaskBackfillResource): Promise<EcsTaskBackfillResource> {
    const { generateName, ...metadata } = backfill.metadata as EcsTaskBackfillResource['metadata'] & {
      generateName?: string;
    };
    const stored = structuredClone({
      ...backfill,
      metadata: { ...metadata, name: metadata.name ?? `${generateName ?? ''}x7k2p`, uid: 'uid-backfill' },
    });
    this.backfills.push(stored);
    return structuredClone(stored);
  }

  readonly connect: Connect = (options): ClusterConnection => {
    this.connections.push(options);
    return { client: this, defaultNamespace: this.defaultNamespace };
  };
}

export function scheduledTask(
  namespace: string,
  name: string,
  extra: Partial<Pick<EcsScheduledTaskResource, 'spec' | 'status'>> = {},
): EcsScheduledTaskResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { namespace, name, uid: `uid-${name}` },
    spec: { schedule: '0 * * * *', task: { taskDefinition: 'report:3', cluster: 'prod' }, ...extra.spec },
    ...(extra.status ? { status: extra.status } : {}),
  };
}
