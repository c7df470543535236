import { expect } from 'chai';
import type { RunRecord } from '../../../../src/api/types.js';
import { harness } from './harness.js';

const fiveSecondsPastTen = '2026-03-01T10:00:05Z';
const stoppedAt = '2026-03-01T10:00:40Z';
const oneMinutePastTen = '2026-03-01T10:01:00Z';
const threeMinutesPastTen = '2026-03-01T10:03:00Z';
const tenPastTen = '2026-03-01T10:10:00Z';
const elevenPastTen = '2026-03-01T10:11:00Z';

const summary = (runs: readonly RunRecord[]) =>
  runs.map((r) => `${r.scheduledTime.slice(11, 16)} ${r.result}${r.reason ? `/${r.reason}` : ''}`);

describe('Reconciler: tracking runs', () => {
  interface Case {
    readonly name: string;
    readonly exitCodes: Record<string, number>;
    readonly essential?: string[];
    readonly stopCode?: string;
    readonly result: string;
    readonly event: string;
  }
  const cases: Case[] = [
    {
      name: 'every essential container exited 0: Succeeded',
      exitCodes: { app: 0 },
      result: '10:00 Succeeded',
      event: 'RunSucceeded',
    },
    {
      name: 'an essential container exited 1: Failed',
      exitCodes: { app: 1 },
      result: '10:00 Failed/NonZeroExit',
      event: 'RunFailed',
    },
    {
      name: 'a non-essential sidecar killed on the way out does not fail the run',
      exitCodes: { app: 0, 'log-router': 137 },
      essential: ['app'],
      result: '10:00 Succeeded',
      event: 'RunSucceeded',
    },
    {
      name: 'a task that never started (no exit code): Failed',
      exitCodes: {},
      stopCode: 'TaskFailedToStart',
      result: '10:00 Failed/TaskStopped',
      event: 'RunFailed',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const h = harness();
      await h.reconcile(fiveSecondsPastTen);
      const [arn] = h.launcher.taskArns();
      h.clock.set(stoppedAt);
      h.launcher.finish(arn!, c.exitCodes, {
        ...(c.essential ? { essentialContainers: c.essential } : {}),
        ...(c.stopCode ? { stopCode: c.stopCode } : {}),
      });
      await h.reconcile(oneMinutePastTen);
      expect(summary(h.runs())).to.deep.equal([c.result]);
      expect(h.events.reasons()).to.deep.equal(['Launched', c.event]);
      const status = h.status();
      expect(status.activeCount).to.equal(0);
      expect(status.active).to.deep.equal([]);
      expect(status.lastResult).to.equal(c.result.split(' ')[1]!.split('/')[0]);
      expect(h.runs()[0]!.tasks![0]!.exitCodes).to.deep.equal(
        Object.keys(c.exitCodes).length ? c.exitCodes : undefined,
      );
      if (c.event === 'RunSucceeded')
        expect(status.lastSuccessfulTime).to.equal(new Date(stoppedAt).toISOString());
    });
  }

  it('mirrors unfinished tasks in status.active', async () => {
    const h = harness({ taskCount: 2 });
    await h.reconcile(fiveSecondsPastTen);
    await h.reconcile(oneMinutePastTen);
    const status = h.status();
    expect(status.activeCount).to.equal(2);
    expect(status.active?.map((a) => a.scheduledTime)).to.deep.equal([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:00:00.000Z',
    ]);
  });

  it('tolerates MISSING for a grace period, then counts the task as lost', async () => {
    const h = harness();
    await h.reconcile(fiveSecondsPastTen);
    h.launcher.hide(h.launcher.taskArns()[0]!);
    await h.reconcile(oneMinutePastTen);
    expect(summary(h.runs())).to.deep.equal(['10:00 Running']);
    await h.reconcile(threeMinutesPastTen);
    expect(summary(h.runs())).to.deep.equal(['10:00 Failed/TasksVanished']);
  });

  it('stops tasks past activeDeadlineSeconds once, with an event, and settles the run as DeadlineExceeded', async () => {
    const h = harness({ activeDeadlineSeconds: 600 });
    await h.reconcile(fiveSecondsPastTen);
    await h.reconcile(tenPastTen);
    expect(h.launcher.stopRequests).to.have.length(0);
    await h.reconcile('2026-03-01T10:10:05Z');
    expect(h.launcher.stopRequests).to.have.length(1);
    expect(h.launcher.stopRequests[0]!.reason).to.contain('activeDeadlineSeconds');
    expect(h.events.reasons()).to.deep.equal(['Launched', 'DeadlineExceeded']);
    await h.reconcile(elevenPastTen);
    expect(h.launcher.stopRequests, 'not stopped twice').to.have.length(1);
    expect(summary(h.runs())).to.deep.equal(['10:00 Failed/DeadlineExceeded']);
  });

  it('a failed StopTask is retried on the next pass', async () => {
    const h = harness({ activeDeadlineSeconds: 60 });
    await h.reconcile(fiveSecondsPastTen);
    h.launcher.errors.stop = new Error('throttled');
    let failed = false;
    await h.reconcile(threeMinutesPastTen).catch(() => (failed = true));
    expect(failed).to.equal(true);
    h.launcher.errors.stop = undefined;
    await h.reconcile('2026-03-01T10:03:10Z');
    expect(h.launcher.stopRequests).to.have.length(2);
    expect(h.runs()[0]!.reason).to.equal('DeadlineExceeded');
  });

  it('trims history: Running kept, successes to successfulRunsHistoryLimit, the rest to failedRunsHistoryLimit', async () => {
    const h = harness({
      successfulRunsHistoryLimit: 2,
      failedRunsHistoryLimit: 1,
      startingDeadlineSeconds: 60,
    });
    const hours = ['10', '11', '12', '13', '14'];
    for (const [i, hour] of hours.entries()) {
      await h.reconcile(`2026-03-01T${hour}:00:05Z`);
      if (i < 3) h.launcher.finishAll({ app: 0 });
      else if (i === 3) h.launcher.finishAll({ app: 2 });
      await h.reconcile(`2026-03-01T${hour}:30:00Z`);
    }
    // 15:00 and 16:00 were passed over while nobody looked; the newest Missed displaces 13:00.
    await h.reconcile('2026-03-01T17:00:05Z');
    expect(summary(h.runs())).to.deep.equal([
      '17:00 Running',
      '16:00 Missed/Coalesced',
      '14:00 Running',
      '12:00 Succeeded',
      '11:00 Succeeded',
    ]);
    await h.reconcile('2026-03-01T18:30:00Z');
    expect(summary(h.runs())).to.deep.equal([
      '18:00 Missed/StartingDeadlineExceeded',
      '17:00 Running',
      '14:00 Running',
      '12:00 Succeeded',
      '11:00 Succeeded',
    ]);
  });
});
