import { expect } from 'chai';
import { assignShard } from '../../../src/shard/shard-assignment.js';

const uids = Array.from(
  { length: 3_000 },
  (_, i) =>
    `6f1c${i.toString(16).padStart(4, '0')}-0b6e-4c1a-9a7e-${(i * 7919).toString(16).padStart(12, '0')}`,
);

function owners(shards: readonly string[]): Map<string, string> {
  return new Map(uids.map((u) => [u, assignShard(u, shards)!]));
}

function movedShare(before: Map<string, string>, after: Map<string, string>): number {
  let moved = 0;
  for (const [uid, owner] of before) if (after.get(uid) !== owner) moved++;
  return moved / before.size;
}

describe('shard assignment (rendezvous hashing)', () => {
  it('has no owner without a live shard', () => {
    expect(assignShard('uid', [])).to.equal(undefined);
  });

  it('gives the same answer whatever the order of the shards', () => {
    for (const uid of uids.slice(0, 200)) {
      expect(assignShard(uid, ['a', 'b', 'c'])).to.equal(assignShard(uid, ['c', 'a', 'b']));
    }
  });

  it('spreads 3,000 uids over 3 shards at 1,000 ± 15% each', () => {
    const counts = new Map<string, number>();
    for (const owner of owners(['ecs-scheduler-0', 'ecs-scheduler-1', 'ecs-scheduler-2']).values()) {
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    expect(counts.size).to.equal(3);
    for (const [shard, n] of counts) expect(n, shard).to.be.within(850, 1_150);
  });

  it('moves about the ideal share on 3 → 5 → 2 shards (within 10 points), and only to or from the shards that changed', () => {
    const three = owners(['a', 'b', 'c']);
    const five = owners(['a', 'b', 'c', 'd', 'e']);
    const two = owners(['a', 'b']);
    // 3 → 5: the two new shards win 2/5 of everything, and only they win anything.
    expect(movedShare(three, five)).to.be.closeTo(2 / 5, 0.1);
    for (const [uid, owner] of five) if (owner !== three.get(uid)) expect(owner).to.be.oneOf(['d', 'e']);
    // 5 → 2: what c, d and e held (3/5) moves, nothing else.
    expect(movedShare(five, two)).to.be.closeTo(3 / 5, 0.1);
    for (const [uid, owner] of five) if (owner === 'a' || owner === 'b') expect(two.get(uid)).to.equal(owner);
  });
});
