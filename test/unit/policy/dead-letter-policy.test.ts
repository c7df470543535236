import { expect } from 'chai';
import type { EcsSchedulerPolicyResource, PolicySpec } from '../../../src/api/policy-types.js';
import type { EcsScheduledTaskResource, Spec } from '../../../src/api/types.js';
import { evaluatePolicies } from '../../../src/policy/policy-evaluator.js';

const ACCOUNT = '123456789012';
const context = {
  defaultCluster: 'default',
  region: 'eu-west-1',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'team-a', team: 'a' },
};
const tight: Partial<PolicySpec> = { clusters: ['prod'], taskDefinitions: ['report'] };

const policy = (spec: Partial<PolicySpec>): EcsSchedulerPolicyResource => ({
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsSchedulerPolicy',
  metadata: { name: 'team-a' },
  spec: { namespaceSelector: { matchLabels: { team: 'a' } }, ...spec },
});

const resource = (deadLetter: Spec['deadLetter'], trigger?: Spec['trigger']): EcsScheduledTaskResource => ({
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduledTask',
  metadata: { name: 'nightly', namespace: 'team-a' },
  spec: {
    schedule: '0 2 * * *',
    ...(deadLetter ? { deadLetter } : {}),
    ...(trigger ? { trigger, maxCount: 5 } : {}),
    task: { cluster: 'prod', taskDefinition: 'report' },
  },
});

describe('evaluatePolicies: the dead-letter queue is subject to `queues`', () => {
  const cases: {
    name: string;
    policy: Partial<PolicySpec>;
    resource: EcsScheduledTaskResource;
    denied?: { field: string; value: string };
  }[] = [
    { name: 'no dead letter needs no queue', policy: tight, resource: resource(undefined) },
    {
      name: 'a queueName with no queues listed',
      policy: tight,
      resource: resource({ sqs: { queueName: 'failed-runs' } }),
      denied: { field: 'spec.deadLetter.sqs.queueName', value: 'failed-runs' },
    },
    {
      name: 'a queueName the list allows',
      policy: { ...tight, queues: ['failed-*'] },
      resource: resource({ sqs: { queueName: 'failed-runs' } }),
    },
    {
      name: 'a queueUrl, matched as its ARN',
      policy: { ...tight, queues: [`arn:aws:sqs:eu-west-1:${ACCOUNT}:failed-*`] },
      resource: resource({ sqs: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/failed-runs` } }),
    },
    {
      name: 'a queueUrl in another account',
      policy: { ...tight, queues: [`arn:aws:sqs:eu-west-1:${ACCOUNT}:*`] },
      resource: resource({ sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/999999999999/failed' } }),
      denied: {
        field: 'spec.deadLetter.sqs.queueUrl',
        value:
          'https://sqs.eu-west-1.amazonaws.com/999999999999/failed (arn:aws:sqs:eu-west-1:999999999999:failed)',
      },
    },
    {
      name: 'an allowed trigger queue does not allow another dead-letter queue',
      policy: { ...tight, queues: ['jobs'] },
      resource: resource(
        { sqs: { queueName: 'failed-runs' } },
        { sqs: { queueName: 'jobs', messagesPerTask: 1 } },
      ),
      denied: { field: 'spec.deadLetter.sqs.queueName', value: 'failed-runs' },
    },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.denied ? `denied at ${c.denied.field}` : 'allowed'}`, () => {
      const decision = evaluatePolicies(c.resource, { ...context, policies: [policy(c.policy)] });
      if (c.denied === undefined) {
        expect(decision, JSON.stringify(decision)).to.include({ allowed: true });
      } else {
        expect(decision).to.deep.include({ allowed: false, ...c.denied });
        if (!decision.allowed) expect(decision.message).to.contain(c.denied.field);
      }
    });
  }
});
