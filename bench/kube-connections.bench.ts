/**
 * What one keep-alive dispatcher per cluster and user saves, against the real test API server:
 *
 *   node scripts/with-testenv.js npm run bench:kube -- [--writes 1000] [--workers 16] [--rounds 5]
 *
 * Each round runs in a fresh child process, alternately with client-node's stock KubeConfig (a new
 * undici Agent, so a new TCP and TLS connection, per request) and with our PooledKubeConfig. The
 * child drives the controller's own adapters: `--workers` resources, each written in turn by one
 * worker (KubeResourceStore.writeStatus, guarded by resourceVersion as in a reconcile) followed by
 * one Event (KubeEventRecorder), until `--writes` status writes are done. It reports, for the
 * measured phase only (after a warm-up list):
 *   - CPU ms per API request (process.cpuUsage, user + system);
 *   - RSS at the end (MiB);
 *   - TCP connections opened, counted on undici's `undici:client:connected` diagnostics channel
 *     (every fetch client-node makes goes through undici). undici 8 offers HTTP/2 by ALPN and the
 *     API server accepts it, so a kept dispatcher multiplexes every call on one connection, as
 *     client-go does;
 *   - wall time.
 * The parent prints the median of the rounds for each mode.
 */
import { spawn } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, EventsV1Api, KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../src/api/constants.js';
import type { EcsScheduledTaskResource } from '../src/api/types.js';
import { KubeEventRecorder } from '../src/kube/kube-event-recorder.js';
import { KubeResourceStore } from '../src/kube/kube-resource-store.js';
import { loadKubeConfig } from '../src/kube/kube-config.js';
import { loadTestEnv } from '../test/integration/support/env.js';

const NAMESPACE = 'bench-kube-connections';
const MODES = ['stock', 'pooled'] as const;
type Mode = (typeof MODES)[number];

interface RoundResult {
  readonly mode: Mode;
  readonly requests: number;
  readonly cpuMsPerRequest: number;
  readonly rssMiB: number;
  readonly connections: number;
  /** Including the warm-up list's. */
  readonly connectionsWithWarmUp: number;
  readonly wallMs: number;
}

const USAGE = `Usage: node scripts/with-testenv.js npm run bench:kube -- [options]
  --writes N    status writes per round, each followed by one Event (default 1000)
  --workers W   resources written in parallel, one worker each (default 16)
  --rounds R    rounds per mode, the median is printed (default 5)`;

function options() {
  const { values } = parseArgs({
    options: {
      writes: { type: 'string', default: '1000' },
      workers: { type: 'string', default: '16' },
      rounds: { type: 'string', default: '5' },
      child: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const int = (name: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not "${raw}"`);
    return n;
  };
  const child = values.child;
  if (child !== undefined && !(MODES as readonly string[]).includes(child))
    throw new Error(`--child must be one of ${MODES.join(', ')}`);
  return {
    writes: int('writes', values.writes),
    workers: int('workers', values.workers),
    rounds: int('rounds', values.rounds),
    child: child as Mode | undefined,
    help: values.help ?? false,
  };
}

function resourceName(i: number): string {
  return `conn-${i}`;
}

async function setUp(workers: number): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(loadTestEnv().kubeconfigPath);
  const core = kc.makeApiClient((await import('@kubernetes/client-node')).CoreV1Api);
  const api = kc.makeApiClient(CustomObjectsApi);
  try {
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  } catch {
    // Already there from an earlier run.
  }
  for (let i = 0; i < workers; i++) {
    try {
      await api.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: NAMESPACE,
        body: {
          apiVersion: API_VERSION,
          kind: KIND,
          metadata: { name: resourceName(i), namespace: NAMESPACE },
          spec: {
            schedule: '0 0 1 1 *',
            task: { cluster: 'default', taskDefinition: 'sleeper-task', launchType: 'EC2' },
          },
        },
      });
    } catch {
      // Already there.
    }
  }
}

/** One round in this process: the measured phase only, printed as one JSON line. */
async function runChild(mode: Mode, writes: number, workers: number): Promise<void> {
  let connections = 0;
  let connectionsWithWarmUp = 0;
  subscribe('undici:client:connected', () => {
    connections++;
    connectionsWithWarmUp++;
  });
  const path = loadTestEnv().kubeconfigPath;
  let kc: KubeConfig;
  if (mode === 'pooled') {
    kc = loadKubeConfig({ kubeconfigPath: path });
  } else {
    kc = new KubeConfig();
    kc.loadFromFile(path);
  }
  const api = kc.makeApiClient(CustomObjectsApi);
  // The informer's cache, reduced to what the store needs: the latest copy of each resource.
  const cache = new Map<string, EcsScheduledTaskResource>();
  const store = new KubeResourceStore({
    api,
    cache: {
      get: (key) => cache.get(key),
      applyWrite: (_basedOn, written) => {
        cache.set(`${written.metadata.namespace}/${written.metadata.name}`, written);
        return true;
      },
    },
  });
  const events = new KubeEventRecorder({ api: kc.makeApiClient(EventsV1Api), reportingInstance: 'bench' });
  const listed = (await api.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: NAMESPACE,
  })) as { items: EcsScheduledTaskResource[] };
  for (const item of listed.items) cache.set(`${NAMESPACE}/${item.metadata.name}`, item);

  connections = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const worker = async (i: number) => {
    const key = `${NAMESPACE}/${resourceName(i)}`;
    while (next < writes) {
      const n = next++;
      const current = cache.get(key);
      if (current === undefined) throw new Error(`${key} is missing; did set-up fail?`);
      const written = await store.writeStatus(current, { ...current.status, observedGeneration: n });
      events.record(written, 'Normal', 'Launched', `bench write ${n}`);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
  await events.flush();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const requests = writes * 2;
  const result: RoundResult = {
    mode,
    requests,
    cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / requests,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    connections,
    connectionsWithWarmUp,
    wallMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (kc instanceof (await import('../src/kube/pooled-kube-config.js')).PooledKubeConfig) await kc.close();
}

function runRound(mode: Mode, writes: number, workers: number): Promise<RoundResult> {
  const script = fileURLToPath(import.meta.url);
  const args = [
    '--import',
    'tsx',
    script,
    '--child',
    mode,
    '--writes',
    String(writes),
    '--workers',
    String(workers),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`${mode} round exited with ${code}: ${out}`));
      else resolve(JSON.parse(line) as RoundResult);
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  if (opts.child !== undefined) {
    await runChild(opts.child, opts.writes, opts.workers);
    return;
  }
  await setUp(opts.workers);
  const results: RoundResult[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    // Alternate so that a machine getting busier over time does not favour one mode.
    for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
      const result = await runRound(mode, opts.writes, opts.workers);
      results.push(result);
      console.error(
        `round ${round + 1} ${mode}: ${result.cpuMsPerRequest.toFixed(3)} CPU ms/request, ` +
          `${result.connections} connections, ${result.rssMiB.toFixed(0)} MiB, ${result.wallMs.toFixed(0)} ms`,
      );
    }
  }
  console.log(
    `\n${opts.writes} status writes + ${opts.writes} events per round, ${opts.workers} workers, ` +
      `median of ${opts.rounds} rounds`,
  );
  console.log('| dispatcher | CPU ms / request | RSS MiB | TCP connections opened (with warm-up) | wall s |');
  console.log('|---|---|---|---|---|');
  for (const mode of MODES) {
    const mine = results.filter((r) => r.mode === mode);
    const label = mode === 'stock' ? 'client-node 2.0.1 as is (cache off)' : 'PooledKubeConfig (cache on)';
    console.log(
      `| ${label} | ${median(mine.map((r) => r.cpuMsPerRequest)).toFixed(3)} | ` +
        `${median(mine.map((r) => r.rssMiB)).toFixed(0)} | ${median(mine.map((r) => r.connections))} ` +
        `(${median(mine.map((r) => r.connectionsWithWarmUp))}) | ` +
        `${(median(mine.map((r) => r.wallMs)) / 1000).toFixed(1)} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
