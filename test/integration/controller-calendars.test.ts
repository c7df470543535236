// spec.excludeCalendars end to end, with the controller process (`ecs-scheduler run`), the real
// kube-apiserver and moto: a calendar excluding today keeps an every-3-seconds task from running
// (no RunTask, the excluded runs counted, nextScheduleTime after the excluded days), an edit of
// the calendar lifts it without a restart, and a missing calendar stalls the task until it exists.
import { expect } from 'chai';
import { API_VERSION, CALENDAR_KIND, CALENDAR_PLURAL, GROUP, VERSION } from '../../src/api/constants.js';
import type { EcsScheduleCalendarResource } from '../../src/api/calendar-types.js';
import {
  customObjects,
  ecsClient,
  kubeConfig,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import {
  createScheduledTask,
  eventsFor,
  everySeconds,
  fargateTask,
  getScheduledTask,
  launchedRuns,
  metricSum,
  scrapeMetrics,
  sleep,
  tasksPerTick,
  ticksBetween,
  waitFor,
} from './support/scheduled-runs.js';

const CALENDARS = { group: GROUP, version: VERSION, plural: CALENDAR_PLURAL };
// Every 3 seconds: the ticks these tests count come quickly.
const PERIOD = 3;
const SCHEDULE = everySeconds(PERIOD);
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('controller: spec.excludeCalendars (real API server and moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('ctrl-calendars');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  let controller: ControllerProcess;

  const putCalendar = async (name: string, spec: Record<string, unknown>) => {
    const existing = (await api
      .getNamespacedCustomObject({ ...CALENDARS, namespace: ns.name, name })
      .catch(() => undefined)) as EcsScheduleCalendarResource | undefined;
    const body = {
      apiVersion: API_VERSION,
      kind: CALENDAR_KIND,
      metadata: {
        name,
        namespace: ns.name,
        ...(existing ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      spec,
    };
    if (existing) await api.replaceNamespacedCustomObject({ ...CALENDARS, namespace: ns.name, name, body });
    else await api.createNamespacedCustomObject({ ...CALENDARS, namespace: ns.name, body });
  };

  before(async () => {
    controller = await startController(['--namespace', ns.name]);
  });
  after(async () => {
    await controller?.kill('SIGKILL');
    ecs.destroy();
  });

  it("a calendar excluding today skips today's runs; removing the date lifts it without a restart", async () => {
    // Today and tomorrow (UTC), so a run of this test across midnight still falls inside.
    await putCalendar('holidays', { dates: [day(0), day(1)] });
    const created = await createScheduledTask(api, ns.name, 'often', {
      schedule: SCHEDULE,
      excludeCalendars: ['holidays'],
      task: fargateTask(env),
    });
    const uid = created.metadata.uid!;

    // A few ticks pass, each dealt with as it passes: counted, never launched.
    const metrics = await waitFor(
      'three excluded runs counted',
      async () => {
        const text = await scrapeMetrics(controller.metricsPort);
        return (metricSum(text, 'ecs_scheduler_excluded_runs_total', { name: 'often' }) ?? 0) >= 3
          ? text
          : undefined;
      },
      30_000,
    );
    expect(metricSum(metrics, 'ecs_scheduler_runs_total', { name: 'often' }) ?? 0).to.equal(0);
    const excluded = await getScheduledTask(api, ns.name, 'often');
    expect(excluded.status?.runs ?? []).to.deep.equal([]);
    expect(excluded.status?.missedRunsTotal ?? 0).to.equal(0);
    expect(excluded.status?.nextScheduleTime).to.equal(`${day(2)}T00:00:00.000Z`);
    expect(excluded.status?.lastScheduleTime).to.be.a('string');
    expect(excluded.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    const ticks = ticksBetween(
      created.metadata.creationTimestamp!,
      excluded.status!.lastScheduleTime!,
      PERIOD,
    );
    expect(ticks.length).to.be.at.least(3);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, uid, ticks);
    expect([...perTick.values()].flat(), 'RunTask during the exclusion').to.deep.equal([]);

    // The edit reaches the controller through the calendar watch: runs launch again.
    const liftedAt = Date.now();
    await putCalendar('holidays', { dates: ['2000-01-01'] });
    const lifted = await waitFor(
      'a run launched after the calendar edit',
      async () => {
        const r = await getScheduledTask(api, ns.name, 'often');
        return launchedRuns(r).length >= 2 ? r : undefined;
      },
      30_000,
    );
    // Nothing excluded became Missed, and nothing from before the edit launched late.
    expect((lifted.status?.runs ?? []).filter((r) => r.result === 'Missed')).to.deep.equal([]);
    for (const run of launchedRuns(lifted))
      expect(Date.parse(run.scheduledTime)).to.be.at.least(liftedAt - PERIOD * 1000);
    expect(Date.parse(lifted.status!.nextScheduleTime!) - Date.now()).to.be.below(10_000);
  });

  it('a missing calendar stalls the task with CalendarNotFound; creating it un-stalls', async () => {
    await createScheduledTask(api, ns.name, 'orphan', {
      schedule: SCHEDULE,
      excludeCalendars: ['later'],
      task: fargateTask(env),
    });
    const stalled = await waitFor(
      'Stalled CalendarNotFound',
      async () => {
        const r = await getScheduledTask(api, ns.name, 'orphan');
        const c = r.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True');
        return c?.reason === 'CalendarNotFound' ? c : undefined;
      },
      20_000,
    );
    expect(stalled.message).to.contain('"later" not found');
    await waitFor(
      'a CalendarNotFound Warning event',
      async () =>
        (await eventsFor(kubeConfig(), ns.name, 'orphan')).find(
          (e) => e.reason === 'CalendarNotFound' && e.type === 'Warning',
        ),
      10_000,
    );
    // Two ticks pass: nothing launches while the calendar is missing.
    await sleep(2 * PERIOD * 1000);
    expect(launchedRuns(await getScheduledTask(api, ns.name, 'orphan'))).to.deep.equal([]);

    await putCalendar('later', { dates: ['2000-01-01'] });
    const running = await waitFor(
      'a launched run once the calendar exists',
      async () => {
        const r = await getScheduledTask(api, ns.name, 'orphan');
        return launchedRuns(r).length >= 1 ? r : undefined;
      },
      20_000,
    );
    expect(running.status?.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True')).to.equal(
      undefined,
    );
  });
});
