// A resource whose namespace the Kubernetes gate has not seen yet is not judged: the pass fails
// transiently (retried with backoff, and requeued when the namespace arrives), with no AWS call
// and no verdict written, rather than denied or allowed on the namespace's name label alone.
import { expect } from 'chai';
import { TransientError } from '../../../../src/controller/errors.js';
import { NAMESPACE_NOT_SEEN, PolicyIndex } from '../../../../src/policy/policy-index.js';
import { harness } from './harness.js';

describe('Reconciler: a namespace not in the cache yet', () => {
  it('waits for its labels: no launch and no Stalled verdict until the namespace is seen', async () => {
    const policy = new PolicyIndex({ defaultCluster: 'default', namespacesWatched: true });
    policy.upsertPolicy({
      apiVersion: 'ecs-scheduler.dev/v1alpha1',
      kind: 'EcsSchedulerPolicy',
      metadata: { name: 'data-team' },
      spec: {
        namespaceSelector: { matchLabels: { team: 'data' } },
        clusters: ['*'],
        taskDefinitions: ['*'],
      },
    });
    const h = harness({}, { deps: { policy } });
    let error: unknown;
    try {
      await h.reconcile('2026-03-01T10:00:05Z');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(TransientError);
    expect(error).to.include({ reason: NAMESPACE_NOT_SEEN });
    expect(h.launcher.runRequests).to.deep.equal([]);
    expect(h.status().conditions, 'nothing judged, nothing written').to.equal(undefined);
    expect(h.events.events).to.deep.equal([]);

    policy.setNamespace('data', { team: 'data' });
    await h.reconcile('2026-03-01T10:00:06Z');
    expect(h.launcher.runRequests).to.have.length(1);
  });
});
