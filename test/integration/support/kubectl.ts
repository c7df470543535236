import { captureRun, type CapturedRun } from './captured-run.js';
import type { TestEnv } from './env.js';
import { loadTestEnv } from './env.js';

export type KubectlResult = CapturedRun;

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `-f -`). */
  readonly input?: string;
  readonly env?: TestEnv;
}

/** Runs kubectl against the test environment's kubeconfig. Never throws on a non-zero exit. */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  const env = options.env ?? loadTestEnv();
  return captureRun('kubectl', ['--kubeconfig', env.kubeconfigPath, ...args], {
    env: { ...process.env, KUBECONFIG: env.kubeconfigPath },
    input: options.input,
  });
}

/** Like kubectl(), but throws with kubectl's stderr unless it exits 0; returns stdout. */
export async function kubectlOk(args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const r = await kubectl(args, options);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
