import { expect } from 'chai';
import { assignShard } from '../../../src/shard/shard-assignment.js';
import { planShards, type ShardedResource } from '../../../src/shard/sharder-decisions.js';
import type { ShardState } from '../../../src/shard/shard-ring.js';

// A uid that a and b would both want to own, found by the real assignment so the table stays true.
function uidOwnedBy(owner: string, shards: readonly string[]): string {
  for (let i = 0; ; i++) if (assignShard(`uid-${i}`, shards) === owner) return `uid-${i}`;
}

const states = (entries: Record<string, ShardState>) => new Map(Object.entries(entries));

describe('sharder decisions', () => {
  const live = ['a', 'b'];
  const forA = uidOwnedBy('a', live);
  const r = (owner: string | undefined, draining = false): ShardedResource => ({
    key: 'ns/job',
    uid: forA,
    ...(owner === undefined ? {} : { owner }),
    draining,
  });

  const cases: {
    name: string;
    resource: ShardedResource;
    ring: Record<string, ShardState>;
    actions: unknown[];
  }[] = [
    {
      name: 'unlabelled: assigned to its shard',
      resource: r(undefined),
      ring: { a: 'live', b: 'live' },
      actions: [{ kind: 'assign', key: 'ns/job', owner: 'a' }],
    },
    {
      name: 'already with its shard: nothing',
      resource: r('a'),
      ring: { a: 'live', b: 'live' },
      actions: [],
    },
    {
      name: 'with another live shard: drained first, never relabelled directly',
      resource: r('b'),
      ring: { a: 'live', b: 'live' },
      actions: [{ kind: 'drain', key: 'ns/job', owner: 'b', to: 'a' }],
    },
    {
      name: 'draining on a live shard: wait for its acknowledgement',
      resource: r('b', true),
      ring: { a: 'live', b: 'live' },
      actions: [],
    },
    {
      name: 'draining back to its own shard: the drain still completes',
      resource: r('a', true),
      ring: { a: 'live', b: 'live' },
      actions: [],
    },
    {
      name: 'owner released its Lease (SIGTERM): relabelled at once',
      resource: r('c'),
      ring: { a: 'live', b: 'live', c: 'gone' },
      actions: [{ kind: 'assign', key: 'ns/job', owner: 'a', from: 'c' }],
    },
    {
      name: 'owner without a Lease at all: relabelled at once',
      resource: r('c', true),
      ring: { a: 'live', b: 'live' },
      actions: [{ kind: 'assign', key: 'ns/job', owner: 'a', from: 'c' }],
    },
    {
      name: 'owner Lease expired: taken over first, the resource not moved yet',
      resource: r('c'),
      ring: { a: 'live', b: 'live', c: 'expired' },
      actions: [{ kind: 'takeOver', shard: 'c' }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(planShards([c.resource], states(c.ring), live).actions).to.deep.equal(c.actions);
    });
  }

  it('assigns nothing without a live shard, and counts the resources left without one', () => {
    const plan = planShards([r(undefined), r('c')], states({ c: 'expired' }), []);
    expect(plan.actions).to.deep.equal([]);
    expect(plan.unassigned).to.equal(2);
    expect(plan.moving, 'counted among the resources to move only once they have a shard').to.equal(0);
  });

  it('takes an expired Lease over once for all of its resources, and counts the desired share per shard', () => {
    const resources = Array.from({ length: 50 }, (_, i) => ({
      key: `ns/j${i}`,
      uid: `u${i}`,
      owner: 'c',
      draining: false,
    }));
    const plan = planShards(resources, states({ a: 'live', b: 'live', c: 'expired' }), live);
    expect(plan.actions).to.deep.equal([{ kind: 'takeOver', shard: 'c' }]);
    expect([...plan.desired.values()].reduce((x, y) => x + y, 0)).to.equal(50);
    expect(plan.moving).to.equal(50);
    const settled = resources.map((r) => ({ ...r, owner: assignShard(r.uid, live)! }));
    expect(planShards(settled, states({ a: 'live', b: 'live' }), live).moving).to.equal(0);
  });

  it('orders the actions most urgent first: takeovers, then resources nobody acts on, then drains', () => {
    const owned = (owner: string) => uidOwnedBy(owner, live);
    const resources: ShardedResource[] = [
      { key: 'ns/balance', uid: owned('a'), owner: 'b', draining: false },
      { key: 'ns/cold', uid: owned('b'), draining: false },
      { key: 'ns/dead', uid: owned('a'), owner: 'c', draining: false },
      { key: 'ns/orphan', uid: owned('b'), owner: 'g', draining: false },
    ];
    const plan = planShards(resources, states({ a: 'live', b: 'live', c: 'expired', g: 'gone' }), live);
    expect(plan.actions).to.deep.equal([
      { kind: 'takeOver', shard: 'c' },
      { kind: 'assign', key: 'ns/cold', owner: 'b' },
      { kind: 'assign', key: 'ns/orphan', owner: 'b', from: 'g' },
      { kind: 'drain', key: 'ns/balance', owner: 'b', to: 'a' },
    ]);
  });

  it('names the gone shards no resource names any more as abandoned, and never a live or expired one', () => {
    const resources = [
      { key: 'ns/a', uid: 'u1', owner: 'a', draining: false },
      // Still labelled with a gone shard: its Lease must stay until the resource has moved.
      { key: 'ns/b', uid: 'u2', owner: 'g1', draining: false },
    ];
    const plan = planShards(
      resources,
      states({ a: 'live', x: 'expired', g1: 'gone', g2: 'gone', g3: 'gone' }),
      ['a'],
    );
    expect(plan.abandoned).to.deep.equal(['g2', 'g3']);
  });
});
