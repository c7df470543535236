import { expect } from 'chai';
import type { LabelPatch, LabelPatchClient } from '../../../src/kube/label-patch-client.js';
import type { LeaseClient, LeaseRemover, StoredLease } from '../../../src/kube/lease-client.js';
import type { LeaseRecord } from '../../../src/kube/lease-decisions.js';
import { DRAIN_LABEL, OWNER_LABEL, shardLeaseName } from '../../../src/shard/shard-labels.js';
import { noopShardMetrics } from '../../../src/shard/shard-metrics-port.js';
import {
  Sharder,
  type LeaseObject,
  type MetadataObject,
  type WatchedCache,
} from '../../../src/shard/sharder.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';

const NS = 'ecs-scheduler-system';
const DURATION = 15;

/** A list+watch cache driven by hand. */
class MemoryCache<T> implements WatchedCache<T> {
  readonly items = new Map<string, T>();
  readonly listeners = new Set<(key: string) => void>();
  keys = () => [...this.items.keys()];
  get = (key: string) => this.items.get(key);
  subscribe = (l: (key: string) => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  start = () => undefined;
  stop = () => undefined;
  waitForSync = async () => undefined;
  put(key: string, item: T): void {
    this.items.set(key, item);
    for (const l of this.listeners) l(key);
  }
}

interface FakeLease extends LeaseObject {
  readonly metadata: { name: string; resourceVersion: string };
  readonly spec: LeaseRecord;
}

class RecordingLeaseClient implements LeaseClient {
  readonly updates: { name: string; record: LeaseRecord; resourceVersion: string }[] = [];
  /** Every update fails with this (a 403, a 500), when set. */
  failWith: Error | undefined;
  async get(): Promise<StoredLease | undefined> {
    return undefined;
  }
  async create(): Promise<StoredLease> {
    throw new Error('the sharder never creates a Lease');
  }
  async update(
    _ns: string,
    name: string,
    record: LeaseRecord,
    resourceVersion: string,
  ): Promise<StoredLease> {
    if (this.failWith) throw this.failWith;
    this.updates.push({ name, record, resourceVersion });
    return { record, resourceVersion: `${resourceVersion}+1` };
  }
}

class RecordingRemover implements LeaseRemover {
  readonly deleted: { name: string; resourceVersion: string }[] = [];
  async delete(_ns: string, name: string, resourceVersion: string): Promise<void> {
    this.deleted.push({ name, resourceVersion });
  }
}

class RecordingPatches implements LabelPatchClient {
  readonly patches: LabelPatch[] = [];
  /** Each patch's round trip in fake time: 0 answers at once. */
  latencyMs = 0;
  constructor(private readonly clock: FakeClock) {}
  async patchLabels(patch: LabelPatch): Promise<boolean> {
    if (this.latencyMs > 0) await new Promise<void>((done) => this.clock.setTimer(done, this.latencyMs));
    this.patches.push(patch);
    return true;
  }
}

interface SetupOptions {
  readonly mayAct?: () => boolean;
  readonly settleMs?: number;
}

function setup(options: SetupOptions = {}) {
  const clock = new FakeClock();
  const resources = new MemoryCache<MetadataObject>();
  const leases = new MemoryCache<FakeLease>();
  const leaseClient = new RecordingLeaseClient();
  const remover = new RecordingRemover();
  const labels = new RecordingPatches(clock);
  const sharder = new Sharder({
    newResourceCache: () => resources,
    newLeaseCache: () => leases,
    leaseOf: (object) => {
      const lease = object as FakeLease;
      return {
        name: lease.metadata.name,
        record: lease.spec,
        resourceVersion: lease.metadata.resourceVersion,
      };
    },
    leaseClient,
    leaseRemover: remover,
    abandonedLeaseAfterMs: 60_000,
    labels,
    mayAct: options.mayAct ?? (() => true),
    namespace: NS,
    identity: 'sharder',
    leaseDurationSeconds: DURATION,
    retryPeriodSeconds: 2,
    settleMs: options.settleMs ?? 0,
    clock,
    monotonicNow: () => clock.now().getTime(),
    metrics: noopShardMetrics,
  });
  const dropLease = (shard: string) => leases.items.delete(`${NS}/${shardLeaseName(shard)}`);
  const lease = (shard: string, holder: string, rv: string) =>
    leases.put(`${NS}/${shardLeaseName(shard)}`, {
      metadata: { name: shardLeaseName(shard), resourceVersion: rv },
      spec: { holderIdentity: holder, leaseDurationSeconds: DURATION, renewTime: rv },
    });
  const resource = (name: string, labels: Record<string, string> = {}, rv = '1') =>
    resources.put(`ns/${name}`, {
      metadata: { namespace: 'ns', name, uid: `uid-${name}`, resourceVersion: rv, labels },
    });
  /** Runs the sharder's timers for `ms` of fake time, letting its writes settle in between. */
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(100);
      await flushPromises();
    }
  };
  return { clock, sharder, leaseClient, remover, labels, lease, dropLease, resource, run };
}

/**
 * The ring the takeover, watchRing, order-of-work, drain and Lease-deletion tests start from: shards a
 * and b, both Leases at version 1, and one resource, `job`, labelled for b. Time then passes as
 * `aRenewsUntil` says: a renews every 2 s of fake time (its Lease version is the second it renewed at)
 * and b never again, so b's Lease runs out DURATION seconds in.
 */
function setupJobOfB(options: SetupOptions = {}) {
  const h = setup(options);
  h.lease('a', 'a', '1');
  h.lease('b', 'b', '1');
  h.resource('job', { [OWNER_LABEL]: 'b' });
  let second = 0;
  const aRenews = async () => {
    second += 2;
    h.lease('a', 'a', String(second));
    await h.run(2_000);
  };
  /** a renews every 2 s until the second given; b stays silent. */
  const aRenewsUntil = async (last: number) => {
    while (second + 2 <= last) await aRenews();
  };
  const jobMovedToA = () => h.labels.patches.some((p) => p.name === 'job' && p.labels[OWNER_LABEL] === 'a');
  /** a renews every 2 s until `job` is relabelled for a (or a minute has gone); the seconds that took. */
  const aRenewsUntilJobMoved = async () => {
    while (!jobMovedToA() && second < 60) await aRenews();
    return second;
  };
  return { ...h, aRenewsUntil, aRenewsUntilJobMoved };
}

describe('sharder (with in-memory caches)', () => {
  it('labels every unlabelled resource with a live shard, on the version it decided from', async () => {
    const h = setup();
    h.lease('a', 'a', '1');
    h.lease('b', 'b', '1');
    for (let i = 0; i < 20; i++) h.resource(`job-${i}`);
    await h.sharder.lead(new AbortController().signal);
    await h.run(500);
    expect(h.labels.patches).to.have.length(20);
    for (const p of h.labels.patches) {
      expect(p.labels[OWNER_LABEL]).to.be.oneOf(['a', 'b']);
      expect(p.labels[DRAIN_LABEL]).to.equal(null);
      expect(p.resourceVersion).to.equal('1');
    }
    await h.sharder.stop();
  });

  it('leaves unlabelled resources for a settle period after becoming sharder, so replicas started together all get a share at once', async () => {
    const h = setup({ settleMs: DURATION * 1000 });
    h.lease('a', 'a', '1');
    for (let i = 0; i < 20; i++) h.resource(`job-${i}`);
    await h.sharder.lead(new AbortController().signal);
    await h.run(5_000);
    expect(h.labels.patches, 'nothing while the ring settles').to.deep.equal([]);
    // Both renew every 2 s until the settle period is over.
    for (let t = 6; t <= DURATION + 4; t += 2) {
      h.lease('a', 'a', String(t));
      h.lease('b', 'b', String(t));
      await h.run(2_000);
    }
    const owners = new Set(h.labels.patches.map((p) => p.labels[OWNER_LABEL]));
    expect(h.labels.patches).to.have.length(20);
    expect([...owners].sort(), 'both replicas got a share, none moved').to.deep.equal(['a', 'b']);
    await h.sharder.stop();
  });

  it('takes the Lease of a shard that stopped renewing over before moving its resources, then relabels them', async () => {
    const h = setupJobOfB();
    await h.sharder.lead(new AbortController().signal);
    await h.aRenewsUntil(DURATION + 2);
    expect(
      h.leaseClient.updates.map((u) => ({
        name: u.name,
        holder: u.record.holderIdentity,
        rv: u.resourceVersion,
      })),
    ).to.deep.equal([{ name: shardLeaseName('b'), holder: 'sharder', rv: '1' }]);
    // Moved at once after the takeover, without waiting for the watch to bring it back.
    expect(h.labels.patches).to.deep.equal([
      {
        namespace: 'ns',
        name: 'job',
        labels: { [OWNER_LABEL]: 'a', [DRAIN_LABEL]: null },
        resourceVersion: '1',
      },
    ]);
    // The watch delivers the takeover: nothing more to do.
    h.lease('b', 'sharder', '1+1');
    await h.run(2_000);
    expect(h.leaseClient.updates).to.have.length(1);
    await h.sharder.stop();
  });

  it('takes a dead shard over and moves its resources while a cold ring is still being labelled', async () => {
    const h = setupJobOfB();
    // A slow API server: 3,000 labels at 16 at a time take 47 s.
    h.labels.latencyMs = 250;
    for (let i = 0; i < 3_000; i++) h.resource(`cold-${i}`);
    await h.sharder.lead(new AbortController().signal);
    const s = await h.aRenewsUntilJobMoved();
    expect(h.leaseClient.updates.map((u) => u.name)).to.deep.equal([shardLeaseName('b')]);
    expect(s, "seconds until the dead shard's resource moved").to.be.at.most(DURATION + 6);
    expect(h.labels.patches.length, 'the cold ring is still being labelled').to.be.below(3_000);
    // The patches in flight finish on the fake clock.
    const stopped = h.sharder.stop();
    await h.run(1_000);
    await stopped;
  });

  it('goes on labelling while a takeover keeps failing', async () => {
    const h = setupJobOfB();
    h.leaseClient.failWith = new Error('leases.coordination.k8s.io is forbidden');
    await h.sharder.lead(new AbortController().signal);
    await h.aRenewsUntil(DURATION + 4);
    // b ran out; its takeover fails on every pass. A resource created now still gets its label.
    h.resource('late');
    await h.aRenewsUntil(DURATION + 10);
    expect(h.labels.patches.map((p) => p.name)).to.deep.equal(['late']);
    await h.sharder.stop();
  });

  it('takes a dead shard over one Lease after its last renewal when it watched the ring before its term (the sharder died too)', async () => {
    const h = setupJobOfB();
    h.sharder.watchRing();
    // b dies at 0, and so does the old sharder: this replica leads from 14 s, when its leader Lease
    // would have run out.
    await h.aRenewsUntil(14);
    expect(h.leaseClient.updates, 'no takeover before the term').to.deep.equal([]);
    await h.sharder.lead(new AbortController().signal);
    const s = await h.aRenewsUntilJobMoved();
    expect(h.leaseClient.updates.map((u) => u.name)).to.deep.equal([shardLeaseName('b')]);
    expect(s, "seconds from b's last renewal until its resource moved").to.be.at.most(DURATION + 4);
    await h.sharder.stop();
    h.sharder.stopWatchingRing();
  });

  it('asks a live owner to drain, and labels the new owner only after the owner removed its labels', async () => {
    // With a and b live, b owns it; then a shard joins that wins it (found by trying names).
    const h = setupJobOfB();
    await h.sharder.lead(new AbortController().signal);
    await h.run(300);
    const { assignShard } = await import('../../../src/shard/shard-assignment.js');
    const joiner = Array.from({ length: 100 }, (_, i) => `s${i}`).find(
      (s) => assignShard('uid-job', ['a', 'b', s]) === s,
    )!;
    h.lease(joiner, joiner, '1');
    await h.run(300);
    expect(h.labels.patches).to.deep.equal([
      { namespace: 'ns', name: 'job', labels: { [DRAIN_LABEL]: 'true' } },
    ]);
    h.resource('job', { [OWNER_LABEL]: 'b', [DRAIN_LABEL]: 'true' }, '2');
    await h.run(300);
    expect(h.labels.patches, 'waits for the acknowledgement').to.have.length(1);
    h.resource('job', {}, '3');
    await h.run(300);
    expect(h.labels.patches[1]).to.deep.equal({
      namespace: 'ns',
      name: 'job',
      labels: { [OWNER_LABEL]: joiner, [DRAIN_LABEL]: null },
      resourceVersion: '3',
    });
    await h.sharder.stop();
  });

  it('writes nothing once its leader Lease is not held with the margin', async () => {
    const h = setup({ mayAct: () => false });
    h.lease('a', 'a', '1');
    h.resource('job');
    await h.sharder.lead(new AbortController().signal);
    await h.run(500);
    expect(h.labels.patches).to.deep.equal([]);
    await h.sharder.stop();
  });

  it('deletes the Lease of a shard gone for a while once no resource names it, on the version seen gone', async () => {
    // b stops renewing: taken over, its resource moves, then it goes too.
    const h = setupJobOfB();
    h.lease('old', '', '7'); // released on SIGTERM by a pod that will never come back
    await h.sharder.lead(new AbortController().signal);
    await h.aRenewsUntil(58);
    expect(h.remover.deleted, 'not before the grace period').to.deep.equal([]);
    await h.aRenewsUntil(64);
    expect(h.remover.deleted).to.deep.equal([{ name: shardLeaseName('old'), resourceVersion: '7' }]);
    h.dropLease('old');
    // b was taken over at about 15 s: a minute after that, its Lease goes, on the takeover's version.
    await h.aRenewsUntil(80);
    expect(h.remover.deleted).to.deep.equal([
      { name: shardLeaseName('old'), resourceVersion: '7' },
      { name: shardLeaseName('b'), resourceVersion: '1+1' },
    ]);
    expect(
      h.remover.deleted.map((d) => d.name),
      'never a live shard',
    ).not.to.include(shardLeaseName('a'));
    await h.sharder.stop();
  });

  it('deletes no Lease while it may not act as sharder', async () => {
    const h = setup({ mayAct: () => false });
    h.lease('old', '', '7');
    await h.sharder.lead(new AbortController().signal);
    await h.run(70_000);
    expect(h.remover.deleted).to.deep.equal([]);
    await h.sharder.stop();
  });
});
