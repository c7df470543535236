import { ApiException } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { EcsScheduledTaskResource, Status } from '../../../src/api/types.js';
import {
  ConflictError,
  TerminalError,
  ThrottledError,
  TransientError,
} from '../../../src/controller/errors.js';
import { KubeResourceStore } from '../../../src/kube/kube-resource-store.js';
import { ResourceCache } from '../../../src/kube/resource-cache.js';

function resource(resourceVersion: string, status?: Status): EcsScheduledTaskResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { namespace: 'ns', name: 'job', uid: 'u-1', resourceVersion },
    spec: { schedule: '* * * * *', task: { taskDefinition: 'td' } },
    ...(status ? { status } : {}),
  } as EcsScheduledTaskResource;
}

type Params = {
  namespace: string;
  name: string;
  body: EcsScheduledTaskResource;
  group: string;
  version: string;
  plural: string;
};

function setup(respond: (params: Params) => Promise<unknown>) {
  const cache = new ResourceCache();
  const calls: Params[] = [];
  const api = {
    replaceNamespacedCustomObjectStatus: (params: Params) => {
      calls.push(params);
      return respond(params);
    },
  };
  const store = new KubeResourceStore({ api: api as never, cache });
  return { cache, calls, store };
}

const apiError = (code: number) =>
  new ApiException(code, `HTTP ${code}`, JSON.stringify({ kind: 'Status', code, message: 'nope' }), {});

describe('KubeResourceStore', () => {
  it('PUTs the status with the resourceVersion and uid it read, and caches the result', async () => {
    const { cache, calls, store } = setup(async (p) => ({
      ...p.body,
      metadata: { ...p.body.metadata, resourceVersion: '8' },
    }));
    cache.upsert(resource('7'));
    const written = await store.writeStatus(store.get('ns/job')!, { observedGeneration: 2 });
    expect(calls).to.have.length(1);
    expect(calls[0]).to.include({
      group: 'ecs-scheduler.dev',
      version: 'v1alpha1',
      plural: 'ecsscheduledtasks',
      namespace: 'ns',
      name: 'job',
    });
    expect(calls[0]!.body.metadata).to.include({ resourceVersion: '7', uid: 'u-1' });
    expect(calls[0]!.body.status).to.deep.equal({ observedGeneration: 2 });
    expect(written.metadata.resourceVersion).to.equal('8');
    expect(store.get('ns/job')?.metadata.resourceVersion).to.equal('8');
    expect(store.get('ns/job')?.status).to.deep.equal({ observedGeneration: 2 });
  });

  it('sends only what identifies the object and the status: the server keeps the rest', async () => {
    const { cache, calls, store } = setup(async (p) => ({
      ...resource('8'),
      status: p.body.status,
    }));
    cache.upsert(resource('7'));
    await store.writeStatus(store.get('ns/job')!, { observedGeneration: 2 });
    expect(calls[0]!.body).to.deep.equal({
      apiVersion: 'ecs-scheduler.dev/v1alpha1',
      kind: 'EcsScheduledTask',
      metadata: { name: 'job', namespace: 'ns', uid: 'u-1', resourceVersion: '7' },
      status: { observedGeneration: 2 },
    });
    expect(store.get('ns/job')?.spec).to.deep.equal(resource('8').spec);
  });

  it('does not mutate the cached object it was given', async () => {
    const { cache, store } = setup(async (p) => ({
      ...p.body,
      metadata: { ...p.body.metadata, resourceVersion: '8' },
    }));
    const original = resource('7', { observedGeneration: 1 });
    cache.upsert(original);
    await store.writeStatus(original, { observedGeneration: 2 });
    expect(original.status).to.deep.equal({ observedGeneration: 1 });
  });

  const errors: {
    name: string;
    error: unknown;
    expected: new (...args: never[]) => Error;
    reason?: string;
  }[] = [
    { name: '409 is a ConflictError', error: apiError(409), expected: ConflictError },
    {
      name: '422 is terminal: the status does not fit the schema',
      error: apiError(422),
      expected: TerminalError,
      reason: 'StatusRejected',
    },
    { name: '429 is throttling', error: apiError(429), expected: ThrottledError },
    { name: '500 is transient', error: apiError(500), expected: TransientError, reason: 'KubeApiError' },
    { name: '403 is transient (RBAC can be fixed)', error: apiError(403), expected: TransientError },
    {
      name: 'a network error is transient',
      error: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      expected: TransientError,
      reason: 'KubeApiUnreachable',
    },
  ];
  for (const c of errors) {
    it(c.name, async () => {
      const { cache, store } = setup(async () => {
        throw c.error;
      });
      cache.upsert(resource('7'));
      const err = await store.writeStatus(resource('7'), {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(c.expected);
      if (c.reason) expect((err as TransientError).reason).to.equal(c.reason);
      expect(store.get('ns/job')?.metadata.resourceVersion).to.equal('7');
    });
  }

  it('404 (deleted meanwhile) returns quietly and leaves the cache to the watch', async () => {
    const { cache, store } = setup(async () => {
      throw apiError(404);
    });
    cache.upsert(resource('7'));
    const result = await store.writeStatus(resource('7'), { observedGeneration: 3 });
    expect(result.status).to.deep.equal({ observedGeneration: 3 });
    expect(store.get('ns/job')?.metadata.resourceVersion).to.equal('7');
  });
});
