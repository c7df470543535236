// The PolicyIndex (the gate both modes share) and the Kubernetes gate that feeds it from two
// informers, driven by in-memory list/watch sources.
import { expect } from 'chai';
import type { EcsSchedulerPolicyResource, PolicySpec } from '../../../src/api/policy-types.js';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { TransientError } from '../../../src/controller/errors.js';
import { keysAffectedBy, type PolicyChange } from '../../../src/controller/ports.js';
import type { ListResult, ListWatchSource, WatchHandlers } from '../../../src/kube/list-watch-source.js';
import { KubePolicyGate } from '../../../src/kube/policy-gate.js';
import { createLogger } from '../../../src/log/logger.js';
import { NAMESPACE_NOT_SEEN, PolicyIndex } from '../../../src/policy/policy-index.js';
import { FakeClock, flush } from '../kube/fake-clock.js';

function policy(name: string, spec: Partial<PolicySpec>, resourceVersion = '1'): EcsSchedulerPolicyResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsSchedulerPolicy',
    metadata: { name, resourceVersion },
    spec: { namespaceSelector: { matchLabels: { team: 'a' } }, ...spec },
  };
}

function namespace(name: string, labels: Record<string, string>, resourceVersion = '1') {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, resourceVersion } };
}

const task = (cluster: string, ns = 'team-a'): EcsScheduledTaskResource => ({
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduledTask',
  metadata: { name: 'nightly', namespace: ns },
  spec: { schedule: '0 2 * * *', task: { cluster, taskDefinition: 'report' } },
});

const allowsA: Partial<PolicySpec> = { clusters: ['a'], taskDefinitions: ['report'] };
const NAME_LABEL = 'kubernetes.io/metadata.name';

describe('PolicyIndex', () => {
  let index: PolicyIndex;
  let notified: number;
  let changes: PolicyChange[];
  beforeEach(() => {
    index = new PolicyIndex({ defaultCluster: 'default' });
    notified = 0;
    changes = [];
    index.onChange((change) => {
      changes.push(change);
      notified++;
    });
    index.setNamespace('team-a', { team: 'a' });
  });

  it('denies everything with no policies, and allows once one is added', async () => {
    expect(index.evaluate(task('a')).allowed).to.equal(false);
    index.upsertPolicy(policy('team-a', allowsA));
    expect(index.evaluate(task('a'))).to.include({ allowed: true, policy: 'team-a' });
  });

  it('coalesces the changes of one tick into one notification', async () => {
    await flush();
    notified = 0;
    index.replacePolicies([policy('p1', allowsA), policy('p2', allowsA), policy('p3', allowsA)]);
    index.setNamespace('team-b', { team: 'b' });
    await flush();
    expect(notified).to.equal(1);
  });

  it('does not notify when nothing a verdict depends on changed (a resync, a status-only update)', async () => {
    index.upsertPolicy(policy('team-a', allowsA, '1'));
    await flush();
    notified = 0;
    index.upsertPolicy(policy('team-a', allowsA, '2'));
    index.setNamespace('team-a', { team: 'a' });
    await flush();
    expect(notified).to.equal(0);
  });

  it('notifies when a policy spec changes, and the verdict follows', async () => {
    index.upsertPolicy(policy('team-a', allowsA));
    await flush();
    notified = 0;
    expect(index.evaluate(task('b')).allowed).to.equal(false);
    index.upsertPolicy(policy('team-a', { ...allowsA, clusters: ['a', 'b'] }, '2'));
    await flush();
    expect(notified).to.equal(1);
    expect(index.evaluate(task('b')).allowed).to.equal(true);
  });

  it("notifies when a namespace's labels change, and the verdict follows", async () => {
    index.upsertPolicy(policy('team-a', allowsA));
    await flush();
    notified = 0;
    expect(index.evaluate(task('a')).allowed).to.equal(true);
    index.setNamespace('team-a', { team: 'z' });
    await flush();
    expect(notified).to.equal(1);
    expect(index.evaluate(task('a'))).to.deep.include({ allowed: false, policies: [] });
  });

  describe('a namespace event requeues only the resources in that namespace, and only when it matters', () => {
    const keys = ['team-a/nightly', 'team-a/hourly', 'team-b/nightly', 'team-c/report', 'other/x'];
    /** What app.ts enqueues for the changes of one tick. */
    const enqueued = async (act: () => void): Promise<string[]> => {
      await flush();
      changes.length = 0;
      act();
      await flush();
      return changes.flatMap((change) => keysAffectedBy(change, keys));
    };
    beforeEach(() => {
      index.upsertPolicy(policy('team-a', allowsA));
      index.setNamespace('team-b', { team: 'b' });
      index.setNamespace('team-c', { team: 'c' });
    });

    it('a relabelled namespace that other policies now select: its resources only', async () => {
      expect(await enqueued(() => index.setNamespace('team-b', { team: 'a' }))).to.deep.equal([
        'team-b/nightly',
      ]);
      expect(index.evaluate(task('a', 'team-b')).allowed).to.equal(true);
    });

    it('a label no policy looks at changes nothing: nothing is requeued', async () => {
      expect(
        await enqueued(() => index.setNamespace('team-a', { team: 'a', 'cost-centre': '42' })),
      ).to.deep.equal([]);
      expect(
        await enqueued(() => index.setNamespace('team-c', { team: 'd' })),
        'selected by none before and after',
      ).to.deep.equal([]);
      expect(index.evaluate(task('a'))).to.include({ allowed: true, policy: 'team-a' });
    });

    it('a namespace added or deleted: its resources only', async () => {
      expect(await enqueued(() => index.setNamespace('other', { team: 'z' }))).to.deep.equal(['other/x']);
      expect(await enqueued(() => index.setNamespace('team-a', undefined))).to.deep.equal([
        'team-a/nightly',
        'team-a/hourly',
      ]);
    });

    it('several namespaces in one tick: one notification naming them; a policy change: everything', async () => {
      expect(
        await enqueued(() => {
          index.setNamespace('team-b', { team: 'a' });
          index.setNamespace('team-c', undefined);
        }),
      ).to.deep.equal(['team-b/nightly', 'team-c/report']);
      expect(changes).to.have.length(1);
      expect(
        await enqueued(() => {
          index.setNamespace('team-c', { team: 'c' });
          index.upsertPolicy(policy('team-a', { ...allowsA, clusters: ['b'] }, '2'));
        }),
      ).to.deep.equal(keys);
    });
  });

  it('standalone (namespaces not watched): an unknown namespace is judged by its name label', () => {
    index.upsertPolicy(
      policy('by-name', { ...allowsA, namespaceSelector: { matchLabels: { [NAME_LABEL]: 'loose' } } }),
    );
    expect(index.evaluate(task('a', 'loose'))).to.include({ allowed: true, policy: 'by-name' });
  });

  it('ignores an invalid policy: it allows nothing, and replacing a valid one with it revokes', () => {
    index.upsertPolicy(policy('team-a', allowsA));
    expect(index.evaluate(task('a')).allowed).to.equal(true);
    const broken = policy('team-a', allowsA, '2') as unknown as { spec: Record<string, unknown> };
    delete broken.spec.namespaceSelector;
    index.upsertPolicy(broken as unknown as EcsSchedulerPolicyResource);
    expect(index.policyNames()).to.deep.equal([]);
    expect(index.evaluate(task('a')).allowed).to.equal(false);
  });

  it('warns about an invalid policy once per version, not on every resync', () => {
    const lines: string[] = [];
    const logged = new PolicyIndex({
      defaultCluster: 'default',
      logger: createLogger({ write: (l) => void lines.push(l) }),
    });
    const broken = (clusters: string[]) =>
      ({ ...policy('bad', { clusters }), spec: { clusters } }) as unknown as EcsSchedulerPolicyResource;
    logged.upsertPolicy(broken(['a']));
    logged.upsertPolicy(broken(['a']));
    expect(lines.filter((l) => l.includes('invalid EcsSchedulerPolicy'))).to.have.length(1);
    logged.upsertPolicy(broken(['b']));
    expect(lines.filter((l) => l.includes('invalid EcsSchedulerPolicy'))).to.have.length(2);
  });

  it('removing the only policy revokes', () => {
    index.upsertPolicy(policy('team-a', allowsA));
    index.removePolicy('team-a');
    expect(index.evaluate(task('a')).allowed).to.equal(false);
  });

  it('keeps its own copy: mutating the object handed in changes nothing', () => {
    const p = policy('team-a', allowsA);
    index.upsertPolicy(p);
    p.spec.clusters = ['*'];
    expect(index.evaluate(task('b')).allowed).to.equal(false);
  });
});

/** A list/watch source whose list and watch events the test drives. */
class FakeSource implements ListWatchSource {
  items: unknown[] = [];
  handlers: WatchHandlers | undefined;
  async list(): Promise<ListResult> {
    return { items: [...this.items] as EcsScheduledTaskResource[], resourceVersion: '1' };
  }
  async watch(_rv: string, handlers: WatchHandlers): Promise<() => void> {
    this.handlers = handlers;
    return () => undefined;
  }
  emit(type: string, object: unknown): void {
    if (!this.handlers) throw new Error('no watch open');
    this.handlers.onEvent(type, object);
  }
}

describe('KubePolicyGate', () => {
  it('syncs both lists, then follows policy and namespace watch events', async () => {
    const policies = new FakeSource();
    const namespaces = new FakeSource();
    policies.items = [policy('team-a', allowsA)];
    namespaces.items = [namespace('team-a', { team: 'a' }), namespace('team-b', { team: 'b' })];
    const clock = new FakeClock();
    const kube = new KubePolicyGate(undefined, {
      defaultCluster: 'default',
      clock,
      sources: { policies, namespaces },
    });
    const changes: unknown[] = [];
    kube.gate.onChange((keys) => changes.push(keys));
    expect(kube.hasSynced()).to.equal(false);
    kube.start();
    await kube.waitForSync();
    await flush();
    expect(kube.hasSynced()).to.equal(true);
    const { gate } = kube;
    expect(gate.evaluate(task('a'))).to.include({ allowed: true, policy: 'team-a' });
    expect(gate.evaluate(task('a', 'team-b'))).to.deep.include({ allowed: false, policies: [] });

    changes.length = 0;
    policies.emit(
      'MODIFIED',
      policy('team-a', { ...allowsA, namespaceSelector: { matchLabels: { team: 'b' } } }, '2'),
    );
    await flush();
    expect(changes).to.deep.equal(['all']);
    expect(gate.evaluate(task('a', 'team-b')).allowed).to.equal(true);
    expect(gate.evaluate(task('a')).allowed).to.equal(false);

    namespaces.emit('MODIFIED', namespace('team-a', { team: 'b' }, '2'));
    await flush();
    expect(gate.evaluate(task('a')).allowed).to.equal(true);

    policies.emit('DELETED', policy('team-a', allowsA, '3'));
    await flush();
    expect(gate.evaluate(task('a')).allowed).to.equal(false);
    kube.stop();
  });

  it('a namespace not in the cache yet is waited for, never judged by its name label alone', async () => {
    const policies = new FakeSource();
    const namespaces = new FakeSource();
    // Selects on a label other than the name: judged by the name label it would be denied.
    policies.items = [policy('team-a', allowsA)];
    namespaces.items = [namespace('team-a', { team: 'a' })];
    const kube = new KubePolicyGate(undefined, {
      defaultCluster: 'default',
      clock: new FakeClock(),
      sources: { policies, namespaces },
    });
    const changes: PolicyChange[] = [];
    kube.gate.onChange((change) => changes.push(change));
    kube.start();
    await kube.waitForSync();
    await flush();
    changes.length = 0;

    // The resource arrived before its namespace's watch event.
    let verdict: unknown;
    try {
      verdict = kube.gate.evaluate(task('a', 'team-new'));
    } catch (error) {
      verdict = error;
    }
    expect(verdict).to.be.instanceOf(TransientError);
    expect(verdict).to.include({ reason: NAMESPACE_NOT_SEEN });

    namespaces.emit('ADDED', namespace('team-new', { team: 'a' }, '2'));
    await flush();
    expect(changes, 'its resources are requeued when it arrives').to.deep.equal([
      { namespaces: ['team-new'] },
    ]);
    expect(kube.gate.evaluate(task('a', 'team-new'))).to.include({ allowed: true, policy: 'team-a' });
    kube.stop();
  });
});
