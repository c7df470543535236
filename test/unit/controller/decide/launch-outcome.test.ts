import { expect } from 'chai';
import type { RunRecord } from '../../../../src/api/types.js';
import {
  confirmedRunRecord,
  newRunRecord,
  type LaunchOutcome,
} from '../../../../src/controller/decide/launch-outcome.js';

const now = new Date('2026-03-01T10:00:05Z');
const arns = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ taskArn: `arn:t${from + i}` }));
const outcome = (o: Partial<LaunchOutcome>): LaunchOutcome => ({
  tasks: [],
  adopted: 0,
  failures: [],
  dryRun: false,
  attempts: 1,
  ...o,
});
const unconfirmed = { launchAttempt: 0, fromBatch: 1, count: 20 };
const waiting: RunRecord = {
  scheduledTime: '2026-03-01T10:00:00Z',
  result: 'Running',
  launchCount: 30,
  desiredCount: 30,
  launchAttempts: 1,
  tasks: arns(0, 10),
  reason: 'LaunchUnconfirmed',
  message: 'launched 10 of 30; 20 in RunTask batches without an answer',
  unconfirmedLaunch: unconfirmed,
};

describe('launch outcome: batches without an answer', () => {
  it('a first launch with unconfirmed batches keeps its launchCount: never a shortfall', () => {
    const run = newRunRecord({
      base: { scheduledTime: waiting.scheduledTime, result: 'Running' },
      desired: 30,
      count: 30,
      outcome: outcome({ tasks: arns(0, 10), unconfirmed }),
      now,
      retryable: true,
      message: 'launching 30 task(s)',
    });
    expect(run).to.include({ result: 'Running', launchCount: 30, reason: 'LaunchUnconfirmed' });
    expect(run.unconfirmedLaunch).to.deep.equal(unconfirmed);
  });

  const cases: {
    name: string;
    run: RunRecord;
    outcome: LaunchOutcome;
    retryable: boolean;
    expect: Partial<RunRecord>;
  }[] = [
    {
      name: 'all found or resent: the run is whole, no reason',
      run: waiting,
      outcome: outcome({ tasks: arns(10, 20) }),
      retryable: true,
      expect: { launchCount: 30, reason: undefined },
    },
    {
      name: 'short, scheduled first attempt: a capacity retry',
      run: waiting,
      outcome: outcome({ tasks: arns(10, 15) }),
      retryable: true,
      expect: { launchCount: 30, reason: 'CapacityUnavailable' },
    },
    {
      name: 'short, run-now or a retry attempt: final',
      run: waiting,
      outcome: outcome({ tasks: arns(10, 15) }),
      retryable: false,
      expect: { launchCount: 25, reason: 'CapacityUnavailable' },
    },
    {
      name: 'short after its deadline stopped it: the deadline stays the reason',
      run: { ...waiting, reason: 'DeadlineExceeded' },
      outcome: outcome({ tasks: arns(10, 5) }),
      retryable: true,
      expect: { launchCount: 15, reason: 'DeadlineExceeded' },
    },
    {
      name: 'the resend loses an answer again: still unconfirmed, from the new batch',
      run: waiting,
      outcome: outcome({ tasks: arns(10, 10), unconfirmed: { launchAttempt: 0, fromBatch: 2, count: 10 } }),
      retryable: true,
      expect: { launchCount: 30, reason: 'LaunchUnconfirmed' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const run = confirmedRunRecord(c.run, c.outcome, now, c.retryable);
      expect(run.tasks).to.have.length((c.run.tasks?.length ?? 0) + c.outcome.tasks.length);
      expect({ launchCount: run.launchCount, reason: run.reason }).to.deep.equal(c.expect);
      expect(run.unconfirmedLaunch).to.deep.equal(c.outcome.unconfirmed);
    });
  }
});
