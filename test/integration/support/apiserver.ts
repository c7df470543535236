// Restarts the test environment's kube-apiserver (`scripts/testenv.js restart-apiserver`): same
// port, flags, certificates and etcd, so clients see an outage and then the same server again.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './env.js';

export interface ApiServerRestart {
  /** From the restart request to the old process being gone. */
  readonly stoppedMs: number;
  /** From the restart request to /readyz answering 200 again. */
  readonly totalMs: number;
}

/**
 * Stops kube-apiserver, keeps it down for `downMs`, starts it again and resolves once it is ready.
 * Uses the environment of $TESTENV_DIR (or .testenv/), like loadTestEnv().
 */
export function restartApiServer(options: { downMs?: number } = {}): Promise<ApiServerRestart> {
  const node = join(REPO_ROOT, 'node_modules', '.bin', 'node');
  const script = join(REPO_ROOT, 'scripts', 'testenv.js');
  const args = [script, 'restart-apiserver', '--down-ms', String(options.downMs ?? 0)];
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`testenv restart-apiserver exited ${code}: ${stderr.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ApiServerRestart);
      } catch {
        reject(new Error(`testenv restart-apiserver printed no result: ${stdout}${stderr}`));
      }
    });
  });
}
