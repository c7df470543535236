// The bench's stand-in for the ECS agent on moto. moto runs no containers: with a `time` transition
// a task moves one state (RUNNING -> DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED) only
// when it is described at least `seconds` after its last move. A controller that asks about a task
// once, shortly before its launch-write delay ends, would then see it RUNNING however short the
// task, and the bench would measure moto's model instead of the controller. The agent describes
// every task not yet seen STOPPED on a short interval, so that moto's tasks stop on the clock, as
// the simulator's do: four moves of taskSeconds / 4 each.
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';

/** What the agent needs of ECS: the port its unit test fakes. */
export interface MotoTasks {
  /** Every task whose desired status is RUNNING (moto keeps it so after a time transition stops it). */
  listRunning(): Promise<readonly string[]>;
  /** The tasks' last status, by ARN; describing them is what moves moto's tasks along. */
  describe(arns: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

const DESCRIBE_BATCH = 100;

/** One round: describe every listed task not already seen STOPPED, at most 100 per call. */
export class MotoAgentRound {
  readonly #stopped = new Set<string>();
  #describeCalls = 0;

  constructor(private readonly tasks: MotoTasks) {}

  async tick(): Promise<void> {
    const live = (await this.tasks.listRunning()).filter((arn) => !this.#stopped.has(arn));
    for (let i = 0; i < live.length; i += DESCRIBE_BATCH) {
      const statuses = await this.tasks.describe(live.slice(i, i + DESCRIBE_BATCH));
      this.#describeCalls++;
      for (const [arn, status] of statuses) if (status === 'STOPPED') this.#stopped.add(arn);
    }
  }

  get stats(): { stopped: number; describeCalls: number } {
    return { stopped: this.#stopped.size, describeCalls: this.#describeCalls };
  }
}

export interface MotoAgent {
  stop(): Promise<{ stopped: number; describeCalls: number }>;
}

/** Ticks every `intervalMs` (one round at a time) until stopped. */
export function startMotoAgent(options: {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly cluster: string;
  readonly intervalMs: number;
}): MotoAgent {
  const ecs = new ECSClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials,
    maxAttempts: 1,
  });
  const round = new MotoAgentRound({
    listRunning: async () =>
      (await ecs.send(new ListTasksCommand({ cluster: options.cluster, desiredStatus: 'RUNNING' })))
        .taskArns ?? [],
    describe: async (arns) => {
      const out = await ecs.send(new DescribeTasksCommand({ cluster: options.cluster, tasks: [...arns] }));
      return new Map((out.tasks ?? []).map((t) => [t.taskArn ?? '', t.lastStatus ?? '']));
    },
  });
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      // A failed round (moto busy) is retried by the next one: the agent only speeds tasks along.
      await round.tick().catch(() => undefined);
      const wait = options.intervalMs - (performance.now() - started);
      if (running && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      ecs.destroy();
      return round.stats;
    },
  };
}
