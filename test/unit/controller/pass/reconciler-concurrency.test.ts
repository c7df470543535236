import { expect } from 'chai';
import type { RunRecord, Spec } from '../../../../src/api/types.js';
import { harness } from './harness.js';

const fiveSecondsPastTen = '2026-03-01T10:00:05Z';
const fiveSecondsPastEleven = '2026-03-01T11:00:05Z';
const halfPastEleven = '2026-03-01T11:30:00Z';

const summary = (runs: readonly RunRecord[]) =>
  runs.map(
    (r) =>
      `${r.scheduledTime.slice(11, 16)} ${r.result}${r.reason ? `/${r.reason}` : ''} tasks=${r.tasks?.length ?? 0}`,
  );

describe('Reconciler: concurrencyPolicy', () => {
  interface Case {
    readonly name: string;
    readonly spec: Partial<Spec>;
    /** Tasks of the 10:00 run that stop before 11:00. */
    readonly finishedBeforeEleven?: number;
    readonly launchCountAtEleven: number[];
    readonly stoppedAtEleven: number;
    readonly runs: string[];
    readonly activeCount: number;
  }
  const cases: Case[] = [
    {
      name: 'Allow: launches alongside the running task',
      spec: { concurrencyPolicy: 'Allow' },
      launchCountAtEleven: [1],
      stoppedAtEleven: 0,
      runs: ['11:00 Running tasks=1', '10:00 Running tasks=1'],
      activeCount: 2,
    },
    {
      name: 'Forbid: skips while a task of an earlier run runs',
      spec: { concurrencyPolicy: 'Forbid' },
      launchCountAtEleven: [],
      stoppedAtEleven: 0,
      runs: ['11:00 Skipped/ConcurrencyForbid tasks=0', '10:00 Running tasks=1'],
      activeCount: 1,
    },
    {
      name: 'Forbid: launches when the earlier run has finished',
      spec: { concurrencyPolicy: 'Forbid' },
      finishedBeforeEleven: 1,
      launchCountAtEleven: [1],
      stoppedAtEleven: 0,
      runs: ['11:00 Running tasks=1', '10:00 Succeeded tasks=1'],
      activeCount: 1,
    },
    {
      name: 'Replace: stops the running task, then launches',
      spec: { concurrencyPolicy: 'Replace' },
      launchCountAtEleven: [1],
      stoppedAtEleven: 1,
      runs: ['11:00 Running tasks=1', '10:00 Running/Replaced tasks=1'],
      activeCount: 2,
    },
    {
      name: 'TopUp: launches only the shortfall to taskCount',
      spec: { concurrencyPolicy: 'TopUp', taskCount: 3 },
      finishedBeforeEleven: 2,
      launchCountAtEleven: [2],
      stoppedAtEleven: 0,
      runs: ['11:00 Running tasks=2', '10:00 Running/NonZeroExit tasks=3'],
      activeCount: 3,
    },
    {
      name: 'TopUp: skips when the desired count already runs',
      spec: { concurrencyPolicy: 'TopUp', taskCount: 3 },
      launchCountAtEleven: [],
      stoppedAtEleven: 0,
      runs: ['11:00 Skipped/AlreadyRunning tasks=0', '10:00 Running tasks=3'],
      activeCount: 3,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const h = harness({ successfulRunsHistoryLimit: 3, failedRunsHistoryLimit: 3, ...c.spec });
      await h.reconcile(fiveSecondsPastTen);
      const firstArns = h.launcher.taskArns();
      // TopUp's shortfall counts only tasks still running; exit 1 marks the stopped ones as failed.
      for (const arn of firstArns.slice(0, c.finishedBeforeEleven ?? 0)) {
        h.launcher.finish(arn, { app: c.spec.concurrencyPolicy === 'TopUp' ? 1 : 0 });
      }
      await h.reconcile(fiveSecondsPastEleven);
      expect(h.launcher.runRequests.slice(1).map((r) => r.count)).to.deep.equal(c.launchCountAtEleven);
      expect(h.launcher.stopRequests.flatMap((s) => s.taskArns)).to.have.length(c.stoppedAtEleven);
      expect(summary(h.runs())).to.deep.equal(c.runs);
      expect(h.status().activeCount).to.equal(c.activeCount);
    });
  }

  it('Replace: the replaced run settles as Failed with reason Replaced', async () => {
    const h = harness({ concurrencyPolicy: 'Replace', failedRunsHistoryLimit: 3 });
    await h.reconcile(fiveSecondsPastTen);
    await h.reconcile(fiveSecondsPastEleven);
    await h.reconcile('2026-03-01T11:00:20Z');
    expect(summary(h.runs())).to.deep.equal(['11:00 Running tasks=1', '10:00 Failed/Replaced tasks=1']);
    expect(h.events.reasons()).to.include('RunFailed');
  });

  it('run-now obeys Forbid and is consumed anyway', async () => {
    const h = harness({ concurrencyPolicy: 'Forbid' });
    await h.reconcile(fiveSecondsPastTen);
    h.annotate({ 'ecs-scheduler.dev/run-now': 'manual-1' });
    await h.reconcile(halfPastEleven.replace('11', '10'));
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.status().lastRunNow).to.equal('manual-1');
    expect(h.runs()[0]).to.include({ result: 'Skipped', reason: 'ConcurrencyForbid' });
  });
});
