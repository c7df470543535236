// The TaskLauncher port on Amazon ECS. It batches RunTask (10) and DescribeTasks (100), keeps the
// documented request rates with client-side token buckets, backs off on throttling, and maps
// every SDK error to ours: nothing from the SDK leaves this file.
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type DescribeTaskDefinitionCommandOutput,
  type DescribeTasksCommandOutput,
  type DesiredStatus,
  type Failure,
  type ListTasksCommandOutput,
  type RunTaskCommandOutput,
  type Task,
} from '@aws-sdk/client-ecs';
import { systemClock, type Clock } from '../../controller/clock.js';
import { ThrottledError, TransientError } from '../../controller/errors.js';
import type {
  AwsIdentity,
  EcsCallOptions,
  LaunchCallOptions,
  LaunchFailure,
  LaunchRequest,
  LaunchResult,
  LaunchedTask,
  TaskLauncher,
  TaskObservation,
  UnconfirmedBatches,
} from '../../controller/ports.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { backoffDelayMs } from '../../flow/backoff.js';
import { fencedOnEveryAttempt } from './attempt-fence.js';
import {
  AwsRejectedError,
  awsErrorMessage,
  awsErrorName,
  classifyAwsError,
  mapAwsError,
} from '../aws-errors.js';
import { awsCall } from '../aws-call.js';
import { awsRequestHandler } from '../aws-http-handler.js';
import { noopEcsRequestMetrics, type AwsApi, type EcsRequestMetrics } from './ports.js';
import { buildRunTaskInputs, isFargate } from './run-task-request.js';
import { clockSleep, createEcsRateLimiters, type EcsRateLimiters } from './ecs-rate-limiters.js';

/** DescribeTasks accepts at most 100 ARNs per call. */
export const MAX_TASKS_PER_DESCRIBE = 100;
/** StopTask rejects a reason longer than 255 characters. */
export const MAX_STOP_REASON_LENGTH = 255;

export interface AwsTaskLauncherOptions {
  /** The ECS client (an ECSClient, or a fake with `send`). */
  readonly client: AwsApi;
  /**
   * The client to use for a call made as `identity` (a policy's assumed role). Default: `client`
   * for every identity, which suits a controller without per-policy roles.
   */
  readonly ecsClientFor?: (identity?: AwsIdentity) => AwsApi;
  /**
   * Longest one ECS call may take, each attempt counted on its own, before it is abandoned as a
   * TransientError. Default 30 s: above the SDK's own socket timeouts, so it only catches hangs.
   */
  readonly callTimeoutMs?: number;
  /** Drives the rate limiters and backoff waits. Default: the system clock. */
  readonly clock?: Clock;
  /** How waits happen. Default: a timer on `clock`. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). Default: Math.random. */
  readonly random?: () => number;
  /** Default: counts nothing. */
  readonly metrics?: EcsRequestMetrics;
  /** Default: silent. */
  readonly logger?: Logger;
  /** Default: ECS's documented per-account throttles (see createEcsRateLimiters). */
  readonly limiters?: EcsRateLimiters;
  /** Retries of one call after ThrottlingException, before giving up with ThrottledError. Default 5. */
  readonly throttleRetries?: number;
  /** First backoff step after throttling. Default 500 ms; doubles per attempt. */
  readonly backoffBaseMs?: number;
  /** Largest backoff step. Default 20 s. */
  readonly backoffMaxMs?: number;
  /** Task definitions whose `essential` flags are remembered. Default 500. */
  readonly taskDefinitionCacheSize?: number;
}

/**
 * True for RunTask failures worth retrying within the run's launch window, as AWS_ERROR_TABLE
 * says: no capacity (RESOURCE:*), or a container instance that lost its agent or went away
 * (AGENT, MISSING). A reason the table does not name is final for the run: retrying an
 * unexplained refusal would only repeat it.
 */
export function isCapacityFailure(reason: string | undefined, detail?: string): boolean {
  if (/capacity is unavailable/i.test(detail ?? '')) return true;
  if (reason === undefined) return false;
  const cls = classifyAwsError(reason);
  return cls.disposition === 'retry' && cls.reason !== 'Unknown';
}

export function toLaunchFailure(failure: Failure): LaunchFailure {
  const reason = failure.reason ?? 'Unknown';
  return {
    ...(failure.arn === undefined ? {} : { arn: failure.arn }),
    reason,
    ...(failure.detail === undefined ? {} : { detail: failure.detail }),
    capacity: isCapacityFailure(reason, failure.detail),
  };
}

/** The task ARNs ECS names in a ConflictException: the tasks its token already started. */
export function conflictTaskArns(err: unknown): string[] | undefined {
  const raw = err instanceof Error && err.cause !== undefined ? err.cause : err;
  const e = raw as { name?: unknown; resourceIds?: unknown } | undefined;
  if (e?.name !== 'ConflictException') return undefined;
  return Array.isArray(e.resourceIds) ? e.resourceIds.filter((id) => typeof id === 'string') : [];
}

export class AwsTaskLauncher implements TaskLauncher {
  readonly #api: AwsApi;
  readonly #clientFor: (identity?: AwsIdentity) => AwsApi;
  readonly #clock: Clock;
  readonly #callTimeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #metrics: EcsRequestMetrics;
  readonly #log: Logger;
  readonly #limiters: EcsRateLimiters;
  readonly #throttleRetries: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #cacheSize: number;
  // Task definition ARN (with revision, so immutable) -> container name -> essential.
  readonly #essential = new Map<string, Promise<ReadonlyMap<string, boolean> | undefined>>();

  constructor(options: AwsTaskLauncherOptions) {
    const clock = options.clock ?? systemClock;
    this.#api = options.client;
    this.#clientFor = options.ecsClientFor ?? (() => options.client);
    this.#clock = clock;
    this.#callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.#sleep = options.sleep ?? clockSleep(clock);
    this.#random = options.random ?? Math.random;
    this.#metrics = options.metrics ?? noopEcsRequestMetrics;
    this.#log = options.logger ?? silentLogger;
    this.#limiters = options.limiters ?? createEcsRateLimiters(clock, this.#sleep);
    this.#throttleRetries = options.throttleRetries ?? 5;
    this.#backoffBaseMs = options.backoffBaseMs ?? 500;
    this.#backoffMaxMs = options.backoffMaxMs ?? 20_000;
    this.#cacheSize = options.taskDefinitionCacheSize ?? 500;
  }

  /**
   * Launches in batches of at most 10. A batch ECS refuses (bad task definition, access denied)
   * ends the launch with a non-capacity failure. A batch without an answer (a timeout, a 5xx,
   * throttling past the retries, an abort) is thrown when nothing started yet, for the core to
   * retry. After tasks started, it ends the launch with `unconfirmed`: that batch may have started
   * its tasks and the ones after it were never sent, so none of them is a capacity shortfall; the
   * core resends them under their original tokens or finds their tasks before launching more.
   *
   * `mayLaunch` is asked before every RunTask call: the first batch, every later one after its
   * wait for the rate limiter, and every retry after throttling. When it throws, nothing more is
   * sent and the launch ends as above.
   *
   * A ConflictException means ECS already holds a launch under that batch's token, made with other
   * parameters (a TopUp count that changed between a crashed attempt and its repeat): the tasks it
   * names are the batch's tasks. An idempotent replay needs no such care: ECS answers it with the
   * first answer.
   */
  async runTasks(request: LaunchRequest, options: LaunchCallOptions = {}): Promise<LaunchResult> {
    const call = {
      identity: request.identity,
      signal: options.signal,
      ...(options.mayLaunch ? { beforeAttempt: options.mayLaunch } : {}),
    };
    const inputs = buildRunTaskInputs(request);
    const fargate = isFargate(request.task);
    const tasks: LaunchedTask[] = [];
    const failures: LaunchFailure[] = [];
    let acceptedAt: Date | undefined;
    let unconfirmed: UnconfirmedBatches | undefined;
    for (const [index, input] of inputs.entries()) {
      try {
        await this.#limitRunTask(fargate, input.count ?? 1);
        const out = await this.#call<RunTaskCommandOutput>(
          'RunTask',
          () =>
            options.mayLaunch
              ? fencedOnEveryAttempt(new RunTaskCommand(input), options.mayLaunch)
              : new RunTaskCommand(input),
          call,
        );
        if (acceptedAt === undefined && (out.tasks ?? []).length > 0) acceptedAt = this.#clock.now();
        for (const task of out.tasks ?? []) {
          if (task.taskArn === undefined) continue;
          tasks.push(
            task.lastStatus === undefined
              ? { taskArn: task.taskArn }
              : { taskArn: task.taskArn, lastStatus: task.lastStatus },
          );
        }
        failures.push(...(out.failures ?? []).map(toLaunchFailure));
      } catch (err) {
        const existing = conflictTaskArns(err);
        if (existing !== undefined) {
          this.#log.info('RunTask token already used: adopting the tasks ECS names for it', {
            cluster: request.cluster,
            startedBy: request.startedBy,
            clientToken: input.clientToken,
            taskArns: existing,
          });
          tasks.push(...existing.map((taskArn) => ({ taskArn })));
          // An earlier attempt's acceptance; when is unknown, so the answer's time stands for it.
          if (acceptedAt === undefined && existing.length > 0) acceptedAt = this.#clock.now();
          continue;
        }
        if (err instanceof AwsRejectedError) {
          // The same parameters would be refused for every further batch.
          failures.push({ reason: err.reason, detail: err.message, capacity: false });
          break;
        }
        if (tasks.length === 0) throw err;
        unconfirmed = {
          fromBatch: (request.firstBatch ?? 0) + index,
          count: inputs.slice(index).reduce((n, batch) => n + (batch.count ?? 0), 0),
          error: err instanceof Error ? err : new TransientError(String(err), 'TransientError'),
        };
        this.#log.warn('RunTask batch without an answer: its tasks are unconfirmed', {
          cluster: request.cluster,
          startedBy: request.startedBy,
          clientToken: input.clientToken,
          launched: tasks.length,
          unconfirmed: unconfirmed.count,
          error: unconfirmed.error.message,
        });
        break;
      }
    }
    this.#log.debug('RunTask done', {
      cluster: request.cluster,
      startedBy: request.startedBy,
      requested: request.count,
      launched: tasks.length,
      failures: failures.length,
    });
    return {
      tasks,
      failures,
      ...(acceptedAt ? { acceptedAt } : {}),
      ...(unconfirmed ? { unconfirmed } : {}),
    };
  }

  async findTasks(cluster: string, startedBy: string, options: EcsCallOptions = {}): Promise<string[]> {
    const arns = new Set<string>();
    for (const desiredStatus of ['RUNNING', 'STOPPED'] satisfies DesiredStatus[]) {
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const out = await this.#call<ListTasksCommandOutput>(
          'ListTasks',
          () =>
            new ListTasksCommand({
              cluster,
              startedBy,
              desiredStatus,
              maxResults: 100,
              ...(token === undefined ? {} : { nextToken: token }),
            }),
          options,
        );
        for (const arn of out.taskArns ?? []) arns.add(arn);
        nextToken = out.nextToken ?? undefined;
      } while (nextToken !== undefined && nextToken !== '');
    }
    return [...arns];
  }

  async describeTasks(
    cluster: string,
    taskArns: readonly string[],
    options: EcsCallOptions = {},
  ): Promise<TaskObservation[]> {
    const unique = [...new Set(taskArns)];
    const found = new Map<string, Task>();
    for (let i = 0; i < unique.length; i += MAX_TASKS_PER_DESCRIBE) {
      const chunk = unique.slice(i, i + MAX_TASKS_PER_DESCRIBE);
      const out = await this.#call<DescribeTasksCommandOutput>(
        'DescribeTasks',
        () => new DescribeTasksCommand({ cluster, tasks: chunk }),
        options,
      );
      for (const task of out.tasks ?? []) if (task.taskArn !== undefined) found.set(task.taskArn, task);
      for (const failure of out.failures ?? []) {
        // MISSING is ECS's eventual consistency for a fresh ARN; anything else is worth a look.
        if (failure.reason !== 'MISSING') {
          this.#log.debug('DescribeTasks failure', {
            arn: failure.arn,
            reason: failure.reason,
            detail: failure.detail,
          });
        }
      }
    }
    const definitions = new Set(
      [...found.values()].flatMap((t) => (t.taskDefinitionArn ? [t.taskDefinitionArn] : [])),
    );
    const essentials = new Map<string, ReadonlyMap<string, boolean> | undefined>();
    for (const arn of definitions) essentials.set(arn, await this.#essentialFlags(arn, options));
    return unique.map((arn) => {
      const task = found.get(arn);
      if (task === undefined)
        return { taskArn: arn, lastStatus: 'MISSING', exitCodes: {}, essentialContainers: [] };
      return observe(task, essentials.get(task.taskDefinitionArn ?? ''));
    });
  }

  /** Stops each task; a task already stopped or gone is fine. Throws the first other error. */
  async stopTasks(
    cluster: string,
    taskArns: readonly string[],
    reason: string,
    options: EcsCallOptions = {},
  ): Promise<void> {
    const truncated = reason.slice(0, MAX_STOP_REASON_LENGTH);
    let first: unknown;
    for (const task of new Set(taskArns)) {
      try {
        await this.#call(
          'StopTask',
          () => new StopTaskCommand({ cluster, task, reason: truncated }),
          options,
        );
      } catch (err) {
        if (err instanceof AwsRejectedError && /not found|already|stopped|missing/i.test(err.message)) {
          this.#log.debug('StopTask: task already stopped or gone', { taskArn: task, error: err.message });
          continue;
        }
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  /** Releases the client's sockets. */
  close(): void {
    this.#api.destroy?.();
  }

  async #limitRunTask(fargate: boolean, count: number): Promise<void> {
    await this.#limiters.runTask.acquire();
    if (fargate) {
      await this.#limiters.fargateRunTask.acquire();
      await this.#limiters.fargateTasks.acquire(count);
    }
  }

  /**
   * One ECS call: counted, retried with backoff while throttled, errors mapped to ours. The
   * command is built per attempt so that no SDK state carries over between attempts.
   */
  async #call<T>(
    operation: string,
    command: () => unknown,
    options: EcsCallOptions & { readonly beforeAttempt?: () => void } = {},
  ): Promise<T> {
    const api = options.identity === undefined ? this.#api : this.#clientFor(options.identity);
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw aborted(operation);
      // After every wait (the rate limiter, a throttling backoff) the fence may have fallen.
      options.beforeAttempt?.();
      // One deadline per attempt: the pass's cancellation or our own timeout, whichever is first.
      // The client's answer settles an abandoned attempt (the SDK rejects at once on abort).
      try {
        const out = await awsCall<T>((abortSignal) => api.send(command(), { abortSignal }) as Promise<T>, {
          clock: this.#clock,
          timeoutMs: this.#callTimeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
          settle: 'client',
          timedOut: (cause) =>
            new TransientError(`ECS ${operation} timed out after ${this.#callTimeoutMs} ms`, 'Timeout', {
              cause,
            }),
          cancelled: () => aborted(operation),
        });
        this.#metrics.request(operation, 'success');
        return out;
      } catch (err) {
        // A fence that fell during the call (it may have stopped an SDK retry) ends it with the
        // fence's own error, as the check before each attempt would; a cancelled pass stays that.
        if (!options.signal?.aborted) options.beforeAttempt?.();
        const mapped = mapAwsError(`ECS ${operation}`, err);
        if (mapped instanceof ThrottledError) {
          this.#metrics.request(operation, 'throttled');
          if (attempt >= this.#throttleRetries) throw mapped;
          const delay = backoffDelayMs(
            attempt,
            { initialMs: this.#backoffBaseMs, maxMs: this.#backoffMaxMs, jitter: 0.5 },
            this.#random,
          );
          this.#log.debug('ECS throttled; backing off', { operation, attempt, delayMs: delay });
          await this.#sleep(delay);
          continue;
        }
        this.#metrics.request(operation, 'error');
        throw mapped;
      }
    }
  }

  /** Which containers of a task definition are essential; undefined when it cannot be read. */
  #essentialFlags(
    taskDefinitionArn: string,
    options: EcsCallOptions,
  ): Promise<ReadonlyMap<string, boolean> | undefined> {
    const cached = this.#essential.get(taskDefinitionArn);
    if (cached !== undefined) return cached;
    const loading = this.#call<DescribeTaskDefinitionCommandOutput>(
      'DescribeTaskDefinition',
      () => new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }),
      options,
    ).then(
      (out) =>
        new Map(
          (out.taskDefinition?.containerDefinitions ?? []).flatMap((c) =>
            c.name ? [[c.name, c.essential ?? true] as const] : [],
          ),
        ),
      (err: unknown) => {
        // Without the definition every container counts as essential; try again next time.
        this.#essential.delete(taskDefinitionArn);
        this.#log.debug('DescribeTaskDefinition failed; treating all containers as essential', {
          taskDefinitionArn,
          error: `${awsErrorName(err)}: ${awsErrorMessage(err)}`,
        });
        return undefined;
      },
    );
    this.#essential.set(taskDefinitionArn, loading);
    // Definitions are immutable per revision, so the oldest entry is as good to drop as any.
    if (this.#essential.size > this.#cacheSize) {
      const oldest = this.#essential.keys().next().value;
      if (oldest !== undefined) this.#essential.delete(oldest);
    }
    return loading;
  }
}

function aborted(operation: string): TransientError {
  return new TransientError(`ECS ${operation} abandoned: the pass was cancelled`, 'Aborted');
}

function observe(task: Task, essential: ReadonlyMap<string, boolean> | undefined): TaskObservation {
  const exitCodes: Record<string, number> = {};
  const essentialContainers: string[] = [];
  for (const container of task.containers ?? []) {
    if (container.name === undefined) continue;
    if (container.exitCode !== undefined && container.exitCode !== null)
      exitCodes[container.name] = container.exitCode;
    if (essential?.get(container.name) ?? true) essentialContainers.push(container.name);
  }
  return {
    taskArn: task.taskArn ?? '',
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    ...(task.startedAt === undefined ? {} : { startedAt: new Date(task.startedAt) }),
    ...(task.stoppedAt === undefined ? {} : { stoppedAt: new Date(task.stoppedAt) }),
    ...(task.stopCode === undefined ? {} : { stopCode: task.stopCode }),
    ...(task.stoppedReason === undefined ? {} : { stoppedReason: task.stoppedReason }),
    exitCodes,
    essentialContainers,
  };
}

export interface CreateAwsTaskLauncherOptions extends Omit<AwsTaskLauncherOptions, 'client'> {
  /** AWS region. Default: the SDK's resolution (AWS_REGION, profile). */
  readonly region?: string;
  /** Endpoint override, for moto or LocalStack. Default: the real ECS endpoint. */
  readonly endpoint?: string;
  /** SDK-level attempts per call (its own retry strategy, under ours). Default 3. */
  readonly maxAttempts?: number;
  /** Socket connect timeout. Default 3 s. */
  readonly connectionTimeoutMs?: number;
  /** Deadline of one HTTP request, a TimeoutError past it. Default 10 s. */
  readonly requestTimeoutMs?: number;
}

/**
 * An AwsTaskLauncher on a real ECSClient. Credentials come from the SDK's default chain, so IRSA
 * and EKS Pod Identity work without configuration.
 */
export function createAwsTaskLauncher(options: CreateAwsTaskLauncherOptions = {}): AwsTaskLauncher {
  const { region, endpoint, maxAttempts, connectionTimeoutMs, requestTimeoutMs, ...rest } = options;
  const client = new ECSClient({
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    maxAttempts: maxAttempts ?? 3,
    // Keep-alive sockets with timeouts, so a hung connection fails fast.
    requestHandler: awsRequestHandler({
      ...(connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs }),
      ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
    }),
  });
  return new AwsTaskLauncher({ ...rest, client });
}
