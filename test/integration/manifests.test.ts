// The deploy manifests as a user applies them: `kubectl kustomize manifests/` renders, the result
// passes the real API server's validation (`--dry-run=server`), and `kubectl apply -k manifests/`
// succeeds. The render is also read for what the issue promises: two replicas with leader
// election, probes, limits, a restricted security context, and least-privilege RBAC.
import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, kubectl, kubectlOk } from './support/index.js';

const MANIFESTS = join(REPO_ROOT, 'manifests');
const SYSTEM_NAMESPACE = 'ecs-scheduler-system';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

interface Container {
  name: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
}

interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: { labels: Record<string, string> };
    spec: {
      serviceAccountName: string;
      securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
      containers: Container[];
    };
  };
}

function parseRender(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

async function kustomize(dir: string): Promise<string> {
  return kubectlOk(['kustomize', dir]);
}

function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const hit = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!hit) throw new Error(`the render has no ${kind}${name ? ` ${name}` : ''}`);
  return hit;
}

const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy manifests (kubectl kustomize manifests/, real API server)', function () {
  this.timeout(120_000);
  let render: string;
  let objects: K8sObject[];

  before(async () => {
    render = await kustomize(MANIFESTS);
    objects = parseRender(render);
  });

  it('renders the CRD, namespace, ServiceAccount, RBAC, Deployment and PDB; no metrics Service', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).to.include.members([
      'ClusterRole/ecs-scheduler',
      'ClusterRoleBinding/ecs-scheduler',
      'CustomResourceDefinition/ecsscheduledtasks.ecs-scheduler.dev',
      'CustomResourceDefinition/ecstaskbackfills.ecs-scheduler.dev',
      'Deployment/ecs-scheduler',
      'Namespace/ecs-scheduler-system',
      'PodDisruptionBudget/ecs-scheduler',
      'Role/ecs-scheduler-leader-election',
      'RoleBinding/ecs-scheduler-leader-election',
      'ServiceAccount/ecs-scheduler',
    ]);
    // /metrics is on loopback: a Service could reach nothing (components/metrics-auth adds one).
    expect(objects.some((o) => o.kind === 'Service')).to.equal(false);
    // No policy: nothing runs until a cluster admin says what may (a default grant is a deputy).
    expect(objects.filter((o) => o.kind === 'EcsSchedulerPolicy')).to.deep.equal([]);
    // Everything namespaced lands in the controller's namespace.
    for (const o of objects) {
      if (['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))
        continue;
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal(SYSTEM_NAMESPACE);
    }
  });

  it('carries the same CRD as crds/ (the one `ecs-scheduler crd` prints)', () => {
    expect(readFileSync(join(MANIFESTS, 'crd', 'ecsscheduledtasks.yaml'), 'utf8')).to.equal(
      readFileSync(join(REPO_ROOT, 'crds', 'ecsscheduledtasks.yaml'), 'utf8'),
    );
  });

  it('applies with --dry-run=server against the real API server', async () => {
    const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: render });
    expect(r.code, r.stderr).to.equal(0);
    const applied = r.stdout.trim().split('\n');
    expect(applied).to.have.length(objects.length);
    for (const line of applied) expect(line).to.match(/\(server dry run\)$/);
  });

  it('the Deployment: 2 replicas, --leader-elect, probes on the health port, requests and limits', () => {
    const spec = find(objects, 'Deployment', 'ecs-scheduler').spec as DeploymentSpec;
    expect(spec.replicas).to.equal(2);
    expect(selects(spec.selector.matchLabels, spec.template.metadata.labels)).to.equal(true);
    expect(spec.template.spec.serviceAccountName).to.equal('ecs-scheduler');
    expect(spec.template.spec.containers).to.have.length(1);
    const c = spec.template.spec.containers[0]!;
    expect(c.args).to.include('run');
    expect(c.args).to.include('--leader-elect');
    const healthArg = c.args?.find((a) => a.startsWith('--health-probe-bind-address='));
    const healthPort = c.ports?.find((p) => p.name === 'health');
    expect(healthPort, 'a port named health').to.not.equal(undefined);
    expect(healthArg).to.equal(`--health-probe-bind-address=:${healthPort!.containerPort}`);
    // /metrics on loopback only: it names every tenant's resources and has no authentication.
    expect(c.args).to.include('--metrics-bind-address=127.0.0.1:8080');
    expect(c.ports?.map((p) => p.name)).to.deep.equal(['health']);
    expect(c.livenessProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'health' });
    for (const r of ['cpu', 'memory']) {
      expect(c.resources?.requests?.[r], `requests.${r}`).to.be.a('string');
      expect(c.resources?.limits?.[r], `limits.${r}`).to.be.a('string');
    }
  });

  it('the Deployment: runAsNonRoot, drop ALL, seccomp RuntimeDefault, read-only root filesystem', () => {
    const pod = (find(objects, 'Deployment', 'ecs-scheduler').spec as DeploymentSpec).template.spec;
    const c = pod.containers[0]!;
    const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    expect(nonRoot).to.equal(true);
    expect(pod.securityContext?.runAsUser ?? 65532).to.not.equal(0);
    expect((c.securityContext?.seccompProfile ?? pod.securityContext?.seccompProfile)?.type).to.equal(
      'RuntimeDefault',
    );
    expect(c.securityContext?.capabilities?.drop).to.deep.equal(['ALL']);
    expect(c.securityContext?.capabilities?.add ?? []).to.deep.equal([]);
    expect(c.securityContext?.readOnlyRootFilesystem).to.equal(true);
    expect(c.securityContext?.allowPrivilegeEscalation).to.equal(false);
  });

  it('the PodDisruptionBudget selects the Deployment pods', () => {
    const labels = (find(objects, 'Deployment', 'ecs-scheduler').spec as DeploymentSpec).template.metadata
      .labels;
    const pdb = find(objects, 'PodDisruptionBudget').spec as {
      minAvailable?: number;
      maxUnavailable?: number;
      selector: { matchLabels: Record<string, string> };
    };
    expect(selects(pdb.selector.matchLabels, labels)).to.equal(true);
    // With two replicas, the budget must let one go (a drain must not block) and keep one.
    expect(pdb.minAvailable === 1 || pdb.maxUnavailable === 1).to.equal(true);
  });

  it('the ClusterRole: our kind, its status, events and reading our CRD; no secrets, no wildcards', () => {
    const rules = (find(objects, 'ClusterRole', 'ecs-scheduler') as unknown as { rules: PolicyRule[] }).rules;
    const granted = rules.flatMap((r) =>
      (r.apiGroups ?? []).flatMap((g) =>
        (r.resources ?? []).map((res) => ({
          what: `${g || 'core'}/${res}`,
          verbs: [...r.verbs].sort(),
          names: r.resourceNames,
        })),
      ),
    );
    for (const r of rules) {
      expect(r.nonResourceURLs, 'non-resource URLs').to.equal(undefined);
      expect(r.verbs).to.not.include('*');
      expect(r.resources).to.not.include('*');
      expect(r.apiGroups).to.not.include('*');
      expect(r.resources).to.not.include('secrets');
      expect(r.verbs).to.not.include.members(['escalate', 'bind', 'impersonate']);
    }
    const allowed: Record<string, { verbs: string[]; names?: string[] }> = {
      'ecs-scheduler.dev/ecsscheduledtasks': { verbs: ['get', 'list', 'patch', 'update', 'watch'] },
      'ecs-scheduler.dev/ecsscheduledtasks/status': { verbs: ['get', 'patch', 'update'] },
      // Backfills: read, and their status written; never created or changed by the controller.
      'ecs-scheduler.dev/ecstaskbackfills': { verbs: ['get', 'list', 'watch'] },
      'ecs-scheduler.dev/ecstaskbackfills/status': { verbs: ['get', 'patch', 'update'] },
      'core/events': { verbs: ['create', 'patch'] },
      'events.k8s.io/events': { verbs: ['create', 'patch'] },
      'apiextensions.k8s.io/customresourcedefinitions': {
        verbs: ['get'],
        names: ['ecsscheduledtasks.ecs-scheduler.dev'],
      },
      // Tenancy: the admin's policies, and the namespace labels their selectors read.
      'ecs-scheduler.dev/ecsschedulerpolicies': { verbs: ['get', 'list', 'watch'] },
      'core/namespaces': { verbs: ['get', 'list', 'watch'] },
      // spec.excludeCalendars: the calendars the tasks name.
      'ecs-scheduler.dev/ecsschedulecalendars': { verbs: ['get', 'list', 'watch'] },
    };
    for (const g of granted) {
      const limit = allowed[g.what];
      expect(limit, `the ClusterRole grants ${g.what}, which the controller does not need`).to.not.equal(
        undefined,
      );
      expect(limit!.verbs, `${g.what}: ${g.verbs.join(',')}`).to.include.members(g.verbs);
      if (limit!.names) expect(g.names, `${g.what} is limited to our CRD`).to.deep.equal(limit!.names);
    }
    expect(granted.map((g) => g.what)).to.include.members([
      'ecs-scheduler.dev/ecsscheduledtasks',
      'ecs-scheduler.dev/ecsscheduledtasks/status',
      'ecs-scheduler.dev/ecstaskbackfills',
      'ecs-scheduler.dev/ecstaskbackfills/status',
      'core/events',
    ]);
  });

  it('Leases only in the controller namespace; both bindings name the ServiceAccount', () => {
    const role = find(objects, 'Role', 'ecs-scheduler-leader-election') as unknown as {
      metadata: { namespace: string };
      rules: PolicyRule[];
    };
    expect(role.metadata.namespace).to.equal(SYSTEM_NAMESPACE);
    for (const r of role.rules) {
      expect(r.apiGroups).to.deep.equal(['coordination.k8s.io']);
      expect(r.resources).to.deep.equal(['leases']);
      expect(r.verbs).to.not.include.members(['*', 'delete', 'deletecollection']);
    }
    const sa = { kind: 'ServiceAccount', name: 'ecs-scheduler', namespace: SYSTEM_NAMESPACE };
    for (const [kind, name, roleKind] of [
      ['ClusterRoleBinding', 'ecs-scheduler', 'ClusterRole'],
      ['RoleBinding', 'ecs-scheduler-leader-election', 'Role'],
    ] as const) {
      const b = find(objects, kind, name) as unknown as {
        roleRef: { kind: string; name: string };
        subjects: { kind: string; name: string; namespace?: string }[];
      };
      expect(b.subjects).to.deep.equal([sa]);
      expect(b.roleRef.kind).to.equal(roleKind);
    }
  });

  it('the ServiceAccount shows commented IRSA and EKS Pod Identity examples', () => {
    const text = readFileSync(join(MANIFESTS, 'rbac', 'service-account.yaml'), 'utf8');
    expect(text).to.match(/#\s*eks\.amazonaws\.com\/role-arn:/);
    expect(text).to.match(/pod-identity/i);
  });

  describe('the optional components', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-kustomize-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** An overlay of manifests/ with these components, rendered. */
    async function withComponents(name: string, components: string[]): Promise<K8sObject[]> {
      const overlay = join(dir, name);
      const base = relative(overlay, MANIFESTS);
      mkdirSync(overlay);
      writeFileSync(
        join(overlay, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources:',
          `  - ${base}`,
          'components:',
          ...components.map((c) => `  - ${base}/components/${c}`),
          '',
        ].join('\n'),
      );
      return parseRender(await kustomize(overlay));
    }

    it('metrics-auth: a kube-rbac-proxy sidecar in front of the loopback /metrics, its RBAC and an https Service; it applies', async () => {
      const objs = await withComponents('metrics-auth', ['metrics-auth']);
      const spec = find(objs, 'Deployment', 'ecs-scheduler').spec as DeploymentSpec & {
        template: { metadata: { annotations?: Record<string, string> } };
      };
      const containers = spec.template.spec.containers;
      expect(containers.map((c) => c.name).sort()).to.deep.equal(['controller', 'kube-rbac-proxy']);
      expect(spec.template.metadata.annotations?.['kubectl.kubernetes.io/default-container']).to.equal(
        'controller',
      );
      const controller = containers.find((c) => c.name === 'controller')!;
      const proxy = containers.find((c) => c.name === 'kube-rbac-proxy')!;
      expect(controller.args).to.include('--metrics-bind-address=127.0.0.1:8080');
      expect(proxy.args).to.include('--upstream=http://127.0.0.1:8080/');
      expect(proxy.ports).to.deep.equal([{ name: 'https', containerPort: 8443 }]);
      expect(proxy.securityContext?.capabilities?.drop).to.deep.equal(['ALL']);
      expect(proxy.securityContext?.readOnlyRootFilesystem).to.equal(true);
      const svc = find(objs, 'Service', 'ecs-scheduler-metrics') as K8sObject & {
        spec: { selector: Record<string, string>; ports: { targetPort: unknown }[] };
      };
      expect(selects(svc.spec.selector, spec.template.metadata.labels)).to.equal(true);
      expect(svc.spec.ports.map((p) => p.targetPort)).to.deep.equal(['https']);
      const rules = (name: string) => (find(objs, 'ClusterRole', name) as { rules?: PolicyRule[] }).rules;
      expect(rules('ecs-scheduler-metrics-auth')).to.deep.equal([
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ]);
      expect(rules('ecs-scheduler-metrics-reader')).to.deep.equal([
        { nonResourceURLs: ['/metrics'], verbs: ['get'] },
      ]);
      const binding = find(objs, 'ClusterRoleBinding', 'ecs-scheduler-metrics-auth') as {
        subjects?: { name: string; namespace: string }[];
      };
      expect(binding.subjects).to.deep.equal([
        { kind: 'ServiceAccount', name: 'ecs-scheduler', namespace: SYSTEM_NAMESPACE },
      ]);
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
        input: objs.map((o) => `---\n${JSON.stringify(o)}\n`).join(''),
      });
      expect(r.code, r.stderr).to.equal(0);
    });

    it('sharding: three replicas run --sharding instead of --leader-elect, patch on our kind is added; it applies', async () => {
      const objs = await withComponents('sharding', ['sharding']);
      const spec = find(objs, 'Deployment', 'ecs-scheduler').spec as DeploymentSpec & { replicas: number };
      expect(spec.replicas).to.equal(3);
      const args = spec.template.spec.containers[0]!.args!;
      expect(args).to.include('--sharding');
      expect(args).to.not.include('--leader-elect');
      const rules = (find(objs, 'ClusterRole', 'ecs-scheduler') as { rules?: PolicyRule[] }).rules!;
      expect(rules[0]).to.deep.equal({
        apiGroups: ['ecs-scheduler.dev'],
        resources: ['ecsscheduledtasks'],
        verbs: ['get', 'list', 'watch', 'patch'],
      });
      const leaseRules = (find(objs, 'Role', 'ecs-scheduler-leader-election') as { rules?: PolicyRule[] })
        .rules!;
      expect(leaseRules[0]!.verbs, 'the leader deletes abandoned shard Leases').to.include('delete');
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
        input: objs.map((o) => `---\n${JSON.stringify(o)}\n`).join(''),
      });
      expect(r.code, r.stderr).to.equal(0);
    });

    it('network-policy: ingress only from Prometheus pods, only to the proxy port; it applies', async () => {
      const objs = await withComponents('network-policy', ['metrics-auth', 'network-policy']);
      const policy = find(objs, 'NetworkPolicy', 'ecs-scheduler-metrics') as K8sObject & {
        spec: {
          podSelector: { matchLabels: Record<string, string> };
          policyTypes: string[];
          ingress: { from: unknown[]; ports: { port: number }[] }[];
        };
      };
      expect(policy.metadata.namespace).to.equal(SYSTEM_NAMESPACE);
      expect(policy.spec.podSelector.matchLabels).to.deep.equal({
        'app.kubernetes.io/name': 'ecs-scheduler',
      });
      expect(policy.spec.policyTypes).to.deep.equal(['Ingress']);
      expect(policy.spec.ingress).to.have.length(1);
      expect(policy.spec.ingress[0]!.ports).to.deep.equal([{ protocol: 'TCP', port: 8443 }]);
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
        input: objs.map((o) => `---\n${JSON.stringify(o)}\n`).join(''),
      });
      expect(r.code, r.stderr).to.equal(0);
    });

    // PodMonitor and PrometheusRule CRDs are not installed in the test API server: render only.
    function checkMonitors(objs: K8sObject[]) {
      const monitors = objs.filter((o) => o.apiVersion === 'monitoring.coreos.com/v1');
      expect(monitors.map((o) => o.kind).sort()).to.deep.equal(['PodMonitor', 'PrometheusRule']);
      for (const m of monitors) expect(m.metadata.namespace, m.kind).to.equal(SYSTEM_NAMESPACE);
      const podMonitor = find(objs, 'PodMonitor').spec as {
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: {
          port: string;
          scheme: string;
          authorization: { credentials: { name: string } };
        }[];
      };
      const labels = (find(objs, 'Deployment', 'ecs-scheduler').spec as DeploymentSpec).template.metadata
        .labels;
      expect(selects(podMonitor.selector.matchLabels, labels)).to.equal(true);
      // Through the proxy of components/metrics-auth, with its scraper's token.
      expect(podMonitor.podMetricsEndpoints.map((e) => [e.port, e.scheme])).to.deep.equal([
        ['https', 'https'],
      ]);
      const secret = podMonitor.podMetricsEndpoints[0]!.authorization.credentials.name;
      expect(find(objs, 'Secret', secret).type).to.equal('kubernetes.io/service-account-token');
    }

    it('prometheus: renders from an overlay that adds components/metrics-auth and components/prometheus', async () => {
      checkMonitors(await withComponents('prometheus', ['metrics-auth', 'prometheus']));
    });

    it('prometheus: renders as manifests/kustomization.yaml says, the components added in place', async () => {
      const copy = join(dir, 'manifests');
      cpSync(MANIFESTS, copy, { recursive: true });
      const file = join(copy, 'kustomization.yaml');
      const text = readFileSync(file, 'utf8');
      expect(text).to.contain('`components: [components/metrics-auth, components/prometheus]`');
      writeFileSync(file, `${text}components:\n  - components/metrics-auth\n  - components/prometheus\n`);
      checkMonitors(parseRender(await kustomize(copy)));
    });
  });

  it('kubectl apply -k manifests/ succeeds, and creates the ServiceAccount and its roles', async () => {
    const r = await kubectl(['apply', '-k', MANIFESTS]);
    expect(r.code, r.stderr).to.equal(0);
    await kubectlOk(['get', 'serviceaccount', 'ecs-scheduler', '-n', SYSTEM_NAMESPACE]);
    await kubectlOk(['get', 'clusterrole,clusterrolebinding', 'ecs-scheduler']);
    await kubectlOk(['get', 'role,rolebinding', 'ecs-scheduler-leader-election', '-n', SYSTEM_NAMESPACE]);
    const deployment = JSON.parse(
      await kubectlOk(['get', 'deployment', 'ecs-scheduler', '-n', SYSTEM_NAMESPACE, '-o', 'json']),
    ) as { spec: { replicas: number } };
    expect(deployment.spec.replicas).to.equal(2);
    // A second apply changes nothing on the server (kubectl may still print "configured" for the
    // PodDisruptionBudget, a client-side quirk; the resourceVersions tell the truth).
    const versions = async () =>
      (
        JSON.parse(await kubectlOk(['get', '-k', MANIFESTS, '-o', 'json'])) as {
          items: { kind: string; metadata: { name: string; resourceVersion: string } }[];
        }
      ).items.map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`);
    const before = await versions();
    expect(before).to.have.length(objects.length);
    const again = await kubectl(['apply', '-k', MANIFESTS]);
    expect(again.code, again.stderr).to.equal(0);
    expect(await versions()).to.deep.equal(before);
  });
});
