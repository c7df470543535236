// A TaskLauncher that behaves like a small ECS: RunTask creates tasks (or fails as scripted),
// ListTasks-by-startedBy finds them, DescribeTasks reports them, StopTask stops them. Every call is
// recorded so tests can assert exactly what the controller asked for.
import type { Clock } from '../../src/controller/clock.js';
import type {
  AwsIdentity,
  EcsCallOptions,
  LaunchFailure,
  LaunchRequest,
  LaunchResult,
  TaskLauncher,
  TaskObservation,
} from '../../src/controller/ports.js';

/** What the next RunTask call does. By default every requested task starts. */
export interface RunTaskScript {
  /** How many of the requested tasks start (default: all). */
  readonly launch?: number;
  /** The failure reported for each task that does not start (default: a capacity failure). */
  readonly failure?: LaunchFailure;
  /** Answer as the dry-run launcher does: nothing started. */
  readonly dryRun?: boolean;
  /** Throw instead of answering. */
  readonly error?: Error;
  /** Start the tasks, then throw this (the answer was lost on the way back, e.g. a timeout). */
  readonly lostAnswer?: Error;
  /**
   * How long the call waits for the client-side RunTask quota before ECS accepts it: the fake
   * clock moves on by this much, and the answer's acceptedAt is read after the wait.
   */
  readonly quotaWaitMs?: number;
}

export const capacityFailure: LaunchFailure = {
  reason: 'RESOURCE:FARGATE',
  detail: 'Capacity is unavailable',
  capacity: true,
};
export const missingTaskDefinition: LaunchFailure = {
  reason: 'MISSING',
  detail: 'task definition does not exist',
  capacity: false,
};

interface FakeTask {
  readonly cluster: string;
  readonly startedBy: string;
  observation: TaskObservation;
  /** Simulates DescribeTasks' eventual consistency: the ARN is unknown until this is false. */
  hidden: boolean;
}

export class RecordingLauncher implements TaskLauncher {
  readonly runRequests: LaunchRequest[] = [];
  readonly findRequests: { cluster: string; startedBy: string }[] = [];
  readonly describeRequests: { cluster: string; taskArns: string[] }[] = [];
  readonly stopRequests: { cluster: string; taskArns: string[]; reason: string }[] = [];
  /** The identity every call was made as, in call order: `op identity-or-own`. */
  readonly identities: string[] = [];
  /** Signals passed with each call, so tests can check cancellation reaches the port. */
  readonly signals: (AbortSignal | undefined)[] = [];
  /** clientToken -> ARNs it started, as ECS keeps them: a repeated token replays its answer. */
  readonly #byToken = new Map<string, { count: number; arns: string[] }>();
  /** Honour clientToken as ECS does (moto does not): off by default, like moto. */
  honourTokens = false;
  readonly #tasks = new Map<string, FakeTask>();
  readonly #scripts: RunTaskScript[] = [];
  #nextId = 1;
  /** Set to make the next calls of that operation throw. */
  readonly errors: { find?: Error; describe?: Error; stop?: Error } = {};
  /** ListTasks is eventually consistent: while true it does not see tasks yet. */
  listLagging = false;

  constructor(private readonly clock?: Clock & { advance?(ms: number): void }) {}

  /** Queues the behaviour of the next RunTask calls, one script per call. */
  script(...scripts: RunTaskScript[]): this {
    this.#scripts.push(...scripts);
    return this;
  }

  /** Total tasks RunTask started, over all calls. */
  get launchedCount(): number {
    return this.#tasks.size;
  }

  taskArns(startedBy?: string): string[] {
    return [...this.#tasks.entries()]
      .filter(([, t]) => startedBy === undefined || t.startedBy === startedBy)
      .map(([arn]) => arn);
  }

  runningArns(): string[] {
    return [...this.#tasks.entries()]
      .filter(([, t]) => t.observation.lastStatus !== 'STOPPED')
      .map(([arn]) => arn);
  }

  /** Stops a task as if its essential container exited with these codes. */
  finish(
    taskArn: string,
    exitCodes: Record<string, number> = { app: 0 },
    extra: Partial<TaskObservation> = {},
  ): void {
    const task = this.#must(taskArn);
    task.observation = {
      ...task.observation,
      lastStatus: 'STOPPED',
      stoppedAt: this.clock?.now(),
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      exitCodes,
      ...extra,
    };
  }

  finishAll(exitCodes: Record<string, number> = { app: 0 }): void {
    for (const arn of this.runningArns()) this.finish(arn, exitCodes);
  }

  /** Makes DescribeTasks answer MISSING for the task (eventual consistency, or a lost task). */
  hide(taskArn: string, hidden = true): void {
    this.#must(taskArn).hidden = hidden;
  }

  #note(op: string, identity: AwsIdentity | undefined, signal: AbortSignal | undefined): void {
    this.identities.push(`${op} ${identity?.roleArn ?? 'own'}`);
    this.signals.push(signal);
  }

  async runTasks(request: LaunchRequest, options: { signal?: AbortSignal } = {}): Promise<LaunchResult> {
    this.runRequests.push(structuredClone(request) as LaunchRequest);
    this.#note('RunTask', request.identity, options.signal);
    const replay = this.honourTokens ? this.#byToken.get(request.clientToken) : undefined;
    if (replay) {
      return {
        tasks: replay.arns.map((taskArn) => ({ taskArn, lastStatus: 'PROVISIONING' })),
        failures: [],
      };
    }
    const script = this.#scripts.shift() ?? {};
    if (script.quotaWaitMs !== undefined) this.clock?.advance?.(script.quotaWaitMs);
    if (script.error) throw script.error;
    if (script.dryRun) return { tasks: [], failures: [], dryRun: true };
    const started = Math.min(request.count, script.launch ?? request.count);
    const tasks = Array.from({ length: started }, () => {
      const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${request.cluster}/${(this.#nextId++).toString(16).padStart(32, '0')}`;
      this.#tasks.set(taskArn, {
        cluster: request.cluster,
        startedBy: request.startedBy,
        hidden: false,
        observation: {
          taskArn,
          lastStatus: 'RUNNING',
          startedAt: this.clock?.now(),
          exitCodes: {},
          essentialContainers: ['app'],
        },
      });
      return { taskArn, lastStatus: 'PROVISIONING' };
    });
    if (this.honourTokens) {
      this.#byToken.set(request.clientToken, { count: request.count, arns: tasks.map((t) => t.taskArn) });
    }
    if (script.lostAnswer) throw script.lostAnswer;
    const failure = script.failure ?? capacityFailure;
    const acceptedAt = tasks.length > 0 ? this.clock?.now() : undefined;
    return {
      tasks,
      failures: Array.from({ length: request.count - started }, () => failure),
      ...(acceptedAt ? { acceptedAt } : {}),
    };
  }

  async findTasks(cluster: string, startedBy: string, options: EcsCallOptions = {}): Promise<string[]> {
    this.findRequests.push({ cluster, startedBy });
    this.#note('ListTasks', options.identity, options.signal);
    if (this.errors.find) throw this.errors.find;
    if (this.listLagging) return [];
    return [...this.#tasks.entries()]
      .filter(([, t]) => t.cluster === cluster && t.startedBy === startedBy)
      .map(([arn]) => arn);
  }

  async describeTasks(
    cluster: string,
    taskArns: readonly string[],
    options: EcsCallOptions = {},
  ): Promise<TaskObservation[]> {
    this.describeRequests.push({ cluster, taskArns: [...taskArns] });
    this.#note('DescribeTasks', options.identity, options.signal);
    if (this.errors.describe) throw this.errors.describe;
    return taskArns.map((taskArn) => {
      const task = this.#tasks.get(taskArn);
      if (!task || task.hidden || task.cluster !== cluster) {
        return { taskArn, lastStatus: 'MISSING', exitCodes: {}, essentialContainers: [] };
      }
      return structuredClone(task.observation);
    });
  }

  async stopTasks(
    cluster: string,
    taskArns: readonly string[],
    reason: string,
    options: EcsCallOptions = {},
  ): Promise<void> {
    this.stopRequests.push({ cluster, taskArns: [...taskArns], reason });
    this.#note('StopTask', options.identity, options.signal);
    if (this.errors.stop) throw this.errors.stop;
    for (const arn of taskArns) {
      const task = this.#tasks.get(arn);
      if (task && task.observation.lastStatus !== 'STOPPED') {
        this.finish(arn, { app: 143 }, { stopCode: 'UserInitiated', stoppedReason: reason });
      }
    }
  }

  #must(taskArn: string): FakeTask {
    const task = this.#tasks.get(taskArn);
    if (!task) throw new Error(`unknown task ${taskArn}`);
    return task;
  }
}
