// The shared policy cases through the controller's evaluator; the same cases go through the
// admission policy on the real API server in test/integration/policy-admission.test.ts.
import { expect } from 'chai';
import type { EcsSchedulerPolicyResource } from '../../../src/api/policy-types.js';
import type { EcsScheduledTaskResource, Spec } from '../../../src/api/types.js';
import { validatePolicy } from '../../../src/api/policy-validation.js';
import { evaluatePolicies } from '../../../src/policy/policy-evaluator.js';
import { caseSpec, policyCases, withoutIndices } from '../../support/policy-cases.js';

describe('shared policy cases, through the controller', () => {
  for (const [i, c] of policyCases.entries()) {
    it(`${c.denied ? `denies at ${c.denied}` : 'allows'}: ${c.name}`, () => {
      const namespace = `case-${i}`;
      const policies: EcsSchedulerPolicyResource[] = c.policies.map((spec, j) => ({
        apiVersion: 'ecs-scheduler.dev/v1alpha1',
        kind: 'EcsSchedulerPolicy',
        metadata: { name: `case-${i}-${j}` },
        spec: { namespaceSelector: { matchLabels: { case: String(i) } }, ...spec },
      }));
      for (const p of policies) expect(validatePolicy(p), p.metadata.name).to.deep.equal([]);
      const resource: EcsScheduledTaskResource = {
        apiVersion: 'ecs-scheduler.dev/v1alpha1',
        kind: 'EcsScheduledTask',
        metadata: { name: 'task', namespace },
        spec: caseSpec(c) as unknown as Spec,
      };
      const decision = evaluatePolicies(resource, {
        policies,
        defaultCluster: 'default',
        namespaceLabels: { 'kubernetes.io/metadata.name': namespace, case: String(i) },
      });
      if (c.denied === undefined) expect(decision, JSON.stringify(decision)).to.include({ allowed: true });
      else {
        expect(decision.allowed, JSON.stringify(decision)).to.equal(false);
        if (!decision.allowed)
          expect(withoutIndices(decision.field)).to.satisfy((f: string) => f.startsWith(c.denied!));
      }
    });
  }
});
