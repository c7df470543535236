// Exactly once per scheduled time across crashes: the controller is SIGKILLed right after it
// launched tasks (before or while it writes status), and again at a random moment, and started
// again each time; ECS must never hold more than taskCount tasks for any scheduled time.
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { expect } from 'chai';
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
  disagreements,
  duplicates,
  epochSeconds,
  EVERY_5_SECONDS,
  fargateTask,
  getScheduledTask,
  launchedRuns,
  sleep,
  startedByFor,
  tasksPerTick,
  ticksBetween,
  waitFor,
} from './support/scheduled-runs.js';

const TASK_COUNT = 2;

describe('controller: SIGKILL and restart never launch a scheduled time twice (real API server and moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('ctrl-crash');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  const controllers: ControllerProcess[] = [];
  const start = async () => {
    const c = await startController(['--namespace', ns.name, ...DEFERRED_LAUNCH_WRITE]);
    controllers.push(c);
    return c;
  };

  after(async () => {
    await Promise.all(controllers.map((c) => c.kill('SIGKILL')));
    ecs.destroy();
  });

  it('kills the controller right after a launch and at a random moment; no duplicates, each time once in status', async () => {
    const name = 'crashy';
    const key = `${ns.name}/${name}`;
    const created = await createScheduledTask(api, ns.name, name, {
      schedule: EVERY_5_SECONDS,
      taskCount: TASK_COUNT,
      successfulRunsHistoryLimit: 50,
      failedRunsHistoryLimit: 50,
      task: fargateTask(env),
    });
    const uid = created.metadata.uid!;
    const launchedLine = (l: LogLine) => l.msg === 'launched tasks' && l.resource === key;

    // 1. SIGKILL the moment the first launch is logged: RunTask has returned, and the status write
    //    is about to happen (or just happened).
    let c = await start();
    await c.waitForLine(launchedLine, 15_000, '"launched tasks"');
    c.child.kill('SIGKILL');
    expect(await c.exited).to.equal('SIGKILL');

    // 2. Again, at a random moment within a tick of the restart.
    c = await start();
    await sleep(Math.floor(Math.random() * 5_000));
    c.child.kill('SIGKILL');
    await c.exited;

    // 3. A third life runs for several ticks, then stops cleanly.
    const thirdStart = Date.now();
    c = await start();
    await waitFor(
      'three runs launched by the third controller',
      async () => {
        const r = await getScheduledTask(api, ns.name, name);
        return launchedRuns(r).filter((run) => Date.parse(run.launchedAt ?? '') >= thirdStart).length >= 3;
      },
      40_000,
    );
    expect(await c.kill('SIGTERM')).to.equal(0);

    const status = (await getScheduledTask(api, ns.name, name)).status!;
    const ticks = ticksBetween(created.metadata.creationTimestamp!, status.lastScheduleTime!);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, uid, ticks);
    expect(duplicates(perTick, TASK_COUNT), 'scheduled times with more than taskCount tasks').to.deep.equal(
      [],
    );
    const times = (status.runs ?? []).map((r) => r.scheduledTime);
    expect(new Set(times).size, `each scheduled time once in status: ${times.join(', ')}`).to.equal(
      times.length,
    );
    // Status agrees with ECS: every launched time names exactly its tasks (adopted after a
    // crash if need be), and every time without tasks is recorded Missed.
    expect(disagreements(status.runs ?? [], perTick)).to.deep.equal([]);
  });

  it('adopts tasks an earlier incarnation launched but never recorded, instead of launching again', async () => {
    const name = 'adopter';
    const created = await createScheduledTask(api, ns.name, name, {
      schedule: EVERY_5_SECONDS,
      taskCount: TASK_COUNT,
      task: fargateTask(env),
    });
    const uid = created.metadata.uid!;
    // What a controller that crashed between RunTask and its status write leaves behind: tasks
    // in ECS under the run's identity, and nothing in status. An earlier incarnation can only
    // have launched a time that was due before this one started (fencing), so the ghost is for
    // the first tick after creation, once it is due; moto ignores clientToken, so only the
    // startedBy lookup, which the controller makes for exactly such times, stands between it
    // and a duplicate.
    const tick = Math.floor(Date.parse(created.metadata.creationTimestamp!) / 1000 / 5) * 5 + 5;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, tick * 1000 + 200 - Date.now())));
    const ghost = await ecs.send(
      new RunTaskCommand({ ...fargateTask(env), count: TASK_COUNT, startedBy: startedByFor(uid, tick) }),
    );
    const ghostArns = (ghost.tasks ?? []).map((t) => t.taskArn!).sort();
    expect(ghostArns).to.have.length(TASK_COUNT);
    const c = await start();
    const adopted = await waitFor(
      'the run for the pre-launched tick',
      async () => {
        const r = await getScheduledTask(api, ns.name, name);
        return r.status?.runs?.find((run) => epochSeconds(run.scheduledTime) === tick);
      },
      30_000,
    );
    expect(adopted.tasks?.map((t) => t.taskArn).sort()).to.deep.equal(ghostArns);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, uid, [tick]);
    expect(perTick.get(tick)?.sort()).to.deep.equal(ghostArns);
    // Adopted as the due run, or as a passed-over time if a tick passed while starting up.
    expect(adopted.message).to.match(
      new RegExp(`${TASK_COUNT} (task\\(s\\) )?adopted from an earlier attempt`),
    );
    // Nothing was launched for that tick by the controller.
    expect(
      c.lines.filter((l) => l.msg === 'launched tasks' && l.startedBy === startedByFor(uid, tick)),
    ).to.deep.equal([]);
  });
});
