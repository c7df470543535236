import { expect } from 'chai';
import type { RunRecord } from '../../../../src/api/types.js';
import {
  ConflictError,
  TerminalError,
  ThrottledError,
  TransientError,
} from '../../../../src/controller/errors.js';
import { shortHash } from '../../../../src/controller/decide/run-identity.js';
import { missingTaskDefinition } from '../../../support/recording-launcher.js';
import { fixtureUid } from '../../../support/resources.js';
import { harness, key } from './harness.js';

const ten = '2026-03-01T10:00:00Z';
const fiveSecondsPastTen = '2026-03-01T10:00:05Z';
const tenSecondsPastTen = '2026-03-01T10:00:10Z';
const twoMinutesPastTen = '2026-03-01T10:02:00Z';
const tenPastTen = '2026-03-01T10:10:00Z';

const summary = (runs: readonly RunRecord[]) =>
  runs.map(
    (r) =>
      `${r.scheduledTime.slice(11, 16)} ${r.result}${r.reason ? `/${r.reason}` : ''} tasks=${r.tasks?.length ?? 0}`,
  );

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('Reconciler: launching', () => {
  describe('capacity failures', () => {
    it('keeps the run pending, retries the remainder with backoff, then launches', async () => {
      const h = harness({ taskCount: 2 });
      h.launcher.script({ launch: 1 }, { launch: 0 });
      const first = await h.reconcile(fiveSecondsPastTen);
      expect(summary(h.runs())).to.deep.equal(['10:00 Running/CapacityUnavailable tasks=1']);
      expect(h.status().conditions?.find((c) => c.type === 'Reconciling')?.status).to.equal('True');
      expect(first.requeueAfterMs).to.equal(5000);

      await h.reconcile(tenSecondsPastTen);
      expect(h.launcher.runRequests.map((r) => r.count)).to.deep.equal([2, 1]);
      expect(summary(h.runs())).to.deep.equal(['10:00 Running/CapacityUnavailable tasks=1']);

      await h.reconcile('2026-03-01T10:00:30Z');
      expect(summary(h.runs())).to.deep.equal(['10:00 Running tasks=2']);
      const tokens = h.launcher.runRequests.map((r) => r.clientToken);
      expect(new Set(tokens).size, 'each attempt has its own client token').to.equal(3);
      expect(tokens.every((t) => t.length <= 64)).to.equal(true);
      expect(h.status().conditions?.find((c) => c.type === 'Reconciling')?.status).to.equal('False');
    });

    it('gives up when the launch window closes: LaunchFailed with an event', async () => {
      const h = harness({ startingDeadlineSeconds: 60 });
      h.launcher.script({ launch: 0 }, { launch: 0 });
      await h.reconcile(fiveSecondsPastTen);
      await h.reconcile('2026-03-01T10:00:30Z');
      await h.reconcile('2026-03-01T10:01:01Z');
      expect(h.launcher.runRequests).to.have.length(2);
      expect(summary(h.runs())).to.deep.equal(['10:00 LaunchFailed/CapacityUnavailable tasks=0']);
      expect(h.events.reasons()).to.deep.equal(['LaunchFailed']);
      expect(h.metrics.runs).to.deep.equal(['LaunchFailed']);
    });

    it('retries for five minutes by default when startingDeadlineSeconds is unset', async () => {
      const h = harness();
      h.launcher.script({ launch: 0 }, { launch: 0 });
      await h.reconcile(fiveSecondsPastTen);
      await h.reconcile('2026-03-01T10:04:59Z');
      expect(h.runs()[0]!.result).to.equal('Running');
      await h.reconcile('2026-03-01T10:05:00Z');
      expect(h.runs()[0]!.result).to.equal('LaunchFailed');
    });
  });

  it('records other RunTask failures as LaunchFailed and does not retry them', async () => {
    const h = harness();
    h.launcher.script({ launch: 0, failure: missingTaskDefinition });
    const result = await h.reconcile(fiveSecondsPastTen);
    expect(summary(h.runs())).to.deep.equal(['10:00 LaunchFailed/RunTaskFailure tasks=0']);
    expect(h.runs()[0]!.message).to.contain('MISSING');
    expect(h.events.events.map((e) => `${e.type} ${e.reason}`)).to.deep.equal(['Warning LaunchFailed']);
    await h.reconcile(tenSecondsPastTen);
    expect(h.launcher.runRequests).to.have.length(1);
    expect(result.requeueAfterMs).to.be.greaterThan(50 * 60_000);
  });

  it('records a request ECS refuses outright (terminal) as LaunchFailed', async () => {
    const h = harness();
    h.launcher.script({ error: new TerminalError('subnet-1 does not exist', 'InvalidParameter') });
    await h.reconcile(fiveSecondsPastTen);
    expect(summary(h.runs())).to.deep.equal(['10:00 LaunchFailed/RunTaskFailure tasks=0']);
  });

  it('a throttled RunTask leaves the time due and throws a TransientError for the queue to retry', async () => {
    const h = harness();
    h.launcher.script({ error: new ThrottledError('Rate exceeded') });
    const error = await rejection(h.reconcile(fiveSecondsPastTen));
    expect(error).to.be.instanceOf(TransientError);
    expect(h.status().lastScheduleTime, 'the watermark did not pass 10:00').to.equal(undefined);
    await h.reconcile(tenSecondsPastTen);
    expect(summary(h.runs())).to.deep.equal(['10:00 Running tasks=1']);
  });

  it('an unknown error from ECS is treated as transient', async () => {
    const h = harness();
    h.launcher.script({ error: new Error('socket hang up') });
    expect(await rejection(h.reconcile(fiveSecondsPastTen))).to.be.instanceOf(TransientError);
  });

  describe('exactly once', () => {
    it('after a crash between RunTask and the status write, the next pass adopts instead of relaunching', async () => {
      const h = harness({ taskCount: 2 });
      h.store.beforeNextWrite(() => {
        throw new Error('process killed');
      });
      await rejection(h.reconcile(fiveSecondsPastTen));
      expect(h.launcher.launchedCount).to.equal(2);
      expect(h.runs()).to.deep.equal([]);

      await h.reconcile(tenSecondsPastTen);
      expect(h.launcher.runRequests, 'no second RunTask').to.have.length(1);
      expect(h.launcher.launchedCount).to.equal(2);
      expect(summary(h.runs())).to.deep.equal(['10:00 Running tasks=2']);
      expect(h.runs()[0]!.message).to.contain('2 adopted');
    });

    it('tasks launched by a pass whose status write failed are adopted when that time is passed over', async () => {
      const h = harness();
      // The API server is down: RunTask for 10:00 succeeds, the status write does not.
      h.store.beforeNextWrite(() => {
        throw new Error('connect ECONNREFUSED');
      });
      await rejection(h.reconcile(fiveSecondsPastTen));
      // Back after 11:00: 10:00 is passed over, 11:00 is due.
      await h.reconcile('2026-03-01T11:00:05Z');
      expect(h.launcher.runRequests.map((r) => r.startedBy.split('/')[2])).to.deep.equal([
        String(Date.parse(ten) / 1000),
        String(Date.parse('2026-03-01T11:00:00Z') / 1000),
      ]);
      expect(summary(h.runs())).to.deep.equal(['11:00 Running tasks=1', '10:00 Running tasks=1']);
      expect(h.runs()[1]!.message).to.contain('adopted');
      expect(h.status().missedRunsTotal).to.equal(0);
      expect(h.events.events.map((e) => e.reason)).to.not.include('MissedSchedule');
    });

    it('passed-over times are looked up one after another, never all at once', async () => {
      const h = harness();
      h.store.beforeNextWrite(() => {
        throw new Error('connect ECONNREFUSED');
      });
      await rejection(h.reconcile(fiveSecondsPastTen));
      const find = h.launcher.findTasks.bind(h.launcher);
      let inFlight = 0;
      let most = 0;
      h.launcher.findTasks = async (...args) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return find(...args);
      };
      // Back after 14:00: 10:00 to 13:00 are passed over (10:00 launched unrecorded), 14:00 is due.
      await h.reconcile('2026-03-01T14:00:05Z');
      expect(
        most,
        "a burst of every resource's lookups after a failover would pass ECS's read quota",
      ).to.equal(1);
      expect(h.launcher.findRequests.length).to.be.at.least(4);
      expect(summary(h.runs()).slice(-1)).to.deep.equal(['10:00 Running tasks=1']);
      expect(h.status().missedRunsTotal).to.equal(3);
    });

    it('times this term passed over while it fell behind are recorded Missed without a lookup', async () => {
      const h = harness();
      await h.reconcile('2026-03-01T09:50:00Z'); // the term starts
      await h.reconcile(fiveSecondsPastTen);
      // Nobody looked at 11:00 and 12:00 (an overloaded queue); this term launched neither, and no
      // other replica launches during it.
      await h.reconcile('2026-03-01T13:00:05Z');
      expect(h.launcher.findRequests, 'no ListTasks').to.deep.equal([]);
      expect(h.status().missedRunsTotal).to.equal(2);
      expect(h.launcher.runRequests).to.have.length(2);
    });

    it('a partial launch before the crash is topped up, not relaunched', async () => {
      const h = harness({ taskCount: 3 });
      h.launcher.script({ launch: 1 });
      h.store.beforeNextWrite(() => {
        throw new Error('process killed');
      });
      await rejection(h.reconcile(fiveSecondsPastTen));
      await h.reconcile(tenSecondsPastTen);
      expect(h.launcher.runRequests.map((r) => r.count)).to.deep.equal([3, 2]);
      expect(h.launcher.launchedCount).to.equal(3);
    });

    it('a crash whose retry comes too late adopts the tasks instead of recording Missed', async () => {
      const h = harness({ startingDeadlineSeconds: 60 });
      h.store.beforeNextWrite(() => {
        throw new Error('process killed');
      });
      await rejection(h.reconcile(fiveSecondsPastTen));
      await h.reconcile(tenPastTen);
      expect(h.launcher.runRequests).to.have.length(1);
      expect(summary(h.runs())).to.deep.equal(['10:00 Running tasks=1']);
    });

    it('a conflicting status write propagates, and the retried pass does not launch again', async () => {
      const h = harness();
      h.store.beforeNextWrite(() => h.annotate({ 'example.com/touched': 'yes' }));
      expect(await rejection(h.reconcile(fiveSecondsPastTen))).to.be.instanceOf(ConflictError);
      expect(h.events.events, 'no events for an unwritten pass').to.deep.equal([]);
      await h.reconcile(fiveSecondsPastTen);
      expect(h.launcher.launchedCount).to.equal(1);
      expect(h.launcher.runRequests).to.have.length(1);
      expect(h.resource().metadata.annotations).to.deep.equal({ 'example.com/touched': 'yes' });
    });
  });

  describe('run-now', () => {
    it('runs once per distinct annotation value', async () => {
      const h = harness();
      await h.reconcile('2026-03-01T09:50:00Z');
      h.annotate({ 'ecs-scheduler.dev/run-now': '2026-03-01-a' });
      await h.reconcile('2026-03-01T09:51:00Z');
      await h.reconcile('2026-03-01T09:52:00Z');
      expect(h.launcher.runRequests.map((r) => r.startedBy)).to.deep.equal([
        `ecss/${fixtureUid}/now-${shortHash('2026-03-01-a')}`,
      ]);
      expect(h.status().lastRunNow).to.equal('2026-03-01-a');
      expect(h.events.reasons()).to.deep.equal(['Launched']);

      h.annotate({ 'ecs-scheduler.dev/run-now': '2026-03-01-b' });
      await h.reconcile('2026-03-01T09:53:00Z');
      expect(h.launcher.runRequests).to.have.length(2);
      expect(h.runs().map((r) => r.scheduledTime)).to.deep.equal([
        '2026-03-01T09:53:00.000Z',
        '2026-03-01T09:51:00.000Z',
      ]);
    });

    it('survives a crash before the status write without a second launch', async () => {
      const h = harness({}, { annotations: { 'ecs-scheduler.dev/run-now': 'x' } });
      h.store.beforeNextWrite(() => {
        throw new Error('process killed');
      });
      await rejection(h.reconcile('2026-03-01T09:50:00Z'));
      await h.reconcile('2026-03-01T09:50:30Z');
      expect(h.launcher.launchedCount).to.equal(1);
      expect(h.status().lastRunNow).to.equal('x');
    });

    it('is skipped, and consumed, while suspended', async () => {
      const h = harness({ suspend: true }, { annotations: { 'ecs-scheduler.dev/run-now': 'x' } });
      await h.reconcile('2026-03-01T09:50:00Z');
      expect(h.launcher.runRequests).to.have.length(0);
      expect(summary(h.runs())).to.deep.equal(['09:50 Skipped/Suspended tasks=0']);
      h.apply({ suspend: false });
      await h.reconcile('2026-03-01T09:51:00Z');
      expect(h.launcher.runRequests).to.have.length(0);
    });
  });

  it('records a dry-run launch as DryRun without tracking tasks', async () => {
    const h = harness();
    h.launcher.script({ dryRun: true });
    const result = await h.reconcile(fiveSecondsPastTen);
    expect(summary(h.runs())).to.deep.equal(['10:00 DryRun tasks=0']);
    expect(h.status()).to.include({ activeCount: 0, lastResult: 'DryRun' });
    expect(result.requeueAfterMs).to.equal(
      Date.parse('2026-03-01T11:00:00Z') - Date.parse(fiveSecondsPastTen) + 25,
    );
    expect(h.events.reasons()).to.deep.equal(['DryRun']);
  });

  it('reports the launch delay from the scheduled time', async () => {
    const h = harness();
    await h.reconcile(fiveSecondsPastTen);
    expect(h.metrics.launchDelays).to.deep.equal([5]);
    expect(h.metrics.schedules.get(key)?.last?.toISOString()).to.equal(new Date(ten).toISOString());
  });

  it('keeps polling while tasks run and treats a describe failure as transient', async () => {
    const h = harness();
    await h.reconcile(fiveSecondsPastTen);
    h.launcher.errors.describe = new Error('timeout');
    expect(await rejection(h.reconcile(tenSecondsPastTen))).to.be.instanceOf(TransientError);
    h.launcher.errors.describe = undefined;
    expect((await h.reconcile(twoMinutesPastTen)).requeueAfterMs).to.equal(10_000);
    expect(h.runs()[0]!.tasks![0]!.lastStatus).to.equal('RUNNING');
  });
});
