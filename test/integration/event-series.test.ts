// Events the Kubernetes way, with the controller process against the real kube-apiserver and moto:
// a resource that runs every second has ONE Launched Event whose series count grows (written every
// --event-series-interval), and the count is complete after a SIGTERM; a failure, and the recovery
// after it, are written at once whatever the interval.
import { EventsV1Api, PatchStrategy, setHeaderOptions, type EventsV1Event } from '@kubernetes/client-node';
import { expect } from 'chai';
import {
  DEFERRED_LAUNCH_WRITE,
  customObjects,
  ecsClient,
  EST,
  kubeConfig,
  kubectlOk,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import {
  createScheduledTask,
  fargateTask,
  getScheduledTask,
  epochSeconds,
  tasksPerTick,
  waitFor,
} from './support/scheduled-runs.js';

const EVERY_SECOND = '* * * * * *';

/** Every second (epoch seconds) strictly after `from`, up to and including `to`. */
function secondsBetween(from: string | Date, to: string | Date): number[] {
  const ticks: number[] = [];
  for (let t = epochSeconds(from) + 1; t <= epochSeconds(to); t++) ticks.push(t);
  return ticks;
}

describe('controller: events as series (real API server and moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('event-series');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  const eventsApi = kubeConfig().makeApiClient(EventsV1Api);
  let controller: ControllerProcess | undefined;

  const eventsOf = async (name: string): Promise<EventsV1Event[]> =>
    (await eventsApi.listNamespacedEvent({ namespace: ns.name })).items.filter(
      (e) => e.regarding?.name === name,
    );
  const setTaskDefinition = (name: string, taskDefinition: string) =>
    api.patchNamespacedCustomObject(
      { ...EST, namespace: ns.name, name, body: { spec: { task: { taskDefinition } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const launchedOf = async (name: string) => (await eventsOf(name)).filter((e) => e.reason === 'Launched');

  afterEach(async () => {
    await controller?.kill('SIGKILL');
    controller = undefined;
  });
  after(() => ecs.destroy());

  it('a resource running every second has one Launched Event; its series count grows and ends complete', async () => {
    controller = await startController([
      '--namespace',
      ns.name,
      '--event-series-interval',
      '3s',
      ...DEFERRED_LAUNCH_WRITE,
    ]);
    const created = await createScheduledTask(api, ns.name, 'every-second', {
      schedule: EVERY_SECOND,
      task: fargateTask(env),
    });

    const early = await waitFor(
      'a series count written',
      async () => {
        const launched = await launchedOf('every-second');
        return (launched[0]?.series?.count ?? 0) >= 3 ? launched : undefined;
      },
      30_000,
    );
    expect(early, 'one Event for the routine launches').to.have.length(1);
    const later = await waitFor(
      'the series count to grow past 15',
      async () => {
        const launched = await launchedOf('every-second');
        return (launched[0]?.series?.count ?? 0) >= 15 ? launched : undefined;
      },
      40_000,
    );
    expect(later, 'still one Event').to.have.length(1);
    expect(later[0]!.metadata?.name).to.equal(early[0]!.metadata?.name);
    expect(later[0]!.series!.count!).to.be.greaterThan(early[0]!.series!.count!);
    expect(later[0]!.note).to.equal('scheduled run launched; its time and tasks are in status.runs');

    // What a user sees.
    const describe = await kubectlOk(['describe', 'ecsscheduledtask', '-n', ns.name, 'every-second']);
    expect(describe, describe).to.match(
      /Normal\s+Launched\s+\S+ \(x\d+ over \S+\)\s+ecs-scheduler\.dev\/controller\s+scheduled run launched/,
    );
    const kubectlEvents = await kubectlOk([
      'events',
      '-n',
      ns.name,
      '--for',
      'ecsscheduledtask/every-second',
    ]);
    expect(kubectlEvents, kubectlEvents).to.match(
      /\(x\d+ over \S+\)\s+Normal\s+Launched\s+EcsScheduledTask\/every-second/,
    );

    // SIGTERM: the repeats not yet written are written before the process exits, so the count is
    // every launch ECS saw.
    expect(await controller.kill('SIGTERM')).to.equal(0);
    controller = undefined;
    const final = await getScheduledTask(api, ns.name, 'every-second');
    const ticks = secondsBetween(created.metadata.creationTimestamp!, final.status!.lastScheduleTime!);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, created.metadata.uid!, ticks);
    const launches = [...perTick.values()].filter((arns) => arns.length > 0).length;
    const [event] = await launchedOf('every-second');
    expect(event?.series?.count, 'every launch counted').to.equal(launches);
    expect(await eventsOf('every-second'), 'nothing but the routine Event').to.have.length(1);
  });

  it('a failure and the recovery after it are written at once, not at the next interval', async () => {
    controller = await startController([
      '--namespace',
      ns.name,
      '--event-series-interval',
      '10m',
      ...DEFERRED_LAUNCH_WRITE,
    ]);
    await createScheduledTask(api, ns.name, 'flaky', { schedule: EVERY_SECOND, task: fargateTask(env) });
    await waitFor(
      'a few launches',
      async () => ((await getScheduledTask(api, ns.name, 'flaky')).status?.runs?.length ?? 0) >= 3,
      30_000,
    );
    const [routine] = await launchedOf('flaky');
    expect(routine, 'the first launch is created at once').to.not.equal(undefined);
    expect(routine!.series, 'the repeats wait for the 10 min interval').to.equal(undefined);

    // A task definition ECS does not know: the next run fails.
    const brokenAt = Date.now();
    await setTaskDefinition('flaky', 'no-such-task-definition');
    const warning = await waitFor(
      'a Warning event',
      async () => (await eventsOf('flaky')).find((e) => e.type === 'Warning'),
      10_000,
    );
    expect(Date.parse(String(warning.metadata!.creationTimestamp)) - brokenAt).to.be.below(5_000);

    // Fixed again: the first launch after the failure is written at once, on the routine series.
    const fixedAt = Date.now();
    await setTaskDefinition('flaky', fargateTask(env).taskDefinition);
    const recovered = await waitFor(
      'the Launched series written after the recovery',
      async () => {
        const [launched] = await launchedOf('flaky');
        const seen = launched?.series?.lastObservedTime;
        return seen !== undefined && new Date(seen).getTime() >= fixedAt - 1_000 ? launched : undefined;
      },
      10_000,
    );
    expect(recovered!.metadata?.name, 'the same routine Event').to.equal(routine!.metadata?.name);
    expect(await launchedOf('flaky')).to.have.length(1);
  });
});
