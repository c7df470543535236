// Where the benchmarked controller's ECS calls go: moto (the test environment's) or the ECS
// simulator, started here as its own process so that its CPU is not the controller's or ours.
import { ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestEnv } from '../test/integration/support/env.js';
import { REPO_ROOT } from '../test/integration/support/env.js';
import { resetEcsTaskTransition, setEcsTaskTransition } from '../test/integration/support/aws.js';
import type { LedgerReport, RunSummary } from '../test/support/ecs-simulator/run-task-ledger.js';
import { AWS_QUOTAS, NO_QUOTAS, type QuotaProfile } from '../test/support/ecs-simulator/quotas.js';
import { startMotoAgent, type MotoAgent } from './moto-agent.js';

export interface SimulatorStatsSnapshot {
  readonly operations: Record<string, { calls: number; throttled: number; serverErrors: number }>;
  readonly process: { rssBytes: number; cpuSeconds: number };
}

export interface EcsBackend {
  readonly kind: 'moto' | 'simulator';
  /** The controller's --ecs-endpoint. */
  readonly endpoint: string;
  /** The quotas ECS enforces on this backend, for the launch delay split. */
  readonly quotas: QuotaProfile;
  /** Simulator only. */
  stats(): Promise<SimulatorStatsSnapshot | undefined>;
  /** Simulator only: the ledger's report and its runs. */
  ledger(): Promise<{ report: LedgerReport; runs: RunSummary[] } | undefined>;
  close(): Promise<void>;
}

const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
export const FARGATE_FAMILY = 'sleeper-task-fargate';
/** moto's task states from RUNNING to STOPPED: a move each. */
const MOTO_TASK_MOVES = 4;
/** How often the moto agent describes the tasks: each of the four moves comes at most this late. */
const MOTO_AGENT_INTERVAL_MS = 250;

/**
 * moto as the test environment left it. Its ECS enforces no quota, but the controller keeps ECS's
 * documented ones on its own side, and a real account would: the split uses AWS's defaults. With
 * `taskSeconds`, the bench's agent (bench/moto-agent.ts) moves each task along moto's four states
 * so that it stops about `taskSeconds` after its launch, as the simulator's tasks do.
 */
export async function motoBackend(env: TestEnv, taskSeconds: number): Promise<EcsBackend> {
  let agent: MotoAgent | undefined;
  if (taskSeconds > 0) {
    await setEcsTaskTransition(taskSeconds / MOTO_TASK_MOVES, env);
    agent = startMotoAgent({
      endpoint: env.awsEndpoint,
      region: env.region,
      credentials: env.credentials,
      cluster: env.ecsCluster,
      intervalMs: MOTO_AGENT_INTERVAL_MS,
    });
  }
  return {
    kind: 'moto',
    endpoint: env.awsEndpoint,
    quotas: AWS_QUOTAS,
    stats: () => Promise.resolve(undefined),
    ledger: () => Promise.resolve(undefined),
    close: async () => {
      if (agent) {
        const { stopped, describeCalls } = await agent.stop();
        console.log(`moto agent: ${stopped} tasks stopped, ${describeCalls} DescribeTasks calls`);
      }
      if (taskSeconds > 0) await resetEcsTaskTransition(env).catch(() => undefined);
    },
  };
}

/**
 * The simulator with the test environment's cluster and task definitions, its tasks running
 * `taskSeconds` (0: until stopped), so that resources need no change between backends.
 */
export async function simulatorBackend(
  env: TestEnv,
  options: { quotas: 'aws' | 'off'; taskSeconds: number; faults?: string },
): Promise<EcsBackend> {
  const lifecycle = {
    provisioningMs: 200,
    pendingMs: 300,
    runningMs: options.taskSeconds > 0 ? options.taskSeconds * 1000 : null,
  };
  const child: ChildProcess = spawn(
    NODE,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'test/support/ecs-simulator/main.ts'),
      '--quotas',
      options.quotas,
      '--cluster',
      env.ecsCluster,
      '--region',
      env.region,
      '--lifecycle',
      JSON.stringify(lifecycle),
      ...(options.faults === undefined ? [] : ['--faults', options.faults]),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout! }), 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the ECS simulator exited with ${String(code)} before listening`);
    }),
  ])) as [string];
  const { endpoint } = JSON.parse(line) as { endpoint: string };
  const ecs = new ECSClient({ endpoint, region: env.region, credentials: env.credentials, maxAttempts: 1 });
  const sleeper = {
    name: 'sleeper',
    image: 'busybox',
    memory: 128,
    essential: true,
    command: ['sleep', '10'],
  };
  try {
    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'sleeper-task', containerDefinitions: [sleeper] }),
    );
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: FARGATE_FAMILY,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [sleeper],
      }),
    );
  } finally {
    ecs.destroy();
  }
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(new URL(path, endpoint));
    if (!res.ok) throw new Error(`simulator ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    kind: 'simulator',
    endpoint,
    quotas: options.quotas === 'aws' ? AWS_QUOTAS : NO_QUOTAS,
    stats: () => get<SimulatorStatsSnapshot>('/_sim/stats'),
    ledger: () => get<{ report: LedgerReport; runs: RunSummary[] }>('/_sim/ledger?entries=0&runs=1'),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}
