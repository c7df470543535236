import { expect } from 'chai';
import type { TaskSpec } from '../../../../src/api/types.js';
import type { LaunchRequest } from '../../../../src/controller/ports.js';
import {
  MAX_CLIENT_TOKEN_LENGTH,
  batchClientToken,
  buildRunTaskInputs,
  isFargate,
  mergeTags,
} from '../../../../src/aws/ecs/run-task-request.js';

const everyParameter: TaskSpec = {
  cluster: 'ignored-the-request-cluster-wins',
  taskDefinition: 'report:7',
  capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 2, base: 1 }],
  platformVersion: '1.4.0',
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-1', 'subnet-2'],
      securityGroups: ['sg-1'],
      assignPublicIp: 'DISABLED',
    },
  },
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' }],
  placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
  group: 'reports',
  propagateTags: 'TASK_DEFINITION',
  enableECSManagedTags: true,
  enableExecuteCommand: false,
  tags: [
    { key: 'team', value: 'data' },
    { key: 'ecs-scheduler.dev/resource', value: 'spoofed' },
    { key: 'flag' },
  ],
  overrides: {
    containerOverrides: [
      {
        name: 'app',
        command: ['report', '--daily'],
        environment: [{ name: 'SLEEP_SECONDS', value: '10' }, { name: 'EMPTY' }],
        environmentFiles: [{ value: 'arn:aws:s3:::bucket/app.env', type: 's3' }],
        cpu: 256,
        memory: 512,
        memoryReservation: 256,
        resourceRequirements: [{ type: 'GPU', value: '1' }],
      },
    ],
    cpu: '512',
    memory: '1024',
    taskRoleArn: 'arn:aws:iam::123456789012:role/report',
    executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
    ephemeralStorage: { sizeInGiB: 30 },
  },
};

function request(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    cluster: 'prod',
    task: everyParameter,
    count: 1,
    startedBy: 'ecss-abc123-1767225600',
    clientToken: 'uid-1234-1767225600',
    tags: [
      { key: 'ecs-scheduler.dev/resource', value: 'data/nightly-report' },
      { key: 'ecs-scheduler.dev/scheduled-time', value: '2026-01-01T00:00:00Z' },
    ],
    ...overrides,
  };
}

describe('buildRunTaskInputs', () => {
  it('passes every RunTask parameter of the task spec through', () => {
    const [input] = buildRunTaskInputs(request());
    expect(input).to.deep.equal({
      cluster: 'prod',
      taskDefinition: 'report:7',
      count: 1,
      startedBy: 'ecss-abc123-1767225600',
      clientToken: 'uid-1234-1767225600',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 2, base: 1 }],
      platformVersion: '1.4.0',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-1', 'subnet-2'],
          securityGroups: ['sg-1'],
          assignPublicIp: 'DISABLED',
        },
      },
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' }],
      placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
      group: 'reports',
      propagateTags: 'TASK_DEFINITION',
      enableECSManagedTags: true,
      enableExecuteCommand: false,
      tags: [
        { key: 'team', value: 'data' },
        { key: 'ecs-scheduler.dev/resource', value: 'data/nightly-report' },
        { key: 'flag' },
        { key: 'ecs-scheduler.dev/scheduled-time', value: '2026-01-01T00:00:00Z' },
      ],
      overrides: {
        containerOverrides: [
          {
            name: 'app',
            command: ['report', '--daily'],
            environment: [{ name: 'SLEEP_SECONDS', value: '10' }, { name: 'EMPTY' }],
            environmentFiles: [{ value: 'arn:aws:s3:::bucket/app.env', type: 's3' }],
            cpu: 256,
            memory: 512,
            memoryReservation: 256,
            resourceRequirements: [{ type: 'GPU', value: '1' }],
          },
        ],
        cpu: '512',
        memory: '1024',
        taskRoleArn: 'arn:aws:iam::123456789012:role/report',
        executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
        ephemeralStorage: { sizeInGiB: 30 },
      },
    });
  });

  it('sends only what is set for a minimal spec', () => {
    const [input] = buildRunTaskInputs(
      request({ task: { taskDefinition: 'sleeper-task', launchType: 'EC2' }, tags: [] }),
    );
    expect(input).to.deep.equal({
      cluster: 'prod',
      taskDefinition: 'sleeper-task',
      launchType: 'EC2',
      count: 1,
      startedBy: 'ecss-abc123-1767225600',
      clientToken: 'uid-1234-1767225600',
      tags: [],
    });
  });

  it('does not share objects with the spec (a cached resource must never be mutated)', () => {
    const [a, b] = buildRunTaskInputs(request({ count: 20 }));
    a?.overrides?.containerOverrides?.[0]?.command?.push('--mutated');
    expect(b?.overrides?.containerOverrides?.[0]?.command).to.deep.equal(['report', '--daily']);
    expect(everyParameter.overrides?.containerOverrides?.[0]?.command).to.deep.equal(['report', '--daily']);
  });

  const batching: { name: string; count: number; batches: number[] }[] = [
    { name: 'one task, one call', count: 1, batches: [1] },
    { name: 'exactly ten, one call', count: 10, batches: [10] },
    { name: 'eleven, two calls', count: 11, batches: [10, 1] },
    { name: '25 tasks, 3 calls of 10, 10, 5', count: 25, batches: [10, 10, 5] },
    { name: 'zero tasks, no call', count: 0, batches: [] },
  ];
  for (const c of batching) {
    it(`batches: ${c.name}`, () => {
      const inputs = buildRunTaskInputs(request({ count: c.count }));
      expect(inputs.map((i) => i.count)).to.deep.equal(c.batches);
      const tokens = inputs.map((i) => i.clientToken);
      expect(new Set(tokens).size, 'distinct token per batch').to.equal(tokens.length);
    });
  }
});

describe('batchClientToken', () => {
  const long = 'x'.repeat(64);
  const cases: { name: string; token: string; index: number; expected: string }[] = [
    { name: 'batch 0 keeps the token', token: 'uid-1', index: 0, expected: 'uid-1' },
    { name: 'later batches get a suffix', token: 'uid-1', index: 2, expected: 'uid-1-b2' },
    {
      name: 'a full-length token is cut to fit the suffix',
      token: long,
      index: 1,
      expected: `${'x'.repeat(61)}-b1`,
    },
    { name: 'an over-long token is cut to 64', token: 'y'.repeat(80), index: 0, expected: 'y'.repeat(64) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const token = batchClientToken(c.token, c.index);
      expect(token).to.equal(c.expected);
      expect(token.length).to.be.at.most(MAX_CLIENT_TOKEN_LENGTH);
    });
  }

  it('keeps every batch token within 64 characters and stable across retries', () => {
    const first = buildRunTaskInputs(request({ count: 95, clientToken: long })).map(
      (i) => i.clientToken ?? '',
    );
    const retry = buildRunTaskInputs(request({ count: 95, clientToken: long })).map(
      (i) => i.clientToken ?? '',
    );
    expect(first).to.deep.equal(retry);
    for (const token of first) expect(token.length).to.be.at.most(MAX_CLIENT_TOKEN_LENGTH);
    expect(new Set(first).size).to.equal(10);
  });
});

describe('mergeTags', () => {
  it('puts ours after the user tags, and ours win on the same key', () => {
    expect(
      mergeTags(
        [
          { key: 'a', value: '1' },
          { key: 'b', value: '2' },
        ],
        [{ key: 'b', value: 'ours' }],
      ),
    ).to.deep.equal([
      { key: 'a', value: '1' },
      { key: 'b', value: 'ours' },
    ]);
  });
});

describe('isFargate', () => {
  const cases: { name: string; task: TaskSpec; expected: boolean }[] = [
    { name: 'launchType FARGATE', task: { taskDefinition: 't', launchType: 'FARGATE' }, expected: true },
    { name: 'launchType EC2', task: { taskDefinition: 't', launchType: 'EC2' }, expected: false },
    {
      name: 'FARGATE_SPOT provider',
      task: { taskDefinition: 't', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }] },
      expected: true,
    },
    {
      name: 'an EC2 capacity provider',
      task: { taskDefinition: 't', capacityProviderStrategy: [{ capacityProvider: 'my-asg' }] },
      expected: false,
    },
    { name: 'cluster default', task: { taskDefinition: 't' }, expected: false },
  ];
  for (const c of cases) it(c.name, () => expect(isFargate(c.task)).to.equal(c.expected));
});
