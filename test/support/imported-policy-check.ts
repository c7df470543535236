// The honest check of an importer's EcsSchedulerPolicy: the controller's own evaluator, fed every
// imported resource with every generated policy (all of them select the namespace, and each must
// allow the run), allows each as the role it ran as; and the same resource with one override more
// than any imported schedule makes is denied, so the policy is no blanket allow.
import { expect } from 'chai';
import type { EcsSchedulerPolicyResource } from '../../src/api/policy-types.js';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { evaluatePolicies } from '../../src/policy/policy-evaluator.js';

type Task = EcsScheduledTaskResource['spec']['task'];

function withTask(r: EcsScheduledTaskResource, task: Task): EcsScheduledTaskResource {
  return { ...r, spec: { ...r.spec, task } };
}

/** One override more than the resource makes, each of a kind no imported schedule uses. */
export function widened(r: EcsScheduledTaskResource): [string, EcsScheduledTaskResource][] {
  const task = r.spec.task;
  const containers = task.overrides?.containerOverrides ?? [];
  const first = containers[0];
  return [
    [
      'one more environment variable',
      withTask(r, {
        ...task,
        overrides: {
          ...task.overrides,
          containerOverrides:
            first === undefined
              ? [{ name: 'app', environment: [{ name: 'IMPORT_CHECK_EXTRA', value: '1' }] }]
              : [
                  {
                    ...first,
                    environment: [...(first.environment ?? []), { name: 'IMPORT_CHECK_EXTRA', value: '1' }],
                  },
                  ...containers.slice(1),
                ],
        },
      }),
    ],
    [
      'a command for another container',
      withTask(r, {
        ...task,
        overrides: {
          ...task.overrides,
          containerOverrides: [...containers, { name: 'import-check-extra', command: ['sh'] }],
        },
      }),
    ],
    [
      'one more tag key',
      withTask(r, { ...task, tags: [...(task.tags ?? []), { key: 'import-check-extra', value: 'x' }] }),
    ],
    ['another platform version', withTask(r, { ...task, platformVersion: '0.0.0-import-check' })],
    ['one more task than any schedule runs', { ...r, spec: { ...r.spec, taskCount: 1000, maxCount: 1000 } }],
  ];
}

/** Every resource allowed as `roles(resource)` ran it; every widened one denied. */
export function expectPoliciesAllowExactly(
  resources: readonly EcsScheduledTaskResource[],
  policies: readonly EcsSchedulerPolicyResource[],
  role: (r: EcsScheduledTaskResource) => string | undefined,
): void {
  expect(resources.length).to.be.greaterThan(0);
  const context = { policies, defaultCluster: '' };
  for (const r of resources) {
    const decision = evaluatePolicies(r, context);
    expect(decision.allowed, `${r.metadata.name}: ${decision.allowed ? '' : decision.message}`).to.equal(
      true,
    );
    if (decision.allowed) expect(decision.identity?.roleArn, r.metadata.name).to.equal(role(r));
    for (const [what, wider] of widened(r)) {
      expect(evaluatePolicies(wider, context).allowed, `${r.metadata.name} with ${what}`).to.equal(false);
    }
  }
}
