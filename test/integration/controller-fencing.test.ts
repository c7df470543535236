// A leader frozen past its lease (SIGSTOP: a long GC pause, a frozen VM) while a second replica
// takes over, then thawed (SIGCONT). Its timers and its schedule's wake-ups all come due at once
// when it resumes; the fence (the lease measured on the monotonic clock) and the term's abort must
// keep it from launching anything. Counted in moto by startedBy, every scheduled time has at most
// one task, and the thawed replica logs that it lost leadership and launches nothing.
import { expect } from 'chai';
import { startEcsSimulatorServer, type EcsSimulatorServer } from '../support/ecs-simulator/server.js';
import {
  DEFERRED_LAUNCH_WRITE,
  customObjects,
  ecsClient,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
  type LogLine,
} from './support/index.js';
import {
  createScheduledTask,
  duplicates,
  EVERY_5_SECONDS,
  fargateTask,
  getScheduledTask,
  sleep,
  tasksPerTick,
  ticksBetween,
  TICK_MS,
  waitFor,
} from './support/scheduled-runs.js';

const LEASE_SECONDS = 4;
const RESOURCES = 3;

describe('controller: a leader paused past its lease is fenced (real API server and moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('ctrl-fence');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  const controllers: ControllerProcess[] = [];

  after(async () => {
    for (const c of controllers) c.child.kill('SIGCONT');
    await Promise.all(controllers.map((c) => c.kill('SIGKILL')));
    ecs.destroy();
  });

  const replica = async () => {
    const c = await startController([
      ...DEFERRED_LAUNCH_WRITE,
      '--namespace',
      ns.name,
      '--leader-elect',
      '--leader-election-namespace',
      ns.name,
      '--leader-election-id',
      'fence-lease',
      '--lease-duration',
      `${LEASE_SECONDS}s`,
      '--renew-deadline',
      '3s',
      '--retry-period',
      '1s',
    ]);
    controllers.push(c);
    return c;
  };
  const becameLeader = (l: LogLine) => l.msg === 'became leader';
  const launched = (l: LogLine) => l.msg === 'launched tasks';
  const at = (l: LogLine) => Date.parse(l.ts as string);

  it('SIGSTOP past the lease, a takeover, SIGCONT: no duplicate, and the thawed replica launches nothing', async () => {
    const created = await Promise.all(
      Array.from({ length: RESOURCES }, (_, i) =>
        createScheduledTask(api, ns.name, `fenced-${i}`, {
          schedule: EVERY_5_SECONDS,
          successfulRunsHistoryLimit: 50,
          failedRunsHistoryLimit: 50,
          task: fargateTask(env),
        }),
      ),
    );
    // One replica first, so that it is the leader; the second follows.
    const a = await replica();
    await a.waitForLine(becameLeader, 20_000, 'a to lead');
    const b = await replica();
    await waitFor(
      'a to launch a tick for every resource',
      () => a.lines.filter(launched).length >= RESOURCES,
      20_000,
    );

    // Freeze "a" one second before a tick, when its last tick's passes are long done: when it
    // thaws, that tick's wake-ups are due before its renew deadline, so passes start first.
    const nextTick = Math.ceil((Date.now() + 2_000) / TICK_MS) * TICK_MS;
    await sleep(nextTick - 1_000 - Date.now());
    const stoppedAt = Date.now();
    a.child.kill('SIGSTOP');

    const took = await b.waitForLine(becameLeader, 20_000, 'b to take over');
    expect(at(took) - stoppedAt, 'b waited out the lease').to.be.at.least(LEASE_SECONDS * 1000 - 1_000);
    await waitFor(
      'b to launch a tick for every resource',
      () => b.lines.filter(launched).length >= RESOURCES,
      20_000,
    );

    // Thaw "a" just before the next tick, so its schedule wakes it at once as well.
    const thawTick = Math.ceil((Date.now() + 1_000) / TICK_MS) * TICK_MS;
    await sleep(thawTick - 300 - Date.now());
    const resumedAt = Date.now();
    a.child.kill('SIGCONT');
    const lost = await a.waitForLine(
      (l) => l.msg === 'lost leadership' && at(l) >= resumedAt,
      10_000,
      'a to notice it lost the lease',
    );
    // Two more ticks for "a" to do something wrong in.
    await sleep(2 * TICK_MS);

    const afterResume = a.lines.filter((l) => at(l) >= resumedAt);
    expect(afterResume.filter(launched), 'a launched after it resumed').to.deep.equal([]);
    expect(afterResume.filter(becameLeader), 'a led again').to.deep.equal([]);
    const aborted = afterResume.filter((l) => l.msg?.toString().startsWith('pass aborted'));
    console.log(
      `      a resumed ${resumedAt - stoppedAt} ms after SIGSTOP; lost leadership: ${String(lost.reason)}; ` +
        `passes aborted: ${aborted.length} (${[...new Set(aborted.map((l) => String(l.reason)))].join('; ')})`,
    );

    await b.kill('SIGTERM');
    await a.kill('SIGTERM');
    for (const resource of created) {
      const status = (await getScheduledTask(api, ns.name, resource.metadata.name!)).status!;
      const ticks = ticksBetween(resource.metadata.creationTimestamp!, status.lastScheduleTime!);
      const perTick = await tasksPerTick(ecs, env.ecsCluster, resource.metadata.uid!, ticks);
      expect(duplicates(perTick), `${resource.metadata.name}: scheduled times launched twice`).to.deep.equal(
        [],
      );
      expect([...perTick.values()].filter((arns) => arns.length === 1).length).to.be.at.least(2);
    }
  });
});

// The fence before every RunTask call of a launch, not just the first. The leader is frozen while
// the first of three RunTask calls is in flight (a GC pause between two batches) for 2.45 s: when it
// thaws, its lease is no longer held with the fence's 2 s margin (4 s lease, renewed every second),
// while its renew deadline (3.9 s) has not yet ended the term, so only the fence stands between the
// answer of batch 1 and batches 2 and 3. Counted in the ECS simulator's ledger, which holds every
// RunTask with its token (moto cannot hold an answer back).
describe('controller: the fence is asked before every RunTask batch (simulator ledger)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('fence-batches');
  const api = customObjects();
  const TASKS = 30;
  const FROZEN_MS = 2_450;
  let controller: ControllerProcess | undefined;
  let sim: EcsSimulatorServer;

  before(async () => {
    sim = await startEcsSimulatorServer({
      quotas: 'off',
      lifecycle: { runningMs: null },
      // Each RunTask answers after 1.5 s: the leader can be frozen while one is in flight.
      faults: { latencyMs: 1_500, operations: ['RunTask'] },
      taskDefinitions: [{ family: 'app', containerDefinitions: [{ name: 'main', image: 'busybox' }] }],
    });
  });

  after(async () => {
    controller?.child.kill('SIGCONT');
    await controller?.kill('SIGKILL');
    await sim?.close();
  });

  it('lease not held after the first RunTask (taskCount 30): no further RunTask call goes out; the run gets its 30 tasks once', async () => {
    const c = await startController(
      [
        ...DEFERRED_LAUNCH_WRITE,
        '--namespace',
        ns.name,
        '--ecs-endpoint',
        sim.endpoint,
        '--leader-elect',
        '--leader-election-namespace',
        ns.name,
        '--leader-election-id',
        'fence-batches-lease',
        '--lease-duration',
        `${LEASE_SECONDS}s`,
        '--renew-deadline',
        '3900ms',
        '--retry-period',
        '1s',
      ],
      { env: { AWS_ENDPOINT_URL: sim.endpoint } },
    );
    controller = c;
    await c.waitForLine((l) => l.msg === 'became leader', 20_000, 'the replica to lead');
    await createScheduledTask(api, ns.name, 'fenced-batches', {
      schedule: '*/10 * * * * *',
      taskCount: TASKS,
      startingDeadlineSeconds: 120,
      successfulRunsHistoryLimit: 50,
      task: { cluster: 'default', taskDefinition: 'app', launchType: 'FARGATE' },
    });

    // Freeze as soon as the first batch of a run reached ECS: its answer comes 1.5 s later.
    const first = await waitFor(
      'the first RunTask of a run',
      () => sim.simulator.ledger.entries().find((e) => !/-b\d+$/.test(e.clientToken ?? '')),
      30_000,
      5,
    );
    c.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await sleep(FROZEN_MS);
    c.child.kill('SIGCONT');
    const startedBy = first.startedBy!;
    const token = first.clientToken!;
    await waitFor(
      'the run to get all its tasks',
      () => (sim.simulator.ledger.run(startedBy)?.tasks ?? 0) >= TASKS,
      30_000,
    );
    // Time for anything late to show.
    await sleep(3_000);
    expect(await c.kill('SIGTERM')).to.equal(0);

    const unfenced = sim.simulator.ledger
      .entries()
      .filter((e) => e.startedBy === startedBy && (e.clientToken ?? '').startsWith(`${token}-b`));
    expect(
      unfenced.map((e) => `${e.clientToken} ${e.outcome} +${e.at - stoppedAt} ms`),
      'batches 2 and 3 sent after the lease was no longer held',
    ).to.deep.equal([]);
    expect(sim.simulator.ledger.run(startedBy)?.tasks, 'tasks of the run in ECS').to.equal(TASKS);
    const stopped = c.lines.filter(
      (l) => l.msg === 'launch stopped: the lease is lost or the pass cancelled',
    );
    console.log(
      `      frozen ${FROZEN_MS} ms with batch 1 in flight; launches stopped by the fence: ${stopped.length}`,
    );
  });
});
