// A leader that launched many scheduled times and died before recording any of them (an etcd
// restart ate its status writes, then its Lease ran out). The next controller passes over all of
// them at once, more than the ten it used to look up: every one launched must end up in status
// with its task, none as Missed, and none launched again. The API server is the real one; the
// simulator stands in for ECS so that its ledger counts every RunTask accepted, and the lookups go
// through a small budget (--adoption-lookups-per-second 2) so that most of them wait a pass or more.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
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
import { EST } from './support/kube.js';
import {
  createScheduledTask,
  epochSeconds,
  getScheduledTask,
  startedByFor,
  TICK_MS,
  waitFor,
} from './support/scheduled-runs.js';

const PASSED_OVER = 24;
/** The dead leader's launches among them: the oldest, one in the middle, and beyond the old ten. */
const LAUNCHED_INDEXES = [0, 1, 2, 5, 9, 10, 11, 12, 15, 18, 21, 22, 23];

describe('controller: every time a dead leader launched is recorded with its tasks, none as Missed (simulator ledger)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('passed-over');
  const api = customObjects();
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

  it(`${LAUNCHED_INDEXES.length} of ${PASSED_OVER} passed-over times launched and never recorded: each adopted with its task`, async () => {
    const created = await createScheduledTask(api, ns.name, 'adopted', {
      schedule: '*/5 * * * * *',
      successfulRunsHistoryLimit: 100,
      failedRunsHistoryLimit: 100,
      task: { cluster: 'default', taskDefinition: 'app', launchType: 'FARGATE' },
    });
    const uid = created.metadata.uid!;
    // The dead leader's last status write: the watermark PASSED_OVER ticks (and a bit) ago.
    const nowTick = Math.floor(Date.now() / TICK_MS) * TICK_MS;
    const watermark = new Date(nowTick - (PASSED_OVER + 1) * TICK_MS);
    await api.patchNamespacedCustomObjectStatus(
      {
        ...EST,
        namespace: ns.name,
        name: 'adopted',
        body: { status: { lastScheduleTime: watermark.toISOString() } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const ticks = Array.from({ length: PASSED_OVER }, (_, i) => epochSeconds(watermark) + 5 * (i + 1));
    const launched = LAUNCHED_INDEXES.map((i) => ticks[i]!);
    // RunTask as the dead leader sent it: the run's startedBy and first-attempt clientToken.
    for (const epoch of launched) {
      sim.simulator.call('RunTask', {
        cluster: 'default',
        taskDefinition: 'app',
        launchType: 'FARGATE',
        count: 1,
        startedBy: startedByFor(uid, epoch),
        clientToken: `${uid}-${epoch}`,
      });
    }
    const accepted = (epoch: number) => sim.simulator.ledger.run(startedByFor(uid, epoch));
    for (const epoch of launched) expect(accepted(epoch)?.tasks, `seeded ${epoch}`).to.equal(1);

    controller = await startController(
      [
        '--namespace',
        ns.name,
        '--ecs-endpoint',
        sim.endpoint,
        '--adoption-lookups-per-second',
        '2',
        ...DEFERRED_LAUNCH_WRITE,
      ],
      { env: { AWS_ENDPOINT_URL: sim.endpoint } },
    );
    const recorded = async (): Promise<EcsScheduledTaskResource> => getScheduledTask(api, ns.name, 'adopted');
    const done = await waitFor(
      'every passed-over time looked up and recorded',
      async () => {
        const resource = await recorded();
        const times = new Set((resource.status?.runs ?? []).map((r) => epochSeconds(r.scheduledTime)));
        return !resource.status?.pendingLookups && ticks.every((t) => times.has(t)) && resource;
      },
      60_000,
    );
    await controller.kill('SIGTERM');

    const runs = new Map((done.status?.runs ?? []).map((r) => [epochSeconds(r.scheduledTime), r]));
    for (const epoch of launched) {
      const run = runs.get(epoch)!;
      expect(run.result, `${epoch} is not Missed`).to.not.equal('Missed');
      const arns = sim.simulator.ledger
        .entries()
        .filter((e) => e.outcome === 'accepted' && e.startedBy === startedByFor(uid, epoch))
        .flatMap((e) => e.taskArns);
      expect(
        (run.tasks ?? []).map((t) => t.taskArn),
        `${epoch} recorded with its task`,
      ).to.deep.equal(arns);
      expect(accepted(epoch)!.acceptedLaunches, `${epoch} never launched again`).to.equal(1);
    }
    const notLaunched = ticks.filter((t) => !launched.includes(t));
    for (const epoch of notLaunched) {
      expect(runs.get(epoch)!.result, `${epoch}: nobody launched it`).to.equal('Missed');
      expect(accepted(epoch), `${epoch} not launched late`).to.equal(undefined);
    }
    expect(
      done.status?.missedRunsTotal,
      'and the later ones passed over before the first pass',
    ).to.be.at.least(notLaunched.length);
    const report = sim.simulator.ledger.report({ tasksPerRun: 1 });
    expect(report.duplicates, 'no run launched twice').to.equal(0);
  });
});
