// A simulator on a hand-moved clock and a scripted random source, seeded with one cluster and two
// task definitions: "app" (bridge, an essential "main" and a non-essential "sidecar") and "web"
// (awsvpc, for Fargate).
import { EcsSimulator, type EcsSimulatorOptions } from '../../support/ecs-simulator/ecs-simulator.js';

export const START = Date.parse('2026-01-01T00:00:00Z');
export const CLUSTER = 'c1';
export const SUBNETS = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

export class ManualClock {
  ms = START;
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Returns the scripted values in turn, then `fallback` forever. */
export function scriptedRandom(values: readonly number[], fallback = 0.5): () => number {
  let i = 0;
  return () => (i < values.length ? values[i++]! : fallback);
}

export function simulator(options: EcsSimulatorOptions = {}) {
  const clock = new ManualClock();
  const sim = new EcsSimulator({
    now: clock.now,
    random: scriptedRandom([]),
    quotas: 'off',
    clusters: [CLUSTER],
    taskDefinitions: [
      {
        family: 'app',
        containerDefinitions: [
          { name: 'main', image: 'busybox', essential: true },
          { name: 'sidecar', image: 'busybox', essential: false },
        ],
      },
      {
        family: 'web',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'web', image: 'nginx' }],
      },
    ],
    ...options,
  });
  return { sim, clock };
}

export interface TaskJson {
  taskArn: string;
  lastStatus: string;
  desiredStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  startedBy?: string;
  containers: { name: string; exitCode?: number; lastStatus: string }[];
}

export function runTask(sim: EcsSimulator, input: Record<string, unknown> = {}) {
  return sim.call('RunTask', { cluster: CLUSTER, taskDefinition: 'app', ...input }) as {
    tasks: TaskJson[];
    failures: { reason: string; arn?: string }[];
  };
}

export function describe1(sim: EcsSimulator, arn: string) {
  const out = sim.call('DescribeTasks', { cluster: CLUSTER, tasks: [arn] }) as {
    tasks: TaskJson[];
    failures: { arn: string; reason: string }[];
  };
  return out;
}

/** The error an in-process call throws, for assertions on its type and fields. */
export function errorOf(fn: () => unknown): {
  type: string;
  status: number;
  message: string;
  fields: Record<string, unknown>;
} {
  try {
    fn();
  } catch (err) {
    const e = err as { type: string; status: number; message: string; fields: Record<string, unknown> };
    return { type: e.type, status: e.status, message: e.message, fields: e.fields };
  }
  throw new Error('expected the call to fail');
}
