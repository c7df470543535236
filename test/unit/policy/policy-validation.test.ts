import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { admissionPolicyYaml, policyCrdYaml } from '../../../src/api/crd-yaml.js';
import { buildPolicyCrd } from '../../../src/api/crd.js';
import { validatePolicy } from '../../../src/api/policy-validation.js';

const valid = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsSchedulerPolicy',
  metadata: { name: 'team-a' },
  spec: { namespaceSelector: { matchLabels: { team: 'a' } }, clusters: ['prod'], ...spec },
});

describe('validatePolicy', () => {
  it('accepts a policy with every field', () => {
    expect(
      validatePolicy(
        valid({
          namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] },
          taskDefinitions: ['report-*', 'etl:12'],
          roles: ['arn:aws:iam::123456789012:role/data-*'],
          launchTypes: ['FARGATE'],
          capacityProviders: ['FARGATE_SPOT'],
          subnets: ['*'],
          securityGroups: ['sg-1'],
          assignPublicIp: false,
          enableExecuteCommand: false,
          maxTasksPerRun: 20,
          queues: ['data-*'],
          assumeRoleArn: 'arn:aws:iam::123456789012:role/ecs-scheduler-data',
          externalId: 'data',
        }),
      ),
    ).to.deep.equal([]);
  });

  const cases: { name: string; policy: unknown; path: string; message: RegExp }[] = [
    {
      name: 'no namespaceSelector',
      policy: { ...valid(), spec: { clusters: ['x'] } },
      path: 'spec.namespaceSelector',
      message: /required/,
    },
    {
      name: 'an unknown field (a typo of clusters)',
      policy: valid({ cluster: ['x'] }),
      path: 'spec.cluster',
      message: /unknown field/,
    },
    {
      name: 'an empty pattern',
      policy: valid({ clusters: [''] }),
      path: 'spec.clusters[0]',
      message: /fewer than 1/,
    },
    {
      name: 'maxTasksPerRun 0',
      policy: valid({ maxTasksPerRun: 0 }),
      path: 'spec.maxTasksPerRun',
      message: />= 1/,
    },
    {
      name: 'assumeRoleArn that is not a role ARN',
      policy: valid({ assumeRoleArn: 'arn:aws:iam::123:user/x' }),
      path: 'spec.assumeRoleArn',
      message: /pattern/,
    },
    {
      name: 'externalId without assumeRoleArn',
      policy: valid({ externalId: 'abc' }),
      path: 'spec',
      message: /externalId needs assumeRoleArn/,
    },
    {
      name: 'an unknown selector operator',
      policy: valid({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Like' }] } }),
      path: 'spec.namespaceSelector.matchExpressions[0].operator',
      message: /"In", "NotIn"/,
    },
    {
      name: 'In without values',
      policy: valid({ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }),
      path: 'spec.namespaceSelector.matchExpressions[0].values',
      message: /must not be empty for operator In/,
    },
    {
      name: 'Exists with values',
      policy: valid({
        namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      }),
      path: 'spec.namespaceSelector.matchExpressions[0].values',
      message: /must be empty for operator Exists/,
    },
    {
      name: 'the wrong kind',
      policy: { ...valid(), kind: 'EcsScheduledTask' },
      path: 'kind',
      message: /must be EcsSchedulerPolicy/,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}, naming ${c.path}`, () => {
      const issues = validatePolicy(c.policy);
      const issue = issues.find((i) => i.path === c.path);
      expect(issue, JSON.stringify(issues)).to.not.equal(undefined);
      expect(issue!.message).to.match(c.message);
    });
  }
});

describe('buildPolicyCrd', () => {
  const crd = buildPolicyCrd() as {
    spec: {
      scope: string;
      names: { plural: string; kind: string };
      versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[];
    };
  };

  it('is cluster-scoped with the API names tooling relies on', () => {
    expect(crd.spec.scope).to.equal('Cluster');
    expect(crd.spec.names).to.include({ plural: 'ecsschedulerpolicies', kind: 'EcsSchedulerPolicy' });
  });

  it('is structural: a description on every property, no patternProperties', () => {
    const missing: string[] = [];
    const walk = (schema: Record<string, unknown>, path: string) => {
      if ('patternProperties' in schema) missing.push(`${path} has patternProperties`);
      for (const [name, sub] of Object.entries(
        (schema.properties ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        if (path.startsWith('spec') || name === 'spec') {
          if (typeof sub.description !== 'string') missing.push(`${path}.${name}`);
        }
        walk(sub, path ? `${path}.${name}` : name);
      }
      if (schema.items) walk(schema.items as Record<string, unknown>, `${path}[]`);
    };
    walk(crd.spec.versions[0]!.schema.openAPIV3Schema, '');
    expect(missing).to.deep.equal([]);
  });
});

describe('checked-in EcsSchedulerPolicy CRD', () => {
  it('matches crds/ecsschedulerpolicies.yaml and the kustomize copy (npm run crd:generate)', async () => {
    expect(await readFile('crds/ecsschedulerpolicies.yaml', 'utf8')).to.equal(policyCrdYaml());
    expect(await readFile('manifests/crd/ecsschedulerpolicies.yaml', 'utf8')).to.equal(policyCrdYaml());
  });

  it('and the admission policy component matches src/api/admission-policy.ts', async () => {
    expect(await readFile('manifests/components/admission-policy/admission-policy.yaml', 'utf8')).to.equal(
      admissionPolicyYaml(),
    );
  });
});
