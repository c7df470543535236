// Runs the real controller (`node bin/ecs-scheduler.js run`, from dist/) as a child process
// against the test environment, so tests can SIGKILL it, restart it, and read its logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { loadTestEnv, REPO_ROOT } from './env.js';

export interface LogLine {
  readonly msg: string;
  readonly level: string;
  readonly [field: string]: unknown;
}

export interface ControllerProcess {
  readonly child: ChildProcess;
  readonly metricsPort: number;
  readonly healthPort: number;
  /** Every JSON log line so far, parsed. */
  readonly lines: LogLine[];
  /** Raw stderr, for assertion messages. */
  output(): string;
  /** Resolves with the first line (already seen or future) that matches. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine>;
  /** Sends the signal and resolves with the exit code (or the signal name). */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
  readonly exited: Promise<number | string>;
}

const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const BIN = join(REPO_ROOT, 'bin', 'ecs-scheduler.js');

/**
 * Starts `ecs-scheduler run` with the test environment's kubeconfig and ECS endpoint, metrics and
 * probes on free ports, and JSON logs; resolves once it logs "running".
 */
export async function startController(
  args: readonly string[],
  options: { env?: Record<string, string>; startTimeoutMs?: number } = {},
): Promise<ControllerProcess> {
  const testEnv = loadTestEnv();
  const child = spawn(
    NODE,
    [
      BIN,
      'run',
      '--log-format',
      'json',
      '--log-level',
      'debug',
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
      '--ecs-endpoint',
      testEnv.awsEndpoint,
      '--region',
      testEnv.region,
      '--aws-max-attempts',
      '1',
      ...args,
    ],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...testEnv.vars, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let raw = '';
  let pending = '';
  const lines: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    raw += text;
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        continue;
      }
      lines.push(parsed);
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  child.stdout!.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );

  const waitForLine = (match: (l: LogLine) => boolean, timeoutMs: number, what = 'log line') => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; controller output:\n${raw.slice(-4000)}`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      waiters.push(waiter);
      void exited.then((code) => {
        if (waiters.includes(waiter)) {
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`controller exited (${code}) while waiting for ${what}:\n${raw.slice(-4000)}`));
        }
      });
    });
  };

  const running = await waitForLine(
    (l) => l.msg === 'running',
    options.startTimeoutMs ?? 30_000,
    '"running"',
  );
  return {
    child,
    metricsPort: running.metricsPort as number,
    healthPort: running.healthPort as number,
    lines,
    output: () => raw,
    waitForLine,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}
