import { expect } from 'chai';
import { ConflictError, TransientError } from '../../../src/controller/errors.js';
import type { LeaseClient, StoredLease } from '../../../src/kube/lease-client.js';
import type { LeaseRecord } from '../../../src/kube/lease-decisions.js';
import { LeaseElector } from '../../../src/kube/lease-elector.js';
import { Controller } from '../../../src/controller/controller.js';
import { ControllerTerms } from '../../../src/controller/controller-terms.js';
import type { ReconcileResult } from '../../../src/controller/pass/reconciler.js';
import { WorkQueue } from '../../../src/controller/runtime/work-queue.js';
import { silentLogger } from '../../../src/log/logger.js';
import { RecordingControllerMetrics } from '../../support/recording-metrics.js';
import { FakeClock, flush } from './fake-clock.js';

/** One Lease in memory with resourceVersion checks, like the API server. `down` fails every call. */
class FakeLeaseApi implements LeaseClient {
  stored: StoredLease | undefined;
  down = false;
  hang = false;
  writes = 0;
  private rv = 0;

  private check(): Promise<void> {
    if (this.hang) return new Promise(() => undefined);
    if (this.down) return Promise.reject(new TransientError('connection refused'));
    return Promise.resolve();
  }

  async get(): Promise<StoredLease | undefined> {
    await this.check();
    return this.stored;
  }

  async create(_ns: string, _name: string, record: LeaseRecord): Promise<StoredLease> {
    await this.check();
    if (this.stored) throw new ConflictError('already exists');
    return this.put(record);
  }

  async update(
    _ns: string,
    _name: string,
    record: LeaseRecord,
    resourceVersion: string,
  ): Promise<StoredLease> {
    await this.check();
    if (!this.stored || this.stored.resourceVersion !== resourceVersion) throw new ConflictError();
    return this.put(record);
  }

  private put(record: LeaseRecord): StoredLease {
    this.writes++;
    this.stored = { record: { ...record }, resourceVersion: String(++this.rv) };
    return this.stored;
  }

  get holder(): string | undefined {
    return this.stored?.record.holderIdentity;
  }
}

class Candidate {
  readonly elector: LeaseElector;
  /** Time this replica spent frozen (SIGSTOP, a long GC): its monotonic clock ran, its timers did not. */
  pausedMs = 0;
  /** How far this replica's wall clock is off (an NTP step); its monotonic clock is unaffected. */
  wallOffsetMs = 0;
  readonly leaderLog: boolean[] = [];
  signal: AbortSignal | undefined;
  started = 0;
  stopped = 0;

  constructor(
    identity: string,
    api: LeaseClient,
    clock: FakeClock,
    onStopped?: () => Promise<void>,
    releaseOnStop = true,
  ) {
    this.elector = new LeaseElector({
      releaseOnStop,
      client: api,
      name: 'leader',
      namespace: 'system',
      identity,
      clock: {
        now: () => new Date(clock.now().getTime() + this.wallOffsetMs),
        setTimer: (fn, ms) => clock.setTimer(fn, ms),
      },
      monotonicNow: () => clock.now().getTime() + this.pausedMs,
      random: () => 0,
      metrics: { setLeader: (v) => this.leaderLog.push(v) },
      onStartedLeading: (signal) => {
        this.started++;
        this.signal = signal;
      },
      onStoppedLeading: async () => {
        this.stopped++;
        await onStopped?.();
      },
    });
  }
}

describe('LeaseElector', () => {
  it('creates the lease and leads when there is none', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = new Candidate('a', api, clock);
    a.elector.start();
    await clock.advance(0);
    expect(a.elector.isLeader()).to.equal(true);
    expect(a.started).to.equal(1);
    expect(api.holder).to.equal('a');
    expect(a.leaderLog).to.deep.equal([false, true]);
    await a.elector.stop();
  });

  it('with two candidates exactly one leads, and the leader keeps renewing', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = new Candidate('a', api, clock);
    const b = new Candidate('b', api, clock);
    a.elector.start();
    b.elector.start();
    for (let i = 0; i < 30; i++) {
      await clock.advance(1_000);
      expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).to.have.length(1);
    }
    expect(a.started + b.started).to.equal(1);
    await a.elector.stop();
    await b.elector.stop();
  });

  it('a follower takes over a dead leader only after the lease duration on its own clock', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = new Candidate('a', api, clock, undefined, false);
    a.elector.start();
    await clock.advance(0);
    const b = new Candidate('b', api, clock);
    b.elector.start();
    await clock.advance(5_000);
    expect(b.elector.isLeader()).to.equal(false);
    // "a" dies without releasing: its loop stops, the record stops changing.
    await a.elector.stop();
    expect(api.holder).to.equal('a');
    await clock.advance(14_000);
    expect(b.elector.isLeader()).to.equal(false);
    await clock.advance(3_000);
    expect(b.elector.isLeader()).to.equal(true);
    expect(api.holder).to.equal('b');
    expect(api.stored!.record.leaseTransitions).to.equal(1);
    await b.elector.stop();
  });

  it('stop() while leading aborts, waits for in-flight work while still renewing, then releases', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    let finishWork!: () => void;
    const work = new Promise<void>((resolve) => (finishWork = resolve));
    const a = new Candidate('a', api, clock, () => work);
    a.elector.start();
    await clock.advance(0);
    const b = new Candidate('b', api, clock);
    b.elector.start();
    await clock.advance(0);

    const stopping = a.elector.stop();
    await flush();
    expect(a.elector.isLeader()).to.equal(false);
    // Draining for longer than the lease duration: "a" keeps the lease alive, so "b" waits, and
    // the work still in flight may launch: the lease is still ours.
    await clock.advance(30_000);
    expect(api.holder).to.equal('a');
    expect(b.elector.isLeader()).to.equal(false);
    expect(a.signal?.aborted, 'not aborted while draining').to.equal(false);
    expect(a.elector.holds(5_000), 'fence holds while draining').to.equal(true);

    finishWork();
    await stopping;
    expect(a.signal?.aborted).to.equal(true);
    expect(a.elector.holds(0), 'fence down after stop').to.equal(false);
    expect(api.holder).to.equal('');
    expect(api.stored!.record.leaseDurationSeconds).to.equal(1);
    // A released lease is taken at the follower's next retry, not after the lease duration.
    await clock.advance(2_500);
    expect(b.elector.isLeader()).to.equal(true);
    await b.elector.stop();
  });

  it('stops leading once renewal has failed for the renew deadline', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = new Candidate('a', api, clock);
    a.elector.start();
    await clock.advance(0);
    api.down = true;
    await clock.advance(9_000);
    expect(a.elector.isLeader()).to.equal(true);
    await clock.advance(1_000);
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.signal?.aborted).to.equal(true);
    expect(a.stopped).to.equal(1);
    // Back up: it campaigns again and, still being the holder, leads again.
    api.down = false;
    await clock.advance(3_000);
    expect(a.elector.isLeader()).to.equal(true);
    expect(a.started).to.equal(2);
    await a.elector.stop();
  });

  it('stops leading on the deadline even if a renewal request hangs', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = new Candidate('a', api, clock);
    a.elector.start();
    await clock.advance(0);
    api.hang = true;
    await clock.advance(10_000);
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.signal?.aborted).to.equal(true);
    api.hang = false;
    await clock.advance(15_000);
    expect(a.elector.isLeader()).to.equal(true);
    await a.elector.stop();
  });

  it('steps down at once when it finds another holder in the lease', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = new Candidate('a', api, clock);
    a.elector.start();
    await clock.advance(0);
    // Someone (an operator, a split brain) overwrote the lease.
    api.stored = { record: { ...api.stored!.record, holderIdentity: 'intruder' }, resourceVersion: '999' };
    await clock.advance(2_000);
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.signal?.aborted).to.equal(true);
    await a.elector.stop();
    expect(api.holder).to.equal('intruder');
  });

  it('is healthy as leader, or as a follower that reaches the lease, and not when it cannot', async () => {
    const clock = new FakeClock();
    const api = new FakeLeaseApi();
    const a = new Candidate('a', api, clock);
    const b = new Candidate('b', api, clock);
    expect(b.elector.isHealthy(), 'before any contact').to.equal(false);
    a.elector.start();
    await clock.advance(0);
    b.elector.start();
    await clock.advance(2_000);
    expect(a.elector.isHealthy(), 'leader').to.equal(true);
    expect(b.elector.isLeader()).to.equal(false);
    expect(b.elector.isHealthy(), 'follower in contact').to.equal(true);
    api.down = true;
    await clock.advance(10_000);
    expect(b.elector.isHealthy(), 'follower 10 s out of contact').to.equal(true);
    await clock.advance(8_000);
    expect(b.elector.isHealthy(), 'follower out of contact past lease duration + retry').to.equal(false);
    api.down = false;
    await clock.advance(2_000);
    expect(b.elector.isHealthy(), 'follower back in contact').to.equal(true);
    await a.elector.stop();
    await b.elector.stop();
  });

  describe('the launch fence', () => {
    it('holds only while the last renewal sent plus the lease duration, minus the margin, is ahead', async () => {
      const clock = new FakeClock();
      const api = new FakeLeaseApi();
      const a = new Candidate('a', api, clock);
      expect(a.elector.holds(0), 'before leading').to.equal(false);
      a.elector.start();
      await clock.advance(0);
      // Renewed at t=0 with a 15 s lease.
      const cases: { name: string; pausedMs: number; marginMs: number; holds: boolean }[] = [
        { name: 'just renewed, small margin', pausedMs: 0, marginMs: 2_000, holds: true },
        { name: 'margin as long as the lease', pausedMs: 0, marginMs: 15_000, holds: false },
        { name: 'paused 12 s, 2 s margin', pausedMs: 12_000, marginMs: 2_000, holds: true },
        { name: 'paused 13 s, 2 s margin: too close', pausedMs: 13_000, marginMs: 2_000, holds: false },
        { name: 'paused past the lease, no margin', pausedMs: 15_000, marginMs: 0, holds: false },
      ];
      for (const c of cases) {
        a.pausedMs = c.pausedMs;
        expect(a.elector.holds(c.marginMs), c.name).to.equal(c.holds);
      }
      // A pause shows in the fence before any timer had the chance to fire.
      expect(a.elector.isLeader(), 'timers have not noticed the pause yet').to.equal(true);
      a.pausedMs = 0;
      await a.elector.stop();
    });

    it('moves forward with each renewal, counted from when the renewal was sent', async () => {
      const clock = new FakeClock();
      const api = new FakeLeaseApi();
      const a = new Candidate('a', api, clock);
      a.elector.start();
      await clock.advance(0);
      await clock.advance(10_000);
      // Renewals every 2 s; the last one went out at t=10 s, so the lease is ours until t=25 s.
      a.pausedMs = 14_000;
      expect(a.elector.holds(500)).to.equal(true);
      a.pausedMs = 14_600;
      expect(a.elector.holds(500)).to.equal(false);
      a.pausedMs = 0;
      await a.elector.stop();
    });

    it('drops at once, with the signal aborted, when the lease is found taken', async () => {
      const clock = new FakeClock();
      const api = new FakeLeaseApi();
      const a = new Candidate('a', api, clock);
      a.elector.start();
      await clock.advance(0);
      api.stored = { record: { ...api.stored!.record, holderIdentity: 'b' }, resourceVersion: '999' };
      await clock.advance(2_000);
      expect(a.elector.holds(0)).to.equal(false);
      expect(a.signal?.aborted).to.equal(true);
      expect(String((a.signal?.reason as Error).message)).to.match(/lost.*taken by b/);
      await a.elector.stop();
    });

    it('drops when renewals fail for the renew deadline, before the lease itself runs out', async () => {
      const clock = new FakeClock();
      const api = new FakeLeaseApi();
      const a = new Candidate('a', api, clock);
      a.elector.start();
      await clock.advance(0);
      api.down = true;
      await clock.advance(9_000);
      expect(a.elector.holds(1_000), 'within the deadline').to.equal(true);
      await clock.advance(1_000);
      expect(a.elector.holds(0), 'deadline passed').to.equal(false);
      expect(a.signal?.aborted).to.equal(true);
      api.down = false;
      await a.elector.stop();
    });

    it('judges a rival lease by the monotonic clock, not by wall time', async () => {
      const clock = new FakeClock();
      const api = new FakeLeaseApi();
      const a = new Candidate('a', api, clock, undefined, false);
      a.elector.start();
      await clock.advance(0);
      await a.elector.stop();
      const b = new Candidate('b', api, clock);
      b.elector.start();
      await clock.advance(0);
      // b's wall clock steps an hour ahead: by wall time a's lease is long gone, by the
      // monotonic clock it is not.
      b.wallOffsetMs = 3_600_000;
      await clock.advance(2_000);
      expect(b.elector.isLeader()).to.equal(false);
      await clock.advance(12_000);
      expect(b.elector.isLeader(), 'lease not yet expired for b').to.equal(false);
      await clock.advance(4_000);
      expect(b.elector.isLeader()).to.equal(true);
      await b.elector.stop();
    });
  });

  describe('driving ControllerTerms, wired as app.ts wires them', () => {
    /** Passes that stay open until released, and reject the moment their signal aborts. */
    function wired(api: FakeLeaseApi, clock: FakeClock) {
      const passes: { key: string; signal: AbortSignal; release: () => void }[] = [];
      let running = 0;
      let overlaps = 0;
      const metrics = new RecordingControllerMetrics();
      const reconciler = {
        reconcile: (key: string, signal: AbortSignal) =>
          new Promise<ReconcileResult>((resolve, reject) => {
            if (passes.some((p) => p.key === key && !p.signal.aborted)) overlaps++;
            running++;
            const settle = () => running--;
            passes.push({ key, signal, release: () => (settle(), resolve({})) });
            signal.addEventListener('abort', () => (settle(), reject(new Error('aborted'))), { once: true });
          }),
      };
      const terms = new ControllerTerms({
        newController: () =>
          new Controller({
            reconciler,
            queue: new WorkQueue({ clock }),
            clock,
            metrics,
            logger: silentLogger,
          }),
        keys: () => ['ns/a', 'ns/b'],
        concurrency: 4,
        logger: silentLogger,
      });
      const elector = new LeaseElector({
        client: api,
        name: 'leader',
        namespace: 'system',
        identity: 'a',
        clock,
        monotonicNow: () => clock.now().getTime(),
        random: () => 0,
        onStartedLeading: (signal) => terms.lead(signal),
        onStoppedLeading: () => terms.finish(),
      });
      return { passes, metrics, terms, elector, running: () => running, overlaps: () => overlaps };
    }

    it('a lost lease aborts the passes in flight; a term won back starts fresh, without overlap', async () => {
      const clock = new FakeClock();
      const api = new FakeLeaseApi();
      const w = wired(api, clock);
      w.elector.start();
      await clock.advance(0);
      expect(w.passes.map((p) => p.key)).to.deep.equal(['ns/a', 'ns/b']);
      api.down = true;
      await clock.advance(10_000);
      expect(
        w.passes.every((p) => p.signal.aborted),
        'every pass told to stop',
      ).to.equal(true);
      expect(w.running()).to.equal(0);
      expect(w.metrics.reconciles.map((r) => r.outcome)).to.deep.equal(['aborted', 'aborted']);
      api.down = false;
      await clock.advance(3_000);
      expect(w.elector.isLeader()).to.equal(true);
      expect(w.passes.filter((p) => !p.signal.aborted).map((p) => p.key)).to.deep.equal(['ns/a', 'ns/b']);
      expect(w.overlaps()).to.equal(0);
      const stopping = w.elector.stop();
      await flush();
      for (const p of w.passes) if (!p.signal.aborted) p.release();
      await stopping;
    });

    it('stop() lets passes in flight finish unaborted, with the fence up, before the lease goes', async () => {
      const clock = new FakeClock();
      const api = new FakeLeaseApi();
      const w = wired(api, clock);
      w.elector.start();
      await clock.advance(0);
      const stopping = w.elector.stop();
      await clock.advance(20_000);
      expect(w.passes.map((p) => p.signal.aborted)).to.deep.equal([false, false]);
      expect(w.elector.holds(2_000), 'the passes may still launch').to.equal(true);
      expect(api.holder).to.equal('a');
      for (const p of w.passes) p.release();
      await stopping;
      expect(api.holder).to.equal('');
      expect(w.metrics.reconciles.map((r) => r.outcome)).to.deep.equal(['success', 'success']);
    });
  });

  it('rejects timings that could let two replicas lead', () => {
    const api = new FakeLeaseApi();
    expect(
      () =>
        new LeaseElector({
          client: api,
          name: 'x',
          namespace: 'y',
          identity: 'me',
          leaseDurationSeconds: 10,
          renewDeadlineSeconds: 10,
          onStartedLeading: () => undefined,
        }),
    ).to.throw(/leaseDurationSeconds/);
  });
});
