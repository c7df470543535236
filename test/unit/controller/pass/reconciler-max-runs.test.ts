// spec.maxRuns: the resource stops scheduling after that many scheduled runs, counted in
// status.launchedRunsTotal (which history trimming does not touch), and says so in Ready.
import { expect } from 'chai';
import { ConditionType, findCondition } from '../../../../src/controller/decide/conditions.js';
import { harness } from './harness.js';

const hour = (h: number, m = 0, s = 5) =>
  `2026-03-01T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}Z`;

describe('Reconciler: maxRuns', () => {
  it('launches exactly maxRuns scheduled runs, then clears nextScheduleTime and says MaxRunsReached', async () => {
    // One succeeded run kept: the count must come from the counter, not from status.runs.
    const h = harness({ maxRuns: 3, successfulRunsHistoryLimit: 1 });
    const requeues: (number | undefined)[] = [];
    for (const at of [10, 11, 12, 13, 14, 15]) {
      requeues.push((await h.reconcile(hour(at))).requeueAfterMs);
      h.launcher.finishAll();
      await h.reconcile(hour(at, 1));
    }
    expect(h.launcher.runRequests.map((r) => r.startedBy.split('/').at(-1))).to.deep.equal(
      ['10', '11', '12'].map((h) => String(Date.parse(`2026-03-01T${h}:00:00Z`) / 1000)),
    );
    const status = h.status();
    expect(status.launchedRunsTotal).to.equal(3);
    expect(status.runs).to.have.length(1);
    expect(status.nextScheduleTime).to.equal(undefined);
    const ready = findCondition(status.conditions, ConditionType.Ready);
    expect(ready).to.include({ status: 'True', reason: 'MaxRunsReached' });
    expect(ready?.message).to.contain('3 of 3');
    expect(h.metrics.schedules.get('data/report')?.next).to.equal(undefined);
    // The pass that launched the third run keeps no timer for the fourth.
    expect(requeues[2]).to.equal(10_000);
    expect(requeues[3]).to.equal(undefined);
  });

  it('the pass that launches the last run already shows no next time', async () => {
    const h = harness({ maxRuns: 1 });
    await h.reconcile(hour(10));
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.status().nextScheduleTime).to.equal(undefined);
    expect(findCondition(h.status().conditions, ConditionType.Ready)?.reason).to.equal('MaxRunsReached');
  });

  it('raising maxRuns resumes at the next time, without launching what passed meanwhile', async () => {
    const h = harness({ maxRuns: 1 });
    await h.reconcile(hour(10));
    h.launcher.finishAll();
    await h.reconcile(hour(11));
    await h.reconcile(hour(12));
    expect(h.launcher.runRequests).to.have.length(1);
    h.apply({ maxRuns: 2 });
    await h.reconcile(hour(12, 30));
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.status().nextScheduleTime).to.equal('2026-03-01T13:00:00.000Z');
    await h.reconcile(hour(13));
    expect(h.launcher.runRequests).to.have.length(2);
    expect(h.status().launchedRunsTotal).to.equal(2);
  });

  it('a run-now is neither counted nor stopped by maxRuns', async () => {
    const h = harness({ maxRuns: 1 });
    await h.reconcile(hour(10));
    h.launcher.finishAll();
    h.annotate({ 'ecs-scheduler.dev/run-now': 'once' });
    await h.reconcile(hour(10, 30));
    expect(h.launcher.runRequests).to.have.length(2);
    expect(h.status().launchedRunsTotal).to.equal(1);
  });

  it('a Skipped run is not counted', async () => {
    const h = harness({ maxRuns: 2, concurrencyPolicy: 'Forbid' });
    await h.reconcile(hour(10));
    await h.reconcile(hour(11)); // the 10:00 task still runs: 11:00 is Skipped
    h.launcher.finishAll();
    await h.reconcile(hour(12));
    expect(h.launcher.runRequests).to.have.length(2);
    expect(h.status().launchedRunsTotal).to.equal(2);
    expect(h.runs().map((r) => r.result)).to.include('Skipped');
  });
});
