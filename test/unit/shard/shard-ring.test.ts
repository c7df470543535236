import { expect } from 'chai';
import {
  liveShards,
  nextExpiryMs,
  observeRing,
  shardStates,
  type RingLease,
} from '../../../src/shard/shard-ring.js';
import { FakeClock } from '../../support/fake-clock.js';

const DURATION = 15;

function lease(shard: string, holder: string, renew: string, rv: string): RingLease {
  return {
    name: `ecs-scheduler-shard-${shard}`,
    record: { holderIdentity: holder, leaseDurationSeconds: DURATION, renewTime: renew },
    resourceVersion: rv,
  };
}

describe('shard ring liveness (observer clock)', () => {
  it('keeps a shard live while its Lease changes, and drops it a duration after the last change it saw', () => {
    const clock = new FakeClock();
    const now = () => clock.now().getTime();
    let ring = observeRing(new Map(), [lease('a', 'a', 't1', '1'), lease('b', 'b', 't1', '2')], now());
    clock.advance(10_000);
    // a renews, b does not (its record is unchanged, whatever its renewTime claims).
    ring = observeRing(ring, [lease('a', 'a', 't2', '3'), lease('b', 'b', 't1', '2')], now());
    expect(liveShards(shardStates(ring, now(), DURATION))).to.deep.equal(['a', 'b']);
    expect(nextExpiryMs(ring, now(), DURATION)).to.equal(now() + 5_000);
    clock.advance(5_000);
    const states = shardStates(ring, now(), DURATION);
    expect(states.get('b')).to.equal('expired');
    expect(liveShards(states)).to.deep.equal(['a']);
  });

  it('does not trust a renewTime in the future: expiry counts from when we saw the record', () => {
    const clock = new FakeClock();
    const now = () => clock.now().getTime();
    const ring = observeRing(new Map(), [lease('a', 'a', '2099-01-01T00:00:00.000000Z', '1')], now());
    clock.advance(DURATION * 1000);
    expect(shardStates(ring, now(), DURATION).get('a')).to.equal('expired');
  });

  it('counts a released or taken-over Lease as gone at once, and ignores Leases outside the scheme', () => {
    const ring = observeRing(
      new Map(),
      [
        lease('a', '', 't1', '1'),
        lease('b', 'sharder', 't1', '2'),
        { name: 'ecs-scheduler-leader', record: { holderIdentity: 'x' }, resourceVersion: '3' },
      ],
      0,
    );
    const states = shardStates(ring, 0, DURATION);
    expect([...states]).to.deep.equal([
      ['a', 'gone'],
      ['b', 'gone'],
    ]);
    expect(liveShards(states)).to.deep.equal([]);
  });

  it('drops the observation of a Lease no longer listed', () => {
    const ring = observeRing(observeRing(new Map(), [lease('a', 'a', 't', '1')], 0), [], 1);
    expect(ring.size).to.equal(0);
  });
});
