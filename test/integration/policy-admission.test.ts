// The optional ValidatingAdmissionPolicy (manifests/components/admission-policy) on the real API
// server: EcsSchedulerPolicies as its parameters reject at apply time what they do not allow,
// naming the field. The binding is narrowed to this file's namespaces so that nothing else in the
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
import { createScheduledTask } from './support/scheduled-runs.js';

const POLICY = { group: GROUP, version: VERSION, plural: POLICY_PLURAL } as const;

describe('ValidatingAdmissionPolicy with EcsSchedulerPolicy parameters (real API server)', function () {
  this.timeout(60_000);
  const id = randomBytes(3).toString('hex');
  const label = `admission-test-${id}`;
  const ns = { a: `adm-a-${id}`, b: `adm-b-${id}` };
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

  before(async () => {
    for (const [team, name] of Object.entries(ns))
      await core.createNamespace({ body: { metadata: { name, labels: { [label]: team } } } });
    await api.createClusterCustomObject({
      ...POLICY,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'EcsSchedulerPolicy',
        metadata: { name: policyName },
        spec: {
          namespaceSelector: { matchExpressions: [{ key: label, operator: 'In', values: ['a'] }] },
          clusters: ['team-a-*'],
          taskDefinitions: ['report', 'etl:12', 'job.v2'],
          launchTypes: ['FARGATE'],
          subnets: ['subnet-a*'],
          maxTasksPerRun: 5,
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
    for (const name of Object.values(ns)) {
      await deleteAllTasks(name, api);
      await core.deleteNamespace({ name }).catch(() => undefined);
    }
  });

  const cases: { name: string; spec: Record<string, unknown>; rejected?: RegExp }[] = [
    { name: 'a pattern with a dot, exactly', spec: spec({ taskDefinition: 'job.v2:4' }) },
    { name: 'what the policy allows', spec: spec({ launchType: 'FARGATE' }) },
    { name: 'a family allows its revisions', spec: spec({ taskDefinition: 'report:3' }) },
    { name: 'family:revision exactly', spec: spec({ taskDefinition: 'etl:12' }) },
    {
      name: 'a subnet by glob',
      spec: spec({ networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a1'] } } }),
    },
    {
      name: 'an unset cluster (the controller decides with --default-cluster)',
      spec: spec({ cluster: undefined }),
    },
    {
      name: 'a cluster not listed',
      spec: spec({ cluster: 'team-b-prod' }),
      rejected: /spec\.task\.cluster "team-b-prod" is not allowed by EcsSchedulerPolicy it-admission/,
    },
    {
      name: 'a cluster ARN against name patterns',
      spec: spec({ cluster: 'arn:aws:ecs:us-east-1:999999999999:cluster/team-a-prod' }),
      rejected: /spec\.task\.cluster/,
    },
    {
      name: 'another family',
      spec: spec({ taskDefinition: 'payments' }),
      rejected: /spec\.task\.taskDefinition "payments"/,
    },
    {
      name: 'another revision',
      spec: spec({ taskDefinition: 'etl:13' }),
      rejected: /spec\.task\.taskDefinition "etl:13"/,
    },
    {
      name: 'a regex metacharacter in a pattern is literal (job.v2 is not jobXv2)',
      spec: spec({ taskDefinition: 'jobXv2' }),
      rejected: /spec\.task\.taskDefinition/,
    },
    {
      name: 'a taskRoleArn override',
      spec: spec({ overrides: { taskRoleArn: 'arn:aws:iam::123456789012:role/payments' } }),
      rejected: /spec\.task\.overrides\.taskRoleArn "arn:aws:iam::123456789012:role\/payments"/,
    },
    {
      name: 'an executionRoleArn override',
      spec: spec({ overrides: { executionRoleArn: 'arn:aws:iam::123456789012:role/x' } }),
      rejected: /spec\.task\.overrides\.executionRoleArn/,
    },
    {
      name: 'a launch type not listed',
      spec: spec({ launchType: 'EC2' }),
      rejected: /spec\.task\.launchType "EC2"/,
    },
    {
      name: 'a capacity provider (none listed)',
      spec: spec({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }] }),
      rejected: /capacityProviders/,
    },
    {
      name: 'a subnet not matching',
      spec: spec({ networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a1', 'subnet-b1'] } } }),
      rejected: /subnets/,
    },
    {
      name: 'a security group (none listed)',
      spec: spec({
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a1'], securityGroups: ['sg-1'] } },
      }),
      rejected: /securityGroups/,
    },
    {
      name: 'a public IP',
      spec: spec({
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a1'], assignPublicIp: 'ENABLED' } },
      }),
      rejected: /assignPublicIp "ENABLED"/,
    },
    {
      name: 'ECS Exec',
      spec: spec({ enableExecuteCommand: true }),
      rejected: /spec\.task\.enableExecuteCommand "true"/,
    },
    {
      name: 'taskCount above maxTasksPerRun',
      spec: spec({}, { taskCount: 6 }),
      rejected: /maxTasksPerRun 5/,
    },
    {
      name: 'an SQS queue (none listed)',
      spec: spec({}, { maxCount: 5, trigger: { sqs: { queueName: 'jobs', messagesPerTask: 1 } } }),
      rejected: /spec\.trigger\.sqs\.queueName "jobs"/,
    },
    {
      name: 'a dead-letter queue (none listed)',
      spec: spec({}, { deadLetter: { sqs: { queueName: 'failed-runs' } } }),
      rejected: /spec\.deadLetter\.sqs\.queueName "failed-runs"/,
    },
  ];
  for (const c of cases) {
    it(`${c.rejected ? 'rejects' : 'admits'} ${c.name}`, async () => {
      const message = await refusal(ns.a, c.spec);
      if (c.rejected) expect(message, 'admitted').to.match(c.rejected);
      else expect(message).to.equal(undefined);
    });
  }

  it('admits anything in a namespace no policy selects (the controller denies it instead)', async () => {
    expect(await refusal(ns.b, spec({ cluster: 'anything' }))).to.equal(undefined);
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
