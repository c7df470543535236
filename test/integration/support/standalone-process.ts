// Standalone mode as a user runs it, for the integration tests: the built CLI in dry-run mode on a
// manifests folder, and what its logs and state file say about recorded runs.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StateData } from '../../../src/standalone/state-file.js';
import { spawnLogged, type LogLine } from '../../support/logged-process.js';
import { REPO_ROOT } from './env.js';

export const STANDALONE_BIN = join(REPO_ROOT, 'bin', 'ecs-scheduler.js');
// Node itself, not a wrapper: a SIGKILL must reach the scheduler, not a parent that spawned it.
export const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');

/**
 * `ecs-scheduler run` in standalone dry-run mode on `manifests`, keeping state in `statePath`.
 * Policy enforcement is on, so a `policies` folder beside `manifests` gets the examples' policy,
 * which allows the `default` namespace. `extra` flags and `env` go to the process as well.
 */
export function runStandalone(
  manifests: string,
  statePath: string,
  extra: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
) {
  const policies = join(dirname(manifests), 'policies');
  mkdirSync(policies, { recursive: true });
  copyFileSync(join(REPO_ROOT, 'examples', 'policies', 'policy.yaml'), join(policies, 'policy.yaml'));
  return spawnLogged(
    NODE,
    [
      STANDALONE_BIN,
      'run',
      '--manifests',
      manifests,
      '--policies',
      policies,
      '--state',
      statePath,
      ...extra,
      '--dry-run',
      '--log-format',
      'json',
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
    ],
    { cwd: REPO_ROOT, env },
  );
}

/** `resource@scheduledTime` of every run the process reported recorded (logged after the write). */
export function reportedRuns(lines: readonly LogLine[]): string[] {
  return lines
    .filter((l) => l.event === true && l.reason === 'DryRun')
    .map((l) => {
      const at = l.scheduledTime;
      if (typeof at !== 'string') throw new Error(`a DryRun event without its scheduled time: ${l.msg}`);
      return `${String(l.resource)}@${new Date(at).toISOString()}`;
    });
}

/** `resource@scheduledTime` of every run in a state file. */
export function runsIn(state: StateData): Set<string> {
  return new Set(
    Object.entries(state.resources).flatMap(([key, rec]) =>
      (rec.status?.runs ?? []).map((run) => `${key}@${new Date(run.scheduledTime).toISOString()}`),
    ),
  );
}
