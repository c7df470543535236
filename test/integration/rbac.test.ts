// The controller under exactly the RBAC that manifests/ grants: `kubectl apply -k manifests/`, a
// token for the ecs-scheduler ServiceAccount from the API server's TokenRequest API (`kubectl
// create token`), a kubeconfig holding only that token, and the real controller started with it.
// It must do its whole job (watch, launch, write status, record events, hold the Lease), and the
// same credentials must be refused secrets and everything else it was not granted.
import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import {
  EST,
  REPO_ROOT,
  coreV1,
  customObjects,
  ecsClient,
  kubeConfig,
  kubectl,
  kubectlOk,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
  type TestEnv,
  waitFor,
} from './support/index.js';

const SYSTEM_NAMESPACE = 'ecs-scheduler-system';
const SA_USER = `system:serviceaccount:${SYSTEM_NAMESPACE}:ecs-scheduler`;

/** The test environment's kubeconfig with its admin user replaced by a bearer token. */
function tokenKubeconfig(adminKubeconfig: string, token: string): string {
  const config = parseYaml(adminKubeconfig) as {
    clusters: { name: string }[];
    contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
    users: unknown[];
    'current-context': string;
  };
  const cluster = config.clusters[0]!.name;
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: config.clusters,
    users: [{ name: 'ecs-scheduler', user: { token } }],
    contexts: [
      { name: 'ecs-scheduler', context: { cluster, user: 'ecs-scheduler', namespace: SYSTEM_NAMESPACE } },
    ],
    'current-context': 'ecs-scheduler',
  });
}

describe('RBAC: the controller under the ServiceAccount of manifests/ (real API server, moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('rbac');
  const leaseName = `ecs-scheduler-rbac-${randomBytes(3).toString('hex')}`;
  let dir: string;
  let saEnv: TestEnv;
  let controller: ControllerProcess | undefined;

  before(async () => {
    const r = await kubectl(['apply', '-k', join(REPO_ROOT, 'manifests')]);
    if (r.code !== 0) throw new Error(`kubectl apply -k manifests/ failed: ${r.stderr}`);
    const token = (
      await kubectlOk(['create', 'token', 'ecs-scheduler', '-n', SYSTEM_NAMESPACE, '--duration', '1h'])
    ).trim();
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-rbac-'));
    const env = loadTestEnv();
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, tokenKubeconfig(readFileSync(env.kubeconfigPath, 'utf8'), token), {
      mode: 0o600,
    });
    saEnv = { ...env, kubeconfigPath, vars: { ...env.vars, KUBECONFIG: kubeconfigPath } };
  });

  after(async () => {
    await controller?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .deleteNamespacedLease({ name: leaseName, namespace: SYSTEM_NAMESPACE })
      .catch(() => undefined);
  });

  it('the token kubeconfig authenticates as the ServiceAccount and nothing more', async () => {
    const whoami = await kubectlOk(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {
      env: saEnv,
    });
    expect(whoami).to.equal(SA_USER);
  });

  it('runs the controller: launches in ECS, writes status, records events, holds the Lease', async () => {
    controller = await startController(
      [
        '--kubeconfig',
        saEnv.kubeconfigPath,
        '--namespace',
        ns.name,
        '--leader-elect',
        '--leader-election-namespace',
        SYSTEM_NAMESPACE,
        '--leader-election-id',
        leaseName,
      ],
      { env: { KUBECONFIG: saEnv.kubeconfigPath } },
    );
    const identity = controller.lines.find((l) => l.msg === 'running')?.identity;
    expect(identity).to.be.a('string');
    await controller.waitForLine((l) => l.msg === 'became leader', 20_000, '"became leader"');

    // Created as the admin: the controller's ServiceAccount may not create its own resources.
    const body: EcsScheduledTaskResource = {
      apiVersion: 'ecs-scheduler.dev/v1alpha1',
      kind: 'EcsScheduledTask',
      metadata: { name: 'every-five-seconds', namespace: ns.name },
      spec: {
        schedule: '*/5 * * * * *',
        concurrencyPolicy: 'Forbid', // one task is enough; later runs are recorded as Skipped
        task: { cluster: loadTestEnv().ecsCluster, taskDefinition: 'sleeper-task', launchType: 'EC2' },
      },
    };
    await customObjects().createNamespacedCustomObject({ ...EST, namespace: ns.name, body });

    const launched = await controller.waitForLine(
      (l) =>
        l.msg === 'launched tasks' &&
        l.resource === `${ns.name}/every-five-seconds` &&
        Number(l.launched) > 0,
      20_000,
      'a launch',
    );
    expect(launched.failures).to.equal(0);

    // Status, written through ecsscheduledtasks/status.
    const status = await waitFor(
      'status with the launched task',
      async () => {
        const obj = (await customObjects().getNamespacedCustomObject({
          ...EST,
          namespace: ns.name,
          name: 'every-five-seconds',
        })) as EcsScheduledTaskResource;
        const taskArn = obj.status?.runs?.flatMap((r) => r.tasks ?? []).find((t) => t.taskArn)?.taskArn;
        return taskArn && obj.status?.lastScheduleTime ? { status: obj.status, taskArn } : undefined;
      },
      20_000,
    );
    expect(status.status.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    const ecs = ecsClient();
    try {
      const described = await ecs.send(
        new DescribeTasksCommand({ cluster: loadTestEnv().ecsCluster, tasks: [status.taskArn] }),
      );
      expect(described.tasks?.[0]?.startedBy).to.match(/^ecss\//);
    } finally {
      ecs.destroy();
    }

    // Events, created under the ServiceAccount.
    const events = await waitFor(
      'a Launched event',
      async () => {
        const list = await coreV1().listNamespacedEvent({ namespace: ns.name });
        const hits = list.items.filter(
          (e) => e.involvedObject.name === 'every-five-seconds' && e.reason === 'Launched',
        );
        return hits.length > 0 ? hits : undefined;
      },
      20_000,
    );
    expect(events[0]!.type).to.equal('Normal');

    // The Lease, in the controller's namespace, held by this process.
    const lease = await kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: leaseName, namespace: SYSTEM_NAMESPACE });
    expect(lease.spec?.holderIdentity).to.equal(identity);

    // Nothing it tried was refused.
    const refused = controller.lines.filter((l) => /forbidden|\b403\b/i.test(JSON.stringify(l)));
    expect(refused, JSON.stringify(refused.slice(0, 3))).to.deep.equal([]);
    const problems = controller.lines.filter((l) => l.level === 'error');
    expect(problems, JSON.stringify(problems.slice(0, 3))).to.deep.equal([]);

    // A graceful stop releases the Lease, which also needs its update permission.
    expect(await controller.kill('SIGTERM')).to.equal(0);
    controller = undefined;
    const released = await kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: leaseName, namespace: SYSTEM_NAMESPACE });
    expect(released.spec?.holderIdentity ?? '').to.equal('');
  });

  it('cannot read secrets', async () => {
    const all = await kubectl(['get', 'secrets', '-A'], { env: saEnv });
    expect(all.code).to.not.equal(0);
    expect(all.stderr)
      .to.match(/Forbidden/)
      .and.contain(SA_USER);
    const own = await kubectl(['get', 'secrets', '-n', SYSTEM_NAMESPACE], { env: saEnv });
    expect(own.code).to.not.equal(0);
    expect(own.stderr).to.match(/Forbidden/);
  });

  // [verb, resource, namespace (undefined: all / cluster scope), allowed]
  const canI: [string, string, string | undefined, boolean][] = [
    ['get', 'secrets', undefined, false],
    ['list', 'secrets', SYSTEM_NAMESPACE, false],
    ['watch', 'secrets', 'TEST', false],
    ['create', 'pods', 'TEST', false],
    ['get', 'configmaps', SYSTEM_NAMESPACE, false],
    ['create', 'ecsscheduledtasks.ecs-scheduler.dev', 'TEST', false],
    ['delete', 'ecsscheduledtasks.ecs-scheduler.dev', 'TEST', false],
    ['list', 'ecsscheduledtasks.ecs-scheduler.dev', undefined, true],
    ['watch', 'ecsscheduledtasks.ecs-scheduler.dev', 'TEST', true],
    ['patch', 'ecsscheduledtasks.ecs-scheduler.dev/status', 'TEST', true],
    ['create', 'events', 'TEST', true],
    // An event series: repeats update the Event's count and last-seen time.
    ['patch', 'events.events.k8s.io', 'TEST', true],
    ['delete', 'events', 'TEST', false],
    ['create', 'leases.coordination.k8s.io', SYSTEM_NAMESPACE, true],
    ['update', 'leases.coordination.k8s.io', SYSTEM_NAMESPACE, true],
    ['create', 'leases.coordination.k8s.io', 'TEST', false],
    [
      'get',
      'customresourcedefinitions.apiextensions.k8s.io/ecsscheduledtasks.ecs-scheduler.dev',
      undefined,
      true,
    ],
    ['get', 'customresourcedefinitions.apiextensions.k8s.io/other.example.com', undefined, false],
    ['list', 'customresourcedefinitions.apiextensions.k8s.io', undefined, false],
    ['create', 'clusterrolebindings.rbac.authorization.k8s.io', undefined, false],
    ['create', 'serviceaccounts/token', SYSTEM_NAMESPACE, false],
    // Tenancy: reads the admin's policies and the namespaces' labels, never writes either.
    ['watch', 'ecsschedulerpolicies.ecs-scheduler.dev', undefined, true],
    ['create', 'ecsschedulerpolicies.ecs-scheduler.dev', undefined, false],
    ['update', 'ecsschedulerpolicies.ecs-scheduler.dev', undefined, false],
    ['list', 'namespaces', undefined, true],
    ['patch', 'namespaces', undefined, false],
  ];
  for (const [verb, resource, namespace, allowed] of canI) {
    const where =
      namespace === undefined
        ? 'cluster-wide'
        : namespace === 'TEST'
          ? 'in a user namespace'
          : `in ${namespace}`;
    it(`can-i ${verb} ${resource} ${where}: ${allowed ? 'yes' : 'no'}`, async () => {
      const scope = namespace === undefined ? ['-A'] : ['-n', namespace === 'TEST' ? ns.name : namespace];
      // `kind/status` is a subresource; `kind/name` (the CRD) is one object.
      const sub = /^(.+)\/(status|token)$/.exec(resource);
      const target = sub ? [sub[1]!, `--subresource=${sub[2]}`] : [resource];
      const r = await kubectl(['auth', 'can-i', verb, ...target, ...scope], { env: saEnv });
      expect(r.stdout.trim(), r.stderr).to.equal(allowed ? 'yes' : 'no');
      expect(r.code).to.equal(allowed ? 0 : 1);
    });
  }
});
