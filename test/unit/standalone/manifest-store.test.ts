import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Status } from '../../../src/api/types.js';
import { ConflictError } from '../../../src/controller/errors.js';
import { createLogger, silentLogger } from '../../../src/log/logger.js';
import { ManifestStore } from '../../../src/standalone/manifest-store.js';
import { StateLock } from '../../../src/standalone/state-lock.js';
import { readStateFile, StateFileCorruptError } from '../../../src/standalone/state-file.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';

const firstSeen = '2026-03-01T00:00:00Z';

function est(name: string, opts: { namespace?: string; schedule?: string; extra?: string } = {}): string {
  return [
    'apiVersion: ecs-scheduler.dev/v1alpha1',
    'kind: EcsScheduledTask',
    'metadata:',
    `  name: ${name}`,
    ...(opts.namespace ? [`  namespace: ${opts.namespace}`] : []),
    ...(opts.extra ? [opts.extra] : []),
    'spec:',
    `  schedule: '${opts.schedule ?? '*/10 * * * * *'}'`,
    '  task:',
    '    taskDefinition: sleeper-task',
  ].join('\n');
}

const configMap = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: not-ours', 'data: {a: b}'].join(
  '\n',
);

const someStatus: Status = {
  lastResult: 'DryRun',
  runs: [{ scheduledTime: '2026-03-01T00:00:10.000Z', result: 'DryRun', reason: 'DryRun' }],
};

describe('ManifestStore', () => {
  let dir: string;
  let manifests: string;
  let statePath: string;
  let clock: FakeClock;
  let lines: Record<string, unknown>[];
  const stores: ManifestStore[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-scheduler-manifests-'));
    manifests = join(dir, 'manifests');
    statePath = join(dir, 'state.json');
    await mkdir(manifests);
    clock = new FakeClock(firstSeen);
    lines = [];
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function newStore(pollIntervalMs = 0): ManifestStore {
    const logger = createLogger({
      level: 'debug',
      write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    const store = new ManifestStore({
      dir: manifests,
      stateFile: statePath,
      logger,
      clock,
      pollIntervalMs,
      watch: false,
    });
    stores.push(store);
    return store;
  }

  async function started(pollIntervalMs = 0): Promise<ManifestStore> {
    const store = newStore(pollIntervalMs);
    await store.start();
    return store;
  }

  const messages = (level: string) => lines.filter((l) => l.level === level).map((l) => String(l.msg));

  it('loads every EcsScheduledTask of multi-document files in nested folders, and nothing else', async () => {
    await writeFile(
      join(manifests, 'a.yaml'),
      [est('one'), configMap, est('two', { namespace: 'data' })].join('\n---\n'),
    );
    await mkdir(join(manifests, 'team', 'deep'), { recursive: true });
    await writeFile(join(manifests, 'team', 'deep', 'b.yml'), `---\n${est('three')}\n---\n`);
    await writeFile(join(manifests, 'notes.txt'), est('not-yaml-extension'));
    await mkdir(join(manifests, '.git'));
    await writeFile(join(manifests, '.git', 'c.yaml'), est('hidden'));

    const store = newStore();
    expect(store.hasSynced()).to.equal(false);
    const seen: string[] = [];
    store.onChange((key) => seen.push(key));
    await store.start();

    expect(store.hasSynced()).to.equal(true);
    expect(store.keys()).to.deep.equal(['data/two', 'default/one', 'default/three']);
    expect(seen.sort()).to.deep.equal(['data/two', 'default/one', 'default/three']);
    const one = store.get('default/one')!;
    expect(one.metadata).to.include({
      name: 'one',
      namespace: 'default',
      generation: 1,
      creationTimestamp: '2026-03-01T00:00:00.000Z',
    });
    expect(one.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
    expect(one.metadata.resourceVersion).to.match(/^\d+$/);
    expect(one.spec.schedule).to.equal('*/10 * * * * *');
    expect(one.status).to.equal(undefined);
    expect(store.get('default/not-ours')).to.equal(undefined);
  });

  it('skips what it must not read with one warning each, loads the rest, and keeps what a file held before', async () => {
    await writeFile(join(dir, 'outside.yaml'), est('outside'));
    await symlink(join(dir, 'outside.yaml'), join(manifests, 'outside.yaml'));
    await symlink('/', join(manifests, 'root'));
    execFileSync('mkfifo', [join(manifests, 'pipe.yaml')]);
    await writeFile(join(manifests, 'job.yaml'), est('job'));
    const store = await started();
    expect(store.keys()).to.deep.equal(['default/job']);
    const warnings = messages('warn');
    expect(warnings).to.include(`${join(manifests, 'pipe.yaml')}: skipped: a FIFO, not a regular file`);
    expect(warnings.filter((m) => m.includes('resolves outside the manifests folder'))).to.have.length(2);

    // The manifest that defined default/job turns into something unreadable: its resource stays.
    await unlink(join(manifests, 'job.yaml'));
    execFileSync('mkfifo', [join(manifests, 'job.yaml')]);
    await store.rescan();
    expect(store.keys()).to.deep.equal(['default/job']);
    // Each problem is logged once, not on every read.
    await store.rescan();
    expect(messages('warn').filter((m) => m.startsWith(`${join(manifests, 'pipe.yaml')}:`))).to.have.length(
      1,
    );
  });

  it('skips a name longer than a Kubernetes name, which would key the state file', async () => {
    await writeFile(join(manifests, 'long.yaml'), est('n'.repeat(254)));
    const store = await started();
    expect(store.keys()).to.deep.equal([]);
    expect(messages('warn')).to.include(
      `${join(manifests, 'long.yaml')}:1: EcsScheduledTask metadata.name is longer than 253 characters; skipped`,
    );
  });

  it('logs a YAML syntax error and a nameless document as file:document and loads the rest', async () => {
    const file = join(manifests, 'mixed.yaml');
    await writeFile(
      file,
      [
        est('good'),
        'kind: EcsScheduledTask\nmetadata: {namespace: x}\nspec: {}',
        'key: [unclosed',
        est('after'),
      ].join('\n---\n'),
    );
    const store = await started();
    expect(store.keys()).to.deep.equal(['default/after', 'default/good']);
    const warnings = messages('warn');
    expect(warnings).to.include(`${file}:2: EcsScheduledTask has no metadata.name; skipped`);
    expect(warnings.find((m) => m.startsWith(`${file}:3: invalid YAML: `))).to.match(/line \d+, column \d+/);
  });

  it('keeps invalid resources in the store, and logs their problems with file and document', async () => {
    const file = join(manifests, 'bad.yaml');
    await writeFile(file, est('bad', { schedule: 'not a schedule' }));
    const store = await started();
    expect(store.get('default/bad')?.spec.schedule).to.equal('not a schedule');
    expect(messages('warn').some((m) => m.startsWith(`${file}:1: spec.schedule: `))).to.equal(true);
  });

  it('skips a second definition of the same namespace/name, naming the first', async () => {
    await writeFile(join(manifests, 'a.yaml'), est('dup', { schedule: '@daily' }));
    await writeFile(join(manifests, 'b.yaml'), est('dup', { schedule: '@hourly' }));
    const store = await started();
    expect(store.get('default/dup')?.spec.schedule).to.equal('@daily');
    expect(messages('warn')).to.include(
      `${join(manifests, 'b.yaml')}:1: default/dup is already defined at ${join(manifests, 'a.yaml')}:1; skipped`,
    );
  });

  it('keeps uid and creationTimestamp across restarts, and the status written before', async () => {
    await writeFile(join(manifests, 'a.yaml'), est('job'));
    const first = await started();
    const before = first.get('default/job')!;
    await first.writeStatus(before, someStatus);
    await first.stop();

    clock.advance(3_600_000);
    const second = await started();
    const after = second.get('default/job')!;
    expect(after.metadata.uid).to.equal(before.metadata.uid);
    expect(after.metadata.creationTimestamp).to.equal(before.metadata.creationTimestamp);
    expect(after.metadata.generation).to.equal(1);
    expect(after.status).to.deep.equal(someStatus);
  });

  it('bumps generation when the spec changes, but not for an annotation; both notify', async () => {
    const file = join(manifests, 'a.yaml');
    await writeFile(file, est('job'));
    const store = await started();
    const seen: string[] = [];
    store.onChange((key) => seen.push(key));
    const v1 = store.get('default/job')!;

    await writeFile(file, est('job', { extra: '  annotations: {ecs-scheduler.dev/run-now: "1"}' }));
    await store.rescan();
    const v2 = store.get('default/job')!;
    expect(v2.metadata.generation).to.equal(1);
    expect(v2.metadata.annotations).to.deep.equal({ 'ecs-scheduler.dev/run-now': '1' });
    expect(Number(v2.metadata.resourceVersion)).to.be.greaterThan(Number(v1.metadata.resourceVersion));

    await writeFile(file, est('job', { schedule: '@hourly' }));
    await store.rescan();
    expect(store.get('default/job')!.metadata.generation).to.equal(2);
    expect(seen).to.deep.equal(['default/job', 'default/job']);

    await store.rescan();
    expect(seen, 'an unchanged folder notifies nobody').to.have.length(2);
  });

  it('bumps generation for a spec changed while the controller was down', async () => {
    const file = join(manifests, 'a.yaml');
    await writeFile(file, est('job'));
    await (await started()).stop();
    await writeFile(file, est('job', { schedule: '@weekly' }));
    const store = await started();
    expect(store.get('default/job')!.metadata.generation).to.equal(2);
  });

  it('writes status guarded by resourceVersion, persists it, and rejects a stale copy', async () => {
    await writeFile(join(manifests, 'a.yaml'), est('job'));
    const store = await started();
    const read = store.get('default/job')!;
    const written = await store.writeStatus(read, someStatus);

    expect(written.status).to.deep.equal(someStatus);
    expect(store.get('default/job')).to.deep.equal(written);
    expect(Number(written.metadata.resourceVersion)).to.be.greaterThan(Number(read.metadata.resourceVersion));
    expect((await readStateFile(statePath)).resources['default/job']?.status).to.deep.equal(someStatus);

    const stale = await store.writeStatus(read, { lastResult: 'Failed' }).catch((e: unknown) => e);
    expect(stale).to.be.instanceOf(ConflictError);
    expect(store.get('default/job')!.status).to.deep.equal(someStatus);
  });

  it("writes nothing more once its lock was taken over (paused past its lease): the new holder's state wins", async () => {
    await writeFile(join(manifests, 'a.yaml'), est('job'));
    const lock = new StateLock({ statePath, clock });
    const store = new ManifestStore({
      dir: manifests,
      stateFile: statePath,
      logger: silentLogger,
      clock,
      lock,
      watch: false,
      pollIntervalMs: 0,
    });
    stores.push(store);
    await store.start();
    const other = { pid: 1, host: 'another-pod', startedAt: '2026-11-27T10:00:00Z' };
    await writeFile(`${statePath}.lock`, JSON.stringify(other));
    await lock.renew(); // finds the lock taken
    expect(lock.lost).to.equal(true);
    const before = await readFile(statePath, 'utf8');
    const error = await store.writeStatus(store.get('default/job')!, someStatus).catch((e: unknown) => e);
    expect((error as Error).message).to.match(/could not write the state file/);
    expect(await readFile(statePath, 'utf8')).to.equal(before);
    expect(JSON.parse(await readFile(`${statePath}.lock`, 'utf8'))).to.deep.equal(other);
  });

  it('rejects a status write for a resource whose manifest was edited since it was read', async () => {
    const file = join(manifests, 'a.yaml');
    await writeFile(file, est('job'));
    const store = await started();
    const read = store.get('default/job')!;
    await writeFile(file, est('job', { schedule: '@hourly' }));
    await store.rescan();
    expect(await store.writeStatus(read, someStatus).catch((e: unknown) => e)).to.be.instanceOf(
      ConflictError,
    );
  });

  it('removes a resource whose file is deleted, keeps its state, and restores it when the file returns', async () => {
    const file = join(manifests, 'a.yaml');
    await writeFile(file, est('job'));
    const store = await started();
    const written = await store.writeStatus(store.get('default/job')!, someStatus);
    const seen: string[] = [];
    store.onChange((key) => seen.push(key));

    await unlink(file);
    await store.rescan();
    expect(store.get('default/job')).to.equal(undefined);
    expect(seen).to.deep.equal(['default/job']);
    expect(await store.writeStatus(written, someStatus).catch((e: unknown) => e)).to.be.instanceOf(
      ConflictError,
    );
    const kept = (await readStateFile(statePath)).resources['default/job'];
    expect(kept?.removedAt).to.equal('2026-03-01T00:00:00.000Z');

    await writeFile(file, est('job'));
    await store.rescan();
    const back = store.get('default/job')!;
    expect(back.metadata.uid).to.equal(written.metadata.uid);
    expect(back.status).to.deep.equal(someStatus);
    expect((await readStateFile(statePath)).resources['default/job']?.removedAt).to.equal(undefined);
    expect(seen).to.deep.equal(['default/job', 'default/job']);
  });

  it('drops the state of a manifest removed longer ago than the retention', async () => {
    const file = join(manifests, 'a.yaml');
    await writeFile(file, est('job'));
    const store = await started();
    await unlink(file);
    await store.rescan();
    clock.advance(31 * 24 * 3_600_000);
    await store.rescan();
    expect((await readStateFile(statePath)).resources).to.deep.equal({});
  });

  it('keeps the last good resources of a file with a YAML error until it parses again', async () => {
    const file = join(manifests, 'a.yaml');
    await writeFile(file, est('job'));
    const store = await started();
    await writeFile(file, `${est('job')}\n  bad: [`);
    await store.rescan();
    expect(store.get('default/job')?.spec.schedule).to.equal('*/10 * * * * *');
    await writeFile(file, est('job', { schedule: '@daily' }));
    await store.rescan();
    expect(store.get('default/job')?.spec.schedule).to.equal('@daily');
  });

  it('notices an edited file on the polling path', async () => {
    const file = join(manifests, 'a.yaml');
    await writeFile(file, est('job'));
    const store = await started(2000);
    // The poll, and the state file lock's renewal.
    expect(clock.pendingDelays()).to.deep.equal([2000, 2000]);
    const changed = new Promise<string>((resolve) => store.onChange(resolve));

    clock.advance(2000);
    await flushPromises();
    expect(store.get('default/job')?.spec.schedule, 'nothing changed yet').to.equal('*/10 * * * * *');

    await writeFile(file, est('job', { schedule: '@daily' }));
    await utimes(file, new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'));
    clock.advance(2000);
    expect(await changed).to.equal('default/job');
    expect(store.get('default/job')?.spec.schedule).to.equal('@daily');
    expect(store.get('default/job')?.metadata.generation).to.equal(2);
  });

  it('notices a new file on the watch path', async function () {
    // Real fs.watch and a real (short) debounce: the one test here that waits on the OS.
    this.timeout(5000);
    const logger = createLogger({ write: () => undefined });
    const store = new ManifestStore({
      dir: manifests,
      stateFile: statePath,
      logger,
      clock: {
        now: () => new Date(firstSeen),
        setTimer: (fn, ms) => {
          const h = setTimeout(fn, ms);
          return () => clearTimeout(h);
        },
      },
      pollIntervalMs: 0,
      debounceMs: 10,
    });
    stores.push(store);
    await store.start();
    const added = new Promise<string>((resolve) => store.onChange(resolve));
    await writeFile(join(manifests, 'new.yaml'), est('new'));
    expect(await added).to.equal('default/new');
  });

  it('fails to start on a missing folder or a corrupt state file, naming the path', async () => {
    await rm(manifests, { recursive: true });
    const missing = await newStore()
      .start()
      .catch((e: unknown) => e);
    expect((missing as Error).message).to.include(`cannot read the manifests folder ${manifests}`);

    await mkdir(manifests);
    await writeFile(statePath, '{"version": 1, "resources": {');
    const corrupt = await newStore()
      .start()
      .catch((e: unknown) => e);
    expect(corrupt).to.be.instanceOf(StateFileCorruptError);
    expect((corrupt as Error).message).to.include(statePath);
    expect(await readFile(statePath, 'utf8')).to.equal('{"version": 1, "resources": {');
  });
});
