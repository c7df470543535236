// Standalone policies: EcsSchedulerPolicy and Namespace documents in the policies folder
// (--policies, apart from the tenants' manifests) feed the same PolicyIndex the cluster uses. A
// namespace without a Namespace document has the one label the API server sets on every
// namespace, kubernetes.io/metadata.name. Policies in the manifests folder are reported and never
// honoured; a policy name defined twice is refused, naming both files.
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyDecision } from '../../../src/controller/ports.js';
import { createLogger } from '../../../src/log/logger.js';
import { PolicyIndex } from '../../../src/policy/policy-index.js';
import { ManifestStore } from '../../../src/standalone/manifest-store.js';
import { PolicyConflictError, PolicyFolder } from '../../../src/standalone/policy-folder.js';
import { FakeClock } from '../../support/fake-clock.js';

const task = (namespace: string, cluster: string) => `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: job, namespace: ${namespace}}
spec: {schedule: '@daily', task: {cluster: ${cluster}, taskDefinition: etl}}
`;

const policy = (name: string, selector: string, cluster: string) => `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsSchedulerPolicy
metadata: {name: ${name}}
spec:
  namespaceSelector: {matchLabels: {${selector}}}
  clusters: [${cluster}]
  taskDefinitions: [etl]
`;

const namespace = (name: string, labels: string) => `apiVersion: v1
kind: Namespace
metadata: {name: ${name}, labels: {${labels}}}
`;

describe('standalone policies (policies folder -> PolicyIndex)', () => {
  let base: string;
  let dir: string;
  let policies: string;
  let index: PolicyIndex;
  let store: ManifestStore;
  let folder: PolicyFolder;
  let changes: number;
  let logged: { level: string; msg: string }[];

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'ecs-scheduler-policies-'));
    dir = join(base, 'manifests');
    policies = join(base, 'policies');
    await mkdir(dir);
    await mkdir(policies);
    logged = [];
    index = new PolicyIndex({ defaultCluster: 'default', region: 'us-east-1' });
    changes = 0;
    index.onChange(() => changes++);
  });
  afterEach(async () => {
    await store?.stop();
    await folder?.stop();
    await rm(base, { recursive: true, force: true });
  });

  async function start(): Promise<void> {
    const logger = createLogger({
      level: 'warn',
      write: (l) => logged.push(JSON.parse(l) as { level: string; msg: string }),
    });
    folder = new PolicyFolder({
      dir: policies,
      sink: index,
      logger,
      clock: new FakeClock(),
      watch: false,
      pollIntervalMs: 0,
    });
    await folder.start();
    store = new ManifestStore({
      dir,
      stateFile: join(base, 'state.json'),
      logger,
      clock: new FakeClock(),
      watch: false,
      pollIntervalMs: 0,
    });
    await store.start();
    await Promise.resolve(); // the index coalesces a read's changes into one microtask
  }

  const verdict = (key: string): PolicyDecision => index.evaluate(store.get(key)!);

  it('judges by the policies in the folder, selecting namespaces by their name label', async () => {
    await writeFile(
      join(policies, 'policy.yaml'),
      policy('team-a', 'kubernetes.io/metadata.name: team-a', 'cluster-a'),
    );
    await writeFile(join(dir, 'a.yaml'), `${task('team-a', 'cluster-a')}---\n${task('team-c', 'cluster-a')}`);
    await writeFile(join(dir, 'b.yaml'), task('team-b', 'cluster-b'));
    await start();
    expect(verdict('team-a/job')).to.include({ allowed: true, policy: 'team-a' });
    const other = verdict('team-b/job');
    expect(other.allowed).to.equal(false);
    expect(other.allowed === false && other.policies).to.deep.equal([]);
    expect(verdict('team-c/job').allowed).to.equal(false);
  });

  it('reads Namespace documents for labels, and follows edits and removals of both kinds', async () => {
    await writeFile(join(policies, 'policy.yaml'), policy('trusted', 'tier: trusted', 'cluster-b'));
    await writeFile(join(dir, 'b.yaml'), task('team-b', 'cluster-b'));
    await start();
    expect(verdict('team-b/job').allowed).to.equal(false);

    await writeFile(join(policies, 'ns.yaml'), namespace('team-b', 'tier: trusted'));
    changes = 0;
    await folder.rescan();
    await Promise.resolve();
    expect(changes, 'the controller hears that verdicts may have changed').to.equal(1);
    expect(verdict('team-b/job')).to.include({ allowed: true, policy: 'trusted' });

    await unlink(join(policies, 'ns.yaml'));
    await folder.rescan();
    expect(verdict('team-b/job').allowed).to.equal(false);

    await writeFile(join(policies, 'ns.yaml'), namespace('team-b', 'tier: trusted'));
    await writeFile(join(policies, 'policy.yaml'), policy('trusted', 'tier: trusted', 'cluster-a'));
    await folder.rescan();
    const denied = verdict('team-b/job');
    expect(denied.allowed === false && denied.field).to.equal('spec.task.cluster');
  });

  it('keeps the policies of a file with a YAML error until it parses again', async () => {
    await writeFile(
      join(policies, 'policy.yaml'),
      policy('team-a', 'kubernetes.io/metadata.name: team-a', 'cluster-a'),
    );
    await writeFile(join(dir, 'a.yaml'), task('team-a', 'cluster-a'));
    await start();
    await writeFile(join(policies, 'policy.yaml'), 'kind: [half-saved');
    await folder.rescan();
    expect(verdict('team-a/job').allowed).to.equal(true);
    expect(index.policyNames()).to.deep.equal(['team-a']);
  });

  it('does not honour a policy (or a Namespace) in the manifests folder, and says to use --policies', async () => {
    // Sorted before the admin's file: it used to shadow it and grant everything.
    await writeFile(
      join(dir, '0-grant-all.yaml'),
      `${policy('p', 'tier: any', '"*"')}---\n${namespace('team-a', 'tier: any')}`,
    );
    await writeFile(
      join(policies, 'p.yaml'),
      policy('p', 'kubernetes.io/metadata.name: team-a', 'cluster-a'),
    );
    await writeFile(join(dir, 'job.yaml'), task('team-a', 'cluster-z'));
    await start();
    expect(verdict('team-a/job').allowed).to.equal(false);
    const warnings = logged.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(
      warnings.some(
        (m) =>
          m.includes('0-grant-all.yaml:1: EcsSchedulerPolicy p is NOT honoured') &&
          m.includes('--policies DIR'),
      ),
    ).to.equal(true);
    expect(warnings.some((m) => m.includes('0-grant-all.yaml:2: Namespace team-a is NOT honoured'))).to.equal(
      true,
    );
  });

  it('refuses a policy name defined twice at start-up, naming both files', async () => {
    await writeFile(
      join(policies, 'a-policy.yaml'),
      policy('p', 'kubernetes.io/metadata.name: team-a', 'cluster-a'),
    );
    await writeFile(
      join(policies, 'b-policy.yaml'),
      policy('p', 'kubernetes.io/metadata.name: team-a', '"*"'),
    );
    const error = await start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(PolicyConflictError);
    expect((error as Error).message).to.contain(
      `EcsSchedulerPolicy p is defined twice, in ${join(policies, 'a-policy.yaml')}:1 and in ${join(policies, 'b-policy.yaml')}:1`,
    );
    expect(index.policyNames()).to.deep.equal([]);
  });

  it('keeps the policies read before when a later read has a duplicate name, and says so', async () => {
    await writeFile(
      join(policies, 'a-policy.yaml'),
      policy('p', 'kubernetes.io/metadata.name: team-a', 'cluster-a'),
    );
    await writeFile(join(dir, 'job.yaml'), task('team-a', 'cluster-z'));
    await start();
    await writeFile(
      join(policies, 'b-policy.yaml'),
      policy('p', 'kubernetes.io/metadata.name: team-a', '"*"'),
    );
    const error = await folder.rescan().catch((e: unknown) => e);
    expect((error as Error).message).to.match(/a-policy\.yaml:1 and in .*b-policy\.yaml:1/);
    expect(verdict('team-a/job').allowed).to.equal(false);
    expect(index.policyNames()).to.deep.equal(['p']);
  });
});
