// The sharding component's ValidatingAdmissionPolicy on the real API server: RBAC grants the
// controller `patch` on whole EcsScheduledTasks, and the policy narrows it to the two shard labels.
// The shipped file is applied as it is, but for a service account of this file's namespace (its
// username is a CEL string) and bound to that namespace only, so nothing else is judged by it.
import { AdmissionregistrationV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { GROUP, PLURAL } from '../../src/api/constants.js';
import { DRAIN_LABEL, OWNER_LABEL } from '../../src/shard/shard-labels.js';
import { REPO_ROOT } from './support/env.js';
import { coreV1, customObjects, kubeConfig, useTestNamespace, waitFor } from './support/index.js';
import { kubectl } from './support/kubectl.js';
import { createScheduledTask } from './support/scheduled-runs.js';

const SHIPPED = join(REPO_ROOT, 'manifests/components/sharding/shard-labels-only-policy.yaml');
const SHIPPED_USER = 'system:serviceaccount:ecs-scheduler-system:ecs-scheduler';

describe('sharding: the admission policy that narrows the controller to its shard labels (real API server)', function () {
  this.timeout(60_000);
  const ns = useTestNamespace('shard-labels');
  const id = randomBytes(3).toString('hex');
  const name = `it-shard-labels-${id}`;
  const kc = kubeConfig();
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const user = () => `system:serviceaccount:${ns.name}:controller`;
  // A new value each time: a patch that changes nothing is no change, and the policy admits it.
  let deadline = 100;
  const specChange = () => ({ spec: { startingDeadlineSeconds: deadline++ } });

  /** A merge patch of the task, as `as` if given; the error text, or '' if admitted. */
  const patchTask = async (patch: unknown, as?: string): Promise<string> => {
    const r = await kubectl([
      'patch',
      `${PLURAL}.${GROUP}`,
      'job',
      '-n',
      ns.name,
      '--type',
      'merge',
      '-p',
      JSON.stringify(patch),
      ...(as === undefined ? [] : ['--as', as]),
    ]);
    return r.code === 0 ? '' : r.stderr.trim() || `exit ${r.code}`;
  };
  const patchAsController = (patch: unknown) => patchTask(patch, user());

  before(async () => {
    const [policy, binding] = parseAllDocuments(readFileSync(SHIPPED, 'utf8')).map(
      (d) =>
        d.toJSON() as Record<string, never> & { metadata: { name: string }; spec: Record<string, unknown> },
    );
    expect(binding!.spec.validationActions).to.deep.equal(['Deny']);
    const text = JSON.stringify(policy);
    expect(text, 'the shipped policy names the kustomize install’s service account').to.include(SHIPPED_USER);
    await admission.createValidatingAdmissionPolicy({
      body: { ...JSON.parse(text.replace(SHIPPED_USER, user())), metadata: { name } },
    });
    await admission.createValidatingAdmissionPolicyBinding({
      body: {
        ...binding!,
        metadata: { name },
        spec: {
          ...binding!.spec,
          validationActions: ['Deny'],
          policyName: name,
          matchResources: {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } },
          },
        },
      },
    });
    await coreV1().createNamespacedServiceAccount({
      namespace: ns.name,
      body: { metadata: { name: 'controller' } },
    });
    await rbac.createClusterRole({
      body: {
        metadata: { name },
        rules: [{ apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'patch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name: 'controller', namespace: ns.name }],
      },
    });
    await createScheduledTask(customObjects(), ns.name, 'job', {
      schedule: '@daily',
      suspend: true,
      task: { cluster: 'default', taskDefinition: 'report' },
    });
    let answer = '';
    await waitFor(
      'the policy to take effect',
      async () => /not its spec/.test((answer = await patchAsController(specChange()))),
      30_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the last answer: ${answer || 'admitted'}`);
    });
  });

  after(async () => {
    await admission.deleteValidatingAdmissionPolicyBinding({ name }).catch(() => undefined);
    await admission.deleteValidatingAdmissionPolicy({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
  });

  it('lets the controller set, move and remove the owner and drain labels', async () => {
    expect(await patchAsController({ metadata: { labels: { [OWNER_LABEL]: 'replica-a' } } })).to.equal('');
    expect(await patchAsController({ metadata: { labels: { [DRAIN_LABEL]: 'true' } } })).to.equal('');
    expect(
      await patchAsController({ metadata: { labels: { [OWNER_LABEL]: null, [DRAIN_LABEL]: null } } }),
    ).to.equal('');
  });

  it('refuses the controller a spec change, another label and an annotation, naming what it may change', async () => {
    expect(await patchAsController(specChange())).to.match(/may change only the shard labels.*not its spec/);
    expect(await patchAsController({ metadata: { labels: { team: 'b' } } })).to.match(
      /may change only the labels shard\.ecs-scheduler\.dev\/owner and drain\.shard\.ecs-scheduler\.dev\/owner/,
    );
    expect(await patchAsController({ metadata: { annotations: { note: 'x' } } })).to.match(
      /not its annotations/,
    );
  });

  it('judges no one else: a user may still change the spec', async () => {
    expect(await patchTask({ ...specChange(), metadata: { labels: { team: 'b' } } })).to.equal('');
  });
});
