// The backfill reconciler over in-memory ports: a fake ECS (RecordingLauncher), a fake store and a
// fake clock. Each test drives passes by hand, as the work queue would.
import { expect } from 'chai';
import type { BackfillStatus, EcsTaskBackfillResource } from '../../../src/api/backfill-types.js';
import type { EcsScheduleCalendarResource } from '../../../src/api/calendar-types.js';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { BackfillReconciler, type BackfillStore } from '../../../src/backfill/backfill-reconciler.js';
import { scheduledRunIdentity } from '../../../src/controller/decide/run-identity.js';
import type { EventType, PolicyGate } from '../../../src/controller/ports.js';
import { launchClientToken } from '../../../src/controller/runtime/run-ledger.js';
import { silentLogger } from '../../../src/log/logger.js';
import { FakeClock } from '../../support/fake-clock.js';
import { RecordingLauncher } from '../../support/recording-launcher.js';

const NOW = '2026-12-01T12:00:00Z';
const NEVER = new AbortController().signal;

function task(extra: Partial<EcsScheduledTaskResource> = {}): EcsScheduledTaskResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { namespace: 'data', name: 'report', uid: '11111111-2222-3333-4444-555555555555' },
    spec: { schedule: '* * * * *', task: { taskDefinition: 'report:3', cluster: 'prod' } },
    ...extra,
  };
}

function backfill(
  name: string,
  spec: Partial<EcsTaskBackfillResource['spec']> = {},
): EcsTaskBackfillResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsTaskBackfill',
    metadata: {
      namespace: 'data',
      name,
      uid: `uid-${name}`,
      generation: 1,
      creationTimestamp: '2026-12-01T11:00:00Z',
    },
    spec: {
      taskRef: { name: 'report' },
      start: '2026-12-01T10:00:00Z',
      end: '2026-12-01T10:06:00Z',
      maxConcurrent: 2,
      ...spec,
    },
  };
}

class MemoryBackfills implements BackfillStore {
  readonly objects = new Map<string, EcsTaskBackfillResource>();
  writes = 0;
  failNextWrite: Error | undefined;
  add(b: EcsTaskBackfillResource): this {
    this.objects.set(`${b.metadata.namespace}/${b.metadata.name}`, structuredClone(b));
    return this;
  }
  get(key: string) {
    return this.objects.get(key);
  }
  async writeStatus(b: EcsTaskBackfillResource, status: BackfillStatus) {
    if (this.failNextWrite) {
      const error = this.failNextWrite;
      this.failNextWrite = undefined;
      throw error;
    }
    this.writes++;
    const stored = { ...structuredClone(b), status: structuredClone(status) };
    this.objects.set(`${b.metadata.namespace}/${b.metadata.name}`, stored);
    return stored;
  }
  status(name: string): BackfillStatus {
    return this.objects.get(`data/${name}`)?.status ?? {};
  }
}

function setup(
  tasks: EcsScheduledTaskResource[] = [task()],
  policy?: PolicyGate,
  tasksComplete?: boolean,
  calendars: EcsScheduleCalendarResource[] = [],
) {
  const clock = new FakeClock(NOW);
  const launcher = new RecordingLauncher(clock);
  const store = new MemoryBackfills();
  const events: { name: string; type: EventType; reason: string; message: string }[] = [];
  const taskMap = new Map(tasks.map((t) => [`${t.metadata.namespace}/${t.metadata.name}`, t]));
  const reconciler = new BackfillReconciler({
    backfills: store,
    tasks: { get: (key) => taskMap.get(key) },
    launcher,
    events: {
      record: (b, type, reason, message) =>
        events.push({ name: b.metadata.name ?? '', type, reason, message }),
    },
    clock,
    logger: silentLogger,
    defaultCluster: 'default',
    fence: { holds: () => true },
    ...(policy ? { policy } : {}),
    ...(tasksComplete === undefined ? {} : { tasksComplete }),
    calendars: {
      get: (namespace, name) =>
        calendars.find((c) => c.metadata.namespace === namespace && c.metadata.name === name),
      onChange: () => undefined,
    },
  });
  /** Passes until the backfill is finished; after each, every running task ends (exit 0). */
  const runToEnd = async (name: string, maxPasses = 50) => {
    let passes = 0;
    let mostRunning = 0;
    for (; passes < maxPasses; passes++) {
      const result = await reconciler.reconcile(`data/${name}`, NEVER);
      mostRunning = Math.max(mostRunning, launcher.runningArns().length);
      if (result.requeueAfterMs === undefined) break;
      clock.advance(result.requeueAfterMs);
      launcher.finishAll();
    }
    return { passes: passes + 1, mostRunning };
  };
  return { clock, launcher, store, events, reconciler, runToEnd, taskMap };
}

describe('backfill reconciler', () => {
  it('launches each time once, under its scheduled identity, never more than maxConcurrent at once, with one status write per pass', async () => {
    const { launcher, store, events, runToEnd } = setup();
    store.add(backfill('november'));
    const { passes, mostRunning } = await runToEnd('november');

    const times = [0, 1, 2, 3, 4, 5].map((m) => new Date(Date.UTC(2026, 11, 1, 10, m)));
    const identities = times.map((t) => scheduledRunIdentity(task(), t));
    expect(launcher.runRequests.map((r) => r.startedBy)).to.deep.equal(identities.map((i) => i.startedBy));
    expect(launcher.runRequests.map((r) => r.clientToken)).to.deep.equal(
      identities.map((i) => launchClientToken(i, 0)),
    );
    expect(mostRunning).to.equal(2);
    // Every pass here changes something (the tasks end between passes): one write each.
    expect(store.writes).to.equal(passes);
    const status = store.status('november');
    expect(status).to.include({
      total: 6,
      launched: 6,
      succeeded: 6,
      failed: 0,
      skipped: 0,
      progress: '6/6',
    });
    expect(status.active).to.deep.equal([]);
    expect(status.conditions?.find((c) => c.type === 'Complete')?.status).to.equal('True');
    expect(events.map((e) => e.reason)).to.deep.equal(['BackfillComplete']);
  });

  it("spec.schedules: the union's times, an instant two schedules share launched once", async () => {
    const union = task({
      spec: {
        schedules: ['*/2 * * * *', '*/3 * * * *'],
        task: { taskDefinition: 'report:3', cluster: 'prod' },
      },
    });
    const { launcher, store, runToEnd } = setup([union]);
    store.add(backfill('both'));
    await runToEnd('both');
    expect(launcher.runRequests.map((r) => r.startedBy)).to.deep.equal(
      ['10:00', '10:02', '10:03', '10:04'].map(
        (t) => scheduledRunIdentity(union, new Date(`2026-12-01T${t}:00Z`)).startedBy,
      ),
    );
    expect(store.status('both')).to.include({ total: 4, launched: 4, succeeded: 4 });
  });

  it('a poll that sees its runs still running writes nothing', async () => {
    const { clock, store, reconciler } = setup();
    store.add(backfill('slow', { end: '2026-12-01T10:01:00Z' }));
    await reconciler.reconcile('data/slow', NEVER); // chooses
    await reconciler.reconcile('data/slow', NEVER); // launches
    const writes = store.writes;
    clock.advance(10_000);
    const again = await reconciler.reconcile('data/slow', NEVER);
    expect(store.writes).to.equal(writes);
    expect(again.requeueAfterMs).to.equal(2_500); // a quarter of the run's 10 s
  });

  it('a second identical backfill finds every time launched and launches nothing', async () => {
    const { launcher, store, runToEnd } = setup();
    store.add(backfill('first')).add(backfill('second'));
    await runToEnd('first');
    const launches = launcher.runRequests.length;
    await runToEnd('second');
    expect(launcher.runRequests.length).to.equal(launches);
    expect(store.status('second')).to.include({ total: 6, launched: 0, skipped: 6, progress: '6/6' });
    expect(store.status('second').conditions?.find((c) => c.type === 'Complete')?.status).to.equal('True');
  });

  it('dry run: lists the times it would launch, launches nothing, and says so in an event', async () => {
    const { launcher, store, events, runToEnd } = setup();
    store.add(backfill('first', { end: '2026-12-01T10:03:00Z' })).add(backfill('look', { dryRun: true }));
    await runToEnd('first');
    const launches = launcher.runRequests.length;
    await runToEnd('look');
    expect(launcher.runRequests.length).to.equal(launches);
    expect(store.status('look').dryRunTimes).to.deep.equal([
      '2026-12-01T10:03:00.000Z',
      '2026-12-01T10:04:00.000Z',
      '2026-12-01T10:05:00.000Z',
    ]);
    const dryRun = events.find((e) => e.name === 'look');
    expect(dryRun?.reason).to.equal('DryRun');
    expect(dryRun?.message).to.contain('would launch 3 of 6 times');
  });

  it('under a controller started with --dry-run, nothing starts and the times are listed, not failed', async () => {
    const { launcher, store, runToEnd } = setup();
    launcher.script({ dryRun: true }, { dryRun: true });
    store.add(backfill('logged', { end: '2026-12-01T10:02:00Z' }));
    await runToEnd('logged');
    expect(launcher.runRequests).to.have.length(2);
    expect(store.status('logged')).to.include({ launched: 0, failed: 0, skipped: 2 });
    expect(store.status('logged').dryRunTimes).to.have.length(2);
  });

  it('MissedAndFailed reruns a time the task recorded as Failed under its own identity, and skips one that succeeded', async () => {
    const recorded = task({
      status: {
        runs: [
          { scheduledTime: '2026-12-01T10:01:00Z', result: 'Failed' },
          { scheduledTime: '2026-12-01T10:02:00Z', result: 'Succeeded' },
        ],
      },
    });
    const { launcher, store, runToEnd } = setup([recorded]);
    store.add(backfill('redo', { end: '2026-12-01T10:03:00Z' }));
    await runToEnd('redo');
    const scheduled = scheduledRunIdentity(recorded, new Date('2026-12-01T10:01:00Z')).startedBy;
    expect(launcher.runRequests.map((r) => r.startedBy)).to.deep.equal([
      scheduledRunIdentity(recorded, new Date('2026-12-01T10:00:00Z')).startedBy,
      `${scheduled}-b${launcher.runRequests[1]!.startedBy.slice(-8)}`,
    ]);
    expect(launcher.runRequests[1]!.startedBy).to.match(/-b[0-9a-f]{8}$/);
    expect(store.status('redo')).to.include({ total: 3, launched: 2, skipped: 1 });
  });

  it('MissedAndFailed leaves alone a time the schedule handled whose outcome is forgotten; a recorded Missed one runs', async () => {
    const handled = task({
      metadata: {
        namespace: 'data',
        name: 'report',
        uid: '11111111-2222-3333-4444-555555555555',
        creationTimestamp: '2026-12-01T09:00:00Z',
      },
      status: {
        lastScheduleTime: '2026-12-01T10:02:00Z',
        runs: [{ scheduledTime: '2026-12-01T10:01:00Z', result: 'Missed' }],
      },
    });
    const { launcher, store, runToEnd } = setup([handled]);
    store.add(backfill('careful', { end: '2026-12-01T10:04:00Z' }));
    await runToEnd('careful');
    expect(launcher.runRequests.map((r) => r.startedBy)).to.deep.equal(
      ['2026-12-01T10:01:00Z', '2026-12-01T10:03:00Z'].map(
        (t) => scheduledRunIdentity(handled, new Date(t)).startedBy,
      ),
    );
    expect(store.status('careful')).to.include({ total: 4, launched: 2, skipped: 2 });
  });

  it('a failed run is counted, listed and reported, and the backfill ends Failed', async () => {
    const { clock, launcher, store, events, reconciler } = setup();
    store.add(backfill('one', { end: '2026-12-01T10:01:00Z' }));
    await reconciler.reconcile('data/one', NEVER); // chooses 10:00
    await reconciler.reconcile('data/one', NEVER); // launches it
    clock.advance(5_000);
    launcher.finishAll({ app: 2 });
    await reconciler.reconcile('data/one', NEVER);
    const status = store.status('one');
    expect(status).to.include({ launched: 1, failed: 1, progress: '1/1' });
    expect(status.failedTimes).to.deep.equal(['2026-12-01T10:00:00.000Z']);
    expect(status.conditions?.find((c) => c.type === 'Failed')?.status).to.equal('True');
    expect(events.map((e) => e.reason)).to.deep.equal(['RunFailed', 'BackfillFailed']);
    // Finished: never acted on again.
    const writes = store.writes;
    expect(await reconciler.reconcile('data/one', NEVER)).to.deep.equal({});
    expect(store.writes).to.equal(writes);
  });

  it('a launch whose status write was lost is found by startedBy and adopted, not launched again', async () => {
    const { launcher, store, reconciler } = setup();
    store.add(backfill('crash', { end: '2026-12-01T10:01:00Z' }));
    await reconciler.reconcile('data/crash', NEVER); // chooses 10:00, written
    store.failNextWrite = new Error('API server gone');
    await reconciler.reconcile('data/crash', NEVER).catch(() => undefined); // RunTask, write lost
    expect(launcher.runRequests).to.have.length(1);
    await reconciler.reconcile('data/crash', NEVER);
    expect(launcher.runRequests).to.have.length(1);
    expect(store.status('crash')).to.include({ launched: 1, running: 1 });
    expect(store.status('crash').active?.[0]?.taskArns).to.deep.equal(launcher.taskArns());
  });

  it("sharded, a task not in this replica's cache is another shard's: no write, no event, no ECS call", async () => {
    const { launcher, store, events, reconciler } = setup([], undefined, false);
    store.add(backfill('elsewhere'));
    expect(await reconciler.reconcile('data/elsewhere', NEVER)).to.deep.equal({});
    expect(store.writes).to.equal(0);
    expect(events).to.deep.equal([]);
    expect(launcher.runRequests).to.have.length(0);
  });

  it("the task's calendars hold: an excluded time is not one of the backfill's times", async () => {
    const freeze: EcsScheduleCalendarResource = {
      apiVersion: 'ecs-scheduler.dev/v1alpha1',
      kind: 'EcsScheduleCalendar',
      metadata: { namespace: 'data', name: 'freeze' },
      spec: { ranges: [{ start: '2026-12-01T10:03:00Z', end: '2026-12-01T10:05:00Z' }] },
    };
    const excluding = task({ spec: { ...task().spec, excludeCalendars: ['freeze'] } });
    const { launcher, store, runToEnd } = setup([excluding], undefined, undefined, [freeze]);
    store.add(backfill('frozen'));
    await runToEnd('frozen');
    expect(store.status('frozen')).to.include({ total: 4, launched: 4, succeeded: 4 });
    const startedBy = launcher.runRequests.map((r) => r.startedBy);
    for (const minute of ['10:00', '10:01', '10:02', '10:05']) {
      const time = new Date(`2026-12-01T${minute}:00Z`);
      expect(startedBy).to.include(scheduledRunIdentity(excluding, time).startedBy);
    }
  });

  it('a task naming a calendar that does not exist: the backfill stalls with CalendarNotFound, nothing launched', async () => {
    const excluding = task({ spec: { ...task().spec, excludeCalendars: ['missing'] } });
    const { launcher, store, reconciler } = setup([excluding]);
    store.add(backfill('nocal'));
    await reconciler.reconcile('data/nocal', NEVER);
    const stalled = store.status('nocal').conditions?.find((c) => c.type === 'Stalled');
    expect(stalled).to.include({ status: 'True', reason: 'CalendarNotFound' });
    expect(launcher.runRequests).to.have.length(0);
  });

  it('a missing task: Stalled TaskNotFound with one Warning, checked again in a minute, no ECS call', async () => {
    const { launcher, store, events, reconciler } = setup([]);
    store.add(backfill('orphan'));
    expect(await reconciler.reconcile('data/orphan', NEVER)).to.deep.equal({ requeueAfterMs: 60_000 });
    expect(await reconciler.reconcile('data/orphan', NEVER)).to.deep.equal({ requeueAfterMs: 60_000 });
    const stalled = store.status('orphan').conditions?.find((c) => c.type === 'Stalled');
    expect(stalled).to.include({ status: 'True', reason: 'TaskNotFound' });
    expect(stalled?.message).to.contain('spec.taskRef.name');
    expect(store.writes).to.equal(1);
    expect(events.map((e) => [e.type, e.reason])).to.deep.equal([['Warning', 'TaskNotFound']]);
    expect(launcher.findRequests).to.deep.equal([]);
  });

  it('a policy denial: Stalled PolicyDenied before any ECS call', async () => {
    const deny: PolicyGate = {
      evaluate: () => ({
        allowed: false,
        field: 'spec.task.cluster',
        value: 'prod',
        policies: ['team-data'],
        message: 'spec.task.cluster "prod" is not allowed by EcsSchedulerPolicy team-data',
      }),
      onChange: () => undefined,
    };
    const { launcher, store, reconciler } = setup([task()], deny);
    store.add(backfill('denied'));
    await reconciler.reconcile('data/denied', NEVER);
    expect(store.status('denied').conditions?.find((c) => c.type === 'Stalled')).to.include({
      status: 'True',
      reason: 'PolicyDenied',
    });
    expect(launcher.findRequests).to.deep.equal([]);
  });

  it('more times than the bound: Failed TooManyTimes, naming the range fields', async () => {
    const { store, reconciler } = setup();
    store.add(backfill('huge', { start: '2026-11-01T00:00:00Z', end: '2026-11-02T00:00:00Z' }));
    expect(await reconciler.reconcile('data/huge', NEVER)).to.deep.equal({});
    const failed = store.status('huge').conditions?.find((c) => c.type === 'Failed');
    expect(failed).to.include({ status: 'True', reason: 'TooManyTimes' });
    expect(failed?.message).to.contain('spec.start..spec.end');
  });
});
