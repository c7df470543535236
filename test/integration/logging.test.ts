// What an operator reads, from the real binary: JSON lines on a pipe and text lines on a terminal
// (a real pseudo-terminal, through util-linux `script`), and in both the cause chain of a failed
// ECS call: ECONNREFUSED with the address and port, not a bare "fetch failed". The ECS endpoint
// is a loopback port nothing listens on, so every call is refused at once.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './support/index.js';

const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const BIN = join(REPO_ROOT, 'bin', 'ecs-scheduler.js');

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the command until `done` matches its output, or 30 s pass; returns the output. With `tty`,
 * under `script`, so the process's stdout and stderr are a terminal.
 */
function runUntil(argv: string[], tty: boolean, done: (output: string) => boolean): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
  };
  for (const key of Object.keys(env)) if (key.startsWith('ECS_SCHEDULER_')) delete env[key];
  // util-linux `script` (Linux) takes the command as one shell string; BSD `script` (macOS) as argv.
  const ptyCommand: [string, string[]] =
    process.platform === 'darwin'
      ? ['script', ['-q', '/dev/null', ...argv]]
      : ['script', ['-qec', `exec ${argv.map(shellQuote).join(' ')}`, '/dev/null']];
  const [command, args] = tty ? ptyCommand : [argv[0]!, argv.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args as string[], {
      cwd: REPO_ROOT,
      env,
      detached: true, // its own process group: stopped whole below
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const stop = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(stop, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (done(output)) stop();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT' && tty
          ? new Error(
              '`script` is needed for a pseudo-terminal: install util-linux (Debian/Ubuntu: bsdutils)',
            )
          : err,
      ),
    );
    child.on('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

describe('logs of the real binary (text on a terminal, JSON otherwise; error causes kept)', function () {
  this.timeout(60_000);
  let dir: string;
  let port: number;
  let argv: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-logs-'));
    writeFileSync(
      join(dir, 'job.yaml'),
      JSON.stringify({
        apiVersion: 'ecs-scheduler.dev/v1alpha1',
        kind: 'EcsScheduledTask',
        metadata: { name: 'every-second', namespace: 'default' },
        spec: { schedule: '* * * * * *', task: { cluster: 'default', taskDefinition: 'sleeper-task' } },
      }),
    );
    port = await closedPort();
    argv = [
      NODE,
      BIN,
      'run',
      '--manifests',
      dir,
      '--state',
      join(dir, 'state.json'),
      '--policy',
      'off',
      '--ecs-endpoint',
      `http://127.0.0.1:${port}`,
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
    ];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('on a pipe: JSON lines; the failed launch at WARN with the resource and ECONNREFUSED, address and port', async () => {
    const out = await runUntil(argv, false, (o) => /"level":"warn".*ECONNREFUSED/.test(o));
    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length, out).to.be.above(0);
    const failed = lines.find(
      (l) => l.level === 'warn' && JSON.stringify(l.error ?? '').includes('ECONNREFUSED'),
    );
    expect(failed, out).to.not.equal(undefined);
    expect(failed!.resource).to.equal('default/every-second');
    const chain: Record<string, unknown>[] = [];
    for (let e = failed!.error as Record<string, unknown> | undefined; e; e = e.cause as typeof e)
      chain.push(e);
    expect(
      chain.find((e) => e.code === 'ECONNREFUSED'),
      JSON.stringify(failed),
    ).to.deep.include({
      syscall: 'connect',
      address: '127.0.0.1',
      port,
    });
  });

  it('on a terminal: text lines, resource= after the message, the cause chain in one readable value', async () => {
    const out = await runUntil(argv, true, (o) => /WARN .*ECONNREFUSED/.test(o));
    const lines = out.split(/\r?\n/).filter((l) => l.trim() !== '');
    expect(
      lines.some((l) => l.trimStart().startsWith('{')),
      'a JSON line on a terminal',
    ).to.equal(false);
    expect(
      lines.find((l) => / INFO {2}running /.test(l)),
      out,
    ).to.be.a('string');
    const failed = lines.find((l) => / WARN {2}/.test(l) && l.includes('ECONNREFUSED'));
    expect(failed, out).to.be.a('string');
    expect(failed).to.match(/^\d{4}-\d\d-\d\dT[\d:.]+Z WARN {2}.+ resource=default\/every-second /);
    expect(failed).to.contain(
      `caused by Error [ECONNREFUSED]: connect ECONNREFUSED 127.0.0.1:${port} (syscall=connect address=127.0.0.1 port=${port})`,
    );
  });

  it('on a terminal with --log-format json: JSON all the same', async () => {
    const out = await runUntil([...argv, '--log-format', 'json'], true, (o) => o.includes('"msg":"running"'));
    // `script` says "Session terminated, killing shell..." when it is stopped: its line, not ours.
    const lines = out.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('Session terminated'));
    expect(lines.length).to.be.above(0);
    for (const l of lines) expect(() => JSON.parse(l) as unknown, l).to.not.throw();
  });
});
