import { expect } from 'chai';
import {
  ExponentialBackoffRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
} from '../../../../src/controller/runtime/rate-limiter.js';
import { WorkQueue } from '../../../../src/controller/runtime/work-queue.js';
import { FakeClock, flushPromises } from '../../../support/fake-clock.js';
import { RecordingWorkQueueMetrics } from '../../../support/recording-metrics.js';

const start = '2026-03-01T00:00:00Z';

function newQueue(metrics = new RecordingWorkQueueMetrics()) {
  const clock = new FakeClock(start);
  const queue = new WorkQueue({ clock, metrics });
  return { clock, queue, metrics };
}

/** Every key currently queued, in order, handed out and marked done. */
async function takeAll(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.length > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  it('dedupes keys that are waiting', async () => {
    const { queue } = newQueue();
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    expect(await takeAll(queue)).to.deep.equal(['ns/a', 'ns/b']);
  });

  it('says which key is being processed (a sharded replica lets a drained key go only after)', async () => {
    const { queue } = newQueue();
    queue.add('ns/a');
    expect(queue.isProcessing('ns/a'), 'waiting is not processing').to.equal(false);
    const key = await queue.get();
    expect(queue.isProcessing('ns/a')).to.equal(true);
    expect(queue.isProcessing('ns/b')).to.equal(false);
    queue.done(key!);
    expect(queue.isProcessing('ns/a')).to.equal(false);
  });

  it('never hands out a key being processed; re-adds it after done', async () => {
    const { queue } = newQueue();
    queue.add('ns/a');
    const key = await queue.get();
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.length, 'held back while processing').to.equal(0);
    queue.done(key!);
    expect(await takeAll(queue)).to.deep.equal(['ns/a']);
  });

  describe('lanes', () => {
    it('a key whose requested time came goes ahead of a burst of ordinary adds', async () => {
      const { clock, queue } = newQueue();
      queue.addAfter('ns/due', 1000);
      for (let i = 0; i < 500; i++) queue.add(`ns/woken-${i}`);
      await clock.advance(1000);
      expect(queue.length).to.equal(501);
      expect(await queue.get()).to.equal('ns/due');
    });

    it('a key already waiting in the ordinary lane moves ahead when its time comes', async () => {
      const { clock, queue } = newQueue();
      queue.add('ns/a');
      queue.add('ns/b');
      queue.addAfter('ns/b', 10);
      await clock.advance(10);
      expect(await takeAll(queue)).to.deep.equal(['ns/b', 'ns/a']);
    });

    it('a key that became due while being processed is re-queued in the urgent lane', async () => {
      const { clock, queue } = newQueue();
      queue.add('ns/a');
      const a = await queue.get();
      queue.add('ns/b');
      queue.addAfter('ns/a', 10);
      await clock.advance(10);
      queue.done(a!);
      expect(await takeAll(queue)).to.deep.equal(['ns/a', 'ns/b']);
    });
  });

  describe('addAfter', () => {
    const cases: { name: string; delays: number[]; readyAfterMs: number }[] = [
      { name: 'a single delay', delays: [1000], readyAfterMs: 1000 },
      { name: 'an earlier delay replaces a later one', delays: [1000, 200], readyAfterMs: 200 },
      { name: 'a later delay does not postpone an earlier one', delays: [200, 1000], readyAfterMs: 200 },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const { clock, queue } = newQueue();
        for (const d of c.delays) queue.addAfter('ns/a', d);
        expect(clock.pendingDelays(), 'one timer per key').to.have.length(1);
        clock.advance(c.readyAfterMs - 1);
        expect(queue.length).to.equal(0);
        clock.advance(1);
        expect(await takeAll(queue)).to.deep.equal(['ns/a']);
      });
    }

    it('adds at once for a zero or negative delay', () => {
      const { queue } = newQueue();
      queue.addAfter('ns/a', 0);
      queue.addAfter('ns/b', -5);
      expect(queue.length).to.equal(2);
    });
  });

  describe('addRateLimited', () => {
    it('backs off exponentially per key and forget resets it', () => {
      const { clock, queue } = newQueue();
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        queue.addRateLimited('ns/a');
        delays.push(clock.pendingDelays()[0]!);
        clock.advance(delays.at(-1)!);
        void queue.get().then((k) => queue.done(k!));
      }
      expect(delays).to.deep.equal([5, 10, 20, 40]);
      expect(queue.numRequeues('ns/a')).to.equal(4);
      queue.forget('ns/a');
      expect(queue.numRequeues('ns/a')).to.equal(0);
      queue.addRateLimited('ns/a');
      expect(clock.pendingDelays()).to.deep.equal([5]);
    });

    it('keeps separate backoff per key', () => {
      const { clock, queue } = newQueue();
      queue.addRateLimited('ns/a');
      queue.addRateLimited('ns/a');
      queue.addRateLimited('ns/b');
      expect(queue.numRequeues('ns/a')).to.equal(2);
      expect(queue.numRequeues('ns/b')).to.equal(1);
      expect(clock.pendingDelays()).to.deep.equal([5, 5]);
    });
  });

  it('reports how long the oldest in-flight key has been processed (for /healthz)', async () => {
    const { clock, queue } = newQueue();
    expect(queue.oldestInFlightAgeMs(), 'idle').to.equal(0);
    queue.add('ns/a');
    queue.add('ns/b');
    const a = await queue.get();
    clock.advance(1_000);
    const b = await queue.get();
    clock.advance(500);
    expect(queue.oldestInFlightAgeMs()).to.equal(1_500);
    queue.done(a!);
    expect(queue.oldestInFlightAgeMs(), 'only ns/b left').to.equal(500);
    queue.done(b!);
    expect(queue.oldestInFlightAgeMs()).to.equal(0);
  });

  describe('workers', () => {
    it('processes keys and turns a rejected handler into a retry with backoff', async () => {
      const { clock, queue } = newQueue();
      const seen: string[] = [];
      let failures = 1;
      queue.start(2, async (key) => {
        seen.push(key);
        if (failures-- > 0) throw new Error('boom');
      });
      queue.add('ns/a');
      await flushPromises();
      expect(seen).to.deep.equal(['ns/a']);
      expect(queue.numRequeues('ns/a')).to.equal(1);
      clock.advance(5);
      await flushPromises();
      expect(seen).to.deep.equal(['ns/a', 'ns/a']);
      queue.shutDown();
      await queue.drain();
    });

    it('survives a handler that throws synchronously', async () => {
      const { clock, queue } = newQueue();
      let calls = 0;
      queue.start(1, (() => {
        calls++;
        if (calls === 1) throw new Error('sync boom');
        return Promise.resolve();
      }) as (key: string) => Promise<void>);
      queue.add('ns/a');
      await flushPromises();
      clock.advance(5);
      await flushPromises();
      expect(calls).to.equal(2);
      queue.shutDown();
      await queue.drain();
    });

    it('lets no handler rejection become an unhandled rejection', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const { queue } = newQueue();
        queue.start(3, () => Promise.reject(new Error('always fails')));
        for (const k of ['ns/a', 'ns/b', 'ns/c']) queue.add(k);
        await flushPromises(10);
        expect(unhandled).to.deep.equal([]);
        expect(queue.numRequeues('ns/b')).to.equal(1);
        queue.shutDown();
        await queue.drain();
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('never runs one key on two workers at once', async () => {
      const { queue } = newQueue();
      let running = 0;
      let maxRunning = 0;
      const releases: (() => void)[] = [];
      queue.start(4, async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      });
      queue.add('ns/a');
      await flushPromises();
      queue.add('ns/a');
      await flushPromises();
      expect(maxRunning).to.equal(1);
      releases.shift()!();
      await flushPromises();
      expect(releases, 'processed again after done').to.have.length(1);
      releases.shift()!();
      queue.shutDown();
      await queue.drain();
      expect(maxRunning).to.equal(1);
    });

    it('a released worker takes the next key while the first stays in flight, never handed out twice', async () => {
      const { queue } = newQueue();
      const started: string[] = [];
      const finish = new Map<string, () => void>();
      queue.start(1, async (key, releaseWorker) => {
        started.push(key);
        releaseWorker();
        await new Promise<void>((resolve) => finish.set(key, resolve));
      });
      queue.add('ns/a');
      queue.add('ns/b');
      await flushPromises();
      expect(started, 'one worker, two keys in flight').to.deep.equal(['ns/a', 'ns/b']);
      expect(queue.inFlight).to.equal(2);
      queue.add('ns/a');
      await flushPromises();
      expect(started, 'ns/a is still in flight: it waits').to.deep.equal(['ns/a', 'ns/b']);
      finish.get('ns/a')!();
      await flushPromises();
      expect(started).to.deep.equal(['ns/a', 'ns/b', 'ns/a']);
      queue.shutDown();
      let drained = false;
      const draining = queue.drain().then(() => (drained = true));
      await flushPromises();
      expect(drained, 'drain waits for released keys too').to.equal(false);
      finish.get('ns/b')!();
      finish.get('ns/a')!();
      await draining;
      expect(queue.inFlight).to.equal(0);
    });

    it('shutDown stops handing out work and drain waits for in-flight keys', async () => {
      const { clock, queue } = newQueue();
      const started: string[] = [];
      let release!: () => void;
      queue.start(1, async (key) => {
        started.push(key);
        await new Promise<void>((resolve) => (release = resolve));
      });
      queue.add('ns/a');
      queue.add('ns/b');
      queue.addAfter('ns/c', 1000);
      await flushPromises();
      queue.shutDown();
      let drained = false;
      const draining = queue.drain().then(() => (drained = true));
      await flushPromises();
      expect(drained, 'ns/a is still in flight').to.equal(false);
      release();
      await draining;
      clock.advance(2000);
      queue.add('ns/d');
      await flushPromises();
      expect(started).to.deep.equal(['ns/a']);
    });
  });

  it('reports depth, adds, retries, queue and work durations', async () => {
    const metrics = new RecordingWorkQueueMetrics();
    const { clock, queue } = newQueue(metrics);
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    expect(metrics.adds).to.equal(2);
    expect(metrics.depths.at(-1)).to.equal(2);
    clock.advance(1500);
    const key = await queue.get();
    expect(metrics.queueDurations).to.deep.equal([1.5]);
    expect(metrics.depths.at(-1)).to.equal(1);
    queue.done(key!);
    queue.addRateLimited('ns/a');
    expect(metrics.retries).to.equal(1);

    queue.start(1, async () => {
      clock.advance(250);
    });
    await flushPromises();
    expect(metrics.workDurations).to.include(0.25);
    queue.shutDown();
    await queue.drain();
  });
});

describe('rate limiters', () => {
  it('exponential backoff caps at 1000 s', () => {
    const limiter = new ExponentialBackoffRateLimiter();
    const delays = Array.from({ length: 30 }, () => limiter.when('k'));
    expect(delays.slice(0, 3)).to.deep.equal([5, 10, 20]);
    expect(delays.at(-1)).to.equal(1_000_000);
  });

  it('token bucket allows a burst of 100, then 10 per second', () => {
    const clock = new FakeClock(start);
    const bucket = new TokenBucketRateLimiter(clock);
    const burst = Array.from({ length: 100 }, (_, i) => bucket.when(`k${i}`));
    expect(burst.every((d) => d === 0)).to.equal(true);
    expect([bucket.when('x'), bucket.when('y')]).to.deep.equal([100, 200]);
    clock.advance(10_000);
    expect(bucket.when('z'), 'refilled after 10 s').to.equal(0);
  });

  it('max-of takes the longer delay and forgets in every limiter', () => {
    const clock = new FakeClock(start);
    const limiter = new MaxOfRateLimiter(
      new ExponentialBackoffRateLimiter({ baseDelayMs: 1000 }),
      new TokenBucketRateLimiter(clock, { burst: 1, ratePerSecond: 1 }),
    );
    expect(limiter.when('k')).to.equal(1000);
    expect(limiter.when('k')).to.equal(2000);
    limiter.forget('k');
    expect(limiter.numRequeues('k')).to.equal(0);
  });
});
