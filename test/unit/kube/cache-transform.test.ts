import { expect } from 'chai';
import { RUN_NOW_ANNOTATION } from '../../../src/api/constants.js';
import type { EcsScheduledTaskResource, Status } from '../../../src/api/types.js';
import { trimForCache } from '../../../src/kube/cache-transform.js';
import { specOrMetadataChanged } from '../../../src/kube/change-predicate.js';
import { ResourceCache } from '../../../src/kube/resource-cache.js';
import { isDraining } from '../../../src/shard/drain-acknowledger.js';
import { DRAIN_LABEL, OWNER_LABEL } from '../../../src/shard/shard-labels.js';
import { isOwnedBy } from '../../../src/shard/sharding.js';
import { harness, key } from '../controller/pass/harness.js';
import { scheduledTask } from '../../support/resources.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** An EcsScheduledTask as the API server returns it after `kubectl apply` and a few runs. */
function asServed(
  options: { annotations?: Record<string, string>; status?: Status; labels?: Record<string, string> } = {},
): EcsScheduledTaskResource {
  const base = scheduledTask(
    { schedule: '0 * * * *', task: { taskDefinition: 'report', cluster: 'batch' } },
    {
      status: options.status ?? {
        observedGeneration: 1,
        lastScheduleTime: '2026-03-01T09:00:00Z',
        lastSuccessfulTime: '2026-03-01T09:00:12Z',
        lastResult: 'Succeeded',
        lastRunNow: 'first',
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            observedGeneration: 1,
            lastTransitionTime: '2026-03-01T09:00:12Z',
            reason: 'Succeeded',
            message: 'last run succeeded',
          },
        ],
        runs: [
          {
            scheduledTime: '2026-03-01T09:00:00Z',
            runId: 'ecss/5f0c2a3e-8d4b-4c1a-9e7f-2b6d8a1c3e5f/1772355600',
            result: 'Succeeded',
            launchedAt: '2026-03-01T09:00:00Z',
            finishedAt: '2026-03-01T09:00:12Z',
          } as NonNullable<Status['runs']>[number],
        ],
      },
    },
  );
  return {
    ...base,
    metadata: {
      ...base.metadata,
      resourceVersion: '4711',
      labels: { app: 'reports', [OWNER_LABEL]: 'replica-a', ...options.labels },
      annotations: {
        [LAST_APPLIED]: JSON.stringify({ spec: base.spec, metadata: { name: 'report' } }),
        'argocd.argoproj.io/tracking-id': 'reports:ecs-scheduler.dev/EcsScheduledTask:data/report',
        ...options.annotations,
      },
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'ecs-scheduler.dev/v1alpha1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:schedule': {}, 'f:task': { 'f:taskDefinition': {} } } },
        },
      ],
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u-1' }],
      finalizers: ['example.com/keep'],
      generateName: 'rep-',
    } as EcsScheduledTaskResource['metadata'],
  };
}

/** What one pass at `at` does with `resource` in the store: ECS calls, status written, events. */
async function passOver(resource: EcsScheduledTaskResource, at: string) {
  const h = harness();
  h.store.put(resource);
  await h.reconcile(at);
  return {
    runRequests: h.launcher.runRequests,
    statusWrites: h.store.statusWrites.map((w) => w.status),
    events: h.events.events,
  };
}

describe('trimForCache (the informer cache transform)', () => {
  it('drops managedFields, the last-applied copy and every annotation no reader reads', () => {
    const trimmed = trimForCache(asServed({ annotations: { [RUN_NOW_ANNOTATION]: 'again' } }));
    expect(trimmed.metadata).to.deep.equal({
      name: 'report',
      namespace: 'data',
      uid: '5f0c2a3e-8d4b-4c1a-9e7f-2b6d8a1c3e5f',
      resourceVersion: '4711',
      generation: 1,
      creationTimestamp: '2026-03-01T09:30:00Z',
      labels: { app: 'reports', [OWNER_LABEL]: 'replica-a' },
      annotations: { [RUN_NOW_ANNOTATION]: 'again' },
    });
    expect(JSON.stringify(trimmed)).not.to.include('managedFields').and.not.to.include(LAST_APPLIED);
  });

  it('leaves no empty annotations behind, and keeps spec and status whole', () => {
    const served = asServed();
    const { spec, status } = structuredClone(served);
    const trimmed = trimForCache(served);
    expect(trimmed.metadata).not.to.have.property('annotations');
    expect(trimmed.spec).to.deep.equal(spec);
    expect(trimmed.status).to.deep.equal(status);
  });

  it('is idempotent, and leaves objects without metadata alone', () => {
    const once = trimForCache(asServed({ annotations: { [RUN_NOW_ANNOTATION]: 'x' } }));
    expect(trimForCache(structuredClone(once))).to.deep.equal(once);
    expect(trimForCache({} as { metadata?: Record<string, unknown> })).to.deep.equal({});
  });

  it('is what the cache keeps, from a list, a watch and our own write', () => {
    const cache = new ResourceCache();
    cache.replaceAll([asServed()]);
    expect(cache.get(key)!.metadata).not.to.have.property('managedFields');
    cache.upsert({ ...asServed(), metadata: { ...asServed().metadata, resourceVersion: '4712' } });
    expect(cache.get(key)!.metadata).not.to.have.property('annotations');
    cache.applyWrite('4712', {
      ...asServed(),
      metadata: { ...asServed().metadata, resourceVersion: '4713' },
    });
    expect(cache.get(key)!.metadata).to.include({ resourceVersion: '4713' });
    expect(cache.get(key)!.metadata).not.to.have.property('ownerReferences');
  });

  describe('a trimmed object drives every reader as the full one does', () => {
    const cases: { name: string; at: string; annotations?: Record<string, string>; launches: number }[] = [
      { name: 'a scheduled run that is due', at: '2026-03-01T10:00:05Z', launches: 1 },
      { name: 'nothing due', at: '2026-03-01T09:30:05Z', launches: 0 },
      {
        name: 'a new run-now value',
        at: '2026-03-01T09:30:05Z',
        annotations: { [RUN_NOW_ANNOTATION]: 'second' },
        launches: 1,
      },
      {
        name: 'a run-now value already acted on',
        at: '2026-03-01T09:30:05Z',
        annotations: { [RUN_NOW_ANNOTATION]: 'first' },
        launches: 0,
      },
    ];
    for (const c of cases) {
      it(`the reconciler: ${c.name}`, async () => {
        const full = await passOver(asServed({ annotations: c.annotations }), c.at);
        const trimmed = await passOver(trimForCache(asServed({ annotations: c.annotations })), c.at);
        expect(full.runRequests, JSON.stringify(full.events)).to.have.length(c.launches);
        expect(trimmed).to.deep.equal(full);
      });
    }

    it('sharding: ownership and drains read the same labels', () => {
      const variants: Record<string, string>[] = [
        {},
        { [DRAIN_LABEL]: 'replica-b' },
        { [OWNER_LABEL]: 'replica-b' },
      ];
      for (const labels of variants) {
        const full = asServed({ labels });
        const trimmed = trimForCache(asServed({ labels }));
        expect(isOwnedBy('replica-a', trimmed)).to.equal(isOwnedBy('replica-a', full));
        expect(isDraining(trimmed)).to.equal(isDraining(full));
      }
    });

    it('the watch predicate: run-now and labels still wake a pass, an edit of other annotations does not', () => {
      const before = trimForCache(asServed());
      const runNow = trimForCache(asServed({ annotations: { [RUN_NOW_ANNOTATION]: 'now' } }));
      const relabelled = trimForCache(asServed({ labels: { team: 'b' } }));
      const reapplied = trimForCache(asServed({ annotations: { [LAST_APPLIED]: '{"changed":true}' } }));
      expect(specOrMetadataChanged(before, runNow)).to.equal(true);
      expect(specOrMetadataChanged(before, relabelled)).to.equal(true);
      expect(specOrMetadataChanged(before, reapplied)).to.equal(false);
    });
  });
});
