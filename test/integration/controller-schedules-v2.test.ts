// Schedules v2 end to end, with the controller process against the real kube-apiserver and moto:
// two schedules naming one instant launch one run; maxRuns stops after that many; BufferOne never
// overlaps and loses no time beyond its one-waiting rule; catch-up after downtime launches the
// newest missed times, once each.
import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
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
  duplicates,
  epochSeconds,
  EVERY_5_SECONDS,
  fargateTask,
  getScheduledTask,
  sleep,
  startedByFor,
  stopTasks,
  tasksPerTick,
  ticksBetween,
  waitFor,
} from './support/scheduled-runs.js';

describe('controller: schedules v2 (real API server and moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('ctrl-schedules-v2');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  let controller: ControllerProcess | undefined;
  const history = { successfulRunsHistoryLimit: 100, failedRunsHistoryLimit: 100 };

  afterEach(async () => {
    await controller?.kill('SIGKILL');
    controller = undefined;
  });
  after(() => ecs.destroy());

  const get = (name: string) => getScheduledTask(api, ns.name, name);
  const ticksOf = (r: EcsScheduledTaskResource) =>
    ticksBetween(r.metadata.creationTimestamp!, r.status!.lastScheduleTime!);

  it('two schedules naming the same instant launch one run for it', async () => {
    controller = await startController(['--namespace', ns.name]);
    // Every 5 seconds, and every 10: each multiple of 10 is named twice.
    const created = await createScheduledTask(api, ns.name, 'twice', {
      schedules: [EVERY_5_SECONDS, '*/10 * * * * *'],
      ...history,
      task: fargateTask(env),
    });
    const r = await waitFor(
      'four ticks handled',
      async () => {
        const now = await get('twice');
        return now.status?.lastScheduleTime && ticksOf(now).length >= 4 ? now : undefined;
      },
      40_000,
    );
    expect(r.status!.scheduleSummary).to.equal(`${EVERY_5_SECONDS}; */10 * * * * *`);
    expect(r.status!.resolvedSchedule).to.equal(`${EVERY_5_SECONDS}; */10 * * * * *`);
    const ticks = ticksOf(r);
    expect(ticks.filter((t) => t % 10 === 0).length).to.be.greaterThan(0);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, created.metadata.uid!, ticks);
    expect(duplicates(perTick)).to.deep.equal([]);
    expect(ticks.filter((t) => perTick.get(t)?.length !== 1)).to.deep.equal([]);
  });

  it('maxRuns: 3 launches exactly 3 runs, then says MaxRunsReached and shows no next time', async () => {
    controller = await startController(['--namespace', ns.name]);
    const created = await createScheduledTask(api, ns.name, 'three', {
      schedule: EVERY_5_SECONDS,
      maxRuns: 3,
      ...history,
      task: fargateTask(env),
    });
    const reached = await waitFor(
      'MaxRunsReached',
      async () => {
        const r = await get('three');
        return r.status?.conditions?.find((c) => c.reason === 'MaxRunsReached') ? r : undefined;
      },
      40_000,
    );
    expect(reached.status!.conditions!.find((c) => c.type === 'Ready')).to.include({
      status: 'True',
      reason: 'MaxRunsReached',
    });
    // Three more ticks pass: nothing more launches.
    await sleep(15_000);
    const r = await get('three');
    expect(r.status!.launchedRunsTotal).to.equal(3);
    expect(r.status!.nextScheduleTime).to.equal(undefined);
    const ticks = ticksBetween(created.metadata.creationTimestamp!, new Date());
    const perTick = await tasksPerTick(ecs, env.ecsCluster, created.metadata.uid!, ticks);
    const launched = ticks.filter((t) => (perTick.get(t)?.length ?? 0) > 0);
    expect(launched).to.have.length(3);
    expect(duplicates(perTick)).to.deep.equal([]);
  });

  it('BufferOne with 10-second tasks every 5 seconds: never two at once, every time launched, waiting or BufferFull', async () => {
    controller = await startController(['--namespace', ns.name]);
    const created = await createScheduledTask(api, ns.name, 'buffered', {
      schedule: EVERY_5_SECONDS,
      concurrencyPolicy: 'BufferOne',
      ...history,
      task: fargateTask(env),
    });
    const uid = created.metadata.uid!;
    // The test is the task's body: each task stops 10 seconds after RunTask accepted it.
    const stoppedAt = new Map<string, number>();
    const launchedAt = new Map<string, number>();
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      const r = await get('buffered');
      // When RunTask accepted each task, as the run records it.
      for (const run of r.status?.runs ?? []) {
        for (const t of run.tasks ?? []) {
          if (!launchedAt.has(t.taskArn)) launchedAt.set(t.taskArn, Date.parse(run.launchedAt!));
        }
      }
      const due = [...launchedAt].filter(([a, at]) => !stoppedAt.has(a) && Date.now() - at >= 10_000);
      await stopTasks(
        ecs,
        env.ecsCluster,
        due.map(([a]) => a),
      );
      for (const [a] of due) stoppedAt.set(a, Date.now());
      await sleep(250);
    }
    const r = await get('buffered');
    // Never two at once: each task was created after the one before it was stopped.
    const order = [...launchedAt].sort((a, b) => a[1] - b[1]);
    expect(order.length, 'tasks launched').to.be.at.least(3);
    for (let i = 1; i < order.length; i++) {
      const before = stoppedAt.get(order[i - 1]![0]);
      expect(before, `task ${i - 1} stopped before task ${i} started`).to.not.equal(undefined);
      expect(order[i]![1], `task ${i} launched after task ${i - 1} stopped`).to.be.at.least(before! - 1000);
    }
    // Every tick is accounted for: one task, the one waiting, or Skipped BufferFull.
    const ticks = ticksOf(r);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, uid, ticks);
    expect(duplicates(perTick)).to.deep.equal([]);
    const byTick = new Map((r.status!.runs ?? []).map((run) => [epochSeconds(run.scheduledTime), run]));
    const waiting = r.status!.bufferedRun ? epochSeconds(r.status!.bufferedRun.scheduledTime) : undefined;
    const lost = ticks.filter((t) => {
      if (perTick.get(t)?.length === 1 || t === waiting) return false;
      const run = byTick.get(t);
      return !(run?.result === 'Skipped' && run.reason === 'BufferFull');
    });
    expect(
      lost.map((t) => new Date(t * 1000).toISOString()),
      'ticks neither launched, waiting nor BufferFull',
    ).to.deep.equal([]);
    // The runs that waited say how long.
    const waited = (r.status!.runs ?? []).filter((run) => run.launchDelaySeconds !== undefined);
    expect(waited.length, 'runs launched after waiting').to.be.greaterThan(0);
    for (const run of waited) expect(run.launchDelaySeconds).to.be.greaterThan(0);
    expect([...perTick.values()].flat()).to.have.length(launchedAt.size);
    expect(startedByFor(uid, ticks[0]!)).to.match(/^ecss\//);
  });

  it('catchup: 5 after downtime launches the 5 newest missed times, once each; older ones are Missed', async () => {
    controller = await startController(['--namespace', ns.name]);
    const created = await createScheduledTask(api, ns.name, 'catchup', {
      schedule: EVERY_5_SECONDS,
      catchup: { maxRuns: 5 },
      ...history,
      task: fargateTask(env),
    });
    const uid = created.metadata.uid!;
    const before = await waitFor(
      'a first run',
      async () => {
        const r = await get('catchup');
        return r.status?.lastScheduleTime ? r : undefined;
      },
      20_000,
    );
    expect(await controller.kill('SIGTERM')).to.equal(0);
    controller = undefined;
    const stoppedAt = new Date();
    const handledBefore = (await get('catchup')).status!.lastScheduleTime!;
    // Seven or eight ticks pass with nobody watching.
    await sleep(37_000);
    const restartedAt = new Date();
    controller = await startController(['--namespace', ns.name]);
    const after = await waitFor(
      'the restarted controller to handle the downtime',
      async () => {
        const r = await get('catchup');
        return Date.parse(r.status?.lastScheduleTime ?? '') >= restartedAt.getTime() - 5_000 ? r : undefined;
      },
      30_000,
    );
    expect(before.status!.lastScheduleTime).to.be.a('string');
    // The times nobody handled: after the watermark at stop, up to the restart.
    const missedTicks = ticksBetween(handledBefore, after.status!.lastScheduleTime!);
    expect(ticksBetween(handledBefore, restartedAt).length, 'ticks in the downtime').to.be.at.least(7);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, uid, missedTicks);
    expect(duplicates(perTick)).to.deep.equal([]);
    // The first pass after the restart recorded the oldest downtime ticks Missed (no task) and
    // launched the 5 after them, once each; those reach the restart, so nothing else was due then.
    const byTick = new Map((after.status!.runs ?? []).map((run) => [epochSeconds(run.scheduledTime), run]));
    const older = missedTicks.filter((t) => byTick.get(t)?.result === 'Missed');
    expect(older.length, 'ticks recorded Missed').to.be.at.least(2);
    expect(older, 'the Missed ticks are the oldest').to.deep.equal(missedTicks.slice(0, older.length));
    expect(older.map((t) => perTick.get(t)?.length ?? 0)).to.deep.equal(older.map(() => 0));
    for (const t of older) expect(byTick.get(t)?.reason).to.equal('Coalesced');
    const caughtUp = missedTicks.slice(older.length, older.length + 5);
    expect(caughtUp.map((t) => perTick.get(t)?.length ?? 0)).to.deep.equal([1, 1, 1, 1, 1]);
    const lastBeforeRestart = missedTicks.filter((t) => t <= epochSeconds(restartedAt)).at(-1)!;
    expect(caughtUp.at(-1)!, 'the catch-up reaches the restart').to.be.at.least(lastBeforeRestart);
    // Each its own run, launched oldest first.
    const launched = caughtUp.map((t) => Date.parse(byTick.get(t)!.launchedAt!));
    expect([...launched].sort((a, b) => a - b)).to.deep.equal(launched);
    expect(stoppedAt.getTime()).to.be.below(restartedAt.getTime());
  });
});
