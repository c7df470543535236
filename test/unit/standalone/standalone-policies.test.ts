// Standalone policies: EcsSchedulerPolicy and Namespace documents in the manifests folder feed the
// same PolicyIndex the cluster uses. A namespace without a Namespace document has the one label
// the API server sets on every namespace, kubernetes.io/metadata.name.
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyDecision } from '../../../src/controller/ports.js';
import { silentLogger } from '../../../src/log/logger.js';
import { PolicyIndex } from '../../../src/policy/policy-index.js';
import { ManifestStore } from '../../../src/standalone/manifest-store.js';
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

describe('standalone policies (manifests folder -> PolicyIndex)', () => {
  let base: string;
  let dir: string;
  let index: PolicyIndex;
  let store: ManifestStore;
  let changes: number;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'ecs-scheduler-policies-'));
    dir = join(base, 'manifests');
    await mkdir(dir);
    index = new PolicyIndex({ defaultCluster: 'default', region: 'us-east-1' });
    changes = 0;
    index.onChange(() => changes++);
  });
  afterEach(async () => {
    await store?.stop();
    await rm(base, { recursive: true, force: true });
  });

  async function start(): Promise<void> {
    store = new ManifestStore({
      dir,
      stateFile: join(base, 'state.json'),
      logger: silentLogger,
      clock: new FakeClock(),
      watch: false,
      pollIntervalMs: 0,
      policies: index,
    });
    await store.start();
    await Promise.resolve(); // the index coalesces a read's changes into one microtask
  }

  const verdict = (key: string): PolicyDecision => index.evaluate(store.get(key)!);

  it('judges by the policies in the folder, selecting namespaces by their name label', async () => {
    await writeFile(
      join(dir, 'policy.yaml'),
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
    await writeFile(join(dir, 'policy.yaml'), policy('trusted', 'tier: trusted', 'cluster-b'));
    await writeFile(join(dir, 'b.yaml'), task('team-b', 'cluster-b'));
    await start();
    expect(verdict('team-b/job').allowed).to.equal(false);

    await writeFile(join(dir, 'ns.yaml'), namespace('team-b', 'tier: trusted'));
    changes = 0;
    await store.rescan();
    await Promise.resolve();
    expect(changes, 'the controller hears that verdicts may have changed').to.equal(1);
    expect(verdict('team-b/job')).to.include({ allowed: true, policy: 'trusted' });

    await unlink(join(dir, 'ns.yaml'));
    await store.rescan();
    expect(verdict('team-b/job').allowed).to.equal(false);

    await writeFile(join(dir, 'ns.yaml'), namespace('team-b', 'tier: trusted'));
    await writeFile(join(dir, 'policy.yaml'), policy('trusted', 'tier: trusted', 'cluster-a'));
    await store.rescan();
    const denied = verdict('team-b/job');
    expect(denied.allowed === false && denied.field).to.equal('spec.task.cluster');
  });

  it('keeps the policies of a file with a YAML error until it parses again', async () => {
    await writeFile(
      join(dir, 'policy.yaml'),
      policy('team-a', 'kubernetes.io/metadata.name: team-a', 'cluster-a'),
    );
    await writeFile(join(dir, 'a.yaml'), task('team-a', 'cluster-a'));
    await start();
    await writeFile(join(dir, 'policy.yaml'), 'kind: [half-saved');
    await store.rescan();
    expect(verdict('team-a/job').allowed).to.equal(true);
    expect(index.policyNames()).to.deep.equal(['team-a']);
  });

  it('does not let a second policy of the same name replace the first', async () => {
    await writeFile(
      join(dir, 'a-policy.yaml'),
      policy('p', 'kubernetes.io/metadata.name: team-a', 'cluster-a'),
    );
    await writeFile(join(dir, 'b-policy.yaml'), policy('p', 'kubernetes.io/metadata.name: team-a', '"*"'));
    await writeFile(join(dir, 'job.yaml'), task('team-a', 'cluster-z'));
    await start();
    expect(verdict('team-a/job').allowed).to.equal(false);
  });
});
