// The API server goes away mid-watch and comes back (same port, same etcd): the controller's
// informer restarts its watch, and no scheduled time in the window is lost or launched twice. A
// tick whose status could not be written while the API was down is either launched anyway (and
// adopted afterwards) or coalesced into the run after recovery, never silently dropped.
import { expect } from 'chai';
import { restartApiServer } from './support/apiserver.js';
import {
  customObjects,
  ecsClient,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import {
  createScheduledTask,
  disagreements,
  duplicates,
  EVERY_5_SECONDS,
  fargateTask,
  getScheduledTask,
  launchedRuns,
  metricSum,
  scrapeMetrics,
  tasksPerTick,
  ticksBetween,
  TICK_MS,
  waitFor,
} from './support/scheduled-runs.js';

const DOWN_MS = 6_000;

describe('controller: the API server restarts mid-watch (real API server and moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('ctrl-apiserver');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  let controller: ControllerProcess | undefined;

  after(async () => {
    await controller?.kill('SIGKILL');
    ecs.destroy();
  });

  it('recovers the watch and misses no scheduled time, with no duplicates', async () => {
    const name = 'through-outage';
    controller = await startController(['--namespace', ns.name]);
    const created = await createScheduledTask(api, ns.name, name, {
      schedule: EVERY_5_SECONDS,
      successfulRunsHistoryLimit: 50,
      failedRunsHistoryLimit: 50,
      task: fargateTask(env),
    });
    await waitFor(
      'two launched runs',
      async () => launchedRuns(await getScheduledTask(api, ns.name, name)).length >= 2,
      20_000,
    );
    const restartsBefore =
      metricSum(await scrapeMetrics(controller.metricsPort), 'ecs_scheduler_watch_restarts_total') ?? 0;

    const outageStart = Date.now();
    const restart = await restartApiServer({ downMs: DOWN_MS });
    const recoveredAt = Date.now();
    expect(restart.totalMs).to.be.at.least(DOWN_MS);

    // Three ticks launched after the API server came back.
    await waitFor(
      'three ticks after recovery in status',
      async () => {
        const r = await getScheduledTask(api, ns.name, name);
        const last = r.status?.lastScheduleTime;
        return last !== undefined && Date.parse(last) >= recoveredAt + 3 * TICK_MS;
      },
      40_000,
    );
    const metrics = await scrapeMetrics(controller.metricsPort);
    expect(metricSum(metrics, 'ecs_scheduler_watch_restarts_total') ?? 0, 'watch restarts').to.be.greaterThan(
      restartsBefore,
    );
    expect(await controller.kill('SIGTERM')).to.equal(0);

    const status = (await getScheduledTask(api, ns.name, name)).status!;
    const ticks = ticksBetween(created.metadata.creationTimestamp!, status.lastScheduleTime!);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, created.metadata.uid!, ticks);
    expect(duplicates(perTick), 'scheduled times launched more than once').to.deep.equal([]);
    const times = (status.runs ?? []).map((r) => r.scheduledTime);
    expect(new Set(times).size, `each scheduled time once in status: ${times.join(', ')}`).to.equal(
      times.length,
    );

    // A tick without a task can only lie inside the outage (plus the retry backoff that follows
    // it): coalesced into the newer run after recovery.
    const iso = (t: number) => new Date(t * 1000).toISOString();
    const notLaunched = ticks.filter((t) => (perTick.get(t)?.length ?? 0) === 0);
    const outsideOutage = notLaunched.filter(
      (t) => t * 1000 < outageStart - 1_000 || t * 1000 > recoveredAt + 2 * TICK_MS,
    );
    expect(outsideOutage.map(iso), 'ticks not launched outside the outage').to.deep.equal([]);
    // Status agrees with ECS: ticks launched while status could not be written were adopted
    // afterwards, and the ticks without a task are recorded Missed (coalesced).
    expect(disagreements(status.runs ?? [], perTick)).to.deep.equal([]);
    // The ticks after the outage all ran, so the newest ticks of the outage were covered.
    const afterOutage = ticks.filter((t) => t * 1000 > recoveredAt + 2 * TICK_MS);
    expect(afterOutage.length).to.be.at.least(2);
    // No gap between launched ticks longer than the outage.
    const launched = ticks.filter((t) => (perTick.get(t)?.length ?? 0) > 0);
    const gaps = launched.slice(1).map((t, i) => (t - launched[i]!) * 1000);
    expect(Math.max(...gaps)).to.be.at.most(recoveredAt - outageStart + 2 * TICK_MS);
  });
});
