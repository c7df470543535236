// One contract, two ECS implementations: moto (the integration truth) and our simulator (fast,
// throttled, fault-injecting, for load). Every case runs against both on the operations they
// share, so the simulator cannot drift from what the controller meets in the integration tests.
//
// Where moto is known to differ from real ECS, the case is declared for the simulator only and
// says why (found by running this suite against moto 5):
//   - moto ignores RunTask's clientToken (every call launches), so token replay and
//     ConflictException are asserted on the simulator, as the RunTask reference describes them;
//   - moto leaves unknown ARNs out of DescribeTasks silently; ECS reports each as a failure with
//     reason MISSING;
//   - moto's ListTasks without desiredStatus lists stopped tasks too; ECS defaults to RUNNING;
//   - moto's ListTasks ignores maxResults and never pages.
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { expect } from 'chai';
import { startEcsSimulatorServer, type EcsSimulatorServer } from '../support/ecs-simulator/server.js';
import { ecsClient, loadTestEnv, type TestEnv } from './support/index.js';

interface Target {
  readonly name: 'moto' | 'simulator';
  readonly ecs: ECSClient;
  readonly cluster: string;
  /** A Fargate launch of the seeded awsvpc task definition. */
  readonly task: Pick<
    RunTaskCommandInput,
    'cluster' | 'taskDefinition' | 'launchType' | 'networkConfiguration'
  >;
  close(): Promise<void>;
}

const SLEEPER = { name: 'sleeper', image: 'busybox', memory: 128, essential: true, command: ['sleep', '10'] };
const FAMILY = 'sleeper-task-fargate';

function fargate(env: Pick<TestEnv, 'ecsCluster' | 'subnetId' | 'securityGroupId'>): Target['task'] {
  return {
    cluster: env.ecsCluster,
    taskDefinition: FAMILY,
    launchType: 'FARGATE',
    networkConfiguration: {
      awsvpcConfiguration: { subnets: [env.subnetId], securityGroups: [env.securityGroupId] },
    },
  };
}

function moto(): Target {
  const env = loadTestEnv();
  const ecs = ecsClient(env);
  return {
    name: 'moto',
    ecs,
    cluster: env.ecsCluster,
    task: fargate(env),
    close: () => Promise.resolve(ecs.destroy()),
  };
}

/** The simulator seeded like `testenv up` seeds moto: the same cluster name and task definition. */
async function simulator(): Promise<Target> {
  const cluster = 'contract-cluster';
  const server: EcsSimulatorServer = await startEcsSimulatorServer({ quotas: 'off', clusters: [cluster] });
  const ecs = new ECSClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: FAMILY,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [SLEEPER],
    }),
  );
  return {
    name: 'simulator',
    ecs,
    cluster,
    task: fargate({ ecsCluster: cluster, subnetId: 'subnet-1', securityGroupId: 'sg-1' }),
    close: async () => {
      ecs.destroy();
      await server.close();
    },
  };
}

/** An ARN in the same account, region and cluster as `known`, of a task that does not exist. */
function unknownArn(known: string): string {
  return known.replace(/[^/]+$/, '0123456789abcdef0123456789abcdef');
}

async function rejection(
  p: Promise<unknown>,
): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to be refused');
}

for (const make of [moto, simulator]) {
  describe(`ECS contract: ${make.name}`, function () {
    this.timeout(60_000);
    let t: Target;
    // Unique per run, so moto's state from earlier tests never matches a filter here.
    const prefix = `contract-${Date.now().toString(36)}-${make.name}`;
    let n = 0;
    const startedBy = () => `${prefix}-${n++}`;

    before(async () => {
      t = await make();
    });
    after(async () => {
      await t?.close();
    });

    const run = (input: Partial<RunTaskCommandInput>) =>
      t.ecs.send(new RunTaskCommand({ ...t.task, ...input }));

    it('RunTask launches `count` tasks carrying startedBy, overrides and (with include TAGS) tags', async () => {
      const by = startedBy();
      const overrides = { containerOverrides: [{ name: 'sleeper', command: ['sleep', '1'] }] };
      const out = await run({ count: 3, startedBy: by, tags: [{ key: 'team', value: 'data' }], overrides });
      expect(out.failures ?? []).to.deep.equal([]);
      expect(out.tasks).to.have.length(3);
      for (const task of out.tasks!) {
        expect(task.taskArn).to.match(/^arn:aws:ecs:[^:]+:\d{12}:task\//);
        expect(task.startedBy).to.equal(by);
        expect(task.taskDefinitionArn).to.match(new RegExp(`:task-definition/${FAMILY}:\\d+$`));
        expect(task.overrides?.containerOverrides).to.deep.equal(overrides.containerOverrides);
        expect(task.lastStatus).to.be.a('string');
      }
      const described = await t.ecs.send(
        new DescribeTasksCommand({
          cluster: t.cluster,
          tasks: out.tasks!.map((x) => x.taskArn!),
          include: ['TAGS'],
        }),
      );
      expect(described.tasks!.map((x) => x.tags)).to.deep.equal([
        [{ key: 'team', value: 'data' }],
        [{ key: 'team', value: 'data' }],
        [{ key: 'team', value: 'data' }],
      ]);
    });

    it('DescribeTasks returns the known tasks of a list that also names an unknown one', async () => {
      const [task] = (await run({ startedBy: startedBy() })).tasks!;
      const out = await t.ecs.send(
        new DescribeTasksCommand({ cluster: t.cluster, tasks: [task!.taskArn!, unknownArn(task!.taskArn!)] }),
      );
      expect(out.tasks!.map((x) => x.taskArn)).to.deep.equal([task!.taskArn]);
    });

    it('ListTasks filters by startedBy, family and desiredStatus; StopTask moves a task to STOPPED', async () => {
      const by = startedBy();
      const arns = (await run({ count: 2, startedBy: by })).tasks!.map((x) => x.taskArn!);
      await run({ startedBy: startedBy() });
      const list = (input: Record<string, unknown>) =>
        t.ecs
          .send(new ListTasksCommand({ cluster: t.cluster, ...input }))
          .then((o) => [...(o.taskArns ?? [])].sort());
      expect(await list({ startedBy: by, desiredStatus: 'RUNNING' })).to.deep.equal([...arns].sort());
      expect(await list({ startedBy: by, family: FAMILY })).to.deep.equal([...arns].sort());
      expect(await list({ startedBy: by, family: 'no-such-family' })).to.deep.equal([]);

      const stopped = await t.ecs.send(
        new StopTaskCommand({ cluster: t.cluster, task: arns[0], reason: 'contract' }),
      );
      expect(stopped.task).to.include({
        taskArn: arns[0],
        desiredStatus: 'STOPPED',
        stoppedReason: 'contract',
      });
      expect(await list({ startedBy: by, desiredStatus: 'RUNNING' })).to.deep.equal([arns[1]]);
      expect(await list({ startedBy: by, desiredStatus: 'STOPPED' })).to.deep.equal([arns[0]]);
    });

    it('DescribeTaskDefinition returns the registered definition by family', async () => {
      const out = await t.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: FAMILY }));
      expect(out.taskDefinition).to.include({ family: FAMILY, networkMode: 'awsvpc' });
      expect(out.taskDefinition!.revision).to.be.a('number');
      expect(out.taskDefinition!.containerDefinitions!.map((c) => [c.name, c.essential])).to.deep.equal([
        ['sleeper', true],
      ]);
    });

    const refusals: {
      name: string;
      send: (t: Target) => Promise<unknown>;
      error: string;
      message?: string;
    }[] = [
      {
        name: 'ListTasks on a missing cluster',
        send: (x) => x.ecs.send(new ListTasksCommand({ cluster: 'no-such-cluster' })),
        error: 'ClusterNotFoundException',
        message: 'Cluster not found.',
      },
      {
        name: 'DescribeTasks of no task',
        send: (x) => x.ecs.send(new DescribeTasksCommand({ cluster: x.cluster, tasks: [] })),
        error: 'InvalidParameterException',
        message: 'Tasks cannot be empty.',
      },
      {
        name: 'RunTask of an awsvpc definition without a network configuration',
        send: (x) => x.ecs.send(new RunTaskCommand({ ...x.task, networkConfiguration: undefined })),
        error: 'InvalidParameterException',
        message: "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      },
      {
        name: 'RunTask on a missing cluster',
        send: (x) => x.ecs.send(new RunTaskCommand({ ...x.task, cluster: 'no-such-cluster' })),
        error: 'ClusterNotFoundException',
      },
      {
        name: 'DescribeTasks on a missing cluster',
        send: (x) => x.ecs.send(new DescribeTasksCommand({ cluster: 'no-such-cluster', tasks: ['abc'] })),
        error: 'ClusterNotFoundException',
      },
      {
        name: 'DescribeTaskDefinition of a missing family',
        send: (x) => x.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'no-such-family' })),
        error: 'ClientException',
      },
      {
        name: 'RunTask of a missing task definition',
        send: (x) => x.ecs.send(new RunTaskCommand({ ...x.task, taskDefinition: 'no-such-family:1' })),
        error: 'ClientException',
      },
    ];
    for (const c of refusals) {
      it(`refuses ${c.name} with ${c.error}, a client fault`, async () => {
        const err = await rejection(c.send(t));
        expect(err.name).to.equal(c.error);
        expect(err.$fault).to.equal('client');
        expect(err.$metadata?.httpStatusCode).to.equal(400);
        if (c.message !== undefined) expect(err.message).to.equal(c.message);
      });
    }

    // moto ignores clientToken: these hold on real ECS and on the simulator only, so they are
    // declared for the simulator alone (not skipped on moto).
    if (make === simulator)
      describe('where moto differs from ECS (simulator only; see the top of this file)', () => {
        it('DescribeTasks reports an unknown ARN as a failure with reason MISSING', async () => {
          const [task] = (await run({ startedBy: startedBy() })).tasks!;
          const unknown = unknownArn(task!.taskArn!);
          const out = await t.ecs.send(
            new DescribeTasksCommand({ cluster: t.cluster, tasks: [task!.taskArn!, unknown] }),
          );
          expect(out.failures).to.deep.equal([{ arn: unknown, reason: 'MISSING' }]);
        });

        it('ListTasks without desiredStatus lists RUNNING tasks only', async () => {
          const by = startedBy();
          const arns = (await run({ count: 2, startedBy: by })).tasks!.map((x) => x.taskArn!);
          await t.ecs.send(new StopTaskCommand({ cluster: t.cluster, task: arns[0] }));
          const out = await t.ecs.send(new ListTasksCommand({ cluster: t.cluster, startedBy: by }));
          expect(out.taskArns).to.deep.equal([arns[1]]);
        });

        it('ListTasks pages with maxResults and nextToken, and the pages add up to every task', async () => {
          const by = startedBy();
          const arns = (await run({ count: 5, startedBy: by })).tasks!.map((x) => x.taskArn!);
          const pages: string[][] = [];
          let nextToken: string | undefined;
          do {
            const out = await t.ecs.send(
              new ListTasksCommand({ cluster: t.cluster, startedBy: by, maxResults: 2, nextToken }),
            );
            pages.push(out.taskArns ?? []);
            nextToken = out.nextToken;
          } while (nextToken && pages.length < 10);
          expect(pages.map((p) => p.length)).to.deep.equal([2, 2, 1]);
          expect(pages.flat().sort()).to.deep.equal([...arns].sort());
        });

        it('the same token and parameters return the same tasks; other parameters are a ConflictException naming them', async () => {
          const by = startedBy();
          const first = await run({ clientToken: by, startedBy: by, count: 2 });
          const replay = await run({ clientToken: by, startedBy: by, count: 2 });
          expect(replay.tasks!.map((x) => x.taskArn)).to.deep.equal(first.tasks!.map((x) => x.taskArn));
          const conflict = (await rejection(run({ clientToken: by, startedBy: by, count: 1 }))) as Error & {
            resourceIds?: string[];
          };
          expect(conflict.name).to.equal('ConflictException');
          expect(conflict.resourceIds).to.deep.equal(first.tasks!.map((x) => x.taskArn));
          const listed = await t.ecs.send(new ListTasksCommand({ cluster: t.cluster, startedBy: by }));
          expect(listed.taskArns).to.have.length(2);
        });
      });
  });
}
