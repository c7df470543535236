/**
 * Policy evaluation cost, paid once per reconcile before any AWS call:
 * `npx tsx bench/policy.bench.ts`. Prints the median verdicts per second (and the time per
 * verdict) for growing numbers of policies in three layouts:
 * - one-per-ns: one policy per team namespace, so only one selects the resource's (the usual case);
 * - indexed: the same through PolicyIndex, the gate the controller uses, which remembers which
 *   policies select each namespace until a policy or a namespace changes;
 * - allowed: every policy selects the namespace and allows the run (the worst case: a run must be
 *   allowed by every selecting policy, so every policy's every aspect is checked);
 * - denied: every policy selects the namespace and denies, so the message names them all.
 */
import type { EcsSchedulerPolicyResource } from '../src/api/policy-types.js';
import type { EcsScheduledTaskResource } from '../src/api/types.js';
import { evaluatePolicies } from '../src/policy/policy-evaluator.js';
import { PolicyIndex } from '../src/policy/policy-index.js';

const ROUNDS = 7;
const ROUND_MS = 200;

function policy(i: number, allows: boolean, team = 'data'): EcsSchedulerPolicyResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsSchedulerPolicy',
    metadata: { name: `policy-${String(i).padStart(5, '0')}` },
    spec: {
      namespaceSelector: {
        matchLabels: { team },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }],
      },
      clusters: ['prod', `arn:aws:ecs:*:123456789012:cluster/batch-${i}-*`],
      taskDefinitions: allows ? ['report-*', 'etl:12'] : [`other-${i}-*`],
      launchTypes: ['FARGATE'],
      subnets: ['subnet-*'],
      securityGroups: ['sg-0123456789abcdef0'],
      queues: ['data-*'],
      maxTasksPerRun: 20,
    },
  };
}

const resource: EcsScheduledTaskResource = {
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduledTask',
  metadata: { name: 'nightly', namespace: 'data-prod' },
  spec: {
    schedule: '0 2 * * *',
    taskCount: 2,
    trigger: { sqs: { queueName: 'data-jobs', messagesPerTask: 10 } },
    maxCount: 10,
    task: {
      cluster: 'prod',
      taskDefinition: 'report-daily:7',
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-0123456789abcdef0'] },
      },
    },
  },
};
const labels = { 'kubernetes.io/metadata.name': 'data-prod', team: 'data', env: 'prod' };

function medianRate(fn: () => void): number {
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < ROUND_MS) {
      for (let i = 0; i < 10; i++) fn();
      calls += 10;
    }
    rates.push(calls / ((performance.now() - started) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] ?? 0;
}

console.log('policies  case        verdicts/s   µs/verdict');
for (const count of [1, 10, 100, 1000]) {
  const allowedByAll = Array.from({ length: count }, (_, i) => policy(i, true));
  const deniedByAll = Array.from({ length: count }, (_, i) => policy(i, false));
  const onePerNamespace = Array.from({ length: count }, (_, i) =>
    i === count - 1 ? policy(i, true) : policy(i, true, `team-${i}`),
  );
  for (const [label, policies, allowed] of [
    ['one-per-ns', onePerNamespace, true],
    ['allowed', allowedByAll, true],
    ['denied', deniedByAll, false],
  ] as const) {
    const context = { policies, namespaceLabels: labels, defaultCluster: 'default' };
    if (evaluatePolicies(resource, context).allowed !== allowed) throw new Error(`${label}: wrong verdict`);
    const rate = medianRate(() => evaluatePolicies(resource, context));
    report(count, label, rate);
  }
  const index = new PolicyIndex({ defaultCluster: 'default' });
  index.replacePolicies(onePerNamespace);
  index.setNamespace('data-prod', labels);
  if (!index.evaluate(resource).allowed) throw new Error('indexed: wrong verdict');
  report(
    count,
    'indexed',
    medianRate(() => index.evaluate(resource)),
  );
}

function report(count: number, label: string, rate: number): void {
  console.log(
    `${String(count).padStart(8)}  ${label.padEnd(10)} ${Math.round(rate).toString().padStart(11)}   ${(1e6 / rate).toFixed(1).padStart(10)}`,
  );
}
