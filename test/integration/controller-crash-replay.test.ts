// A crash at every step of a launch, counted in the ECS simulator's RunTask ledger rather than in
// our own status: the real controller is SIGKILLed (1) while its RunTask is on the way and never
// arrives, (2) after ECS launched the tasks but before the answer came back, and (3) right after
// the status write; a new process replays each. Every run must hold exactly its 12 tasks (two
// batches), launched by exactly two accepted RunTask calls, whatever the replays. The API server
// is the real one; the simulator stands in for ECS because moto cannot hold a call or lose an
// answer on purpose, and ignores clientToken.
import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { startEcsSimulatorServer, type EcsSimulatorServer } from '../support/ecs-simulator/server.js';
import {
  DEFERRED_LAUNCH_WRITE,
  customObjects,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import {
  createScheduledTask,
  epochSeconds,
  getScheduledTask,
  sleep,
  startedByFor,
  waitFor,
} from './support/scheduled-runs.js';

const TASK_COUNT = 12;
const LAUNCHES_PER_RUN = 2; // RunTask starts at most 10 tasks

describe('controller: a crash at every step of a launch leaves one set of tasks per run (simulator ledger)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('crash-replay');
  const api = customObjects();
  let sim: EcsSimulatorServer;
  const controllers: ControllerProcess[] = [];

  before(async () => {
    sim = await startEcsSimulatorServer({
      quotas: 'off',
      // Tasks outlive the test: every run stays Running, so no finish pass muddles the count.
      lifecycle: { runningMs: null },
      taskDefinitions: [{ family: 'app', containerDefinitions: [{ name: 'main', image: 'busybox' }] }],
    });
  });

  after(async () => {
    await Promise.all(controllers.map((c) => c.kill('SIGKILL')));
    await sim?.close();
  });

  const start = async () => {
    const c = await startController(
      ['--namespace', ns.name, '--ecs-endpoint', sim.endpoint, ...DEFERRED_LAUNCH_WRITE],
      {
        env: { AWS_ENDPOINT_URL: sim.endpoint },
      },
    );
    controllers.push(c);
    return c;
  };

  const kill = async (c: ControllerProcess) => {
    c.child.kill('SIGKILL');
    expect(await c.exited).to.equal('SIGKILL');
  };

  /** Ledger entries of this resource's runs that ECS accepted (tasks launched). */
  const accepted = (uid: string) =>
    sim.simulator.ledger
      .entries()
      .filter((e) => e.outcome === 'accepted' && e.startedBy?.startsWith(`ecss/${uid}/`));

  it('before RunTask, after RunTask (answer lost), and after the status write', async () => {
    const created = await createScheduledTask(api, ns.name, 'replayed', {
      schedule: '*/5 * * * * *',
      taskCount: TASK_COUNT,
      startingDeadlineSeconds: 120,
      successfulRunsHistoryLimit: 50,
      task: { cluster: 'default', taskDefinition: 'app', launchType: 'FARGATE' },
    });
    const uid = created.metadata.uid!;
    const recorded = async (): Promise<EcsScheduledTaskResource> =>
      getScheduledTask(api, ns.name, 'replayed');
    const runFor = async (epoch: number) =>
      (await recorded()).status?.runs?.find((r) => epochSeconds(r.scheduledTime) === epoch);

    // 1. Before RunTask: the call is held and never reaches ECS; the process dies with it.
    sim.simulator.setFaults({ blackHoleRate: 1, operations: ['RunTask'] });
    let c = await start();
    await waitFor('a RunTask held by the black hole', () => sim.heldCalls() > 0, 20_000);
    const held = sim.simulator.faultLog.entries().find((f) => f.fault === 'blackHole')!;
    const beforeRunTask = Number(held.startedBy!.split('/')[2]);
    await kill(c);
    expect(accepted(uid), 'nothing reached ECS').to.deep.equal([]);

    // 2. After RunTask: ECS launches the first batch and the answer never comes back.
    sim.simulator.setFaults({ hangAfterLaunchRate: 1, operations: ['RunTask'] });
    c = await start();
    await waitFor('a launch whose answer is lost', () => accepted(uid).length > 0, 20_000);
    const afterRunTask = Number(accepted(uid)[0]!.startedBy!.split('/')[2]);
    await kill(c);

    // 3. After the status write: the run is in status, then the process dies at once.
    sim.simulator.setFaults({});
    c = await start();
    const afterWrite = await waitFor(
      'a run recorded after both crashes were replayed',
      async () => {
        const runs = (await recorded()).status?.runs ?? [];
        const latest = runs.find(
          (r) => epochSeconds(r.scheduledTime) > afterRunTask && (r.tasks?.length ?? 0) === TASK_COUNT,
        );
        return latest && epochSeconds(latest.scheduledTime);
      },
      40_000,
    );
    await kill(c);

    // A last life replays what the third one left and runs two more scheduled times.
    c = await start();
    await waitFor(
      'two more runs after the last crash',
      async () =>
        ((await recorded()).status?.runs ?? []).filter(
          (r) => epochSeconds(r.scheduledTime) > afterWrite && (r.tasks?.length ?? 0) === TASK_COUNT,
        ).length >= 2,
      40_000,
    );
    expect(await c.kill('SIGTERM')).to.equal(0);

    for (const [step, epoch] of [
      ['before RunTask', beforeRunTask],
      ['after RunTask', afterRunTask],
      ['after the status write', afterWrite],
    ] as const) {
      const ledger = sim.simulator.ledger.run(startedByFor(uid, epoch));
      expect(ledger, `${step}: the run was launched`).to.not.equal(undefined);
      expect(ledger!.acceptedLaunches, `${step}: accepted RunTask calls`).to.equal(LAUNCHES_PER_RUN);
      expect(ledger!.tasks, `${step}: tasks in ECS`).to.equal(TASK_COUNT);
      const run = await runFor(epoch);
      expect(run?.tasks, `${step}: status names the run's tasks`).to.have.length(TASK_COUNT);
    }
    // A new process found the first batch of the lost answer by startedBy (its time was due before
    // the process started, so the token alone is not trusted) and launched only the second.
    expect(sim.simulator.ledger.run(startedByFor(uid, afterRunTask))!.conflicts).to.equal(0);
    const report = sim.simulator.ledger.report({ tasksPerRun: TASK_COUNT });
    expect(report.duplicates, 'accepted launches beyond two per run').to.equal(0);
    expect(report.extraTasks, 'tasks beyond 12 per run').to.equal(0);
    // Status and ECS agree on every run: the tasks recorded are exactly the ones launched for it.
    for (const run of (await recorded()).status?.runs ?? []) {
      const launched = accepted(uid)
        .filter((e) => e.startedBy === startedByFor(uid, epochSeconds(run.scheduledTime)))
        .flatMap((e) => e.taskArns)
        .sort();
      expect((run.tasks ?? []).map((t) => t.taskArn).sort(), run.scheduledTime).to.deep.equal(launched);
    }
  });
});

// A lost answer on a later batch: ECS started batch 2 of 3 and its answer never came back (the
// process lives on). The run must not count the lost batch as a capacity shortfall and launch it
// again under a new token: the next pass finds its tasks (or gets them back under the batch's own
// token) and sends only the batch that never went out.
describe('controller: a lost answer on batch 2 of 3 leaves exactly taskCount tasks (simulator ledger)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('lost-batch');
  const api = customObjects();
  const LOST_TASK_COUNT = 30;
  let sim: EcsSimulatorServer;
  let controller: ControllerProcess | undefined;

  before(async () => {
    sim = await startEcsSimulatorServer({
      quotas: 'off',
      lifecycle: { runningMs: null },
      taskDefinitions: [{ family: 'app', containerDefinitions: [{ name: 'main', image: 'busybox' }] }],
    });
  });

  after(async () => {
    await controller?.kill('SIGKILL');
    await sim?.close();
  });

  it('the run holds exactly its 30 tasks, launched by three accepted RunTask calls, all in status and tracked', async () => {
    const created = await createScheduledTask(api, ns.name, 'lost-batch', {
      schedule: '*/5 * * * * *',
      taskCount: LOST_TASK_COUNT,
      startingDeadlineSeconds: 120,
      successfulRunsHistoryLimit: 50,
      task: { cluster: 'default', taskDefinition: 'app', launchType: 'FARGATE' },
    });
    const uid = created.metadata.uid!;
    controller = await startController(
      ['--namespace', ns.name, '--ecs-endpoint', sim.endpoint, ...DEFERRED_LAUNCH_WRITE],
      {
        env: { AWS_ENDPOINT_URL: sim.endpoint },
      },
    );
    // A run due well into the term: one due near its start is looked up by startedBy anyway (the
    // previous leader may have launched it), which would hide a lost batch counted as a shortfall.
    const startedAt = Date.now();
    await waitFor('a run launched', () => sim.simulator.ledger.entries().length >= 3, 20_000);
    await sleep(Math.max(0, startedAt + 12_000 - Date.now()));
    // Halfway between two ticks, when the last run's three calls are done: the second RunTask call
    // from now on is batch 2 of the next run. The controller makes one SDK attempt per call in
    // these tests, so the 500 is the answer it gets.
    const nextTick = Math.ceil((Date.now() + 3_000) / 5_000) * 5_000;
    await sleep(nextTick - 2_500 - Date.now());
    sim.simulator.setFaults({ lostResponseCalls: [2] });
    await waitFor('the lost answer', () => sim.simulator.faultLog.entries().length > 0, 20_000);
    const startedBy = sim.simulator.faultLog.entries()[0]!.startedBy!;
    expect(startedBy.startsWith(`ecss/${uid}/`)).to.equal(true);
    const epoch = Number(startedBy.split('/')[2]);
    const runOf = async () =>
      ((await getScheduledTask(api, ns.name, 'lost-batch')).status?.runs ?? []).find(
        (r) => epochSeconds(r.scheduledTime) === epoch,
      );
    await waitFor(
      'the run and a later one recorded with all their tasks',
      async () => {
        const runs = (await getScheduledTask(api, ns.name, 'lost-batch')).status?.runs ?? [];
        return (
          runs.filter((r) => epochSeconds(r.scheduledTime) >= epoch && r.tasks?.length === LOST_TASK_COUNT)
            .length >= 2
        );
      },
      40_000,
    );
    // A capacity retry of the "shortfall" would come 5 s later: give it the time to show.
    await sleep(6_000);
    expect(await controller.kill('SIGTERM')).to.equal(0);

    const ledger = sim.simulator.ledger.run(startedBy)!;
    expect(ledger.tasks, 'tasks in ECS').to.equal(LOST_TASK_COUNT);
    expect(ledger.acceptedLaunches, 'accepted RunTask calls').to.equal(3);
    const launched = sim.simulator.ledger
      .entries()
      .filter((e) => e.outcome === 'accepted' && e.startedBy === startedBy)
      .flatMap((e) => e.taskArns)
      .sort();
    const run = await runOf();
    expect((run?.tasks ?? []).map((t) => t.taskArn).sort(), 'status names every task').to.deep.equal(
      launched,
    );
    expect(run?.unconfirmedLaunch).to.equal(undefined);
    // Followed as running: status.active lists only the newest 100 tasks (a run every 5 s of 30
    // tasks that never stop soon outgrows it, the more so while launch writes wait for the delay),
    // so the run's own record and activeCount say it.
    const status = (await getScheduledTask(api, ns.name, 'lost-batch')).status;
    const running = (status?.runs ?? [])
      .filter((r) => r.result === 'Running')
      .flatMap((r) => (r.tasks ?? []).filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.taskArn));
    expect(
      launched.filter((arn) => !running.includes(arn)),
      'tasks not tracked',
    ).to.deep.equal([]);
    expect(status?.activeCount, 'activeCount counts every running task').to.equal(running.length);
    const report = sim.simulator.ledger.report({ tasksPerRun: LOST_TASK_COUNT });
    expect(report.duplicates, 'accepted launches beyond three per run').to.equal(0);
    expect(report.extraTasks, 'tasks beyond 30 per run').to.equal(0);
  });
});
