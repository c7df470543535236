import { expect } from 'chai';
import { TokenBucket } from '../../../src/flow/token-bucket.js';
import { FakeClock } from '../aws/ecs/support.js';

function bucket(clock: FakeClock, capacity: number, refillPerSecond: number) {
  return new TokenBucket({ capacity, refillPerSecond, now: () => clock.nowMs(), sleep: clock.sleep });
}

describe('TokenBucket', () => {
  const cases: {
    name: string;
    capacity: number;
    rate: number;
    /** Milliseconds to advance before each acquire. */
    acquires: { after?: number; n?: number }[];
    expectedSleeps: number[];
  }[] = [
    {
      name: 'a full bucket serves its burst without waiting',
      capacity: 3,
      rate: 1,
      acquires: [{}, {}, {}],
      expectedSleeps: [],
    },
    {
      name: 'past the burst, each acquire waits for one refill interval',
      capacity: 2,
      rate: 40,
      acquires: [{}, {}, {}, {}],
      expectedSleeps: [25, 25],
    },
    {
      name: 'idle time refills up to capacity, never beyond',
      capacity: 2,
      rate: 10,
      acquires: [{}, {}, { after: 10_000 }, {}, {}],
      expectedSleeps: [100],
    },
    {
      name: 'a multi-token acquire waits for all its tokens',
      capacity: 100,
      rate: 20,
      acquires: [{ n: 100 }, { n: 10 }],
      expectedSleeps: [500],
    },
    {
      name: 'a request larger than the bucket counts as a full bucket',
      capacity: 5,
      rate: 5,
      acquires: [{ n: 50 }, { n: 50 }],
      expectedSleeps: [1000],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const clock = new FakeClock();
      const b = bucket(clock, c.capacity, c.rate);
      for (const a of c.acquires) {
        if (a.after !== undefined) clock.advance(a.after);
        await b.acquire(a.n ?? 1);
      }
      expect(clock.sleeps).to.deep.equal(c.expectedSleeps);
    });
  }

  it('serves concurrent waiters first come first served, each sleeping once', async () => {
    const clock = new FakeClock();
    const waits: number[] = [];
    const b = new TokenBucket({
      capacity: 1,
      refillPerSecond: 10,
      now: () => clock.nowMs(),
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    await Promise.all([b.acquire(), b.acquire(), b.acquire(), b.acquire()]);
    expect(waits).to.deep.equal([100, 200, 300]);
  });

  it('sustains the refill rate over a long run (RunTask: 40/s after a burst of 100)', async () => {
    const clock = new FakeClock();
    const b = bucket(clock, 100, 40);
    const start = clock.nowMs();
    for (let i = 0; i < 500; i++) await b.acquire();
    // 100 from the burst, the other 400 at 40/s.
    expect(clock.nowMs() - start).to.equal(10_000);
  });

  it('tryAcquire takes tokens only when available', () => {
    const clock = new FakeClock();
    const b = bucket(clock, 1, 1);
    expect(b.tryAcquire()).to.equal(true);
    expect(b.tryAcquire()).to.equal(false);
    clock.advance(1000);
    expect(b.tryAcquire()).to.equal(true);
  });

  it('rejects a bucket that could never refill', () => {
    const clock = new FakeClock();
    expect(() => bucket(clock, 0, 1)).to.throw(RangeError);
    expect(() => bucket(clock, 1, 0)).to.throw(RangeError);
  });
});
