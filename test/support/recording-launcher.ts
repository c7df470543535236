// A TaskLauncher that behaves like a small ECS: RunTask creates tasks (or fails as scripted),
// ListTasks-by-startedBy finds them, DescribeTasks reports them, StopTask stops them. Every call is
// recorded so tests can assert exactly what the controller asked for.
import type { Clock } from '../../src/controller/clock.js';
import type {
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
  readonly #tasks = new Map<string, FakeTask>();
  readonly #scripts: RunTaskScript[] = [];
  #nextId = 1;
  /** Set to make the next calls of that operation throw. */
  readonly errors: { find?: Error; describe?: Error; stop?: Error } = {};

  constructor(private readonly clock?: Clock) {}

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

  async runTasks(request: LaunchRequest): Promise<LaunchResult> {
    this.runRequests.push(structuredClone(request) as LaunchRequest);
    const script = this.#scripts.shift() ?? {};
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
    const failure = script.failure ?? capacityFailure;
    return { tasks, failures: Array.from({ length: request.count - started }, () => failure) };
  }

  async findTasks(cluster: string, startedBy: string): Promise<string[]> {
    this.findRequests.push({ cluster, startedBy });
    if (this.errors.find) throw this.errors.find;
    return [...this.#tasks.entries()]
      .filter(([, t]) => t.cluster === cluster && t.startedBy === startedBy)
      .map(([arn]) => arn);
  }

  async describeTasks(cluster: string, taskArns: readonly string[]): Promise<TaskObservation[]> {
    this.describeRequests.push({ cluster, taskArns: [...taskArns] });
    if (this.errors.describe) throw this.errors.describe;
    return taskArns.map((taskArn) => {
      const task = this.#tasks.get(taskArn);
      if (!task || task.hidden || task.cluster !== cluster) {
        return { taskArn, lastStatus: 'MISSING', exitCodes: {}, essentialContainers: [] };
      }
      return structuredClone(task.observation);
    });
  }

  async stopTasks(cluster: string, taskArns: readonly string[], reason: string): Promise<void> {
    this.stopRequests.push({ cluster, taskArns: [...taskArns], reason });
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
