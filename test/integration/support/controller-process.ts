// Runs the real controller (`node bin/ecs-scheduler.js run`, from dist/) as a child process
// against the test environment, so tests can SIGKILL it, restart it, and read its logs.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawnLogged, type LogLine } from '../../support/logged-process.js';
import { loadTestEnv, REPO_ROOT } from './env.js';

export type { LogLine };

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

/**
 * The production default of --launch-write-delay, for the tests that exist to test the deferred
 * launch write (one status write per run, crash replay and fencing around the waiting write, event
 * series). Every other test runs with 0: a run is written at launch, so a test that waits for a
 * finished run does not sit through the delay.
 */
export const DEFERRED_LAUNCH_WRITE: readonly string[] = ['--launch-write-delay', '10s'];
const BIN = join(REPO_ROOT, 'bin', 'ecs-scheduler.js');

/**
 * Starts `ecs-scheduler run` with the test environment's kubeconfig and ECS endpoint, metrics and
 * probes on free ports, JSON logs, and --launch-write-delay 0 unless `args` names it (see
 * DEFERRED_LAUNCH_WRITE); resolves once it logs "running".
 */
export async function startController(
  args: readonly string[],
  options: { env?: Record<string, string>; startTimeoutMs?: number } = {},
): Promise<ControllerProcess> {
  const testEnv = loadTestEnv();
  const proc = spawnLogged(
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
      ...(names(args, '--launch-write-delay') ? [] : ['--launch-write-delay', '0']),
      ...args,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...testEnv.vars, ...options.env } },
  );
  const { child } = proc;
  const exited = proc.exited.then(({ code, signal }) => code ?? signal ?? 'unknown');
  const waitForLine = (match: (l: LogLine) => boolean, timeoutMs: number, what = 'log line') =>
    proc.waitFor(match, timeoutMs, what);

  const running = await waitForLine(
    (l) => l.msg === 'running',
    options.startTimeoutMs ?? 30_000,
    '"running"',
  );
  return {
    child,
    metricsPort: running.metricsPort as number,
    healthPort: running.healthPort as number,
    lines: proc.lines,
    output: proc.output,
    waitForLine,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}

/** Whether `args` name `flag`, as `--flag value` or `--flag=value`. */
export const names = (args: readonly string[], flag: string) =>
  args.some((a) => a === flag || a.startsWith(`${flag}=`));
