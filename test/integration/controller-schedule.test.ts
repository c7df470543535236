// The controller process (`ecs-scheduler run`) against the real kube-apiserver and moto: a
// 6-field schedule firing every 5 seconds launches one task per tick, status tells the story, the
// runs settle once the tasks stop, and a SIGTERM ends the process cleanly.
import { expect } from 'chai';
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
  duplicates,
  epochSeconds,
  EVERY_5_SECONDS,
  eventsFor,
  fargateTask,
  getScheduledTask,
  launchedRuns,
  metricSum,
  scrapeMetrics,
  stopTasks,
  tasksPerTick,
  ticksBetween,
  waitFor,
} from './support/scheduled-runs.js';

describe('controller: a schedule firing every 5 seconds (real API server and moto)', function () {
  this.timeout(90_000);
  const ns = useTestNamespace('ctrl-schedule');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  let controller: ControllerProcess | undefined;

  after(async () => {
    await controller?.kill('SIGKILL');
    ecs.destroy();
  });

  it('launches one task per tick, shows the runs in status, settles them Succeeded, and exits 0 on SIGTERM', async () => {
    controller = await startController(['--namespace', ns.name]);
    const created = await createScheduledTask(api, ns.name, 'every5', {
      schedule: EVERY_5_SECONDS,
      successfulRunsHistoryLimit: 20,
      task: fargateTask(env),
    });
    const uid = created.metadata.uid!;
    const createdAt = created.metadata.creationTimestamp!;

    // Three ticks launched (up to ~20 s, the first tick can be almost 5 s away).
    const withRuns = await waitFor(
      'three launched runs in status',
      async () => {
        const r = await getScheduledTask(api, ns.name, 'every5');
        return launchedRuns(r).length >= 3 ? r : undefined;
      },
      30_000,
    );
    const status = withRuns.status!;
    const runs = launchedRuns(withRuns);
    expect(status.resolvedSchedule).to.equal(EVERY_5_SECONDS);
    expect(status.observedGeneration).to.equal(withRuns.metadata.generation);
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    expect(Date.parse(status.nextScheduleTime!)).to.be.greaterThan(Date.parse(status.lastScheduleTime!));
    expect(status.activeCount).to.equal(status.active?.length);
    for (const run of runs) {
      expect(run.result).to.equal('Running');
      expect(run.tasks).to.have.length(1);
      expect(epochSeconds(run.scheduledTime) % 5).to.equal(0);
      expect(Date.parse(run.launchedAt!)).to.be.at.least(Date.parse(run.scheduledTime));
    }
    // Every tick since creation, up to the last one handled, launched exactly one task in ECS, and
    // that task is the one status names.
    const ticks = ticksBetween(createdAt, status.lastScheduleTime!);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, uid, ticks);
    expect(duplicates(perTick)).to.deep.equal([]);
    const missing = ticks.filter((t) => perTick.get(t)?.length !== 1);
    expect(
      missing.map((t) => new Date(t * 1000).toISOString()),
      'ticks without a task',
    ).to.deep.equal([]);
    for (const run of runs) {
      expect(perTick.get(epochSeconds(run.scheduledTime))).to.deep.equal([run.tasks![0]!.taskArn]);
    }
    const scheduledTimes = (status.runs ?? []).map((r) => r.scheduledTime);
    expect(new Set(scheduledTimes).size, 'each scheduled time once in status').to.equal(
      scheduledTimes.length,
    );

    // The tasks finish (moto reports exit code 0 for every container of a stopped task): each of
    // those runs becomes Succeeded, with the container's exit code recorded.
    const finished = runs.map((r) => r.scheduledTime);
    await stopTasks(
      ecs,
      env.ecsCluster,
      runs.map((r) => r.tasks![0]!.taskArn),
    );
    const settled = await waitFor(
      'the stopped runs to settle',
      async () => {
        const r = await getScheduledTask(api, ns.name, 'every5');
        const mine = (r.status?.runs ?? []).filter((run) => finished.includes(run.scheduledTime));
        return mine.length === finished.length && mine.every((run) => run.result !== 'Running')
          ? r
          : undefined;
      },
      20_000,
    );
    for (const run of settled.status!.runs!.filter((r) => finished.includes(r.scheduledTime))) {
      expect(run.result, JSON.stringify(run)).to.equal('Succeeded');
      expect(run.finishedAt).to.be.a('string');
      expect(run.tasks?.[0]).to.include({ lastStatus: 'STOPPED' });
      expect(run.tasks?.[0]?.exitCodes).to.deep.equal({ sleeper: 0 });
    }
    expect(settled.status!.lastResult).to.equal('Succeeded');
    expect(settled.status!.lastSuccessfulTime).to.be.a('string');
    expect(settled.status!.active?.map((a) => a.scheduledTime) ?? []).to.not.include.members(finished);

    // Events: the routine launches are one Launched Event (a series: its repeats are counted and
    // written every --event-series-interval), and RunSucceeded for the first success.
    const events = await waitFor(
      'Launched and RunSucceeded events',
      async () => {
        const list = await eventsFor(kubeConfig(), ns.name, 'every5');
        const reasons = list.map((e) => e.reason);
        return reasons.includes('Launched') && reasons.includes('RunSucceeded') ? list : undefined;
      },
      10_000,
    );
    expect(events.filter((e) => e.reason === 'Launched').map((e) => e.type)).to.deep.equal(['Normal']);

    // /metrics: runs by result, reconciles, launch delays, leader (no election: always 1).
    const metrics = await scrapeMetrics(controller.metricsPort);
    expect(metricSum(metrics, 'ecs_scheduler_runs_total', { result: 'Succeeded' })).to.be.at.least(3);
    expect(metricSum(metrics, 'controller_runtime_reconcile_total')).to.be.at.least(3);
    expect(metricSum(metrics, 'ecs_scheduler_launch_delay_seconds_count')).to.be.at.least(3);
    expect(
      metricSum(metrics, 'ecs_scheduler_ecs_requests_total', { operation: 'RunTask', outcome: 'success' }),
    ).to.be.at.least(3);
    expect(metricSum(metrics, 'leader_election_master_status')).to.equal(1);
    expect(metricSum(metrics, 'ecs_scheduler_next_schedule_time', { namespace: ns.name, name: 'every5' }))
      .to.be.a('number')
      .greaterThan(Date.now() / 1000 - 1);

    // Graceful stop: exit 0 within a few seconds, having said so.
    const t0 = Date.now();
    const code = await controller.kill('SIGTERM');
    expect(code, controller.output().slice(-2000)).to.equal(0);
    expect(Date.now() - t0).to.be.below(5_000);
    expect(controller.lines.some((l) => l.msg === 'stopped')).to.equal(true);
    expect(controller.lines.filter((l) => l.level === 'error')).to.deep.equal([]);
  });
});
