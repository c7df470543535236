import { expect } from 'chai';
import { ConflictError, TransientError } from '../../../src/controller/errors.js';
import type { LeaseClient, StoredLease } from '../../../src/kube/lease-client.js';
import type { LeaseRecord } from '../../../src/kube/lease-decisions.js';
import { LeaseElector } from '../../../src/kube/lease-elector.js';
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
      clock,
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
    expect(a.signal?.aborted).to.equal(true);
    expect(a.elector.isLeader()).to.equal(false);
    // Draining for longer than the lease duration: "a" keeps the lease alive, so "b" waits.
    await clock.advance(30_000);
    expect(api.holder).to.equal('a');
    expect(b.elector.isLeader()).to.equal(false);

    finishWork();
    await stopping;
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
