import { expect } from 'chai';
import type { EcsSchedulerPolicyResource, PolicySpec } from '../../../src/api/policy-types.js';
import type { EcsScheduledTaskResource, Spec } from '../../../src/api/types.js';
import { evaluatePolicies } from '../../../src/policy/policy-evaluator.js';

const ACCOUNT = '123456789012';
const teamA = { 'kubernetes.io/metadata.name': 'team-a', team: 'a' };

function policy(name: string, spec: Partial<PolicySpec>): EcsSchedulerPolicyResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsSchedulerPolicy',
    metadata: { name },
    spec: { namespaceSelector: { matchLabels: { team: 'a' } }, ...spec },
  };
}

/** Allows the base resource below and nothing more. */
const tight: Partial<PolicySpec> = { clusters: ['prod'], taskDefinitions: ['report'] };

function resource(spec: Partial<Spec> = {}, task: Partial<Spec['task']> = {}): EcsScheduledTaskResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { name: 'nightly', namespace: 'team-a' },
    spec: { schedule: '0 2 * * *', ...spec, task: { cluster: 'prod', taskDefinition: 'report', ...task } },
  };
}

const awsvpc = (c: Record<string, unknown>) =>
  ({ networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], ...c } } }) as Partial<
    Spec['task']
  >;

interface Case {
  readonly name: string;
  readonly policy: Partial<PolicySpec>;
  readonly resource: EcsScheduledTaskResource;
  /** undefined: allowed; else the denied field and value. */
  readonly denied?: { field: string; value: string };
}

describe('evaluatePolicies', () => {
  const context = { defaultCluster: 'default', region: 'eu-west-1', namespaceLabels: teamA };

  const cases: Case[] = [
    { name: 'a run the policy lists exactly', policy: tight, resource: resource() },
    // clusters
    {
      name: 'cluster: not listed',
      policy: tight,
      resource: resource({}, { cluster: 'other' }),
      denied: { field: 'spec.task.cluster', value: 'other' },
    },
    {
      name: 'cluster: absent list allows none',
      policy: { taskDefinitions: ['*'] },
      resource: resource(),
      denied: { field: 'spec.task.cluster', value: 'prod' },
    },
    {
      name: 'cluster: empty list allows none',
      policy: { clusters: [], taskDefinitions: ['*'] },
      resource: resource(),
      denied: { field: 'spec.task.cluster', value: 'prod' },
    },
    {
      name: 'cluster: unset means --default-cluster',
      policy: { clusters: ['default'], taskDefinitions: ['*'] },
      resource: resource({}, { cluster: undefined }),
    },
    {
      name: 'cluster: unset, default not listed',
      policy: tight,
      resource: resource({}, { cluster: undefined }),
      denied: { field: 'spec.task.cluster', value: 'default' },
    },
    {
      name: 'cluster: glob',
      policy: { ...tight, clusters: ['batch-*'] },
      resource: resource({}, { cluster: 'batch-eu' }),
    },
    {
      name: 'cluster: ARN glob matches an ARN',
      policy: { ...tight, clusters: [`arn:aws:ecs:*:${ACCOUNT}:cluster/batch-*`] },
      resource: resource({}, { cluster: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/batch-1` }),
    },
    {
      name: 'cluster: ARN glob, other account',
      policy: { ...tight, clusters: [`arn:aws:ecs:*:${ACCOUNT}:cluster/*`] },
      resource: resource({}, { cluster: 'arn:aws:ecs:eu-west-1:999999999999:cluster/prod' }),
      denied: { field: 'spec.task.cluster', value: 'arn:aws:ecs:eu-west-1:999999999999:cluster/prod' },
    },
    {
      name: 'cluster: a name pattern does not match an ARN (any account)',
      policy: tight,
      resource: resource({}, { cluster: 'arn:aws:ecs:eu-west-1:999999999999:cluster/prod' }),
      denied: { field: 'spec.task.cluster', value: 'arn:aws:ecs:eu-west-1:999999999999:cluster/prod' },
    },
    {
      name: 'cluster: a name glob does not match an ARN either',
      policy: { ...tight, clusters: ['pr*'] },
      resource: resource({}, { cluster: 'arn:aws:ecs:eu-west-1:1:cluster/prod' }),
      denied: { field: 'spec.task.cluster', value: 'arn:aws:ecs:eu-west-1:1:cluster/prod' },
    },
    {
      name: 'cluster: a lone * matches an ARN',
      policy: { ...tight, clusters: ['*'] },
      resource: resource({}, { cluster: 'arn:aws:ecs:eu-west-1:1:cluster/prod' }),
    },
    // task definitions
    {
      name: 'taskDefinition: a family allows its revisions',
      policy: tight,
      resource: resource({}, { taskDefinition: 'report:7' }),
    },
    {
      name: 'taskDefinition: another family',
      policy: tight,
      resource: resource({}, { taskDefinition: 'payments' }),
      denied: { field: 'spec.task.taskDefinition', value: 'payments' },
    },
    {
      name: 'taskDefinition: a family is not a prefix',
      policy: tight,
      resource: resource({}, { taskDefinition: 'reports:1' }),
      denied: { field: 'spec.task.taskDefinition', value: 'reports:1' },
    },
    {
      name: 'taskDefinition: family glob with a revision',
      policy: { ...tight, taskDefinitions: ['report-*'] },
      resource: resource({}, { taskDefinition: 'report-daily:3' }),
    },
    {
      name: 'taskDefinition: family:revision exact',
      policy: { ...tight, taskDefinitions: ['etl:12'] },
      resource: resource({}, { taskDefinition: 'etl:12' }),
    },
    {
      name: 'taskDefinition: family:revision, other revision',
      policy: { ...tight, taskDefinitions: ['etl:12'] },
      resource: resource({}, { taskDefinition: 'etl:13' }),
      denied: { field: 'spec.task.taskDefinition', value: 'etl:13' },
    },
    {
      name: 'taskDefinition: family:revision does not allow the latest',
      policy: { ...tight, taskDefinitions: ['etl:12'] },
      resource: resource({}, { taskDefinition: 'etl' }),
      denied: { field: 'spec.task.taskDefinition', value: 'etl' },
    },
    {
      name: 'taskDefinition: family:* allows any revision',
      policy: { ...tight, taskDefinitions: ['etl:*'] },
      resource: resource({}, { taskDefinition: 'etl:99' }),
    },
    {
      name: 'taskDefinition: ARN of a family allows its revisions',
      policy: { ...tight, taskDefinitions: [`arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/report`] },
      resource: resource({}, { taskDefinition: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/report:4` }),
    },
    {
      name: 'taskDefinition: ARN with revision, exact',
      policy: { ...tight, taskDefinitions: [`arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/report:4`] },
      resource: resource({}, { taskDefinition: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/report:5` }),
      denied: {
        field: 'spec.task.taskDefinition',
        value: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/report:5`,
      },
    },
    {
      name: 'taskDefinition: a family does not match an ARN',
      policy: tight,
      resource: resource(
        {},
        { taskDefinition: 'arn:aws:ecs:eu-west-1:999999999999:task-definition/report:1' },
      ),
      denied: {
        field: 'spec.task.taskDefinition',
        value: 'arn:aws:ecs:eu-west-1:999999999999:task-definition/report:1',
      },
    },
    // roles
    { name: 'roles: no override needs no role', policy: tight, resource: resource() },
    {
      name: 'roles: taskRoleArn override, absent list',
      policy: tight,
      resource: resource({}, { overrides: { taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/payments` } }),
      denied: { field: 'spec.task.overrides.taskRoleArn', value: `arn:aws:iam::${ACCOUNT}:role/payments` },
    },
    {
      name: 'roles: taskRoleArn override, listed by glob',
      policy: { ...tight, roles: [`arn:aws:iam::${ACCOUNT}:role/data-*`] },
      resource: resource({}, { overrides: { taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/data-reader` } }),
    },
    {
      name: 'roles: taskRoleArn override, not matching',
      policy: { ...tight, roles: [`arn:aws:iam::${ACCOUNT}:role/data-*`] },
      resource: resource({}, { overrides: { taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/payments` } }),
      denied: { field: 'spec.task.overrides.taskRoleArn', value: `arn:aws:iam::${ACCOUNT}:role/payments` },
    },
    {
      name: 'roles: executionRoleArn override, absent list',
      policy: tight,
      resource: resource({}, { overrides: { executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec` } }),
      denied: { field: 'spec.task.overrides.executionRoleArn', value: `arn:aws:iam::${ACCOUNT}:role/exec` },
    },
    {
      name: 'roles: executionRoleArn override, listed',
      policy: { ...tight, roles: [`arn:aws:iam::${ACCOUNT}:role/exec`] },
      resource: resource({}, { overrides: { executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/exec` } }),
    },
    // launch types and capacity providers
    { name: 'launchType: none set needs none', policy: tight, resource: resource() },
    {
      name: 'launchType: not listed',
      policy: tight,
      resource: resource({}, { launchType: 'FARGATE' }),
      denied: { field: 'spec.task.launchType', value: 'FARGATE' },
    },
    {
      name: 'launchType: listed',
      policy: { ...tight, launchTypes: ['FARGATE'] },
      resource: resource({}, { launchType: 'FARGATE' }),
    },
    {
      name: 'launchType: another',
      policy: { ...tight, launchTypes: ['FARGATE'] },
      resource: resource({}, { launchType: 'EC2' }),
      denied: { field: 'spec.task.launchType', value: 'EC2' },
    },
    {
      name: 'capacityProviders: every provider listed',
      policy: { ...tight, capacityProviders: ['FARGATE*'] },
      resource: resource(
        {},
        { capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }, { capacityProvider: 'FARGATE_SPOT' }] },
      ),
    },
    {
      name: 'capacityProviders: the second not listed',
      policy: { ...tight, capacityProviders: ['FARGATE_SPOT'] },
      resource: resource(
        {},
        { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }, { capacityProvider: 'gpu-asg' }] },
      ),
      denied: { field: 'spec.task.capacityProviderStrategy[1].capacityProvider', value: 'gpu-asg' },
    },
    // network
    {
      name: 'subnets: listed',
      policy: { ...tight, subnets: ['subnet-1'] },
      resource: resource({}, awsvpc({})),
    },
    {
      name: 'subnets: absent list',
      policy: tight,
      resource: resource({}, awsvpc({})),
      denied: { field: 'spec.task.networkConfiguration.awsvpcConfiguration.subnets[0]', value: 'subnet-1' },
    },
    {
      name: 'subnets: *',
      policy: { ...tight, subnets: ['*'] },
      resource: resource({}, awsvpc({ subnets: ['subnet-1', 'subnet-2'] })),
    },
    {
      name: 'subnets: the second not listed',
      policy: { ...tight, subnets: ['subnet-1'] },
      resource: resource({}, awsvpc({ subnets: ['subnet-1', 'subnet-2'] })),
      denied: { field: 'spec.task.networkConfiguration.awsvpcConfiguration.subnets[1]', value: 'subnet-2' },
    },
    {
      name: 'securityGroups: listed',
      policy: { ...tight, subnets: ['*'], securityGroups: ['sg-1'] },
      resource: resource({}, awsvpc({ securityGroups: ['sg-1'] })),
    },
    {
      name: 'securityGroups: not listed',
      policy: { ...tight, subnets: ['*'], securityGroups: ['sg-1'] },
      resource: resource({}, awsvpc({ securityGroups: ['sg-2'] })),
      denied: {
        field: 'spec.task.networkConfiguration.awsvpcConfiguration.securityGroups[0]',
        value: 'sg-2',
      },
    },
    {
      name: 'assignPublicIp: ENABLED, default false',
      policy: { ...tight, subnets: ['*'] },
      resource: resource({}, awsvpc({ assignPublicIp: 'ENABLED' })),
      denied: {
        field: 'spec.task.networkConfiguration.awsvpcConfiguration.assignPublicIp',
        value: 'ENABLED',
      },
    },
    {
      name: 'assignPublicIp: ENABLED, allowed',
      policy: { ...tight, subnets: ['*'], assignPublicIp: true },
      resource: resource({}, awsvpc({ assignPublicIp: 'ENABLED' })),
    },
    {
      name: 'assignPublicIp: DISABLED always',
      policy: { ...tight, subnets: ['*'] },
      resource: resource({}, awsvpc({ assignPublicIp: 'DISABLED' })),
    },
    // ECS Exec
    {
      name: 'enableExecuteCommand: default false',
      policy: tight,
      resource: resource({}, { enableExecuteCommand: true }),
      denied: { field: 'spec.task.enableExecuteCommand', value: 'true' },
    },
    {
      name: 'enableExecuteCommand: allowed',
      policy: { ...tight, enableExecuteCommand: true },
      resource: resource({}, { enableExecuteCommand: true }),
    },
    {
      name: 'enableExecuteCommand: false always',
      policy: tight,
      resource: resource({}, { enableExecuteCommand: false }),
    },
    // counts
    { name: 'maxTasksPerRun: absent, no policy cap', policy: tight, resource: resource({ taskCount: 1000 }) },
    {
      name: 'maxTasksPerRun: taskCount at the cap',
      policy: { ...tight, maxTasksPerRun: 5 },
      resource: resource({ taskCount: 5 }),
    },
    {
      name: 'maxTasksPerRun: taskCount above',
      policy: { ...tight, maxTasksPerRun: 5 },
      resource: resource({ taskCount: 6 }),
      denied: { field: 'spec.taskCount', value: '6' },
    },
    {
      name: 'maxTasksPerRun: maxCount above',
      policy: { ...tight, maxTasksPerRun: 5 },
      resource: resource({ taskCount: 1, maxCount: 50 }),
      denied: { field: 'spec.maxCount', value: '50' },
    },
    // queues
    { name: 'queues: no trigger needs none', policy: tight, resource: resource() },
    {
      name: 'queues: queueName, absent list',
      policy: tight,
      resource: resource({ trigger: { sqs: { queueName: 'jobs', messagesPerTask: 1 } } }),
      denied: { field: 'spec.trigger.sqs.queueName', value: 'jobs' },
    },
    {
      name: 'queues: queueName glob',
      policy: { ...tight, queues: ['data-*'] },
      resource: resource({ trigger: { sqs: { queueName: 'data-jobs', messagesPerTask: 1 } } }),
    },
    {
      name: 'queues: queueUrl checked as its ARN',
      policy: { ...tight, queues: [`arn:aws:sqs:eu-west-1:${ACCOUNT}:data-*`] },
      resource: resource({
        trigger: {
          sqs: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/data-jobs`, messagesPerTask: 1 },
        },
      }),
    },
    {
      name: 'queues: queueUrl in another account',
      policy: { ...tight, queues: [`arn:aws:sqs:eu-west-1:${ACCOUNT}:*`] },
      resource: resource({
        trigger: {
          sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/999999999999/data-jobs', messagesPerTask: 1 },
        },
      }),
      denied: {
        field: 'spec.trigger.sqs.queueUrl',
        value:
          'https://sqs.eu-west-1.amazonaws.com/999999999999/data-jobs (arn:aws:sqs:eu-west-1:999999999999:data-jobs)',
      },
    },
    {
      name: 'queues: a name pattern does not match a queueUrl',
      policy: { ...tight, queues: ['data-*'] },
      resource: resource({
        trigger: {
          sqs: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/data-jobs`, messagesPerTask: 1 },
        },
      }),
      denied: {
        field: 'spec.trigger.sqs.queueUrl',
        value: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/data-jobs (arn:aws:sqs:eu-west-1:${ACCOUNT}:data-jobs)`,
      },
    },
    {
      name: 'queues: a queueUrl on an endpoint override takes the controller region',
      policy: { ...tight, queues: [`arn:aws:sqs:eu-west-1:${ACCOUNT}:jobs`] },
      resource: resource({
        trigger: { sqs: { queueUrl: `http://127.0.0.1:5000/${ACCOUNT}/jobs`, messagesPerTask: 1 } },
      }),
    },
    {
      name: 'queues: an unparsable queueUrl only matches *',
      policy: { ...tight, queues: ['arn:*'] },
      resource: resource({ trigger: { sqs: { queueUrl: 'not a url', messagesPerTask: 1 } } }),
      denied: { field: 'spec.trigger.sqs.queueUrl', value: 'not a url' },
    },
  ];

  for (const c of cases) {
    it(`${c.name} -> ${c.denied ? `denied at ${c.denied.field}` : 'allowed'}`, () => {
      const decision = evaluatePolicies(c.resource, { ...context, policies: [policy('team-a', c.policy)] });
      if (c.denied === undefined) {
        expect(decision, JSON.stringify(decision)).to.include({ allowed: true, policy: 'team-a' });
      } else {
        expect(decision).to.deep.include({ allowed: false, ...c.denied, policies: ['team-a'] });
        if (!decision.allowed) {
          expect(decision.message)
            .to.contain(c.denied.field)
            .and.contain(c.denied.value)
            .and.contain('team-a');
        }
      }
    });
  }

  describe('across policies', () => {
    it('no policy selecting the namespace denies, naming the namespace and no policies', () => {
      const decision = evaluatePolicies(resource(), {
        ...context,
        namespaceLabels: { 'kubernetes.io/metadata.name': 'team-b', team: 'b' },
        policies: [policy('team-a', { clusters: ['*'], taskDefinitions: ['*'] })],
      });
      expect(decision).to.deep.include({
        allowed: false,
        field: 'metadata.namespace',
        value: 'team-a',
        policies: [],
      });
      expect(!decision.allowed && decision.message).to.match(
        /no EcsSchedulerPolicy selects namespace team-a/,
      );
    });

    it('with no labels known, the namespace is selected by its name label', () => {
      const byName = policy('by-name', {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'team-a' } },
        ...tight,
      });
      const decision = evaluatePolicies(resource(), { defaultCluster: 'default', policies: [byName] });
      expect(decision).to.include({ allowed: true, policy: 'by-name' });
    });

    it('every selecting policy must allow the run: one that denies is enough to deny (as admission ANDs them)', () => {
      const decision = evaluatePolicies(resource({}, { launchType: 'FARGATE' }), {
        ...context,
        policies: [
          policy('a-clusters', { clusters: ['prod'] }),
          policy('b-all', { ...tight, launchTypes: ['FARGATE'] }),
        ],
      });
      expect(decision).to.deep.include({ allowed: false, policies: ['a-clusters', 'b-all'] });
    });

    it('policies that all allow it let it run, under the smallest cap', () => {
      const decision = evaluatePolicies(resource(), {
        ...context,
        policies: [
          policy('a-guard', { clusters: ['*'], taskDefinitions: ['*'], maxTasksPerRun: 2 }),
          policy('b-team', { ...tight, maxTasksPerRun: 5 }),
        ],
      });
      expect(decision).to.deep.equal({ allowed: true, policy: 'a-guard,b-team', maxTasksPerRun: 2 });
    });

    it('aspects allowed by different policies do not add up', () => {
      const decision = evaluatePolicies(resource({}, { launchType: 'FARGATE' }), {
        ...context,
        policies: [
          policy('b-launch', { launchTypes: ['FARGATE'], taskDefinitions: ['*'] }),
          policy('a-cluster', tight),
        ],
      });
      expect(decision).to.deep.include({
        allowed: false,
        field: 'spec.task.launchType',
        value: 'FARGATE',
        policies: ['a-cluster', 'b-launch'],
      });
      const message = decision.allowed ? '' : decision.message;
      expect(message).to.contain('a-cluster denies spec.task.launchType "FARGATE" (launchTypes: none)');
      expect(message).to.contain('b-launch denies spec.task.cluster "prod" (clusters: none)');
    });

    const teamRole = {
      ...tight,
      maxTasksPerRun: 3,
      assumeRoleArn: `arn:aws:iam::${ACCOUNT}:role/team-a`,
      externalId: 'team-a',
    };
    const broad = { clusters: ['*'], taskDefinitions: ['*'] };

    it("a broader policy without a role never downgrades a team's runs to the controller's identity", () => {
      // a-broad sorts first and allows the run too: it used to supply the (absent) identity.
      const decision = evaluatePolicies(resource(), {
        ...context,
        policies: [policy('z-team', teamRole), policy('a-broad', broad)],
      });
      expect(decision).to.deep.equal({
        allowed: true,
        policy: 'a-broad,z-team',
        identity: { roleArn: `arn:aws:iam::${ACCOUNT}:role/team-a`, externalId: 'team-a' },
        maxTasksPerRun: 3,
      });
    });

    it('a run the role-naming policy denies is denied, however broad another policy is', () => {
      const decision = evaluatePolicies(resource({}, { taskDefinition: 'payments' }), {
        ...context,
        policies: [policy('z-team', teamRole), policy('a-broad', broad)],
      });
      expect(decision).to.deep.include({
        allowed: false,
        field: 'spec.task.taskDefinition',
        value: 'payments',
      });
      expect(decision.allowed ? '' : decision.message).to.contain('z-team denies spec.task.taskDefinition');
    });

    it('policies naming different roles for one namespace allow nothing there', () => {
      const decision = evaluatePolicies(resource(), {
        ...context,
        policies: [
          policy('z-team', teamRole),
          policy('a-other', { ...tight, assumeRoleArn: `arn:aws:iam::${ACCOUNT}:role/other` }),
        ],
      });
      expect(decision).to.deep.include({ allowed: false, field: 'metadata.namespace', value: 'team-a' });
      expect(decision.allowed ? '' : decision.message).to.match(/different identities.*a-other.*z-team/);
    });

    it('a policy for other namespaces is not considered', () => {
      const decision = evaluatePolicies(resource(), {
        ...context,
        policies: [
          policy('team-b', {
            namespaceSelector: { matchLabels: { team: 'b' } },
            clusters: ['*'],
            taskDefinitions: ['*'],
          }),
        ],
      });
      expect(decision).to.deep.include({ allowed: false, policies: [] });
    });

    it('an override denial names the container and what the rules covering it allow', () => {
      const task = {
        overrides: {
          containerOverrides: [{ name: 'app', command: ['sh'], environment: [{ name: 'X', value: '1' }] }],
        },
      } as Partial<Spec['task']>;
      const none = evaluatePolicies(resource({}, task), { ...context, policies: [policy('team', tight)] });
      expect(none.allowed ? '' : none.message).to.contain(
        'team denies spec.task.overrides.containerOverrides[0].command "app" (no overrides.containers rule covers container app)',
      );
      const envOnly = evaluatePolicies(resource({}, task), {
        ...context,
        policies: [policy('team', { ...tight, overrides: { containers: [{ name: 'a*', command: true }] } })],
      });
      expect(envOnly).to.deep.include({
        allowed: false,
        field: 'spec.task.overrides.containerOverrides[0].environment[0].name',
        value: 'X',
      });
      expect(envOnly.allowed ? '' : envOnly.message).to.contain(
        '(overrides.containers rules for app (a*) allow no such environment variable)',
      );
    });

    it('the message stays under an Event note, however many policies deny', () => {
      const policies = Array.from({ length: 100 }, (_, i) =>
        policy(`policy-${String(i).padStart(3, '0')}`, { clusters: ['x'.repeat(200)] }),
      );
      const decision = evaluatePolicies(resource(), { ...context, policies });
      expect(decision.allowed).to.equal(false);
      if (!decision.allowed) {
        expect(decision.message.length).to.be.at.most(1000);
        expect(decision.policies).to.have.length(100);
      }
    });
  });
});
