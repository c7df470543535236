// The file path of `import --from eventbridge-scheduler | eventbridge-rules | ecschedule`: captured
// exports shaped as AWS documents them (test/fixtures/eventbridge/), converted in-process.
import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { EcsSchedulerPolicyResource } from '../../../src/api/policy-types.js';
import { validatePolicy } from '../../../src/api/policy-validation.js';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { validateResource } from '../../../src/api/validation.js';
import { createImportCommand } from '../../../src/cli/import-command.js';
import type { EventBridgeSource } from '../../../src/aws/eventbridge/eventbridge-source.js';
import { checkEventBridgeExpression } from '../../../src/migrate/eventbridge-expression.js';
import { convertSchedule } from '../../../src/migrate/eventbridge-scheduler.js';
import { policyFor } from '../../../src/migrate/import-policy.js';
import { expectPoliciesAllowExactly } from '../../support/imported-policy-check.js';
import { recordingIo } from '../../support/recording-io.js';

const fixtures = fileURLToPath(new URL('../../fixtures/eventbridge/', import.meta.url));
const now = new Date('2026-12-03T08:00:00Z');

/** The account must not be read when a file is given. */
const noAccount = (): EventBridgeSource => {
  throw new Error('the account was read');
};
const command = createImportCommand({ eventBridge: noAccount });

function docs(yaml: string) {
  const all = parseAllDocuments(yaml).map((d) => d.toJS() as { kind: string });
  return {
    resources: all.filter((d) => d.kind === 'EcsScheduledTask') as unknown as EcsScheduledTaskResource[],
    policies: all.filter((d) => d.kind === 'EcsSchedulerPolicy') as unknown as EcsSchedulerPolicyResource[],
  };
}

describe('import --from eventbridge-scheduler (files)', () => {
  it('maps every field of a captured GetSchedule of an ECS Fargate target', async () => {
    const io = recordingIo(now);
    const code = await command(
      [
        '--from',
        'eventbridge-scheduler',
        join(fixtures, 'get-schedule-ecs-fargate.json'),
        '--namespace',
        'reports',
      ],
      io,
    );
    expect(code, io.err).to.equal(0);
    const { resources, policies } = docs(io.out);
    expect(resources).to.have.length(1);
    const r = resources[0]!;
    expect(validateResource(r)).to.deep.equal([]);
    expect(r.metadata.name).to.equal('reports-nightly-report');
    expect(r.spec).to.deep.include({
      schedule: 'cron(30 1 ? * MON-FRI *)',
      timeZone: 'Europe/Berlin',
      startTime: '2025-12-01T00:00:00Z',
      endTime: '2027-01-01T00:00:00Z',
      startingDeadlineSeconds: 3600,
      jitterSeconds: 900,
      taskCount: 2,
    });
    expect(r.spec.deadLetter).to.deep.equal({
      sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/report-dlq' },
    });
    expect(r.spec.task.capacityProviderStrategy).to.deep.equal([
      { capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 },
    ]);
    expect(r.spec.task.networkConfiguration?.awsvpcConfiguration?.subnets).to.have.length(2);
    expect(r.spec.task.tags).to.deep.equal([{ key: 'team', value: 'finance' }]);
    expect(r.spec.task.overrides?.containerOverrides?.[0]?.environment).to.deep.equal([
      { name: 'MODE', value: 'full' },
    ]);
    expect(policies).to.have.length(1);
    expect(validatePolicy(policies[0])).to.deep.equal([]);
    expect(policies[0]!.spec).to.deep.include({
      assumeRoleArn: 'arn:aws:iam::123456789012:role/scheduler-report-role',
      queues: ['arn:aws:sqs:eu-west-1:123456789012:report-dlq'],
      maxTasksPerRun: 2,
    });
  });

  it('names a Lambda target on stderr with its reason and writes nothing', async () => {
    const io = recordingIo(now);
    const code = await command(
      ['--from', 'eventbridge-scheduler', join(fixtures, 'get-schedule-lambda.json')],
      io,
    );
    expect(code).to.equal(1);
    expect(io.out).to.equal('');
    expect(io.err).to.include('schedule default/cleanup: Target.Arn: the target is not ECS RunTask');
  });

  it('refuses an unmappable schedule with one reason per field', async () => {
    const io = recordingIo(now);
    const code = await command(
      ['--from', 'eventbridge-scheduler', join(fixtures, 'get-schedule-unmappable.json')],
      io,
    );
    expect(code).to.equal(1);
    const fields = io.err
      .split('\n')
      .filter((l) => l.startsWith('schedule default/dst-sensitive: '))
      .map((l) => l.split(': ')[1]);
    expect(fields).to.have.members([
      'ScheduleExpression',
      'Target.EcsParameters.ReferenceId',
      'Target.Input',
      'Target.RetryPolicy.MaximumRetryAttempts',
    ]);
  });

  it('counts a rate() without StartDate from CreationDate, and refuses one without either', () => {
    const base = {
      Name: 'r',
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/c',
        RoleArn: 'arn:aws:iam::123456789012:role/x',
        EcsParameters: { TaskDefinitionArn: 'td:1' },
      },
    };
    const options = { namespace: 'ns', now: now.getTime() };
    const counted = convertSchedule({ ...base, CreationDate: '2026-11-01T10:02:37.250000+00:00' }, options);
    expect(counted.ok && counted.resource.spec.startTime).to.equal('2026-11-01T10:02:37Z');
    const unknown = convertSchedule(base, options);
    expect(unknown.ok).to.equal(false);
    expect(!unknown.ok && unknown.reasons.join()).to.include('no CreationDate');
  });
});

describe('EventBridge expressions', () => {
  const ctx = { timeZone: 'Europe/Berlin', now: now.getTime(), allowAt: true };
  const cases: [string, string, boolean][] = [
    ['every 15 minutes loses nothing in the spring gap', 'cron(0/15 * * * ? *)', true],
    ['02:30 daily falls in the spring gap', 'cron(30 2 * * ? *)', false],
    ['an at() inside the gap', 'at(2027-03-28T02:30:00)', false],
    ['an at() outside the gap', 'at(2027-03-28T03:30:00)', true],
    ['H is not EventBridge', 'cron(H 2 * * ? *)', false],
    ['? in the minute field is not EventBridge', 'cron(? 2 * * ? *)', false],
    ['a plain cron is not EventBridge', '0 2 * * *', false],
  ];
  for (const [name, expression, ok] of cases) {
    it(name, () => expect(checkEventBridgeExpression(expression, ctx).ok).to.equal(ok));
  }
  it('rules take no at()', () =>
    expect(checkEventBridgeExpression('at(2027-01-01T00:00:00)', { ...ctx, allowAt: false }).ok).to.equal(
      false,
    ));
});

describe('import --from eventbridge-rules (files)', () => {
  it('converts the ECS target of a captured rule with its targets and names the Lambda one', async () => {
    const io = recordingIo(now);
    const code = await command(
      ['--from', 'eventbridge-rules', join(fixtures, 'describe-rule-with-targets.json')],
      io,
    );
    expect(code).to.equal(1);
    const { resources, policies } = docs(io.out);
    expect(resources.map((r) => r.metadata.name)).to.deep.equal(['hourly-sync']);
    const r = resources[0]!;
    expect(validateResource(r)).to.deep.equal([]);
    expect(r.spec.schedule).to.equal('cron(5 * ? * MON-FRI *)');
    expect(r.spec.timeZone).to.equal(undefined);
    expect(r.spec.startingDeadlineSeconds).to.equal(7200);
    expect(r.spec.task.overrides?.taskRoleArn).to.equal('arn:aws:iam::123456789012:role/sync-task');
    expect(r.spec.task.tags).to.deep.equal([{ key: 'team', value: 'data' }]);
    expect(policies[0]!.spec).to.deep.include({
      assignPublicIp: true,
      roles: ['arn:aws:iam::123456789012:role/sync-task'],
      launchTypes: ['FARGATE'],
    });
    expect(io.err).to.include(
      'rule default/hourly-sync target notify: Targets[Id=notify].Arn: the target is not ECS',
    );
  });
});

describe('import --from ecschedule', () => {
  it('converts its sample configuration as the rules ecschedule applies', async () => {
    const io = recordingIo(now);
    const code = await command(
      [
        '--from',
        'ecschedule',
        join(fixtures, 'ecschedule.yaml'),
        '--account-id',
        '123456789012',
        '--rate-start',
        '2026-06-01T00:00:00Z',
      ],
      io,
    );
    expect(code, io.err).to.equal(0);
    const { resources, policies } = docs(io.out);
    expect(resources.map((r) => r.metadata.name)).to.deep.equal(['hoge-task-name', 'every-ten']);
    for (const r of resources) expect(validateResource(r)).to.deep.equal([]);
    const [hoge, ten] = resources as [EcsScheduledTaskResource, EcsScheduledTaskResource];
    expect(hoge.spec.task.cluster).to.equal('arn:aws:ecs:eu-west-1:123456789012:cluster/batch');
    expect(hoge.spec.task.overrides).to.deep.equal({
      cpu: '4096',
      memory: '16384',
      containerOverrides: [
        {
          name: 'container1',
          command: ['subcmd', 'argument'],
          environment: [{ name: 'HOGE_ENV', value: 'HOGEGE' }],
        },
      ],
    });
    expect(hoge.spec.deadLetter?.sqs.queueUrl).to.equal(
      'https://sqs.eu-west-1.amazonaws.com/123456789012/queue1',
    );
    expect(ten.spec).to.deep.include({ suspend: true, taskCount: 3, startTime: '2026-06-01T00:00:00Z' });
    expect(policies.map((p) => p.spec.assumeRoleArn)).to.deep.equal([
      'arn:aws:iam::123456789012:role/ecsEventsRole',
    ]);
  });

  it('needs --account-id to make ARNs of names, and refuses templates', async () => {
    const io = recordingIo(now);
    expect(await command(['--from', 'ecschedule', join(fixtures, 'ecschedule.yaml')], io)).to.equal(1);
    expect(io.err).to.include('give --account-id');
    const templated = createImportCommand({
      eventBridge: noAccount,
      readFile: () => Promise.resolve('rules:\n- name: x\n  taskDefinition: {{ must_env `TD` }}\n'),
    });
    const io2 = recordingIo(now);
    expect(await templated(['--from', 'ecschedule', 'x.yaml'], io2)).to.equal(2);
    expect(io2.err).to.include('ecschedule dump');
  });
});

describe('EventBridge targets and policies', () => {
  const options = { namespace: 'ns', now: now.getTime() };
  const schedule = (name: string, target: Record<string, unknown>) => ({
    Name: name,
    ScheduleExpression: 'cron(0 6 * * ? *)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: target,
  });

  it("reads Scheduler's universal RunTask target from its Input", () => {
    const c = convertSchedule(
      schedule('universal', {
        Arn: 'arn:aws:scheduler:::aws-sdk:ecs:runTask',
        RoleArn: 'arn:aws:iam::123456789012:role/x',
        Input: JSON.stringify({
          cluster: 'batch',
          taskDefinition: 'etl:4',
          count: 2,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
          overrides: { containerOverrides: [{ name: 'etl', command: ['go'] }] },
        }),
      }),
      options,
    );
    expect(c.ok, JSON.stringify(c)).to.equal(true);
    if (!c.ok) return;
    expect(c.resource.spec.taskCount).to.equal(2);
    expect(c.resource.spec.task).to.deep.include({
      cluster: 'batch',
      taskDefinition: 'etl:4',
      launchType: 'FARGATE',
    });
    expect(c.resource.spec.task.overrides?.containerOverrides).to.deep.equal([
      { name: 'etl', command: ['go'] },
    ]);
  });

  it('refuses a universal target whose request names a RunTask member we have no field for', () => {
    const c = convertSchedule(
      schedule('universal', {
        Arn: 'arn:aws:scheduler:::aws-sdk:ecs:runTask',
        RoleArn: 'arn:aws:iam::123456789012:role/x',
        Input: JSON.stringify({ taskDefinition: 'etl', startedBy: 'me' }),
      }),
      options,
    );
    expect(!c.ok && c.reasons).to.deep.equal([
      'Target.Input.startedBy: a RunTask member an EcsScheduledTask has no field for',
    ]);
  });

  it('refuses schedules of two roles that one namespace cannot tell apart', async () => {
    const target = (role: string) => ({
      Arn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch',
      RoleArn: `arn:aws:iam::123456789012:role/${role}`,
      EcsParameters: { TaskDefinitionArn: 'etl:1' },
    });
    const source: EventBridgeSource = {
      schedules: () => Promise.resolve([schedule('as-a', target('a')), schedule('as-b', target('b'))]),
      rules: () => Promise.reject(new Error('not read')),
    };
    const io = recordingIo(now);
    const code = await createImportCommand({ eventBridge: () => source })(
      ['--from', 'eventbridge-scheduler'],
      io,
    );
    expect(code).to.equal(1);
    const { resources, policies } = docs(io.out);
    // The first policy by name (role a) allows both runs, so the one of role b cannot keep its role.
    expect(resources.map((r) => r.metadata.name)).to.deep.equal(['as-a']);
    expect(policies.map((p) => p.spec.assumeRoleArn)).to.deep.equal(['arn:aws:iam::123456789012:role/a']);
    expect(io.err).to.match(
      /schedule default\/as-b: RoleArn: .*role\/b cannot be kept: the other schedules imported into namespace default run as .*role\/a/,
    );
  });
});

describe("the generated EcsSchedulerPolicy, judged by the controller's evaluator", () => {
  const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
  const run = async (source: EventBridgeSource, args: string[] = []) => {
    const io = recordingIo(now);
    const code = await createImportCommand({ eventBridge: () => source })(
      ['--from', 'eventbridge-scheduler', '--namespace', 'jobs', ...args],
      io,
    );
    return { code, io, ...docs(io.out) };
  };
  const scheduled = (name: string, roleName: string, ecs: Record<string, unknown>, input?: unknown) => ({
    Name: name,
    ScheduleExpression: 'cron(0 6 * * ? *)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: {
      Arn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch',
      RoleArn: role(roleName),
      EcsParameters: { TaskDefinitionArn: 'etl:3', ...ecs },
      ...(input !== undefined && { Input: JSON.stringify(input) }),
    },
  });
  const from = (schedules: unknown[]): EventBridgeSource => ({
    schedules: () => Promise.resolve(schedules),
    rules: () => Promise.reject(new Error('not read')),
  });

  for (const [what, args, runAs] of [
    [
      'a Scheduler schedule',
      ['--from', 'eventbridge-scheduler', join(fixtures, 'get-schedule-ecs-fargate.json')],
      'scheduler-report-role',
    ],
    [
      'a rule with targets',
      ['--from', 'eventbridge-rules', join(fixtures, 'describe-rule-with-targets.json')],
      'ecsEventsRole',
    ],
    [
      'an ecschedule file',
      [
        '--from',
        'ecschedule',
        join(fixtures, 'ecschedule.yaml'),
        '--account-id',
        '123456789012',
        '--rate-start',
        '2026-06-01T00:00:00Z',
      ],
      'ecsEventsRole',
    ],
  ] as const) {
    it(`allows every resource of ${what} as its role, and nothing with one override more`, async () => {
      const io = recordingIo(now);
      await command([...args], io);
      const { resources, policies } = docs(io.out);
      expect(io.err).not.to.match(/cannot be kept|cannot allow it/);
      expectPoliciesAllowExactly(resources, policies, () => role(runAs));
    });
  }

  it('lists exactly the overrides the schedules make, one rule per container', async () => {
    const { code, io, resources, policies } = await run(
      from([
        scheduled(
          'env-and-files',
          'etl',
          { Tags: [{ team: 'data' }], PlatformVersion: '1.4.0', LaunchType: 'FARGATE' },
          {
            containerOverrides: [
              {
                name: 'etl',
                environment: [{ name: 'MODE', value: 'full' }],
                environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::cfg/etl.env' }],
              },
              { name: 'sidecar', memory: 256 },
            ],
          },
        ),
        scheduled(
          'command',
          'etl',
          {
            PlacementConstraints: [{ type: 'distinctInstance' }],
            Tags: [{ 'cost-center': '42' }],
            TaskCount: 4,
          },
          {
            containerOverrides: [
              { name: 'etl', command: ['run'], environment: [{ name: 'DAY', value: '1' }] },
            ],
          },
        ),
      ]),
    );
    expect(code, io.err).to.equal(0);
    expect(policies).to.have.length(1);
    expect(validatePolicy(policies[0])).to.deep.equal([]);
    expect(policies[0]!.spec).to.deep.include({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'jobs' } },
      assumeRoleArn: role('etl'),
      maxTasksPerRun: 4,
      overrides: {
        containers: [
          {
            name: 'etl',
            command: true,
            environment: ['DAY', 'MODE'],
            environmentFiles: ['arn:aws:s3:::cfg/etl.env'],
          },
        ],
        tags: ['cost-center', 'team'],
        platformVersions: ['1.4.0'],
        resources: true,
        placement: true,
      },
    });
    expectPoliciesAllowExactly(resources, policies, () => role('etl'));
  });

  it('policyFor() alone allows the overrides of the resources it is given', () => {
    const c = convertSchedule(
      scheduled(
        'one',
        'etl',
        { Tags: [{ team: 'data' }] },
        {
          containerOverrides: [
            { name: 'etl', command: ['run'], environment: [{ name: 'MODE', value: 'x' }] },
          ],
        },
      ),
      { namespace: 'jobs', now: now.getTime() },
    );
    if (!c.ok) throw new Error(c.reasons.join());
    expectPoliciesAllowExactly([c.resource], [policyFor('jobs', role('etl'), [c.resource])], () =>
      role('etl'),
    );
  });

  it('gives a namespace one policy and one role: the schedules of another role are refused with the reason', async () => {
    const { code, io, resources, policies } = await run(
      from([
        scheduled(
          'a1',
          'team-a',
          {},
          { containerOverrides: [{ name: 'etl', environment: [{ name: 'A', value: '1' }] }] },
        ),
        scheduled('b1', 'team-b', {}),
        scheduled('a2', 'team-a', { TaskCount: 2 }),
      ]),
    );
    expect(code).to.equal(1);
    expect(resources.map((r) => r.metadata.name)).to.deep.equal(['a1', 'a2']);
    expect(policies.map((p) => p.spec.assumeRoleArn)).to.deep.equal([role('team-a')]);
    expect(io.err).to.match(
      /schedule default\/b1: RoleArn: .*role\/team-b cannot be kept: the other schedules imported into namespace jobs run as .*role\/team-a.*--namespace/,
    );
    expectPoliciesAllowExactly(resources, policies, () => role('team-a'));
  });

  it('refuses a value the allow-lists would read as a pattern', async () => {
    const { code, io, resources } = await run(
      from([
        scheduled(
          'starred',
          'etl',
          {},
          { containerOverrides: [{ name: 'etl', environment: [{ name: 'A*', value: '1' }] }] },
        ),
        scheduled('plain', 'etl', {}),
      ]),
    );
    expect(code).to.equal(1);
    expect(resources.map((r) => r.metadata.name)).to.deep.equal(['plain']);
    expect(io.err).to.include(
      'schedule default/starred: spec.task.overrides.containerOverrides[0].environment[0].name: "A*" has a *',
    );
  });
});
