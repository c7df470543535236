import { expect } from 'chai';
import { CLUSTER, errorOf, runTask, simulator, SUBNETS } from './support.js';

describe('ECS simulator operations', () => {
  const refusals: {
    name: string;
    operation: 'RunTask' | 'DescribeTasks' | 'ListTasks' | 'StopTask';
    input: Record<string, unknown>;
    type: string;
    message: RegExp;
  }[] = [
    {
      name: 'RunTask with count 0',
      operation: 'RunTask',
      input: { taskDefinition: 'app', count: 0 },
      type: 'InvalidParameterException',
      message: /^count must be between 1 and 10/,
    },
    {
      name: 'RunTask with 51 tags',
      operation: 'RunTask',
      input: {
        taskDefinition: 'app',
        tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
      },
      type: 'InvalidParameterException',
      message: /at most 50 tags/,
    },
    {
      name: 'RunTask of an awsvpc definition without subnets',
      operation: 'RunTask',
      input: { taskDefinition: 'web', launchType: 'FARGATE' },
      type: 'InvalidParameterException',
      message: /Network Configuration must be provided/,
    },
    {
      name: 'RunTask with a launch type and a capacity provider strategy',
      operation: 'RunTask',
      input: {
        taskDefinition: 'web',
        launchType: 'FARGATE',
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }],
        networkConfiguration: SUBNETS,
      },
      type: 'InvalidParameterException',
      message: /both a launch type and capacity provider strategy/,
    },
    {
      name: 'RunTask with a startedBy over 128 characters',
      operation: 'RunTask',
      input: { taskDefinition: 'app', startedBy: 's'.repeat(129) },
      type: 'InvalidParameterException',
      message: /startedBy/,
    },
    {
      name: 'RunTask without a task definition',
      operation: 'RunTask',
      input: {},
      type: 'ClientException',
      message: /TaskDefinition can not be blank/,
    },
    {
      name: 'DescribeTasks of no task',
      operation: 'DescribeTasks',
      input: { tasks: [] },
      type: 'InvalidParameterException',
      message: /Tasks cannot be empty/,
    },
    {
      name: 'DescribeTasks of 101 tasks',
      operation: 'DescribeTasks',
      input: { tasks: Array.from({ length: 101 }, (_, i) => `t${i}`) },
      type: 'InvalidParameterException',
      message: /more than 100/,
    },
    {
      name: 'ListTasks with maxResults 101',
      operation: 'ListTasks',
      input: { maxResults: 101 },
      type: 'InvalidParameterException',
      message: /maxResults/,
    },
    {
      name: 'StopTask without a task',
      operation: 'StopTask',
      input: {},
      type: 'InvalidParameterException',
      message: /Task cannot be empty/,
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} with ${c.type}, launching nothing`, () => {
      const { sim } = simulator();
      const err = errorOf(() => sim.call(c.operation, { cluster: CLUSTER, ...c.input }));
      expect(err.type).to.equal(c.type);
      expect(err.message).to.match(c.message);
      expect(sim.ledger.report().tasksLaunched).to.equal(0);
    });
  }

  it('accepts a cluster by ARN and a task by its ID', () => {
    const { sim } = simulator();
    const arn = runTask(sim, { cluster: `arn:aws:ecs:us-east-1:123456789012:cluster/${CLUSTER}` }).tasks[0]!
      .taskArn;
    const id = arn.split('/').at(-1)!;
    const out = sim.call('DescribeTasks', { cluster: CLUSTER, tasks: [id] }) as {
      tasks: { taskArn: string }[];
    };
    expect(out.tasks.map((t) => t.taskArn)).to.deep.equal([arn]);
  });

  it('ListTasks filters by launch type and family', () => {
    const { sim } = simulator();
    const ec2 = runTask(sim, { launchType: 'EC2' }).tasks[0]!.taskArn;
    const fargate = runTask(sim, {
      taskDefinition: 'web',
      launchType: 'FARGATE',
      networkConfiguration: SUBNETS,
    }).tasks[0]!.taskArn;
    expect(sim.call('ListTasks', { cluster: CLUSTER, launchType: 'FARGATE' }).taskArns).to.deep.equal([
      fargate,
    ]);
    expect(sim.call('ListTasks', { cluster: CLUSTER, family: 'app' }).taskArns).to.deep.equal([ec2]);
  });

  it('a task in another cluster is MISSING here', () => {
    const { sim } = simulator();
    const arn = runTask(sim).tasks[0]!.taskArn;
    expect(sim.call('DescribeTasks', { cluster: 'default', tasks: [arn] }).failures).to.deep.equal([
      { arn, reason: 'MISSING' },
    ]);
  });

  it('registering a family again makes a new revision, and the family alone means the latest', () => {
    const { sim } = simulator();
    sim.call('RegisterTaskDefinition', { family: 'app', containerDefinitions: [{ name: 'v2' }] });
    const latest = sim.call('DescribeTaskDefinition', { taskDefinition: 'app' }) as {
      taskDefinition: { revision: number };
    };
    const first = sim.call('DescribeTaskDefinition', { taskDefinition: 'app:1' }) as {
      taskDefinition: { revision: number };
    };
    expect([latest.taskDefinition.revision, first.taskDefinition.revision]).to.deep.equal([2, 1]);
  });

  it('an unknown operation is refused and counted', () => {
    const { sim } = simulator();
    const served = sim.serve('DeleteCluster', {});
    expect(served).to.include({ kind: 'answer', status: 400 });
    expect(sim.stats().operations.DeleteCluster!.errors).to.deep.equal({ UnknownOperationException: 1 });
  });

  it('reset forgets tasks, tokens and the ledger, and keeps the seeded definitions', () => {
    const { sim } = simulator();
    runTask(sim, { clientToken: 't', startedBy: 's' });
    sim.call('CreateCluster', { clusterName: 'made-later' });
    sim.reset();
    expect(sim.ledger.report().accepted).to.equal(0);
    expect(sim.stats().tasks).to.deep.equal({ tracked: 0, launched: 0 });
    expect(errorOf(() => sim.call('ListTasks', { cluster: 'made-later' })).type).to.equal(
      'ClusterNotFoundException',
    );
    // The token is free again: this launches.
    expect(runTask(sim, { clientToken: 't', startedBy: 's' }).tasks).to.have.length(1);
    expect(sim.ledger.report().replays).to.equal(0);
  });
});
