// One process per state file: the lock's decisions with injected identities, liveness and clock
// (a holder on another host is judged by its lease, renewed on the clock), and then the real
// thing, a second process on the same file while the first runs and after it died.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../../src/controller/clock.js';
import { createLogger } from '../../../src/log/logger.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';
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

  let clock: FakeClock;
  /** Waits the lock asked for, on the fake clock; `onWait` runs first (a holder renewing meanwhile). */
  let onWait: () => Promise<void>;
  let waited: number;
  beforeEach(() => {
    clock = new FakeClock();
    onWait = async () => undefined;
    waited = 0;
  });

  /** A lock for `self`, on a host where only `running` pids run, each started at tick 7 unless told. */
  const lockFor = (self: LockHolder, running: readonly number[] = [], ticks: Record<number, number> = {}) =>
    new StateLock({
      statePath,
      self,
      isRunning: (pid) => running.includes(pid),
      processStartTicks: (pid) => (running.includes(pid) ? (ticks[pid] ?? 7) : undefined),
      pause: () => new Promise((resolve) => setImmediate(resolve)),
      clock,
      monotonicNow: () => clock.now().getTime(),
      wait: async (ms) => {
        await onWait();
        waited += ms;
        clock.advance(ms);
      },
      leaseDurationMs: 10_000,
      renewPeriodMs: 2_000,
    });

  /** Who a lock file names, without its lease fields. */
  const identity = (text: string) => {
    const { leaseDurationMs: _l, renewals: _r, renewedAt: _a, ...who } = JSON.parse(text) as LockHolder;
    return who;
  };

  it('writes who holds it and its lease, and release removes it', async () => {
    const lock = lockFor(holder(100));
    expect(await lock.acquire()).to.deep.equal({});
    const written = JSON.parse(await readFile(lockPath, 'utf8')) as LockHolder;
    expect(identity(JSON.stringify(written))).to.deep.equal(holder(100));
    expect(written).to.include({ leaseDurationMs: 10_000, renewals: 0 });
    await lock.release();
    expect(await exists(lockPath)).to.equal(false);
  });

  const renewalsIn = async () => (JSON.parse(await readFile(lockPath, 'utf8')) as LockHolder).renewals;

  it('renews on the clock, and its fence closes when no renewal lands within the lease', async () => {
    const lock = lockFor(holder(100));
    await lock.acquire();
    expect(lock.holds(2_000)).to.equal(true);
    expect(clock.pendingDelays()).to.deep.equal([2_000]);
    clock.advance(2_000);
    await lock.settled();
    expect(await renewalsIn()).to.equal(1);
    expect(clock.pendingDelays(), 'the next renewal').to.deep.equal([2_000]);
    clock.advance(2_000);
    await lock.settled();
    expect(await renewalsIn()).to.equal(2);
    // Paused past the lease (no timer fired): the fence is closed before anyone may take over.
    clock.set(new Date(clock.now().getTime() + 8_500));
    expect(lock.holds(2_000)).to.equal(false);
    await lock.release();
  });

  it('a renewal that finds the lock taken over reports the loss and renews no more', async () => {
    const lost: (LockHolder | undefined)[] = [];
    const lock = new StateLock({
      statePath,
      self: holder(100),
      clock,
      monotonicNow: () => clock.now().getTime(),
      onLost: (h) => lost.push(h),
    });
    await lock.acquire();
    await writeFile(lockPath, JSON.stringify(holder(300, { host: 'node-b' })));
    await lock.renew();
    expect(lock.lost).to.equal(true);
    expect(lock.holds(0)).to.equal(false);
    expect(lost.map((h) => h?.pid)).to.deep.equal([300]);
    clock.advance(2_000);
    await flushPromises();
    expect(clock.pendingDelays(), 'no renewal scheduled after the loss').to.deep.equal([]);
    await lock.release();
    expect(identity(await readFile(lockPath, 'utf8'))).to.deep.equal(holder(300, { host: 'node-b' }));
  });

  const refusals: { name: string; existing: string; running: number[]; message: RegExp }[] = [
    {
      name: 'a live holder on this host',
      existing: JSON.stringify(holder(200)),
      running: [200],
      message:
        /in use by pid 200 on host node-a, running since 2026-11-27T10:00:20Z .*Stop that process first/,
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
      name: 'an earlier run of a restarted container, with our own pid',
      stale: holder(1, { startedAt: '2026-11-27T09:00:00Z' }),
      self: holder(1),
      running: [1],
    },
  ];
  for (const c of takeovers) {
    it(`takes over the lock of ${c.name}, at once`, async () => {
      await writeFile(lockPath, JSON.stringify(c.stale));
      const lock = lockFor(c.self, c.running);
      expect(await lock.acquire()).to.deep.equal({ takenOverFrom: c.stale });
      expect(identity(await readFile(lockPath, 'utf8'))).to.deep.equal(c.self);
      expect(await exists(`${lockPath}.takeover`)).to.equal(false);
      expect(waited).to.equal(0);
      await lock.release();
    });
  }

  const leased: { name: string; stale: LockHolder }[] = [
    {
      name: 'a holder on another host (a killed pod; the new pod has a new hostname)',
      stale: holder(200, { host: 'node-b', leaseDurationMs: 6_000, renewals: 4 }),
    },
    {
      name: 'a process from before a reboot, whatever runs under its pid now',
      stale: holder(200, { bootId: 'boot-0', leaseDurationMs: 6_000 }),
    },
  ];
  for (const c of leased) {
    it(`takes over the lock of ${c.name} once unrenewed for its lease`, async () => {
      await writeFile(lockPath, JSON.stringify(c.stale));
      const lock = lockFor(holder(100), [200]);
      expect(await lock.acquire()).to.deep.equal({ takenOverFrom: c.stale });
      expect(waited).to.equal(6_000);
      expect(identity(await readFile(lockPath, 'utf8'))).to.deep.equal(holder(100));
      await lock.release();
    });
  }

  it('takes over an empty lock (a kill between its create and its write) once unchanged for the default lease', async () => {
    await writeFile(lockPath, '');
    const lock = lockFor(holder(100));
    expect(await lock.acquire()).to.deep.equal({});
    expect(waited).to.equal(15_000);
    expect(identity(await readFile(lockPath, 'utf8'))).to.deep.equal(holder(100));
    await lock.release();
  });

  it('refuses a holder on another host that renews while it watches, and leaves its lock alone', async () => {
    const live = holder(200, { host: 'node-b', leaseDurationMs: 6_000, renewals: 4 });
    await writeFile(lockPath, JSON.stringify(live));
    const renewed = JSON.stringify({ ...live, renewals: 5 });
    onWait = () => writeFile(lockPath, renewed);
    const error = await lockFor(holder(100))
      .acquire()
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StateFileLockedError);
    expect((error as Error).message).to.match(
      /in use by pid 200 on host node-b.*renewed its lock while this process watched/,
    );
    expect(await readFile(lockPath, 'utf8')).to.equal(renewed);
  });

  it('clears a takeover file abandoned on another host once it went unchanged for its lease', async () => {
    await writeFile(lockPath, JSON.stringify(holder(999)));
    await writeFile(`${lockPath}.takeover`, JSON.stringify(holder(300, { host: 'node-b' })));
    const lock = lockFor(holder(100));
    expect(await lock.acquire()).to.deep.equal({ takenOverFrom: holder(999) });
    await lock.release();
  });

  it('refuses a lock file that is a symbolic link', async () => {
    await writeFile(join(dir, 'elsewhere'), JSON.stringify(holder(999)));
    const { symlink } = await import('node:fs/promises');
    await symlink(join(dir, 'elsewhere'), lockPath);
    const error = await lockFor(holder(100))
      .acquire()
      .catch((e: unknown) => e);
    expect((error as Error).message).to.match(/symbolic link/);
  });

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
    await Promise.all(locks.map((l) => l.release()));
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
    expect(identity(await readFile(lockPath, 'utf8'))).to.deep.equal(holder(300));
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
