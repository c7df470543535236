import { expect } from 'chai';
import type { Status } from '../../../../src/api/types.js';
import { validateResource } from '../../../../src/api/validation.js';
import { repairStatus, statusPath } from '../../../../src/controller/decide/status-repair.js';
import { scheduledTask } from '../../../support/resources.js';
import { harness } from '../pass/harness.js';

const watermark = '2026-03-01T09:00:00.000Z';
const runningArn = 'arn:aws:ecs:eu-west-1:123456789012:task/default/0000000000000000000000000000abcd';

const validate = (status: Status) =>
  validateResource(scheduledTask({}, { status })).filter((i) => i.path.startsWith('status'));

const running = {
  scheduledTime: watermark,
  result: 'Running',
  launchedAt: watermark,
  tasks: [{ taskArn: runningArn, lastStatus: 'RUNNING' }],
};

describe('status repair', () => {
  it('reads validator paths below status', () => {
    expect(statusPath('status.runs[2].tasks[0].exitCodes')).to.deep.equal([
      'runs',
      2,
      'tasks',
      0,
      'exitCodes',
    ]);
    expect(statusPath('spec.schedule')).to.equal(undefined);
  });

  interface Case {
    readonly name: string;
    readonly bad: Record<string, unknown>;
    readonly want: (s: Status) => void;
  }
  const cases: Case[] = [
    {
      name: 'an unknown field goes, everything else stays',
      bad: { lastScheduleTime: watermark, runs: [running], fromAnotherVersion: true },
      want: (s) => expect(s).to.deep.equal({ lastScheduleTime: watermark, runs: [running] }),
    },
    {
      name: 'a bad optional field of a run goes, the run stays',
      bad: { lastScheduleTime: watermark, runs: [{ ...running, queueDepth: -3 }] },
      want: (s) => expect(s.runs).to.deep.equal([running]),
    },
    {
      name: 'a run with a bad required field goes; the running run and the watermark survive',
      bad: {
        lastScheduleTime: watermark,
        runs: [running, { scheduledTime: watermark, result: 'Exploded' }, { result: 'Succeeded' }],
      },
      want: (s) => {
        expect(s.runs).to.deep.equal([running]);
        expect(s.lastScheduleTime).to.equal(watermark);
      },
    },
    {
      name: 'a bad task record goes, its run stays',
      bad: {
        lastScheduleTime: watermark,
        runs: [{ ...running, tasks: [...running.tasks, { lastStatus: 'RUNNING' }] }],
      },
      want: (s) => expect(s.runs).to.deep.equal([running]),
    },
    {
      name: 'a bad attempt record goes, its run and the other attempts stay',
      bad: {
        lastScheduleTime: watermark,
        runs: [
          {
            ...running,
            attempt: 3,
            attempts: [
              { attempt: 1, result: 'Failed', reason: 'NonZeroExit' },
              { attempt: 'two', result: 'Failed' },
            ],
          },
        ],
      },
      want: (s) =>
        expect(s.runs).to.deep.equal([
          { ...running, attempt: 3, attempts: [{ attempt: 1, result: 'Failed', reason: 'NonZeroExit' }] },
        ]),
    },
    {
      name: 'a dead-letter mark in an unknown state goes, its run stays',
      bad: {
        lastScheduleTime: watermark,
        runs: [{ ...running, deadLetter: { state: 'Lost' } }],
      },
      want: (s) => expect(s.runs).to.deep.equal([running]),
    },
    {
      name: 'a malformed watermark goes alone',
      bad: { lastScheduleTime: 'yesterday', missedRunsTotal: 4, runs: [running] },
      want: (s) => expect(s).to.deep.equal({ missedRunsTotal: 4, runs: [running] }),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const bad = c.bad as Status;
      const repaired = repairStatus(bad, validate(bad), validate);
      c.want(repaired.status);
      expect(validate(repaired.status)).to.deep.equal([]);
      expect(repaired.removed.length).to.be.greaterThan(0);
    });
  }

  it('the reconciler keeps following the running task of a repaired status and reports nothing Missed', async () => {
    const h = harness();
    await h.reconcile('2026-03-01T10:00:05Z');
    const [arn] = h.launcher.taskArns();
    // Hand-edited: an unknown field on the running run, and a run no version of us could write.
    h.store.update('data/report', (r) => {
      const runs = r.status!.runs as unknown as Record<string, unknown>[];
      runs[0]!.editedBy = 'someone';
      runs.push({ scheduledTime: 'last tuesday', result: 'Succeeded' });
    });
    await h.reconcile('2026-03-01T10:30:00Z');
    expect(h.status().lastScheduleTime).to.equal('2026-03-01T10:00:00.000Z');
    expect(h.status().active?.map((a) => a.taskArn)).to.deep.equal([arn]);
    expect(h.runs().map((r) => r.result)).to.deep.equal(['Running']);
    expect(h.status().missedRunsTotal ?? 0).to.equal(0);
    expect(h.launcher.runRequests, 'not launched again').to.have.length(1);
    expect(validate(h.status())).to.deep.equal([]);
  });
});
