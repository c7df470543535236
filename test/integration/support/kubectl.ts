import { spawn } from 'node:child_process';
import type { TestEnv } from './env.js';
import { REPO_ROOT, loadTestEnv } from './env.js';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `-f -`). */
  readonly input?: string;
  readonly env?: TestEnv;
}

/** Runs kubectl against the test environment's kubeconfig. Never throws on a non-zero exit. */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  const env = options.env ?? loadTestEnv();
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', env.kubeconfigPath, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, KUBECONFIG: env.kubeconfigPath },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Like kubectl(), but throws with kubectl's stderr unless it exits 0; returns stdout. */
export async function kubectlOk(args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const r = await kubectl(args, options);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
