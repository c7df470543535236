// The optional ValidatingAdmissionPolicy (manifests/components/admission-policy) on the real API
// server: EcsSchedulerPolicies as its parameters reject at apply time what they do not allow,
// naming the field. It runs the cases of test/support/policy-cases.ts, which the controller's
// evaluator runs too (test/unit/policy/policy-cases.test.ts): the two judges agree on each. The binding is narrowed to this file's namespaces so that nothing else in the
// shared test environment is judged by it, and both are removed afterwards.
import {
  AdmissionregistrationV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1ValidatingAdmissionPolicy,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { buildAdmissionPolicy } from '../../src/api/admission-policy.js';
import { GROUP, POLICY_PLURAL, VERSION } from '../../src/api/constants.js';
import {
  apiMessage,
  coreV1,
  customObjects,
  deleteAllTasks,
  httpStatus,
  kubeConfig,
  waitFor,
} from './support/index.js';
import { caseSpec, policyCases } from '../support/policy-cases.js';
import { createScheduledTask } from './support/scheduled-runs.js';

const POLICY = { group: GROUP, version: VERSION, plural: POLICY_PLURAL } as const;

describe('ValidatingAdmissionPolicy with EcsSchedulerPolicy parameters (real API server)', function () {
  this.timeout(60_000);
  const id = randomBytes(3).toString('hex');
  const label = `admission-test-${id}`;
  const ns = { a: `adm-a-${id}`, b: `adm-b-${id}`, roles: `adm-roles-${id}` };
  const rolePolicies = ['x', 'y'].map((r) => ({
    name: `it-admission-${id}-role-${r}`,
    role: `arn:aws:iam::123456789012:role/team-${r}`,
  }));
  const policyName = `it-admission-${id}`;
  const api = customObjects();
  const core = coreV1();
  const admission = kubeConfig().makeApiClient(AdmissionregistrationV1Api);
  const [vap, binding] = buildAdmissionPolicy() as [
    V1ValidatingAdmissionPolicy,
    { metadata: { name: string }; spec: { validationActions: string[] } & Record<string, unknown> },
  ];
  const vapName = `${vap.metadata!.name!}-${id}`;
  let n = 0;

  const spec = (task: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    schedule: '@daily',
    suspend: true,
    ...extra,
    task: { cluster: 'team-a-prod', taskDefinition: 'report', ...task },
  });

  /** Creates the object; resolves with the API server's refusal message, or undefined if admitted. */
  async function refusal(namespace: string, s: Record<string, unknown>): Promise<string | undefined> {
    try {
      await createScheduledTask(api, namespace, `t${n++}`, s);
      return undefined;
    } catch (err) {
      if (httpStatus(err) === undefined) throw err;
      return apiMessage(err);
    }
  }

  const caseNamespace = (i: number) => `adm-c${i}-${id}`;
  const casePolicy = (i: number, j: number) => `it-admission-${id}-c${i}-${j}`;

  before(async () => {
    for (const [team, name] of Object.entries(ns))
      await core.createNamespace({ body: { metadata: { name, labels: { [label]: team } } } });
    for (const [i, c] of policyCases.entries()) {
      await core.createNamespace({
        body: { metadata: { name: caseNamespace(i), labels: { [label]: `c${i}` } } },
      });
      for (const [j, spec] of c.policies.entries())
        await api.createClusterCustomObject({
          ...POLICY,
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'EcsSchedulerPolicy',
            metadata: { name: casePolicy(i, j) },
            spec: { namespaceSelector: { matchLabels: { [label]: `c${i}` } }, ...spec },
          },
        });
    }
    for (const { name, role } of rolePolicies)
      await api.createClusterCustomObject({
        ...POLICY,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'EcsSchedulerPolicy',
          metadata: { name },
          spec: {
            namespaceSelector: { matchLabels: { [label]: 'roles' } },
            clusters: ['*'],
            taskDefinitions: ['*'],
            assumeRoleArn: role,
          },
        },
      });
    // Created last: once it is in force, the parameters created before it are too.
    await api.createClusterCustomObject({
      ...POLICY,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'EcsSchedulerPolicy',
        metadata: { name: policyName },
        spec: {
          namespaceSelector: { matchExpressions: [{ key: label, operator: 'In', values: ['a'] }] },
          clusters: ['team-a-*'],
          taskDefinitions: ['report'],
        },
      },
    });
    await admission.createValidatingAdmissionPolicy({
      body: { ...vap, metadata: { name: vapName } },
    });
    await admission.createValidatingAdmissionPolicyBinding({
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: vapName },
        spec: {
          ...binding.spec,
          policyName: vapName,
          matchResources: { namespaceSelector: { matchExpressions: [{ key: label, operator: 'Exists' }] } },
        },
      },
    });
    // The policy is live once it rejects something it should.
    await waitFor(
      'the admission policy to take effect',
      async () => (await refusal(ns.a, spec({ cluster: 'other' }))) !== undefined,
      30_000,
      500,
    );
  });

  after(async () => {
    await admission.deleteValidatingAdmissionPolicyBinding({ name: vapName }).catch(() => undefined);
    await admission.deleteValidatingAdmissionPolicy({ name: vapName }).catch(() => undefined);
    await api.deleteClusterCustomObject({ ...POLICY, name: policyName }).catch(() => undefined);
    for (const { name } of rolePolicies)
      await api.deleteClusterCustomObject({ ...POLICY, name }).catch(() => undefined);
    for (const [i, c] of policyCases.entries())
      for (const j of c.policies.keys())
        await api.deleteClusterCustomObject({ ...POLICY, name: casePolicy(i, j) }).catch(() => undefined);
    for (const name of [...Object.values(ns), ...policyCases.map((_, i) => caseNamespace(i))]) {
      await deleteAllTasks(name, api);
      await core.deleteNamespace({ name }).catch(() => undefined);
    }
  });

  for (const [i, c] of policyCases.entries()) {
    it(`${c.denied ? `rejects at ${c.denied}` : 'admits'}: ${c.name}`, async () => {
      const message = await refusal(caseNamespace(i), caseSpec(c));
      if (c.denied === undefined) expect(message).to.equal(undefined);
      else {
        expect(message, 'admitted').to.be.a('string');
        expect(message).to.contain(c.denied);
      }
    });
  }

  it('admits an unset cluster (the controller decides with --default-cluster)', async () => {
    expect(await refusal(ns.a, spec({ cluster: undefined }))).to.equal(undefined);
  });

  it('admits anything in a namespace no policy selects (the controller denies it instead)', async () => {
    expect(await refusal(ns.b, spec({ cluster: 'anything' }))).to.equal(undefined);
  });

  it('admits a namespace whose policies name different roles (each is judged alone; the controller denies it)', async () => {
    expect(await refusal(ns.roles, spec({}))).to.equal(undefined);
  });

  it('follows policy edits', async () => {
    await api.patchClusterCustomObject(
      { ...POLICY, name: policyName, body: { spec: { clusters: ['team-a-*', 'team-b-*'] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor('the edited policy to admit team-b-prod', async () =>
      (await refusal(ns.a, spec({ cluster: 'team-b-prod' }))) === undefined ? true : undefined,
    );
  });
});
