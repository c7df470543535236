// concurrencyPolicy: BufferOne on a fake clock: a run due while one runs waits (one at most,
// recorded in status.bufferedRun) and starts when that one ends; a further one is Skipped.
import { expect } from 'chai';
import type { RunRecord } from '../../../../src/api/types.js';
import { Reconciler } from '../../../../src/controller/pass/reconciler.js';
import { alwaysHeld } from '../../../../src/controller/runtime/fencing.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { fixtureUid } from '../../../support/resources.js';
import { harness, key } from './harness.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const everyTenSeconds = { schedule: '*/10 * * * * *', concurrencyPolicy: 'BufferOne' as const };
const scheduledAt = (r: { startedBy: string }) => (Number(r.startedBy.split('/').at(-1)) * 1000 - T0) / 1000;

describe('Reconciler: concurrencyPolicy BufferOne', () => {
  it('20-second tasks every 10 seconds: never two at once, each time launched or Skipped BufferFull', async () => {
    const h = harness(
      { ...everyTenSeconds, successfulRunsHistoryLimit: 100, failedRunsHistoryLimit: 100 },
      { creationTimestamp: at(-1) },
    );
    const launchedAt = new Map<string, number>();
    let most = 0;
    for (let s = 0; s <= 120; s++) {
      h.clock.set(at(s));
      // A task ends 20 seconds after it was launched.
      for (const arn of h.launcher.runningArns()) if (s - launchedAt.get(arn)! >= 20) h.launcher.finish(arn);
      await h.reconcile();
      for (const arn of h.launcher.runningArns()) if (!launchedAt.has(arn)) launchedAt.set(arn, s);
      most = Math.max(most, h.launcher.runningArns().length);
    }
    expect(most, 'tasks running at once').to.equal(1);
    const launched = h.launcher.runRequests.map(scheduledAt);
    expect(launched).to.deep.equal([0, 10, 20, 40, 60, 80, 100]);
    const byTime = new Map(h.runs().map((r) => [(Date.parse(r.scheduledTime) - T0) / 1000, r]));
    // Every scheduled time up to 110 s is accounted for: launched, or Skipped because one waited.
    for (let t = 0; t <= 110; t += 10) {
      const run = byTime.get(t);
      if (launched.includes(t)) expect(run?.result, `${t}s`).to.be.oneOf(['Running', 'Succeeded']);
      else expect(run, `${t}s`).to.include({ result: 'Skipped', reason: 'BufferFull' });
    }
    // The waiting ones record how long they waited.
    expect(byTime.get(0)?.launchDelaySeconds).to.equal(undefined);
    expect(byTime.get(10)?.launchDelaySeconds).to.equal(10);
    expect(byTime.get(20)?.launchDelaySeconds).to.equal(20);
    expect(byTime.get(100)?.launchDelaySeconds).to.equal(20);
    // At 120 s the run of 100 s started, and the one of 120 s waits behind it.
    expect(h.status().bufferedRun).to.deep.equal({ scheduledTime: at(120), since: at(120) });
    expect(h.events.reasons().filter((r) => r === 'Buffered')).to.have.length(7);
  });

  it('a restart keeps the waiting run: a new controller launches it once the running one ends', async () => {
    const h = harness(everyTenSeconds, { creationTimestamp: at(-1) });
    await h.reconcile(at(0));
    await h.reconcile(at(10));
    expect(h.status().bufferedRun?.scheduledTime).to.equal(at(10));
    // A new process: nothing in memory but what the status says.
    const restarted = new Reconciler({
      store: h.store,
      launcher: h.launcher,
      events: h.events,
      clock: h.clock,
      metrics: h.metrics,
      logger: silentLogger,
      defaultCluster: 'default',
      fence: alwaysHeld,
    });
    h.clock.set(at(15));
    await restarted.reconcile(key);
    expect(h.launcher.runRequests).to.have.length(1);
    h.launcher.finishAll();
    h.clock.set(at(16));
    await restarted.reconcile(key);
    expect(h.launcher.runRequests.map((r) => r.startedBy)).to.deep.equal([
      `ecss/${fixtureUid}/${(T0 + 0) / 1000}`,
      `ecss/${fixtureUid}/${(T0 + 10_000) / 1000}`,
    ]);
    expect(h.status().bufferedRun).to.equal(undefined);
    const run = h.runs().find((r: RunRecord) => r.scheduledTime === at(10));
    expect(run).to.include({ result: 'Running', launchDelaySeconds: 6 });
  });

  it('the waiting run goes first; a time due in the same pass waits behind it', async () => {
    const h = harness(everyTenSeconds, { creationTimestamp: at(-1) });
    await h.reconcile(at(0));
    await h.reconcile(at(10));
    h.launcher.finishAll();
    await h.reconcile(at(20));
    expect(h.launcher.runRequests.map(scheduledAt)).to.deep.equal([0, 10]);
    expect(h.status().bufferedRun?.scheduledTime).to.equal(at(20));
  });

  it('a waiting run past startingDeadlineSeconds is Missed, not launched', async () => {
    const h = harness(
      { ...everyTenSeconds, schedule: '0 * * * * *', startingDeadlineSeconds: 30, failedRunsHistoryLimit: 5 },
      { creationTimestamp: at(-1) },
    );
    await h.reconcile(at(0));
    await h.reconcile(at(60));
    expect(h.status().bufferedRun?.scheduledTime).to.equal(at(60));
    h.launcher.finishAll();
    await h.reconcile(at(95));
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.runs().find((r) => r.scheduledTime === at(60))).to.include({
      result: 'Missed',
      reason: 'StartingDeadlineExceeded',
    });
    expect(h.status().bufferedRun).to.equal(undefined);
    expect(h.status().missedRunsTotal).to.equal(1);
  });

  it('with maxRuns, the waiting run may take the last run: a time due in the same pass is Skipped', async () => {
    const h = harness(
      { ...everyTenSeconds, maxRuns: 2, failedRunsHistoryLimit: 5 },
      { creationTimestamp: at(-1) },
    );
    await h.reconcile(at(0));
    await h.reconcile(at(10));
    h.launcher.finishAll();
    await h.reconcile(at(20));
    h.launcher.finishAll();
    await h.reconcile(at(30));
    expect(h.launcher.runRequests.map(scheduledAt)).to.deep.equal([0, 10]);
    expect(h.runs().find((r) => r.scheduledTime === at(20))).to.include({
      result: 'Skipped',
      reason: 'MaxRunsReached',
    });
    expect(h.status().bufferedRun).to.equal(undefined);
    expect(h.status().launchedRunsTotal).to.equal(2);
  });

  it('suspending drops the waiting run as Skipped', async () => {
    const h = harness(everyTenSeconds, { creationTimestamp: at(-1) });
    await h.reconcile(at(0));
    await h.reconcile(at(10));
    h.apply({ suspend: true });
    await h.reconcile(at(12));
    expect(h.status().bufferedRun).to.equal(undefined);
    expect(h.runs().find((r) => r.scheduledTime === at(10))).to.include({
      result: 'Skipped',
      reason: 'Suspended',
    });
  });
});
