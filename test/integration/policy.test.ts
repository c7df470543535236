// Tenancy end to end: the controller (in this process, through startApp) against the real
// kube-apiserver and moto, with EcsSchedulerPolicies deciding what each namespace may launch.
// The namespaces here do not carry the test label, so the test environment's allow-all policies do
// not cover them: only the policies this file writes do.
//
// assumeRoleArn: moto's STS lets a role ARN point at another account and registers the access key
// it hands out under that account; every later request signed with that key is served by that
// account's backends. So a RunTask sent with the assumed credentials lands in the role's account,
// and one sent with the controller's own lands in moto's default account. Both accounts get the
// same cluster and task definition, so only the credentials decide where the task appears.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  CreateClusterCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { GROUP, POLICY_PLURAL, VERSION } from '../../src/api/constants.js';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log/logger.js';
import {
  coreV1,
  customObjects,
  deleteAllTasks,
  ecsClient,
  httpStatus,
  kubeConfig,
  loadTestEnv,
  sleep,
  waitFor,
} from './support/index.js';
import { createScheduledTask, eventsFor, getScheduledTask, launchedRuns } from './support/scheduled-runs.js';

const POLICY = { group: GROUP, version: VERSION, plural: POLICY_PLURAL } as const;
const ROLE_ACCOUNT = '111122223333';
const DEFAULT_ACCOUNT = '123456789012';

describe('EcsSchedulerPolicy enforcement (real API server, moto)', function () {
  this.timeout(120_000);
  const env = loadTestEnv();
  const id = randomBytes(3).toString('hex');
  const ns = { a: `pol-a-${id}`, b: `pol-b-${id}`, c: `pol-c-${id}` };
  const clusterA = `pol-a-${id}`;
  const clusterB = `pol-b-${id}`;
  const family = `pol-x-${id}`;
  const policyName = `it-team-a-${id}`;
  const rolePolicyName = `it-team-c-${id}`;
  const roleArn = `arn:aws:iam::${ROLE_ACCOUNT}:role/ecs-scheduler-team-c`;
  const api = customObjects();
  const core = coreV1();
  const ecs = ecsClient(env);
  const logLines: string[] = [];
  let app: RunningApp | undefined;
  let roleEcs: ECSClient;

  /** A run every 5 s, one at a time: Fargate with a bridge-mode definition needs no VPC in moto. */
  const spec = (cluster: string, task: Record<string, unknown> = {}) => ({
    schedule: '*/5 * * * * *',
    concurrencyPolicy: 'Forbid',
    task: { cluster, taskDefinition: family, launchType: 'FARGATE', ...task },
  });

  const policyBody = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'EcsSchedulerPolicy',
    metadata: { name },
    spec,
  });

  async function stalled(namespace: string, name: string) {
    return waitFor(
      `${namespace}/${name} Stalled`,
      async () => {
        const r = await getScheduledTask(api, namespace, name);
        return r.status?.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
      },
      30_000,
    );
  }

  async function launched(namespace: string, name: string): Promise<EcsScheduledTaskResource> {
    return waitFor(
      `${namespace}/${name} launched`,
      async () => {
        const r = await getScheduledTask(api, namespace, name);
        return launchedRuns(r).length > 0 ? r : undefined;
      },
      30_000,
    );
  }

  async function tasksIn(client: ECSClient, cluster: string): Promise<string[]> {
    return (await client.send(new ListTasksCommand({ cluster }))).taskArns ?? [];
  }

  before(async () => {
    for (const [team, name] of Object.entries(ns))
      await core.createNamespace({ body: { metadata: { name, labels: { [`policy-test-${id}`]: team } } } });
    const sts = new STSClient({
      endpoint: env.awsEndpoint,
      region: env.region,
      credentials: env.credentials,
      maxAttempts: 1,
    });
    const assumed = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'setup' })))
      .Credentials!;
    sts.destroy();
    roleEcs = new ECSClient({
      endpoint: env.awsEndpoint,
      region: env.region,
      maxAttempts: 1,
      credentials: {
        accessKeyId: assumed.AccessKeyId!,
        secretAccessKey: assumed.SecretAccessKey!,
        sessionToken: assumed.SessionToken!,
      },
    });
    const container = { name: 'sleeper', image: 'busybox', memory: 128, essential: true };
    for (const client of [ecs, roleEcs]) {
      for (const clusterName of [clusterA, clusterB])
        await client.send(new CreateClusterCommand({ clusterName }));
      await client.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [container] }));
    }
    await api.createClusterCustomObject({
      ...POLICY,
      body: policyBody(policyName, {
        namespaceSelector: { matchLabels: { [`policy-test-${id}`]: 'a' } },
        clusters: [clusterA],
        taskDefinitions: [family],
        launchTypes: ['FARGATE'],
      }),
    });
    const config = loadConfig([
      '--kubeconfig',
      env.kubeconfigPath,
      '--ecs-endpoint',
      env.awsEndpoint,
      '--sts-endpoint',
      env.awsEndpoint,
      '--region',
      env.region,
      '--aws-max-attempts',
      '1',
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '0',
    ]);
    const logger = createLogger({ level: 'debug', format: 'json', write: (l) => void logLines.push(l) });
    app = await startApp(config, logger);
  });

  after(async () => {
    await app?.stop();
    for (const name of Object.values(ns)) {
      await deleteAllTasks(name, api);
      await core.deleteNamespace({ name }).catch(() => undefined);
    }
    for (const name of [policyName, rolePolicyName]) {
      await api.deleteClusterCustomObject({ ...POLICY, name }).catch((err: unknown) => {
        if (httpStatus(err) !== 404) throw err;
      });
    }
    for (const [client, cluster] of [
      [ecs, clusterA],
      [ecs, clusterB],
      [roleEcs, clusterA],
    ] as const) {
      for (const task of await tasksIn(client, cluster).catch(() => []))
        await client.send(new StopTaskCommand({ cluster, task })).catch(() => undefined);
    }
    roleEcs?.destroy();
    ecs.destroy();
  });

  it('launches what the policy allows: cluster A, family X, in team-a', async () => {
    await createScheduledTask(api, ns.a, 'allowed', spec(clusterA));
    const r = await launched(ns.a, 'allowed');
    const taskArn = launchedRuns(r)[0]!.tasks![0]!.taskArn;
    expect(await tasksIn(ecs, clusterA)).to.include(taskArn);
    expect(r.status?.conditions?.find((c) => c.type === 'Stalled')?.status ?? 'False').to.equal('False');
  });

  it('denies cluster B in team-a, naming the field, the value and the policy; no RunTask', async () => {
    await createScheduledTask(api, ns.a, 'other-cluster', spec(clusterB));
    const condition = await stalled(ns.a, 'other-cluster');
    expect(condition.reason).to.equal('PolicyDenied');
    expect(condition.message).to.contain('spec.task.cluster').and.contain(clusterB).and.contain(policyName);
    // Several 5-second ticks go by: still nothing in cluster B.
    await sleep(11_000);
    expect(await tasksIn(ecs, clusterB)).to.deep.equal([]);
    const r = await getScheduledTask(api, ns.a, 'other-cluster');
    expect(launchedRuns(r)).to.deep.equal([]);
    const warnings = await waitFor('the PolicyDenied Warning event', async () => {
      const events = (await eventsFor(kubeConfig(), ns.a, 'other-cluster')).filter(
        (e) => e.reason === 'PolicyDenied' && e.type === 'Warning',
      );
      return events.length > 0 ? events : undefined;
    });
    expect(warnings, 'one Warning event, not one per tick').to.have.length(1);
    expect(warnings[0]!.note).to.contain('spec.task.cluster');
  });

  it('denies everything in a namespace no policy selects (team-b)', async () => {
    await createScheduledTask(api, ns.b, 'unlisted', spec(clusterA));
    const condition = await stalled(ns.b, 'unlisted');
    expect(condition.reason).to.equal('PolicyDenied');
    expect(condition.message).to.contain(`no EcsSchedulerPolicy selects namespace ${ns.b}`);
  });

  it('denies a taskRoleArn override the policy does not list', async () => {
    const taskRoleArn = `arn:aws:iam::${DEFAULT_ACCOUNT}:role/payments`;
    await createScheduledTask(api, ns.a, 'role-override', spec(clusterA, { overrides: { taskRoleArn } }));
    const condition = await stalled(ns.a, 'role-override');
    expect(condition.reason).to.equal('PolicyDenied');
    expect(condition.message).to.contain('spec.task.overrides.taskRoleArn').and.contain(taskRoleArn);
  });

  it('counts denials in ecs_scheduler_policy_denials_total by namespace and field', async () => {
    const body = await (await fetch(`http://127.0.0.1:${app!.metricsPort}/metrics`)).text();
    expect(body).to.match(
      new RegExp(
        `ecs_scheduler_policy_denials_total\\{namespace="${ns.a}",field="spec.task.cluster"\\} [1-9]`,
      ),
    );
    expect(body).to.match(
      new RegExp(
        `ecs_scheduler_policy_denials_total\\{namespace="${ns.b}",field="metadata.namespace"\\} [1-9]`,
      ),
    );
  });

  it('an edited policy lets the denied resource launch, without a restart', async () => {
    await api.patchClusterCustomObject(
      { ...POLICY, name: policyName, body: { spec: { clusters: [clusterA, clusterB] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const r = await launched(ns.a, 'other-cluster');
    const taskArn = launchedRuns(r)[0]!.tasks![0]!.taskArn;
    expect(await tasksIn(ecs, clusterB)).to.deep.equal([taskArn]);
    const after = await waitFor(
      'Stalled cleared',
      async () => {
        const x = await getScheduledTask(api, ns.a, 'other-cluster');
        const stalledNow = x.status?.conditions?.find((c) => c.type === 'Stalled');
        return stalledNow?.status !== 'True' ? x : undefined;
      },
      15_000,
    );
    expect(after.status?.conditions?.find((c) => c.type === 'Stalled')?.reason).to.not.equal('PolicyDenied');
    // The role override is still denied: the edit allowed a cluster, not roles.
    const roleOverride = await getScheduledTask(api, ns.a, 'role-override');
    expect(launchedRuns(roleOverride)).to.deep.equal([]);
  });

  it("labelling a namespace brings it under a policy (team-b's resource launches), without a restart", async () => {
    await core.patchNamespace(
      { name: ns.b, body: { metadata: { labels: { [`policy-test-${id}`]: 'a' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const r = await launched(ns.b, 'unlisted');
    expect(await tasksIn(ecs, clusterA)).to.include(launchedRuns(r)[0]!.tasks![0]!.taskArn);
  });

  it("assumeRoleArn: RunTask goes out with the role's credentials (moto serves it in the role's account)", async () => {
    await api.createClusterCustomObject({
      ...POLICY,
      body: policyBody(rolePolicyName, {
        namespaceSelector: { matchLabels: { [`policy-test-${id}`]: 'c' } },
        clusters: [clusterA],
        taskDefinitions: [family],
        launchTypes: ['FARGATE'],
        assumeRoleArn: roleArn,
        externalId: `team-c-${id}`,
      }),
    });
    await createScheduledTask(api, ns.c, 'as-role', spec(clusterA));
    const r = await launched(ns.c, 'as-role');
    const taskArn = launchedRuns(r)[0]!.tasks![0]!.taskArn;
    expect(taskArn).to.match(new RegExp(`^arn:aws:ecs:${env.region}:${ROLE_ACCOUNT}:task/`));
    expect(await tasksIn(roleEcs, clusterA)).to.include(taskArn);
    expect(await tasksIn(ecs, clusterA)).to.not.include(taskArn);
    expect(logLines.some((l) => l.includes('assumed role') && l.includes(roleArn))).to.equal(true);
  });
});
