import { expect } from 'chai';
import type { RunRecord, Spec } from '../../../../src/api/types.js';
import { Reconciler } from '../../../../src/controller/pass/reconciler.js';
import { alwaysHeld } from '../../../../src/controller/runtime/fencing.js';
import { TaskTracker } from '../../../../src/controller/runtime/task-tracker.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { flushPromises } from '../../../support/fake-clock.js';
import { harness, key } from './harness.js';

const DELAY_MS = 10_000;
const nineFifty = '2026-03-01T09:50:00Z';
const launchAt = '2026-03-01T10:00:05Z';

const summary = (runs: readonly RunRecord[] | undefined) =>
  (runs ?? []).map(
    (r) =>
      `${r.scheduledTime.slice(11, 19)} ${r.result}${r.reason ? `/${r.reason}` : ''} tasks=${r.tasks?.length ?? 0}`,
  );

/** The harness with a shared tracker and the launch-write delay, its status written before 10:00. */
async function setUp(spec: Partial<Spec> = {}, now = nineFifty) {
  const h = harness(spec, {
    sharedTracker: true,
    deps: { launchWriteDelayMs: DELAY_MS },
    now,
    creationTimestamp: new Date(Date.parse(now) - 1_000).toISOString(),
  });
  await h.reconcile(now);
  const before = h.store.statusWrites.length;
  return { ...h, writes: () => h.store.statusWrites.slice(before) };
}

/** Moves the fake clock on, letting the tracker's polls (timers on that clock) answer. */
async function advance(h: { clock: { advance(ms: number): void } }, ms: number): Promise<void> {
  for (let step = 0; step < ms; step += 500) {
    h.clock.advance(Math.min(500, ms - step));
    await flushPromises();
  }
}

describe('Reconciler: one status write per ordinary run (--launch-write-delay)', () => {
  it('a 3-second task: exactly one status write, with the finished run', async () => {
    const h = await setUp();
    const launched = await h.reconcile(launchAt);
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.writes(), 'the launch write waits').to.deep.equal([]);
    expect(launched.requeueAfterMs, 'back when the delay is over at the latest').to.equal(DELAY_MS);
    expect(h.events.reasons(), 'events wait for the write that explains them').to.deep.equal([]);

    // Another pass meanwhile (a resync): the waiting run is this resource's, so no second launch.
    await advance(h, 1_000);
    await h.reconcile();
    expect(h.launcher.runRequests, 'no second RunTask').to.have.length(1);
    expect(h.writes()).to.deep.equal([]);

    await advance(h, 2_000);
    h.launcher.finishAll();
    // The tracker asks about a waiting launch's tasks before its write is due, and wakes it.
    await advance(h, 6_000);
    expect(h.woken).to.include(key);
    await h.reconcile();

    expect(h.writes()).to.have.length(1);
    expect(summary(h.writes()[0]!.status.runs)).to.deep.equal(['10:00:00 Succeeded tasks=1']);
    expect(h.status().lastScheduleTime).to.equal('2026-03-01T10:00:00.000Z');
    expect(h.events.reasons()).to.include('Launched');
    await advance(h, 20_000);
    await h.reconcile();
    expect(h.writes(), 'nothing more to write').to.have.length(1);
  });

  it('a 60-second task: one write at the delay showing Running, one at its end', async () => {
    const h = await setUp();
    await h.reconcile(launchAt);
    await advance(h, 9_000);
    expect(h.woken, 'a task still running wakes nobody').to.deep.equal([]);
    await h.reconcile();
    expect(h.writes(), 'still within the delay').to.deep.equal([]);
    await advance(h, 1_000);
    await h.reconcile();
    expect(h.writes()).to.have.length(1);
    expect(summary(h.writes()[0]!.status.runs)).to.deep.equal(['10:00:00 Running tasks=1']);
    expect(h.writes()[0]!.status.activeCount).to.equal(1);

    await advance(h, 50_000);
    h.launcher.finishAll();
    await advance(h, 20_000);
    expect(h.woken).to.include(key);
    await h.reconcile();
    expect(h.writes()).to.have.length(2);
    expect(summary(h.writes()[1]!.status.runs)).to.deep.equal(['10:00:00 Succeeded tasks=1']);
  });

  it('a run due while the first write waits is folded into the same write', async () => {
    const h = await setUp({ schedule: '*/5 * * * * *', concurrencyPolicy: 'Allow' }, '2026-03-01T10:00:03Z');
    await h.reconcile('2026-03-01T10:00:05.5Z');
    await h.reconcile('2026-03-01T10:00:10.5Z');
    expect(h.launcher.runRequests).to.have.length(2);
    expect(h.writes(), 'both launches wait').to.deep.equal([]);
    h.launcher.finishAll();
    // The tracker asks about both runs' tasks before the first one's write is due.
    await advance(h, 3_000);
    expect(h.woken).to.include(key);
    await h.reconcile();
    expect(h.writes()).to.have.length(1);
    expect(summary(h.writes()[0]!.status.runs)).to.deep.equal([
      '10:00:10 Succeeded tasks=1',
      '10:00:05 Succeeded tasks=1',
    ]);
    expect(h.launcher.runRequests, 'each time launched once').to.have.length(2);
  });

  it('Forbid sees the waiting run as running: the next time is Skipped, written at once', async () => {
    const h = await setUp({ schedule: '*/5 * * * * *', concurrencyPolicy: 'Forbid' }, '2026-03-01T10:00:03Z');
    await h.reconcile('2026-03-01T10:00:05.5Z');
    expect(h.writes()).to.deep.equal([]);
    await h.reconcile('2026-03-01T10:00:10.5Z');
    expect(h.launcher.runRequests, 'no second launch').to.have.length(1);
    expect(h.writes()).to.have.length(1);
    expect(summary(h.writes()[0]!.status.runs)).to.deep.equal([
      '10:00:10 Skipped/ConcurrencyForbid tasks=0',
      '10:00:05 Running tasks=1',
    ]);
  });

  for (const restart of ['at once', 'after the next time fell due']) {
    it(`a crash before the waiting write (restart ${restart}): the next controller adopts the run with its tasks`, async () => {
      const h = await setUp({ taskCount: 3 });
      await h.reconcile(launchAt);
      expect(h.writes()).to.deep.equal([]);
      // The process dies: its reconciler, ledger, tracker and waiting write are gone.
      const clock = h.clock;
      clock.set(restart === 'at once' ? '2026-03-01T10:00:20Z' : '2026-03-01T11:00:05Z');
      const next = new Reconciler({
        store: h.store,
        launcher: h.launcher,
        events: h.events,
        clock,
        metrics: h.metrics,
        logger: silentLogger,
        defaultCluster: 'default',
        fence: alwaysHeld,
        tracker: new TaskTracker({
          launcher: h.launcher,
          clock,
          logger: silentLogger,
          onWake: () => undefined,
        }),
        launchWriteDelayMs: DELAY_MS,
      });
      await next.reconcile(key);
      const tenOClock = h.store
        .get(key)!
        .status?.runs?.find((r) => r.scheduledTime.startsWith('2026-03-01T10:00'));
      expect(tenOClock?.result, 'adopted, not Missed').to.equal('Running');
      expect(tenOClock?.tasks?.map((t) => t.taskArn).sort()).to.deep.equal(
        h.launcher.taskArns().slice(0, 3).sort(),
      );
      expect(h.launcher.findRequests.length, 'looked up by startedBy').to.be.greaterThan(0);
      const tenOClockLaunches = h.launcher.runRequests.filter(
        (r) => r.startedBy === h.launcher.runRequests[0]!.startedBy,
      );
      expect(tenOClockLaunches, 'no second RunTask for 10:00').to.have.length(1);
      expect(h.store.get(key)!.status?.missedRunsTotal ?? 0).to.equal(0);
    });
  }

  it('a graceful stop writes the waiting status; a lost term drops it and the next term adopts', async () => {
    const graceful = await setUp();
    const term = new AbortController();
    graceful.clock.set(launchAt);
    await graceful.reconciler.reconcile(key, term.signal);
    expect(graceful.writes()).to.deep.equal([]);
    await graceful.reconciler.flush(term.signal);
    expect(graceful.writes()).to.have.length(1);
    expect(summary(graceful.writes()[0]!.status.runs)).to.deep.equal(['10:00:00 Running tasks=1']);

    const lost = await setUp();
    const first = new AbortController();
    lost.clock.set(launchAt);
    await lost.reconciler.reconcile(key, first.signal);
    first.abort(new Error('leadership lost'));
    const lookups = lost.launcher.findRequests.length;
    await lost.reconciler.flush(first.signal);
    expect(lost.writes(), 'a lost term writes nothing').to.deep.equal([]);
    await advance(lost, 5_000);
    await lost.reconciler.reconcile(key, new AbortController().signal);
    expect(lost.launcher.runRequests, 'not launched again').to.have.length(1);
    expect(lost.launcher.findRequests.length - lookups, 'looked up by startedBy').to.equal(1);
    expect(summary(lost.runs())).to.deep.equal(['10:00:00 Running tasks=1']);
  });

  it('without the delay (the default outside the app) the launch is written at once', async () => {
    const h = harness({}, { sharedTracker: true });
    await h.reconcile(nineFifty);
    await h.reconcile(launchAt);
    expect(summary(h.runs())).to.deep.equal(['10:00:00 Running tasks=1']);
  });
});
