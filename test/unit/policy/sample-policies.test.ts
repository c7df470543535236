// examples/policies/ must keep a newcomer's first run working: it allows every example in
// examples/. The kustomize template policy, and the deploys themselves, must allow nothing until
// an admin says what may run: a default that lets `default` run any task definition hands out
// every task definition's role to whoever can create a resource there.
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
const policiesIn = (docs: { kind?: string }[]) =>
  docs.filter((d) => d.kind === 'EcsSchedulerPolicy') as unknown as EcsSchedulerPolicyResource[];
const examplePolicies = policiesIn(documents('examples/policies'));
const template = policiesIn(documents('manifests/policies'));

describe('shipped sample policies', () => {
  it('there are examples to check', () => expect(tasks.length).to.be.greaterThan(2));

  describe('examples/policies/policy.yaml', () => {
    it('is one valid EcsSchedulerPolicy', () => {
      expect(examplePolicies).to.have.length(1);
      expect(validatePolicy(examplePolicies[0])).to.deep.equal([]);
    });
    for (const task of tasks) {
      it(`allows the ${task.metadata.name} example`, () => {
        const decision = evaluatePolicies(task, { policies: examplePolicies, defaultCluster: 'default' });
        expect(decision, JSON.stringify(decision)).to.include({ allowed: true });
      });
    }
    it('allows nothing in another namespace', () => {
      const elsewhere = { ...tasks[0]!, metadata: { ...tasks[0]!.metadata, namespace: 'team-x' } };
      expect(
        evaluatePolicies(elsewhere, { policies: examplePolicies, defaultCluster: 'default' }).allowed,
      ).to.equal(false);
    });
  });

  describe('manifests/policies/default-namespace.yaml (a template)', () => {
    it('is one valid EcsSchedulerPolicy', () => {
      expect(template).to.have.length(1);
      expect(validatePolicy(template[0])).to.deep.equal([]);
    });
    for (const task of tasks) {
      it(`allows nothing as shipped: denies the ${task.metadata.name} example`, () => {
        expect(evaluatePolicies(task, { policies: template, defaultCluster: 'default' }).allowed).to.equal(
          false,
        );
      });
    }
    it('is not deployed by manifests/kustomization.yaml', () => {
      const kustomization = readFileSync('manifests/kustomization.yaml', 'utf8');
      expect(kustomization).not.to.match(/^\s*-\s*policies\//m);
    });
  });

  it("the chart's values create no policy", () => {
    const values = parseAllDocuments(readFileSync('charts/ecs-scheduler/values.yaml', 'utf8'))[0]!.toJS() as {
      policy: { policies: Record<string, unknown> };
    };
    expect(values.policy.policies).to.deep.equal({});
  });
});
