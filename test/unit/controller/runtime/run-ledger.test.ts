import { expect } from 'chai';
import {
  LaunchLedger,
  launchClientToken,
  TOKEN_WINDOW_MS,
} from '../../../../src/controller/runtime/run-ledger.js';
import {
  attemptIdentity,
  recordedRunIdentity,
  runNowIdentity,
  runNowKeyOf,
  scheduledRunIdentity,
} from '../../../../src/controller/decide/run-identity.js';
import { batchClientToken } from '../../../../src/aws/ecs/run-task-request.js';
import { fixtureUid, scheduledTask } from '../../../support/resources.js';

const ten = new Date('2026-03-01T10:00:00Z');
const nineOClock = new Date('2026-03-01T09:00:00Z');

describe('run ledger', () => {
  describe('launchClientToken', () => {
    const identity = scheduledRunIdentity(scheduledTask(), ten);

    it('is the identity token for the first attempt and the same on every call (any replica)', () => {
      expect(launchClientToken(identity, 0)).to.equal(`${fixtureUid}-${ten.getTime() / 1000}`);
      expect(launchClientToken(scheduledRunIdentity(scheduledTask(), ten), 0)).to.equal(
        launchClientToken(identity, 0),
      );
    });

    it('gives each attempt its own token', () => {
      const tokens = [0, 1, 2, 35, 36].map((a) => launchClientToken(identity, a));
      expect(new Set(tokens).size).to.equal(5);
      expect(tokens[1]).to.equal(`${tokens[0]}-a1`);
    });

    it('leaves room for the 100th batch suffix within 64 characters, hashing long identities apart', () => {
      const long = { clientToken: 'x'.repeat(70) };
      const other = { clientToken: `${'x'.repeat(69)}y` };
      const a = launchClientToken(long, 99);
      expect(batchClientToken(a, 99).length).to.be.at.most(64);
      expect(batchClientToken(a, 99)).to.match(/-b99$/);
      expect(launchClientToken(long, 0)).to.not.equal(launchClientToken(other, 0));
    });
  });

  describe('attempt identities (retries)', () => {
    const run = scheduledRunIdentity(scheduledTask(), ten);
    const longUid = scheduledRunIdentity(scheduledTask({}, { uid: 'u'.repeat(64) }), ten);

    it('the first attempt is the run itself; each retry gets its own startedBy and token, the same on every call', () => {
      expect(attemptIdentity(run, 1)).to.equal(run);
      const second = attemptIdentity(run, 2);
      expect(second.startedBy).to.equal(`${run.startedBy}-r1`);
      expect(launchClientToken(second, 0)).to.equal(`${launchClientToken(run, 0)}-r1`);
      expect(attemptIdentity(run, 2)).to.deep.equal(second);
      expect(second.tags).to.deep.equal(run.tags);
      const tokens = [1, 2, 3, 11].map((a) => launchClientToken(attemptIdentity(run, a), 0));
      expect(new Set(tokens).size).to.equal(4);
    });

    it('stays within ECS limits for the longest identity and the 11th attempt', () => {
      const last = attemptIdentity(longUid, 11);
      expect(last.startedBy.length).to.be.at.most(128);
      expect(last.startedBy).to.match(/-r10$/);
      const token = launchClientToken(last, 35);
      expect(batchClientToken(token, 99).length).to.be.at.most(64);
      expect(token).to.not.equal(launchClientToken(attemptIdentity(longUid, 10), 35));
    });

    it('a run-now run is found again from its record', () => {
      const resource = scheduledTask();
      const direct = runNowIdentity(resource, 'please', ten);
      const recorded = recordedRunIdentity(resource, {
        scheduledTime: ten.toISOString(),
        runNowKey: runNowKeyOf('please'),
      });
      expect(recorded.startedBy).to.equal(direct.startedBy);
      expect(recorded.clientToken).to.equal(direct.clientToken);
    });
  });

  describe('needsLookup', () => {
    const term = new AbortController().signal;
    interface Case {
      readonly name: string;
      readonly scheduledTime: Date;
      readonly now: Date;
      readonly kind?: 'scheduled' | 'run-now';
      readonly unrecorded?: boolean;
      readonly want: boolean;
    }
    const cases: Case[] = [
      { name: 'a time due inside this term: the token suffices', scheduledTime: ten, now: ten, want: false },
      {
        name: 'a time due before this term began: the previous leader may have launched it',
        scheduledTime: new Date('2026-03-01T08:59:55Z'),
        now: ten,
        want: true,
      },
      {
        name: 'a time within the clock-skew margin of the term start',
        scheduledTime: new Date('2026-03-01T09:00:05Z'),
        now: ten,
        want: true,
      },
      {
        name: 'run-now: its identity carries no time',
        scheduledTime: ten,
        now: ten,
        kind: 'run-now',
        want: true,
      },
      {
        name: 'our own launch whose status write did not land',
        scheduledTime: ten,
        now: ten,
        unrecorded: true,
        want: true,
      },
      {
        name: 'a run older than the token window',
        scheduledTime: ten,
        now: new Date(ten.getTime() + TOKEN_WINDOW_MS + 1),
        want: true,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const ledger = new LaunchLedger();
        ledger.enterTerm(term, nineOClock);
        if (c.unrecorded) ledger.launching('data/report');
        const q = { key: 'data/report', scheduledTime: c.scheduledTime, now: c.now, signal: term };
        expect(ledger.needsLookup({ ...q, kind: c.kind ?? 'scheduled' })).to.equal(c.want);
      });
    }

    it('a recorded launch needs no lookup again, and a new term starts its own clock', () => {
      const ledger = new LaunchLedger();
      ledger.enterTerm(term, nineOClock);
      ledger.launching('data/report');
      ledger.recorded('data/report');
      const q = { key: 'data/report', scheduledTime: ten, now: ten, kind: 'scheduled' as const };
      expect(ledger.needsLookup({ ...q, signal: term })).to.equal(false);
      const next = new AbortController().signal;
      ledger.enterTerm(next, new Date('2026-03-01T10:00:30Z'));
      expect(ledger.needsLookup({ ...q, signal: next })).to.equal(true);
    });

    it('a resource that came to this replica mid-term (a shard handover) counts from its first pass here', () => {
      const ledger = new LaunchLedger();
      ledger.enterTerm(term, nineOClock, 'data/other');
      const arrived = new Date('2026-03-01T10:05:00Z');
      ledger.enterTerm(term, arrived, 'data/report');
      const q = { key: 'data/report', kind: 'scheduled' as const, signal: term, now: arrived };
      // Due after the term began but before the resource was ours: its old owner may have launched it.
      expect(ledger.needsLookup({ ...q, scheduledTime: new Date('2026-03-01T10:04:00Z') })).to.equal(true);
      expect(ledger.needsLookup({ ...q, scheduledTime: new Date('2026-03-01T10:06:00Z') })).to.equal(false);
      // The resource that was ours all term long is unchanged.
      expect(
        ledger.needsLookup({ ...q, key: 'data/other', scheduledTime: new Date('2026-03-01T10:04:00Z') }),
      ).to.equal(false);
      // Later passes do not move its start.
      ledger.enterTerm(term, new Date('2026-03-01T10:30:00Z'), 'data/report');
      expect(ledger.needsLookup({ ...q, scheduledTime: new Date('2026-03-01T10:06:00Z') })).to.equal(false);
    });

    it('a resource that left (handed over or deleted) and came back counts from its return', () => {
      const ledger = new LaunchLedger();
      ledger.enterTerm(term, nineOClock, 'data/report');
      ledger.forget('data/report');
      const back = new Date('2026-03-01T11:00:00Z');
      ledger.enterTerm(term, back, 'data/report');
      const q = { key: 'data/report', kind: 'scheduled' as const, signal: term, now: back };
      expect(ledger.needsLookup({ ...q, scheduledTime: new Date('2026-03-01T10:30:00Z') })).to.equal(true);
    });
  });
});
