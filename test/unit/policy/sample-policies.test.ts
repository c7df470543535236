// The policies we ship must keep a newcomer's first run working: examples/policies/ allows every
// example in examples/, and the kustomize deploy's sample policy allows them in `default` too.
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { EcsSchedulerPolicyResource } from '../../../src/api/policy-types.js';
import { validatePolicy } from '../../../src/api/policy-validation.js';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { evaluatePolicies } from '../../../src/policy/policy-evaluator.js';

function documents(dir: string): { kind?: string; metadata?: { name?: string } }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as never));
}

const examples = documents('examples');
const tasks = examples.filter((d) => d.kind === 'EcsScheduledTask') as unknown as EcsScheduledTaskResource[];
const shipped: { name: string; policies: EcsSchedulerPolicyResource[] }[] = [
  {
    name: 'examples/policies/policy.yaml',
    policies: documents('examples/policies') as unknown as EcsSchedulerPolicyResource[],
  },
  {
    name: 'manifests/policies/default-namespace.yaml',
    policies: documents('manifests/policies') as unknown as EcsSchedulerPolicyResource[],
  },
];

describe('shipped sample policies', () => {
  it('there are examples to check', () => expect(tasks.length).to.be.greaterThan(2));

  for (const { name, policies } of shipped) {
    describe(name, () => {
      it('is one valid EcsSchedulerPolicy', () => {
        expect(policies).to.have.length(1);
        expect(validatePolicy(policies[0])).to.deep.equal([]);
      });
      for (const task of tasks) {
        it(`allows the ${task.metadata.name} example`, () => {
          const decision = evaluatePolicies(task, { policies, defaultCluster: 'default' });
          expect(decision, JSON.stringify(decision)).to.include({ allowed: true });
        });
      }
      it('allows nothing in another namespace', () => {
        const elsewhere = { ...tasks[0]!, metadata: { ...tasks[0]!.metadata, namespace: 'team-x' } };
        expect(evaluatePolicies(elsewhere, { policies, defaultCluster: 'default' }).allowed).to.equal(false);
      });
    });
  }
});
