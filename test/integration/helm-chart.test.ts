// The Helm chart (charts/ecs-scheduler) and the kustomize manifests, as a user installs them: helm,
// built from its pinned Go module by scripts/helm-binary, lints the chart and renders it; the
// render passes the real API server's validation (`kubectl apply --dry-run=server`); and so does
// `kubectl kustomize` of manifests/ with the dashboard component. The render is read for what the
// values promise: IRSA, the Region, the policy mode, replicas spread over nodes and zones.
//
// PodMonitor and PrometheusRule need the Prometheus Operator's CRDs, which this API server does
// not have: those two kinds are checked as rendered (and their alerts by
// test/unit/manifests/monitoring.test.ts), everything else is applied.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT, kubectl, kubectlOk } from './support/index.js';

const CHART = join(REPO_ROOT, 'charts', 'ecs-scheduler');
const PROMETHEUS_OPERATOR_GROUP = 'monitoring.coreos.com/v1';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface PodSpec {
  serviceAccountName: string;
  affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
  topologySpreadConstraints?: {
    topologyKey: string;
    labelSelector: { matchLabels: Record<string, string> };
  }[];
  containers: {
    name: string;
    image: string;
    args: string[];
    env: { name: string; value?: string }[];
    ports?: { name: string; containerPort: number }[];
  }[];
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

const parse = (text: string): K8sObject[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

const applicable = (objects: K8sObject[]) =>
  objects.filter((o) => o.apiVersion !== PROMETHEUS_OPERATOR_GROUP);

function find(objects: K8sObject[], kind: string): K8sObject {
  const hit = objects.find((o) => o.kind === kind);
  if (!hit) throw new Error(`the render has no ${kind}: ${objects.map((o) => o.kind).join(', ')}`);
  return hit;
}

const podSpec = (objects: K8sObject[]) =>
  (find(objects, 'Deployment').spec as { template: { spec: PodSpec } }).template.spec;

describe('Helm chart and kustomize manifests (real helm, real API server)', function () {
  let helm: string;
  let dir: string;
  // Its own namespace through kubectl: nothing here creates an EcsScheduledTask, so there is none
  // to clean up (useTestNamespace lists them, which fails while a CRD update re-initialises storage).
  const ns = { name: `it-helm-${randomBytes(3).toString('hex')}` };

  before(async function () {
    // A first build of helm takes minutes (once; cached in ~/.cache/ecs-scheduler/helm).
    this.timeout(20 * 60_000);
    const { stdout } = await promisify(execFile)('bash', [join(REPO_ROOT, 'scripts', 'helm-binary')], {
      cwd: REPO_ROOT,
    }).catch((e: { code?: number; stderr?: string }) => {
      throw new Error(`scripts/helm-binary exited ${e.code}: ${e.stderr?.trim()}`);
    });
    helm = stdout.trim().split('\n').pop()!;
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-helm-'));
    await kubectlOk(['create', 'namespace', ns.name]);
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await kubectlOk(['delete', 'namespace', ns.name, '--wait=false']);
  });

  async function helmRun(args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(helm, args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }

  /** `helm template` into the test namespace with these values; CRDs included, as `helm install` sends them. */
  async function render(values: Record<string, unknown> = {}): Promise<K8sObject[]> {
    const file = join(dir, `values-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify(values));
    return parse(
      await helmRun(['template', 'scheduler', CHART, '--namespace', ns.name, '--include-crds', '-f', file]),
    );
  }

  async function dryRunServer(objects: K8sObject[]): Promise<string[]> {
    const input = objects.map((o) => `---\n${stringify(o)}`).join('');
    const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input });
    expect(r.code, r.stderr).to.equal(0);
    return r.stdout.trim().split('\n');
  }

  const everything = {
    metrics: { rbacProxy: { enabled: true }, networkPolicy: { enabled: true } },
    prometheus: { podMonitor: { enabled: true }, rules: { enabled: true } },
    grafana: { dashboard: { enabled: true } },
  };

  const lintCases: { name: string; values: Record<string, unknown> }[] = [
    { name: 'the defaults', values: {} },
    { name: 'every toggle on', values: everything },
    { name: 'sharding', values: { replicaCount: 3, sharding: { enabled: true } } },
    {
      name: 'one replica, no leader election, policy off',
      values: { replicaCount: 1, leaderElection: { enabled: false }, policy: { mode: 'off' } },
    },
  ];
  for (const c of lintCases) {
    it(`helm lint --strict passes with ${c.name}`, async function () {
      this.timeout(60_000);
      const file = join(dir, 'lint-values.yaml');
      writeFileSync(file, stringify(c.values));
      const out = await helmRun(['lint', '--strict', CHART, '-f', file]);
      expect(out).to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }

  it('helm lint rejects a misspelt value, naming it (values.schema.json)', async function () {
    this.timeout(60_000);
    const file = join(dir, 'bad-values.yaml');
    writeFileSync(file, stringify({ polcy: { mode: 'enforce' } }));
    const error = await helmRun(['lint', CHART, '-f', file]).then(
      () => undefined,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout}${e.stderr}`,
    );
    expect(error, 'lint passed').to.be.a('string');
    expect(error).to.match(/polcy/);
  });

  it('renders the CRDs, RBAC, Deployment and PDB, no metrics Service and no policy, and applies them with --dry-run=server', async function () {
    this.timeout(60_000);
    const objects = await render();
    // /metrics on loopback only, so no port and no Service: nothing outside the pod reaches it.
    const [controller, ...sidecars] = podSpec(objects).containers;
    expect(sidecars).to.deep.equal([]);
    expect(controller!.args).to.include('--metrics-bind-address=127.0.0.1:8080');
    expect(controller!.ports!.map((p) => p.name)).to.deep.equal(['health']);
    expect(objects.map((o) => o.kind).sort()).to.deep.equal([
      'ClusterRole',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'CustomResourceDefinition',
      'CustomResourceDefinition',
      'CustomResourceDefinition',
      'Deployment',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'ServiceAccount',
    ]);
    const applied = await dryRunServer(objects);
    expect(applied).to.have.length(objects.length);
    expect(
      applied.every((l) => /\((server dry run)\)$/.test(l)),
      applied.join('\n'),
    ).to.equal(true);
  });

  it('sharding.enabled: three replicas run --sharding, the ClusterRole adds patch on our kind only, and it applies', async function () {
    this.timeout(60_000);
    const objects = await render({ replicaCount: 3, sharding: { enabled: true } });
    const deployment = find(objects, 'Deployment');
    expect((deployment.spec as { replicas: number }).replicas).to.equal(3);
    const args = podSpec(objects).containers[0]!.args!;
    expect(args).to.include('--sharding');
    expect(args).to.not.include('--leader-elect');
    const rules = (find(objects, 'ClusterRole') as { rules?: { resources: string[]; verbs: string[] }[] })
      .rules!;
    const patchable = rules.filter((r) => r.verbs.includes('patch')).flatMap((r) => r.resources);
    expect(patchable.sort()).to.deep.equal([
      'ecsscheduledtasks',
      'ecsscheduledtasks/status',
      'ecstaskbackfills/status',
      'events',
      'events',
    ]);
    const leaseVerbs = (find(objects, 'Role') as { rules?: { verbs: string[] }[] }).rules![0]!.verbs;
    expect(leaseVerbs, 'the leader deletes abandoned shard Leases').to.include('delete');
    // The patch is narrowed to the two shard labels, for this release's own service account.
    const narrowing = JSON.stringify(find(objects, 'ValidatingAdmissionPolicy'));
    expect(narrowing).to.include(`system:serviceaccount:${ns.name}:scheduler-ecs-scheduler`);
    expect(find(objects, 'ValidatingAdmissionPolicyBinding').kind).to.equal(
      'ValidatingAdmissionPolicyBinding',
    );
    const without = await render({ replicaCount: 3, sharding: { enabled: true, admissionPolicy: false } });
    expect(without.map((o) => o.kind)).to.not.include('ValidatingAdmissionPolicy');
    await dryRunServer(objects);
    // Without it, the controller may not touch its kind's labels.
    const plain = (
      find(await render(), 'ClusterRole') as { rules?: { resources: string[]; verbs: string[] }[] }
    ).rules!;
    expect(plain.find((r) => r.resources.includes('ecsscheduledtasks'))!.verbs).to.not.include('patch');
    const plainLeases = (find(await render(), 'Role') as { rules?: { verbs: string[] }[] }).rules![0]!.verbs;
    expect(plainLeases).to.not.include('delete');
  });

  it('with every toggle on, renders the PodMonitor, PrometheusRule and dashboard ConfigMap, and the rest applies', async function () {
    this.timeout(60_000);
    const objects = await render(everything);
    const podMonitor = find(objects, 'PodMonitor');
    const rule = find(objects, 'PrometheusRule');
    const dashboard = find(objects, 'ConfigMap');
    const deployment = find(objects, 'Deployment');
    // The PodMonitor selects the pods, and the absent alert watches the job Prometheus gives it.
    const selector = (podMonitor.spec as { selector: { matchLabels: Record<string, string> } }).selector
      .matchLabels;
    const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } })
      .template.metadata.labels;
    for (const [k, v] of Object.entries(selector)) expect(podLabels[k], k).to.equal(v);
    const rules = (
      rule.spec as {
        groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[];
      }
    ).groups[0]!.rules;
    const absent = rules.find((r) => r.alert === 'EcsSchedulerAbsent')!;
    expect(absent.expr).to.equal(`absent(up{job="${ns.name}/${podMonitor.metadata.name}"} == 1)`);
    const notLeading = rules.find((r) => r.alert === 'EcsSchedulerNotLeading')!;
    expect(notLeading.expr).to.contain('name="ecs-scheduler-leader"');
    expect(JSON.stringify(rule.spec), 'no placeholder left').to.not.match(/__[A-Z_]+__/);
    // Prometheus' own templating survives Helm's.
    expect(rules[0]!.annotations.summary).to.contain('{{ $labels.namespace }}');
    expect(dashboard.metadata.labels?.grafana_dashboard).to.equal('1');
    const json = JSON.parse(dashboard.data!['ecs-scheduler.json']!) as {
      templating: { list: { name: string }[] };
    };
    expect(json.templating.list.map((v) => v.name)).to.include.members(['namespace', 'resource']);
    await dryRunServer(applicable(objects));
  });

  it('metrics.rbacProxy: a kube-rbac-proxy sidecar on https, its TokenReview/SubjectAccessReview RBAC, and the Service, PodMonitor and NetworkPolicy on its port', async function () {
    this.timeout(60_000);
    const objects = await render(everything);
    const [controller, proxy] = podSpec(objects).containers;
    expect(controller!.args).to.include('--metrics-bind-address=127.0.0.1:8080');
    expect(controller!.ports!.map((p) => p.name)).to.deep.equal(['health']);
    expect(proxy!.name).to.equal('kube-rbac-proxy');
    expect(proxy!.image).to.equal('quay.io/brancz/kube-rbac-proxy:v0.19.1');
    expect(proxy!.args).to.include.members([
      '--secure-listen-address=0.0.0.0:8443',
      '--upstream=http://127.0.0.1:8080/',
    ]);
    expect(proxy!.ports).to.deep.equal([{ name: 'https', containerPort: 8443 }]);

    const named = (kind: string, suffix: string) => {
      const hit = objects.find((o) => o.kind === kind && o.metadata.name.endsWith(suffix));
      if (!hit) throw new Error(`the render has no ${kind} *${suffix}`);
      return hit;
    };
    const rules = (o: K8sObject) => (o as unknown as { rules: PolicyRule[] }).rules;
    expect(rules(named('ClusterRole', '-metrics-auth'))).to.deep.equal([
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    const authBinding = named('ClusterRoleBinding', '-metrics-auth') as unknown as {
      subjects: { name: string }[];
    };
    expect(authBinding.subjects[0]!.name).to.equal(podSpec(objects).serviceAccountName);
    expect(rules(named('ClusterRole', '-metrics-reader'))).to.deep.equal([
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);

    const service = find(objects, 'Service').spec as { ports: { name: string; targetPort: string }[] };
    expect(service.ports).to.deep.equal([{ name: 'https', port: 8443, targetPort: 'https' }]);
    const endpoint = (
      find(objects, 'PodMonitor').spec as {
        podMetricsEndpoints: {
          port: string;
          scheme: string;
          authorization: { credentials: { name: string; key: string } };
        }[];
      }
    ).podMetricsEndpoints[0]!;
    expect(endpoint.port).to.equal('https');
    expect(endpoint.scheme).to.equal('https');
    // The PodMonitor's token: a Secret of a ServiceAccount bound to the metrics-reader role.
    const secret = find(objects, 'Secret') as K8sObject & { type: string };
    expect(secret.type).to.equal('kubernetes.io/service-account-token');
    expect(endpoint.authorization.credentials).to.deep.equal({ name: secret.metadata.name, key: 'token' });
    const scraper = named('ClusterRoleBinding', '-metrics-scraper') as unknown as {
      roleRef: { name: string };
      subjects: { name: string }[];
    };
    expect(scraper.roleRef.name).to.equal(named('ClusterRole', '-metrics-reader').metadata.name);
    expect(scraper.subjects[0]!.name).to.equal(
      secret.metadata.annotations?.['kubernetes.io/service-account.name'],
    );

    const policy = find(objects, 'NetworkPolicy').spec as {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress: { from: unknown[]; ports: { port: number }[] }[];
    };
    expect(policy.policyTypes).to.deep.equal(['Ingress']);
    expect(policy.podSelector.matchLabels).to.deep.equal({
      'app.kubernetes.io/name': 'ecs-scheduler',
      'app.kubernetes.io/instance': 'scheduler',
    });
    expect(policy.ingress).to.deep.equal([
      {
        from: [
          {
            namespaceSelector: {},
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8443 }],
      },
    ]);
    await dryRunServer(applicable(objects));
  });

  const refusals: { name: string; values: Record<string, unknown>; error: RegExp }[] = [
    {
      name: 'a PodMonitor with /metrics on loopback and no proxy (it could not scrape)',
      values: { prometheus: { podMonitor: { enabled: true } } },
      error: /prometheus\.podMonitor\.enabled needs a reachable \/metrics/,
    },
    {
      name: 'the proxy beside an open /metrics',
      values: { metrics: { bindAddress: '', rbacProxy: { enabled: true } } },
      error: /metrics\.rbacProxy\.enabled needs metrics\.bindAddress on loopback/,
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}`, async function () {
      this.timeout(60_000);
      const error = await render(c.values).then(
        () => undefined,
        (e: { stderr?: string }) => e.stderr ?? String(e),
      );
      expect(error).to.match(c.error);
    });
  }

  const valueCases: {
    name: string;
    values: Record<string, unknown>;
    check: (objects: K8sObject[]) => void;
  }[] = [
    {
      name: 'serviceAccount.irsaRoleArn annotates the ServiceAccount the pods use',
      values: { serviceAccount: { irsaRoleArn: 'arn:aws:iam::123456789012:role/ecs-scheduler' } },
      check: (objects) => {
        const sa = find(objects, 'ServiceAccount');
        expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).to.equal(
          'arn:aws:iam::123456789012:role/ecs-scheduler',
        );
        expect(podSpec(objects).serviceAccountName).to.equal(sa.metadata.name);
      },
    },
    {
      name: 'aws.region and image.tag reach the container',
      values: {
        aws: { region: 'eu-west-1' },
        image: { repository: 'registry.example/ecs-scheduler', tag: '1.2.3' },
      },
      check: (objects) => {
        const [container] = podSpec(objects).containers;
        expect(container!.image).to.equal('registry.example/ecs-scheduler:1.2.3');
        expect(container!.env).to.deep.include({ name: 'AWS_REGION', value: 'eu-west-1' });
      },
    },
    {
      // Helm merges a user's policies map into the chart's: a default policy there would survive.
      name: "a user's policy is the only one created: no default survives Helm's merge of the values",
      values: {
        policy: {
          policies: {
            'team-a': {
              namespaceSelector: { matchLabels: { team: 'a' } },
              clusters: ['prod'],
              taskDefinitions: ['report'],
            },
          },
        },
      },
      check: (objects) => {
        const policies = objects.filter((o) => o.kind === 'EcsSchedulerPolicy');
        expect(policies.map((o) => (o.metadata as { name: string }).name)).to.deep.equal(['team-a']);
      },
    },
    {
      name: 'policy.mode off (unquoted, so YAML 1.1 false) and per-resource metrics off become flags; no policy is created',
      values: {
        policy: { mode: 'off' },
        metrics: { perResource: false },
      },
      check: (objects) => {
        const { args } = podSpec(objects).containers[0]!;
        expect(args).to.include('--policy=off').and.include('--per-resource-metrics=false');
        expect(objects.some((o) => o.kind === 'EcsSchedulerPolicy')).to.equal(false);
      },
    },
    {
      name: 'by default: two replicas, leader election, anti-affinity on nodes and a zone spread of its own pods',
      values: {},
      check: (objects) => {
        expect((find(objects, 'Deployment').spec as { replicas: number }).replicas).to.equal(2);
        const spec = podSpec(objects);
        expect(spec.containers[0]!.args).to.include('--leader-elect').and.include('--policy=enforce');
        expect(
          spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
        ).to.have.length(1);
        const [spread] = spec.topologySpreadConstraints!;
        expect(spread!.topologyKey).to.equal('topology.kubernetes.io/zone');
        expect(spread!.labelSelector.matchLabels).to.deep.equal({
          'app.kubernetes.io/name': 'ecs-scheduler',
          'app.kubernetes.io/instance': 'scheduler',
        });
      },
    },
    {
      name: "metrics.bindAddress '' (every interface) with the NetworkPolicy: the plain port, its Service and only it admitted",
      values: { metrics: { bindAddress: '', networkPolicy: { enabled: true } } },
      check: (objects) => {
        const [controller, ...sidecars] = podSpec(objects).containers;
        expect(sidecars).to.deep.equal([]);
        expect(controller!.args).to.include('--metrics-bind-address=:8080');
        expect(controller!.ports).to.deep.include({ name: 'metrics', containerPort: 8080 });
        const service = find(objects, 'Service').spec as { ports: unknown[] };
        expect(service.ports).to.deep.equal([{ name: 'metrics', port: 8080, targetPort: 'metrics' }]);
        const policy = find(objects, 'NetworkPolicy').spec as { ingress: { ports: unknown[] }[] };
        expect(policy.ingress[0]!.ports).to.deep.equal([{ protocol: 'TCP', port: 8080 }]);
      },
    },
  ];
  for (const c of valueCases) {
    it(`values: ${c.name} (and it applies)`, async function () {
      this.timeout(60_000);
      const objects = await render(c.values);
      c.check(objects);
      await dryRunServer(applicable(objects));
    });
  }

  it("the docs' `helm install` line (docs/operating/helm.md) renders with its --set values and applies", async function () {
    this.timeout(60_000);
    const page = readFileSync(join(REPO_ROOT, 'docs/operating/helm.md'), 'utf8');
    const line = /^helm install ecs-scheduler charts\/ecs-scheduler .*$/m.exec(page)?.[0];
    expect(line, 'docs/operating/helm.md has a helm install line').to.be.a('string');
    const sets = [...line!.matchAll(/--set (\S+)/g)].map((m) => m[1]!);
    expect(sets).to.include('aws.region=eu-west-1');
    const objects = parse(
      await helmRun([
        'template',
        'ecs-scheduler',
        CHART,
        '--namespace',
        ns.name,
        ...sets.flatMap((s) => ['--set', s]),
      ]),
    );
    expect(podSpec(objects).containers[0]!.env).to.deep.include({ name: 'AWS_REGION', value: 'eu-west-1' });
    expect(find(objects, 'ServiceAccount').metadata.annotations?.['eks.amazonaws.com/role-arn']).to.match(
      /^arn:aws:iam::/,
    );
    await dryRunServer(applicable(objects));
  });

  it('refuses two replicas without leader election', async function () {
    this.timeout(60_000);
    const error = await render({ replicaCount: 2, leaderElection: { enabled: false } }).then(
      () => undefined,
      (e: { stderr?: string }) => e.stderr ?? String(e),
    );
    expect(error).to.match(/replicaCount > 1 needs leaderElection\.enabled/);
  });

  it('kubectl kustomize of manifests/ with the dashboard component applies with --dry-run=server', async function () {
    this.timeout(60_000);
    const overlay = mkdtempSync(join(dir, 'overlay-'));
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        // Relative: kustomize refuses an absolute path as a root.
        resources: [relative(overlay, join(REPO_ROOT, 'manifests'))],
        components: [
          relative(overlay, join(REPO_ROOT, 'manifests', 'components', 'metrics-auth')),
          relative(overlay, join(REPO_ROOT, 'manifests', 'components', 'prometheus')),
          relative(overlay, join(REPO_ROOT, 'manifests', 'monitoring')),
        ],
      }),
    );
    const objects = parse(await kubectlOk(['kustomize', overlay]));
    const dashboard = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === 'ecs-scheduler-dashboard',
    );
    expect(dashboard?.metadata.labels?.grafana_dashboard).to.equal('1');
    expect(objects.some((o) => o.kind === 'PrometheusRule')).to.equal(true);
    const applied = await dryRunServer(applicable(objects));
    expect(applied.some((l) => l.startsWith('configmap/ecs-scheduler-dashboard'))).to.equal(true);
  });
});
