// Argo CD health of real resources: the controller runs against the real API server and moto, and
// the Argo CD Lua health check (run in fengari, as the unit cases do) reads each resource as the
// API server returns it. A resource whose launch fails (its task definition does not exist) is
// Degraded, through LastRunSucceeded=False; one whose task ran and exited 0 is Healthy.
import { expect } from 'chai';
import { argoCdHealth } from '../support/argocd-health.js';
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
  EVERY_5_SECONDS,
  fargateTask,
  getScheduledTask,
  launchedRuns,
  stopTasks,
  waitFor,
} from './support/scheduled-runs.js';

describe('Argo CD health of real resources (controller, API server, moto)', function () {
  this.timeout(90_000);
  const ns = useTestNamespace('argocd');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  let controller: ControllerProcess | undefined;

  before(async () => {
    controller = await startController(['--namespace', ns.name, '--policy', 'off']);
  });
  after(async () => {
    await controller?.kill('SIGKILL');
    ecs.destroy();
  });

  const condition = (r: Awaited<ReturnType<typeof getScheduledTask>>, type: string) =>
    r.status?.conditions?.find((c) => c.type === type);

  it('a resource whose launch fails is Degraded, naming the failed run', async () => {
    await createScheduledTask(api, ns.name, 'fails', {
      schedule: EVERY_5_SECONDS,
      task: { ...fargateTask(env), taskDefinition: 'no-such-task-definition' },
    });
    const failed = await waitFor(
      'LastRunSucceeded=False',
      async () => {
        const r = await getScheduledTask(api, ns.name, 'fails');
        return condition(r, 'LastRunSucceeded')?.status === 'False' ? r : undefined;
      },
      30_000,
    );
    expect(condition(failed, 'LastRunSucceeded')?.reason).to.equal('LaunchFailed');
    const health = argoCdHealth(failed);
    expect(health.status, JSON.stringify(failed.status?.conditions)).to.equal('Degraded');
    expect(health.message).to.match(/^Last run LaunchFailed: run scheduled at \S+Z: /);
  });

  it('a resource whose task ran and exited 0 is Healthy', async () => {
    await createScheduledTask(api, ns.name, 'works', { schedule: EVERY_5_SECONDS, task: fargateTask(env) });
    const launched = await waitFor(
      'a launched run',
      async () => {
        const r = await getScheduledTask(api, ns.name, 'works');
        return launchedRuns(r).length > 0 ? r : undefined;
      },
      30_000,
    );
    const [run] = launchedRuns(launched);
    // moto reports exit code 0 for the containers of a stopped task.
    await stopTasks(
      ecs,
      env.ecsCluster,
      run!.tasks!.map((t) => t.taskArn),
    );
    const succeeded = await waitFor(
      'LastRunSucceeded=True',
      async () => {
        const r = await getScheduledTask(api, ns.name, 'works');
        return condition(r, 'LastRunSucceeded')?.status === 'True' && condition(r, 'Ready')?.status === 'True'
          ? r
          : undefined;
      },
      30_000,
    );
    expect(condition(succeeded, 'LastRunSucceeded')?.reason).to.equal('Succeeded');
    expect(argoCdHealth(succeeded).status, JSON.stringify(succeeded.status?.conditions)).to.equal('Healthy');
  });
});
