// One process per state file: the lock's decisions with injected identities and liveness, and
// then the real thing, a second process on the same file while the first runs and after it died.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../../src/controller/clock.js';
import { createLogger } from '../../../src/log/logger.js';
import { ManifestStore } from '../../../src/standalone/manifest-store.js';
import { StateFileLockedError, StateLock, type LockHolder } from '../../../src/standalone/state-lock.js';

const HOLDER = fileURLToPath(new URL('./fixtures/hold-state-file.ts', import.meta.url));

const holder = (pid: number, extra: Partial<LockHolder> = {}): LockHolder => ({
  pid,
  host: 'node-a',
  bootId: 'boot-1',
  startedAt: `2026-11-27T10:00:${String(pid % 60).padStart(2, '0')}Z`,
  ...extra,
});

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('StateLock', () => {
  let dir: string;
  let statePath: string;
  let lockPath: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-scheduler-lock-'));
    statePath = join(dir, 'state.json');
    lockPath = `${statePath}.lock`;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A lock for `self`, on a host where only `running` pids run, each started at tick 7 unless told. */
  const lockFor = (self: LockHolder, running: readonly number[] = [], ticks: Record<number, number> = {}) =>
    new StateLock({
      statePath,
      self,
      isRunning: (pid) => running.includes(pid),
      processStartTicks: (pid) => (running.includes(pid) ? (ticks[pid] ?? 7) : undefined),
      pause: () => new Promise((resolve) => setImmediate(resolve)),
    });

  it('writes who holds it, and release removes it', async () => {
    const lock = lockFor(holder(100));
    expect(await lock.acquire()).to.deep.equal({});
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).to.deep.equal(holder(100));
    await lock.release();
    expect(await exists(lockPath)).to.equal(false);
  });

  const refusals: { name: string; existing: string; running: number[]; message: RegExp }[] = [
    {
      name: 'a live holder on this host',
      existing: JSON.stringify(holder(200)),
      running: [200],
      message:
        /in use by pid 200 on host node-a, running since 2026-11-27T10:00:20Z .*Stop that process first/,
    },
    {
      name: 'a holder on another host, which cannot be checked',
      existing: JSON.stringify(holder(200, { host: 'node-b' })),
      running: [],
      message: /pid 200 on host node-b.*another host.*delete .*state\.json\.lock/,
    },
    {
      name: 'a lock file that names no holder',
      existing: 'garbage',
      running: [],
      message: /locked by .*state\.json\.lock, which names no holder/,
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}, and leaves its lock alone`, async () => {
      await writeFile(lockPath, c.existing);
      const error = await lockFor(holder(100), c.running)
        .acquire()
        .catch((e: unknown) => e);
      expect(error).to.be.instanceOf(StateFileLockedError);
      expect((error as Error).message).to.match(c.message);
      expect(await readFile(lockPath, 'utf8')).to.equal(c.existing);
    });
  }

  const takeovers: { name: string; stale: LockHolder; self: LockHolder; running: number[] }[] = [
    { name: 'a process that no longer runs', stale: holder(200), self: holder(100), running: [] },
    {
      name: 'a process from before a reboot, whatever runs under its pid now',
      stale: holder(200, { bootId: 'boot-0' }),
      self: holder(100),
      running: [200],
    },
    {
      name: 'an earlier run of a restarted container, with our own pid',
      stale: holder(1, { startedAt: '2026-11-27T09:00:00Z' }),
      self: holder(1),
      running: [1],
    },
  ];
  for (const c of takeovers) {
    it(`takes over the lock of ${c.name}`, async () => {
      await writeFile(lockPath, JSON.stringify(c.stale));
      const lock = lockFor(c.self, c.running);
      expect(await lock.acquire()).to.deep.equal({ takenOverFrom: c.stale });
      expect(JSON.parse(await readFile(lockPath, 'utf8'))).to.deep.equal(c.self);
      expect(await exists(`${lockPath}.takeover`)).to.equal(false);
    });
  }

  it('takes over from a reused pid: the process under it started at another tick', async () => {
    const stale = holder(200, { startTicks: 5 });
    await writeFile(lockPath, JSON.stringify(stale));
    expect(await lockFor(holder(100), [200], { 200: 9 }).acquire()).to.deep.equal({ takenOverFrom: stale });
  });

  it('refuses when the pid still runs the process that wrote the lock (same start tick)', async () => {
    await writeFile(lockPath, JSON.stringify(holder(200, { startTicks: 9 })));
    const error = await lockFor(holder(100), [200], { 200: 9 })
      .acquire()
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StateFileLockedError);
  });

  it('lets exactly one of many processes take over a stale lock at once', async () => {
    await writeFile(lockPath, JSON.stringify(holder(999)));
    const pids = Array.from({ length: 8 }, (_, i) => 100 + i);
    const locks = pids.map((pid) => lockFor(holder(pid), pids));
    const outcomes = await Promise.allSettled(locks.map((l) => l.acquire()));
    const winners = outcomes.filter((o) => o.status === 'fulfilled');
    expect(winners).to.have.length(1);
    const held = JSON.parse(await readFile(lockPath, 'utf8')) as LockHolder;
    expect(locks.filter((l) => l.held)).to.have.length(1);
    for (const o of outcomes) {
      if (o.status === 'rejected')
        expect((o.reason as Error).message).to.contain(`in use by pid ${held.pid} on host node-a`);
    }
  });

  it('release leaves a lock that is no longer its own', async () => {
    const lock = lockFor(holder(100));
    await lock.acquire();
    await writeFile(lockPath, JSON.stringify(holder(300)));
    await lock.release();
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).to.deep.equal(holder(300));
  });
});

describe('a second process on the same state file (real child process)', function () {
  this.timeout(60_000);
  let dir: string;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-scheduler-second-'));
    await mkdir(join(dir, 'manifests'));
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start and names the holder; takes over once the holder is killed', async () => {
    const statePath = join(dir, 'state.json');
    child = spawn(process.execPath, ['--import', 'tsx', HOLDER, join(dir, 'manifests'), statePath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const first = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      first.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready')) resolve();
      });
      first.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      first.on('exit', (code) => reject(new Error(`holder exited ${code}: ${output}`)));
    });
    expect(output.trim()).to.equal(`ready ${first.pid}`);

    const lines: { level: string; msg: string; previous?: LockHolder }[] = [];
    const logger = createLogger({
      level: 'debug',
      write: (l) => lines.push(JSON.parse(l) as (typeof lines)[number]),
    });
    const second = () =>
      new ManifestStore({
        dir: join(dir, 'manifests'),
        stateFile: statePath,
        logger,
        clock: systemClock,
        watch: false,
        pollIntervalMs: 0,
      });
    const refused = await second()
      .start()
      .catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(StateFileLockedError);
    expect((refused as Error).message).to.match(
      new RegExp(`^the state file is in use by pid ${first.pid} on host ${hostname()}, running since \\S+ `),
    );

    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await exited;
    const store = second();
    await store.start();
    const takeover = lines.find((l) => l.msg === 'took over the lock of a process that no longer runs');
    expect(takeover?.previous?.pid).to.equal(first.pid);
    await store.stop();
    expect(await exists(`${statePath}.lock`)).to.equal(false);
  });
});
