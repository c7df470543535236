import { expect } from 'chai';
import {
  decide,
  desiredRecord,
  isFree,
  observe,
  releasedRecord,
  toMicroTime,
  validateTimings,
  type LeaseRecord,
  type Observation,
} from '../../../src/kube/lease-decisions.js';

const t0 = Date.parse('2026-03-01T12:00:00Z');
const seconds = (n: number) => t0 + n * 1000;

const heldByOther: LeaseRecord = {
  holderIdentity: 'other',
  leaseDurationSeconds: 15,
  acquireTime: '2026-03-01T11:00:00.000000Z',
  renewTime: '2026-03-01T11:59:59.000000Z',
  leaseTransitions: 3,
};

function seen(record: LeaseRecord, atMs = t0, resourceVersion = '100'): Observation {
  return { record, resourceVersion, observedAtMs: atMs };
}

describe('lease decisions', () => {
  describe('observe', () => {
    it('starts the clock on the first sight', () => {
      expect(observe(undefined, heldByOther, '100', t0).observedAtMs).to.equal(t0);
    });

    it('keeps the old sighting time while the record is unchanged (a dead holder runs out)', () => {
      const first = observe(undefined, heldByOther, '100', t0);
      expect(observe(first, { ...heldByOther }, '100', seconds(10)).observedAtMs).to.equal(t0);
    });

    it('restarts the clock when the holder renewed', () => {
      const first = observe(undefined, heldByOther, '100', t0);
      const renewed = { ...heldByOther, renewTime: '2026-03-01T12:00:02.000000Z' };
      expect(observe(first, renewed, '101', seconds(3)).observedAtMs).to.equal(seconds(3));
    });

    it('restarts the clock on a new resourceVersion alone', () => {
      const first = observe(undefined, heldByOther, '100', t0);
      expect(observe(first, heldByOther, '101', seconds(3)).observedAtMs).to.equal(seconds(3));
    });
  });

  describe('decide', () => {
    const cases: {
      name: string;
      observation: Observation;
      identity: string;
      now: number;
      expected: string;
    }[] = [
      {
        name: 'we hold it: renew',
        observation: seen({ ...heldByOther, holderIdentity: 'me' }),
        identity: 'me',
        now: seconds(100),
        expected: 'renew',
      },
      {
        name: 'another holder, fresh: follow',
        observation: seen(heldByOther),
        identity: 'me',
        now: seconds(14),
        expected: 'follow',
      },
      {
        name: 'just before expiry on our clock: follow',
        observation: seen(heldByOther),
        identity: 'me',
        now: seconds(15) - 1,
        expected: 'follow',
      },
      {
        name: 'expired on our clock: acquire',
        observation: seen(heldByOther),
        identity: 'me',
        now: seconds(15),
        expected: 'acquire',
      },
      {
        name: "a holder's renewTime in the future does not extend its lease (no trust in remote clocks)",
        observation: seen({ ...heldByOther, renewTime: '2099-01-01T00:00:00.000000Z' }),
        identity: 'me',
        now: seconds(16),
        expected: 'acquire',
      },
      {
        name: 'released (no holder): acquire at once',
        observation: seen({ ...heldByOther, holderIdentity: '' }),
        identity: 'me',
        now: t0,
        expected: 'acquire',
      },
      {
        name: 'no holder field at all: acquire',
        observation: seen({}),
        identity: 'me',
        now: t0,
        expected: 'acquire',
      },
      {
        name: 'released with a 1 s duration and no holder: acquire',
        observation: seen({ ...heldByOther, holderIdentity: '', leaseDurationSeconds: 1 }),
        identity: 'me',
        now: t0,
        expected: 'acquire',
      },
      {
        name: 'a missing duration falls back to ours',
        observation: seen({ holderIdentity: 'other' }),
        identity: 'me',
        now: seconds(14),
        expected: 'follow',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(decide(c.observation, c.identity, c.now, 15)).to.equal(c.expected);
      });
    }

    it('isFree follows the observed duration', () => {
      expect(isFree(seen({ holderIdentity: 'x', leaseDurationSeconds: 5 }), seconds(5), 15)).to.equal(true);
      expect(isFree(seen({ holderIdentity: 'x', leaseDurationSeconds: 5 }), seconds(4), 15)).to.equal(false);
    });
  });

  describe('desiredRecord', () => {
    const now = new Date(seconds(1));

    it('a renewal keeps the term: acquireTime and transitions', () => {
      const mine = { ...heldByOther, holderIdentity: 'me' };
      expect(desiredRecord(mine, 'me', now, 15)).to.deep.equal({
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: mine.acquireTime,
        renewTime: '2026-03-01T12:00:01.000000Z',
        leaseTransitions: 3,
      });
    });

    it('a takeover starts a new term and counts a transition', () => {
      expect(desiredRecord(heldByOther, 'me', now, 15)).to.deep.equal({
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: '2026-03-01T12:00:01.000000Z',
        renewTime: '2026-03-01T12:00:01.000000Z',
        leaseTransitions: 4,
      });
    });

    it('taking a released lease is not a transition from anyone', () => {
      expect(desiredRecord({ ...heldByOther, holderIdentity: '' }, 'me', now, 15).leaseTransitions).to.equal(
        3,
      );
    });

    it('creating the lease starts at zero transitions', () => {
      expect(desiredRecord(undefined, 'me', now, 15).leaseTransitions).to.equal(0);
    });
  });

  it('releasedRecord clears the holder and shortens the duration to 1 s', () => {
    const released = releasedRecord({ ...heldByOther, holderIdentity: 'me' }, new Date(seconds(2)));
    expect(released.holderIdentity).to.equal('');
    expect(released.leaseDurationSeconds).to.equal(1);
    expect(released.leaseTransitions).to.equal(3);
    expect(released.renewTime).to.equal('2026-03-01T12:00:02.000000Z');
  });

  it('toMicroTime writes microseconds', () => {
    expect(toMicroTime(new Date('2026-03-01T12:00:00.123Z'))).to.equal('2026-03-01T12:00:00.123000Z');
  });

  describe('validateTimings', () => {
    const cases: { name: string; lease: number; renew: number; retry: number; ok: boolean }[] = [
      { name: 'defaults 15/10/2', lease: 15, renew: 10, retry: 2, ok: true },
      { name: 'renew deadline not below lease duration', lease: 10, renew: 10, retry: 2, ok: false },
      { name: 'retry period too close to the renew deadline', lease: 15, renew: 2, retry: 2, ok: false },
      { name: 'zero retry period', lease: 15, renew: 10, retry: 0, ok: false },
      {
        name: 'fractional lease duration (the API takes whole seconds)',
        lease: 15.5,
        renew: 10,
        retry: 2,
        ok: false,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const result = validateTimings({
          leaseDurationSeconds: c.lease,
          renewDeadlineSeconds: c.renew,
          retryPeriodSeconds: c.retry,
        });
        expect(result === undefined).to.equal(c.ok);
      });
    }
  });
});
