// spec.catchup through a whole pass: after downtime, up to maxRuns missed times launch, oldest
// first, each under its own identity; older ones are Missed as without catch-up.
import { expect } from 'chai';
import { fixtureUid } from '../../../support/resources.js';
import { harness } from './harness.js';

const epochOf = (iso: string) => Date.parse(iso) / 1000;
const hourOf = (startedBy: string) =>
  new Date(Number(startedBy.split('/').at(-1)) * 1000).toISOString().slice(11, 16);
const summary = (runs: readonly { scheduledTime: string; result: string; reason?: string }[]) =>
  runs.map((r) => `${r.scheduledTime.slice(11, 16)} ${r.result}${r.reason ? `/${r.reason}` : ''}`);

describe('Reconciler: catchup', () => {
  // Created at 03:30; the controller comes back at 10:00:30 after missing 04:00 to 09:00.
  const downtime = { creationTimestamp: '2026-03-01T03:30:00Z' };

  it('launches the 5 newest missed times oldest first, once each; older ones are Missed', async () => {
    const h = harness(
      { catchup: { maxRuns: 5 }, failedRunsHistoryLimit: 10, successfulRunsHistoryLimit: 10 },
      downtime,
    );
    await h.reconcile('2026-03-01T10:00:30Z');
    expect(h.launcher.runRequests.map((r) => hourOf(r.startedBy))).to.deep.equal([
      '06:00',
      '07:00',
      '08:00',
      '09:00',
      '10:00',
    ]);
    expect(h.launcher.runRequests[0]!.clientToken).to.equal(
      `${fixtureUid}-${epochOf('2026-03-01T06:00:00Z')}`,
    );
    expect(summary(h.runs())).to.deep.equal([
      '10:00 Running',
      '09:00 Running',
      '08:00 Running',
      '07:00 Running',
      '06:00 Running',
      '05:00 Missed/Coalesced',
      '04:00 Missed/Coalesced',
    ]);
    expect(h.status().lastScheduleTime).to.equal('2026-03-01T10:00:00.000Z');
    expect(h.status().missedRunsTotal).to.equal(2);
    // Later passes launch nothing again.
    await h.reconcile('2026-03-01T10:01:00Z');
    await h.reconcile('2026-03-01T10:30:00Z');
    expect(h.launcher.runRequests).to.have.length(5);
  });

  it('without catchup only the newest runs (unchanged)', async () => {
    const h = harness({ failedRunsHistoryLimit: 10 }, downtime);
    await h.reconcile('2026-03-01T10:00:30Z');
    expect(h.launcher.runRequests.map((r) => hourOf(r.startedBy))).to.deep.equal(['10:00']);
  });

  it('each caught-up run goes through the concurrency policy: Forbid launches the oldest, skips the rest', async () => {
    const h = harness(
      { catchup: { maxRuns: 3 }, concurrencyPolicy: 'Forbid', failedRunsHistoryLimit: 10 },
      downtime,
    );
    await h.reconcile('2026-03-01T10:00:30Z');
    expect(h.launcher.runRequests.map((r) => hourOf(r.startedBy))).to.deep.equal(['08:00']);
    expect(summary(h.runs()).slice(0, 3)).to.deep.equal([
      '10:00 Skipped/ConcurrencyForbid',
      '09:00 Skipped/ConcurrencyForbid',
      '08:00 Running',
    ]);
  });

  it('BufferOne: the oldest launches, the next waits, the rest are BufferFull', async () => {
    const h = harness(
      { catchup: { maxRuns: 3 }, concurrencyPolicy: 'BufferOne', failedRunsHistoryLimit: 10 },
      downtime,
    );
    await h.reconcile('2026-03-01T10:00:30Z');
    expect(h.launcher.runRequests.map((r) => hourOf(r.startedBy))).to.deep.equal(['08:00']);
    expect(h.status().bufferedRun?.scheduledTime).to.equal('2026-03-01T09:00:00.000Z');
    expect(summary(h.runs())[0]).to.equal('10:00 Skipped/BufferFull');
  });

  it('counts toward maxRuns and stops there', async () => {
    const h = harness({ catchup: { maxRuns: 5 }, maxRuns: 2, failedRunsHistoryLimit: 10 }, downtime);
    await h.reconcile('2026-03-01T10:00:30Z');
    expect(h.launcher.runRequests.map((r) => hourOf(r.startedBy))).to.deep.equal(['09:00', '10:00']);
    expect(h.status().launchedRunsTotal).to.equal(2);
    expect(h.status().nextScheduleTime).to.equal(undefined);
  });
});
