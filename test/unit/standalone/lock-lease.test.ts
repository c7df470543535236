// The decision behind the state file's lock, one row per branch: a holder in our own pid
// namespace is checked by its pid at once; any other (another host, a new pod, a reboot) by its
// lease, counted on our clock from when we first read the lock, and refused if it changes.
import { expect } from 'chai';
import {
  DEFAULT_LEASE_DURATION_MS,
  judgeLock,
  sharesProcessSpace,
  type JudgeInput,
  type LockHolder,
} from '../../../src/standalone/lock-lease.js';

const self: LockHolder = {
  pid: 100,
  host: 'pod-b',
  bootId: 'boot-1',
  pidNamespace: 'pid:[1]',
  startedAt: '2026-11-27T10:00:00Z',
};
const holder = (extra: Partial<LockHolder> = {}): LockHolder => ({
  pid: 200,
  host: 'pod-a',
  bootId: 'boot-1',
  pidNamespace: 'pid:[2]',
  startedAt: '2026-11-27T09:00:00Z',
  leaseDurationMs: 10_000,
  renewals: 3,
  ...extra,
});

const judge = (h: LockHolder | undefined, extra: Partial<JudgeInput> = {}) =>
  judgeLock({
    text: JSON.stringify(h),
    holder: h,
    self,
    nowMs: 1_000,
    observed: undefined,
    probe: { isRunning: () => false, startTicks: () => undefined },
    ...extra,
  });

describe('judgeLock (lock-lease)', () => {
  it('watches a lock that names no holder (a kill between create and write), as one without a lease', () => {
    const v = judge(undefined, { text: '' });
    expect(v.kind === 'wait' && v.untilMs).to.equal(1_000 + DEFAULT_LEASE_DURATION_MS);
    const observed = { text: '', sinceMs: 1_000 };
    expect(judge(undefined, { text: '', observed, nowMs: 1_000 + DEFAULT_LEASE_DURATION_MS })).to.deep.equal({
      kind: 'take',
    });
  });

  describe('a holder in our pid namespace: the pid decides, at once', () => {
    const local = holder({ host: 'pod-b', pidNamespace: 'pid:[1]' });
    it('takes over when its pid no longer runs', () => {
      expect(judge(local)).to.deep.equal({ kind: 'take' });
    });
    it('refuses while its pid runs the process that wrote it', () => {
      const v = judge({ ...local, startTicks: 7 }, { probe: { isRunning: () => true, startTicks: () => 7 } });
      expect(v.kind).to.equal('refuse');
    });
    it('takes over a reused pid (another start tick)', () => {
      const v = judge({ ...local, startTicks: 7 }, { probe: { isRunning: () => true, startTicks: () => 9 } });
      expect(v).to.deep.equal({ kind: 'take' });
    });
    it('takes over our own pid written by an earlier process', () => {
      const v = judge(
        { ...local, pid: 100 },
        { probe: { isRunning: () => true, startTicks: () => undefined } },
      );
      expect(v).to.deep.equal({ kind: 'take' });
    });
  });

  describe('a holder whose pid cannot be checked: the lease decides', () => {
    it('knows which holders share our process space', () => {
      expect(sharesProcessSpace(holder({ host: 'pod-b', pidNamespace: 'pid:[1]' }), self)).to.equal(true);
      expect(sharesProcessSpace(holder(), self), 'another host').to.equal(false);
      expect(sharesProcessSpace(holder({ host: 'pod-b' }), self), 'another pid namespace').to.equal(false);
      expect(
        sharesProcessSpace(holder({ host: 'pod-b', pidNamespace: 'pid:[1]', bootId: 'boot-0' }), self),
        'before a reboot',
      ).to.equal(false);
      expect(
        sharesProcessSpace(holder({ host: 'pod-b', pidNamespace: 'pid:[1]', bootId: undefined }), self),
        'one side without a boot id',
      ).to.equal(false);
      const { bootId: _b, pidNamespace: _n, ...noProc } = self;
      expect(
        sharesProcessSpace({ ...noProc, pid: 200 }, noProc),
        'neither side has /proc (macOS): the host decides',
      ).to.equal(true);
    });

    it('first read: waits the lease duration, on our clock, whatever the holder wrote as times', () => {
      const h = holder({ renewedAt: '1999-01-01T00:00:00Z' });
      const v = judge(h);
      expect(v).to.deep.equal({
        kind: 'wait',
        untilMs: 11_000,
        observation: { text: JSON.stringify(h), sinceMs: 1_000 },
      });
    });

    it('unchanged for the whole lease: takes over (a pod killed, a new pod with a new hostname)', () => {
      const h = holder();
      const observed = { text: JSON.stringify(h), sinceMs: 1_000 };
      expect(judge(h, { observed, nowMs: 10_999 }).kind).to.equal('wait');
      expect(judge(h, { observed, nowMs: 11_000 })).to.deep.equal({ kind: 'take' });
    });

    it('changed while we watched: the holder renews, so it runs; refuses', () => {
      const observed = { text: JSON.stringify(holder()), sinceMs: 1_000 };
      const v = judge(holder({ renewals: 4 }), { observed, nowMs: 60_000 });
      expect(v.kind).to.equal('refuse');
      expect(v.kind === 'refuse' && v.detail).to.match(/renewed its lock while this process watched/);
    });

    it('a lock without a lease (an older version) expires after the default duration', () => {
      const { leaseDurationMs: _l, ...old } = holder();
      const v = judge(old);
      expect(v.kind === 'wait' && v.untilMs).to.equal(1_000 + DEFAULT_LEASE_DURATION_MS);
    });

    it('a holder from before a reboot on this host waits for its lease too (it may be another machine)', () => {
      const v = judge(holder({ host: 'pod-b', pidNamespace: 'pid:[1]', bootId: 'boot-0' }));
      expect(v.kind).to.equal('wait');
    });
  });
});
