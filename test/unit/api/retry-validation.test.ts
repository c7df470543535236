import { expect } from 'chai';
import { validateResource } from '../../../src/api/validation.js';

const withSpec = (patch: Record<string, unknown>) => ({
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduledTask',
  metadata: { name: 'nightly', namespace: 'data' },
  spec: { schedule: '0 2 * * *', task: { taskDefinition: 'sleeper-task' }, ...patch },
});

describe('validateResource: retryPolicy and deadLetter', () => {
  const accepted: { name: string; patch: Record<string, unknown> }[] = [
    { name: 'the largest retry policy', patch: { retryPolicy: { maxRetries: 10, backoffSeconds: 86400 } } },
    { name: 'retries off', patch: { retryPolicy: { maxRetries: 0 } } },
    { name: 'a dead-letter queue by name', patch: { deadLetter: { sqs: { queueName: 'failed-runs' } } } },
    {
      name: 'a FIFO dead-letter queue by URL, with its region',
      patch: {
        deadLetter: {
          sqs: {
            queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/failed.fifo',
            region: 'eu-west-1',
          },
        },
      },
    },
  ];
  for (const c of accepted) {
    it(`accepts ${c.name}`, () => {
      expect(validateResource(withSpec(c.patch))).to.deep.equal([]);
    });
  }

  const rejected: { name: string; patch: Record<string, unknown>; path: string; message: RegExp }[] = [
    {
      name: 'more than 10 retries',
      patch: { retryPolicy: { maxRetries: 11 } },
      path: 'spec.retryPolicy.maxRetries',
      message: /<= 10/,
    },
    {
      name: 'negative retries',
      patch: { retryPolicy: { maxRetries: -1 } },
      path: 'spec.retryPolicy.maxRetries',
      message: />= 0/,
    },
    {
      name: 'a retry policy without maxRetries',
      patch: { retryPolicy: { backoffSeconds: 30 } },
      path: 'spec.retryPolicy.maxRetries',
      message: /required/,
    },
    {
      name: 'a zero backoff',
      patch: { retryPolicy: { maxRetries: 1, backoffSeconds: 0 } },
      path: 'spec.retryPolicy.backoffSeconds',
      message: />= 1/,
    },
    {
      name: 'a backoff over a day',
      patch: { retryPolicy: { maxRetries: 1, backoffSeconds: 86401 } },
      path: 'spec.retryPolicy.backoffSeconds',
      message: /<= 86400/,
    },
    {
      name: 'a dead-letter queue with both queueName and queueUrl',
      patch: { deadLetter: { sqs: { queueName: 'q', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' } } },
      path: 'spec.deadLetter.sqs',
      message: /exactly one of queueName and queueUrl/,
    },
    {
      name: 'a dead-letter queue with neither',
      patch: { deadLetter: { sqs: { region: 'eu-west-1' } } },
      path: 'spec.deadLetter.sqs',
      message: /exactly one of queueName and queueUrl/,
    },
    {
      name: 'a dead letter without a queue',
      patch: { deadLetter: {} },
      path: 'spec.deadLetter.sqs',
      message: /required/,
    },
  ];
  for (const c of rejected) {
    it(`rejects ${c.name}, naming the field`, () => {
      const issues = validateResource(withSpec(c.patch));
      const hit = issues.find((i) => i.path === c.path);
      expect(hit, JSON.stringify(issues)).to.not.equal(undefined);
      expect(hit!.message).to.match(c.message);
    });
  }
});
