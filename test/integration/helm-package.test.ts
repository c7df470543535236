// The chart as it is published: `helm package` (real helm, built by scripts/helm-binary) makes the
// archive that `helm push` sends to an OCI registry; the archive carries the generated README and
// the Artifact Hub annotations, renders what the chart folder renders (so .helmignore dropped
// nothing that matters), and installs against the real API server with `helm install
// --dry-run=server`, its render passing the server's own validation (`kubectl apply
// --dry-run=server`).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT, kubectl, kubectlOk, loadTestEnv } from './support/index.js';

const CHART = join(REPO_ROOT, 'charts', 'ecs-scheduler');
const run = promisify(execFile);

describe('Helm chart package: helm package, then install from the archive (real helm, real API server)', function () {
  let helm: string;
  let dir: string;
  let archive: string;
  const ns = `it-helm-pkg-${randomBytes(3).toString('hex')}`;
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { name: string; version: string };

  async function helmRun(args: string[]): Promise<string> {
    const { stdout } = await run(helm, args, {
      cwd: dir,
      env: { ...process.env, KUBECONFIG: loadTestEnv().kubeconfigPath },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`helm ${args.join(' ')}: ${e.stderr || e.message}`);
    });
    return stdout;
  }

  before(async function () {
    // A first build of helm takes minutes (once; cached in ~/.cache/ecs-scheduler/helm).
    this.timeout(20 * 60_000);
    const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', 'helm-binary')], { cwd: REPO_ROOT });
    helm = stdout.trim().split('\n').pop()!;
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-helm-package-'));
    const out = await helmRun(['package', CHART, '--destination', dir]);
    archive = join(dir, `${chart.name}-${chart.version}.tgz`);
    expect(out).to.include(archive);
    await kubectlOk(['create', 'namespace', ns]);
  });
  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);
  });

  it('the archive holds the chart, its CRDs, values schema and README, and nothing .helmignore leaves out', async function () {
    this.timeout(30_000);
    const { stdout } = await run('tar', ['-tzf', archive]);
    const files = stdout.trim().split('\n');
    expect(files).to.include.members([
      `${chart.name}/Chart.yaml`,
      `${chart.name}/values.yaml`,
      `${chart.name}/values.schema.json`,
      `${chart.name}/README.md`,
      `${chart.name}/crds/ecsscheduledtasks.yaml`,
      `${chart.name}/crds/ecsschedulerpolicies.yaml`,
      `${chart.name}/crds/ecsschedulecalendars.yaml`,
      `${chart.name}/templates/deployment.yaml`,
    ]);
    expect(files.filter((f) => /\/\.helmignore$|\.tgz$|\/\.git\//.test(f))).to.deep.equal([]);
  });

  it('helm show readme and helm show chart give the generated README and the Artifact Hub annotations', async function () {
    this.timeout(30_000);
    // helm prints the file and a newline of its own.
    expect((await helmRun(['show', 'readme', archive])).trimEnd()).to.equal(
      readFileSync(join(CHART, 'README.md'), 'utf8').trimEnd(),
    );
    const shown = parse(await helmRun(['show', 'chart', archive])) as { annotations: Record<string, string> };
    expect(Object.keys(shown.annotations)).to.include.members([
      'artifacthub.io/license',
      'artifacthub.io/links',
      'artifacthub.io/images',
      'artifacthub.io/changes',
      'artifacthub.io/crds',
      'artifacthub.io/crdsExamples',
    ]);
  });

  it('the archive renders exactly what the chart folder renders', async function () {
    this.timeout(60_000);
    const render = (chartRef: string) =>
      helmRun(['template', 'scheduler', chartRef, '--namespace', ns, '--include-crds']);
    expect(await render(archive)).to.equal(await render(CHART));
  });

  it('helm install --dry-run=server from the archive succeeds, and its manifest passes kubectl apply --dry-run=server', async function () {
    this.timeout(120_000);
    const out = await helmRun([
      'install',
      'scheduler',
      archive,
      '--namespace',
      ns,
      '--dry-run=server',
      '--set',
      'aws.region=eu-west-1',
    ]);
    expect(out).to.match(/^STATUS: pending-install$/m);
    // helm's dry run prints the manifest it would send (templates only: crds/ go first, unprinted).
    const manifest = out.slice(out.indexOf('---'));
    const objects = parseAllDocuments(manifest)
      .map((d) => d.toJS() as { kind: string } | null)
      .filter((o): o is { kind: string } => o !== null && typeof o === 'object' && 'kind' in o);
    expect(objects.map((o) => o.kind)).to.include.members(['Deployment', 'ServiceAccount']);
    // The chart grants nothing by default: no EcsSchedulerPolicy until values name one.
    expect(objects.map((o) => o.kind)).to.not.include('EcsSchedulerPolicy');

    const applied = await kubectl(['apply', '--dry-run=server', '-n', ns, '-f', '-'], { input: manifest });
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.match(/^deployment\.apps\/\S+ created \(server dry run\)$/m);
  });
});
