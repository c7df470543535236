// Crash-only behaviour of the real binary (`node bin/ecs-scheduler.js run`, built into dist/), as
// a supervisor sees it: a start-up failure exits non-zero within seconds with the reason as the
// last log line; an uncaught exception exits non-zero; SIGTERM ends the process within
// --shutdown-timeout even with an ECS call hung in flight; a closed stderr pipe neither spins nor
// outlives SIGTERM; /healthz fails while a reconcile is stuck. No API server is needed: ECS is a
// local TCP "black hole" that accepts connections and never answers.
import { expect } from 'chai';
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_PIPE_CLOSED, EXIT_SOFTWARE } from '../../src/cli/process-guards.js';
import { spawnLogged, type LoggedProcess } from '../support/logged-process.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'ecs-scheduler.js');
// Node 24 itself, not a wrapper: signals must reach the scheduler, not a parent that spawned it.
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const QUIET_PORTS = ['--metrics-bind-address', '0', '--health-probe-bind-address', '127.0.0.1:0'];

const FAKE_AWS = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('ECS_SCHEDULER_') && key !== 'KUBECONFIG')
      env[key] = value;
  }
  return { ...env, ...extra };
}

function manifest(name: string, schedule: string): string {
  return JSON.stringify({
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule,
      concurrencyPolicy: 'Allow',
      task: { cluster: 'default', taskDefinition: 'sleeper-task', launchType: 'EC2' },
    },
  });
}

/** A TCP server that accepts and never answers: every ECS call to it hangs. */
async function blackHole(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return { server, port: address.port, sockets };
}

/** A kubeconfig naming an API server nobody listens on. */
const unreachableKubeconfig = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
  'users: [{name: u, user: {token: t}}]',
  'contexts: [{name: x, context: {cluster: c, user: u}}]',
  'current-context: x',
].join('\n');

function lastLine(run: LoggedProcess) {
  return run.lines[run.lines.length - 1];
}

/** Resolves with the exit and how long it took, or rejects (after a SIGKILL) past `withinMs`. */
async function exitWithin(run: LoggedProcess, withinMs: number) {
  const started = Date.now();
  const timer = setTimeout(() => run.child.kill('SIGKILL'), withinMs);
  const how = await run.exited;
  clearTimeout(timer);
  const tookMs = Date.now() - started;
  expect(how.signal, `still running after ${withinMs} ms:\n${run.output().slice(-3000)}`).to.equal(null);
  return { ...how, tookMs };
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('crash-only binary (bin/ecs-scheduler.js run)', function () {
  this.timeout(60_000);
  let dir: string;
  const children: ChildProcess[] = [];
  const servers: Server[] = [];

  before(function () {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'process-guards.js'))) {
      throw new Error('dist/ is missing or stale: run `npm run build` (npm test does)');
    }
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-crash-only-'));
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const server of servers.splice(0)) server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function run(args: string[], env: NodeJS.ProcessEnv = cleanEnv(), nodeArgs: string[] = []) {
    const child = spawnLogged(
      NODE,
      [...nodeArgs, BIN, 'run', '--log-format', 'json', ...QUIET_PORTS, ...args],
      {
        cwd: ROOT,
        env,
      },
    );
    children.push(child.child);
    return child;
  }

  /** Standalone mode with one every-second resource whose RunTask hangs in a black hole. */
  async function runWithHungEcs(extra: string[]) {
    const hole = await blackHole();
    servers.push(hole.server);
    const manifests = join(dir, 'jobs');
    mkdirSync(manifests);
    writeFileSync(join(manifests, 'job.yaml'), manifest('job', '* * * * * *'));
    const proc = run(
      [
        '--manifests',
        manifests,
        '--state',
        join(dir, 'state.json'),
        '--ecs-endpoint',
        `http://127.0.0.1:${hole.port}`,
        // A single-tenant folder: no policy, and the RunTask must reach the black hole.
        '--policy',
        'off',
        ...extra,
      ],
      cleanEnv(FAKE_AWS),
    );
    const running = await proc.waitFor((l) => l.msg === 'running', 20_000, '"running"');
    const deadline = Date.now() + 10_000;
    while (hole.sockets.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(hole.sockets.size, 'a RunTask reached the black hole').to.be.above(0);
    return { proc, healthPort: running.healthPort as number };
  }

  describe('a start-up failure exits non-zero within seconds, with the reason as the last log line', () => {
    const cases: { name: string; args: (dir: string) => string[]; reason: RegExp }[] = [
      {
        name: 'a missing manifests folder',
        args: (d) => ['--manifests', join(d, 'missing'), '--state', join(d, 'state.json'), '--dry-run'],
        reason: /missing/,
      },
      {
        name: 'a corrupt state file',
        args: (d) => {
          mkdirSync(join(d, 'jobs'));
          writeFileSync(join(d, 'jobs', 'job.yaml'), manifest('job', '@daily'));
          writeFileSync(join(d, 'state.json'), '{"version": 1, "resources": {tru');
          return ['--manifests', join(d, 'jobs'), '--state', join(d, 'state.json'), '--dry-run'];
        },
        reason: /state\.json/,
      },
      {
        name: 'a kubeconfig file that does not exist',
        args: (d) => ['--kubeconfig', join(d, 'nope.yaml'), '--dry-run'],
        reason: /nope\.yaml|kubeconfig/i,
      },
      {
        name: 'a kubeconfig naming an API server nobody listens on',
        args: (d) => {
          const kubeconfig = join(d, 'kubeconfig.yaml');
          writeFileSync(kubeconfig, unreachableKubeconfig);
          return ['--kubeconfig', kubeconfig, '--dry-run', '--cache-sync-timeout', '2s'];
        },
        reason: /not loaded within 2 s \(--cache-sync-timeout\)/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const proc = run(c.args(dir));
        const { code, tookMs } = await exitWithin(proc, 15_000);
        expect(code, proc.output()).to.equal(1);
        expect(tookMs).to.be.below(15_000);
        const last = lastLine(proc);
        expect(last?.level, proc.output()).to.equal('error');
        expect(last?.msg).to.match(/^start-up failed: /);
        expect(last?.msg).to.match(c.reason);
        expect(proc.lines.some((l) => l.msg === 'running')).to.equal(false);
      });
    }
  });

  it('an uncaught exception exits non-zero with it as the last log line', async () => {
    const preload = join(dir, 'throw-soon.mjs');
    // The bug fires when the test says so, once the process runs: a timer raced a slow start-up.
    writeFileSync(
      preload,
      "process.on('SIGUSR2', () => setImmediate(() => { throw new Error('injected bug'); }));\n",
    );
    mkdirSync(join(dir, 'jobs'));
    writeFileSync(join(dir, 'jobs', 'job.yaml'), manifest('job', '@daily'));
    const proc = run(
      ['--manifests', join(dir, 'jobs'), '--state', join(dir, 'state.json'), '--dry-run'],
      cleanEnv(),
      ['--import', preload],
    );
    await proc.waitFor((l) => l.msg === 'running', 20_000, '"running"');
    proc.child.kill('SIGUSR2');
    const { code } = await exitWithin(proc, 15_000);
    expect(code, proc.output()).to.equal(EXIT_SOFTWARE);
    const last = lastLine(proc);
    expect(last?.msg).to.match(/^uncaught exception: exiting/);
    expect((last?.error as { message?: string } | undefined)?.message).to.equal('injected bug');
  });

  it('SIGTERM with a RunTask hung in flight ends the process within --shutdown-timeout', async () => {
    const { proc } = await runWithHungEcs(['--shutdown-timeout', '2s']);
    proc.child.kill('SIGTERM');
    const { code, tookMs } = await exitWithin(proc, 10_000);
    expect(code, proc.output()).to.equal(1);
    expect(tookMs, 'the grace period plus the flush bound').to.be.below(4_500);
    expect(lastLine(proc)?.msg).to.match(/shutdown did not finish within --shutdown-timeout/);
  });

  it('SIGTERM during start-up (a cache sync waiting on an unreachable API server) exits at once', async () => {
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, unreachableKubeconfig);
    const proc = run(['--kubeconfig', kubeconfig, '--dry-run', '--cache-sync-timeout', '60s']);
    await proc.waitFor((l) => l.msg === 'list failed; retrying', 20_000, 'a failed list');
    proc.child.kill('SIGTERM');
    const { code, tookMs } = await exitWithin(proc, 10_000);
    expect(code, proc.output()).to.equal(0);
    expect(tookMs).to.be.below(3_000);
    expect(lastLine(proc)?.msg).to.equal('signal received during start-up: exiting');
  });

  it('SIGTERM with nothing in flight exits 0 at once', async () => {
    mkdirSync(join(dir, 'jobs'));
    writeFileSync(join(dir, 'jobs', 'job.yaml'), manifest('job', '@daily'));
    const proc = run(['--manifests', join(dir, 'jobs'), '--state', join(dir, 'state.json'), '--dry-run']);
    await proc.waitFor((l) => l.msg === 'running', 20_000, '"running"');
    proc.child.kill('SIGTERM');
    const { code, tookMs } = await exitWithin(proc, 10_000);
    expect(code, proc.output()).to.equal(0);
    expect(tookMs).to.be.below(3_000);
    expect(lastLine(proc)?.msg).to.equal('stopped');
  });

  it('/healthz fails while a reconcile is stuck past --stuck-reconcile-timeout', async () => {
    const { healthPort } = await runWithHungEcs(['--stuck-reconcile-timeout', '1s']);
    const deadline = Date.now() + 10_000;
    let health = await get(healthPort, '/healthz');
    while (health.status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      health = await get(healthPort, '/healthz');
    }
    expect(health.status).to.equal(503);
    expect(health.body).to.match(/^unhealthy: a reconcile has been running for \d+ s \(limit 1 s\)/);
  });

  it('a closed stderr pipe neither spins nor outlives SIGTERM', async () => {
    mkdirSync(join(dir, 'jobs'));
    // Every second a dry-run launch writes a log line into the closed pipe.
    writeFileSync(join(dir, 'jobs', 'job.yaml'), manifest('job', '* * * * * *'));
    const proc = run(['--manifests', join(dir, 'jobs'), '--state', join(dir, 'state.json'), '--dry-run']);
    await proc.waitFor((l) => l.msg === 'running', 20_000, '"running"');
    proc.child.stderr!.destroy();
    const exited = await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 3_000))]);
    if (exited === undefined) {
      // Still alive: it must be idle, not spinning, and SIGTERM must end it.
      const cpu = () => {
        const fields = readFileSync(`/proc/${proc.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
      };
      const before = cpu();
      await new Promise((r) => setTimeout(r, 1_000));
      expect(cpu() - before, 'CPU ticks in one second').to.be.below(30);
      proc.child.kill('SIGTERM');
    }
    const { code } = await exitWithin(proc, 10_000);
    expect(code).to.equal(EXIT_PIPE_CLOSED);
  });
});
