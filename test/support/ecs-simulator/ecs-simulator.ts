// The simulated ECS account: clusters, task definitions, tasks and the RunTask ledger, behind the
// operations of ECS's JSON API. No HTTP here (server.ts speaks the protocol), no timers (a task's
// state is computed from the clock when it is asked for), and time and randomness are injected.
import { createHash, randomUUID } from 'node:crypto';
import {
  clientError,
  clusterNotFound,
  EcsApiError,
  invalidParameter,
  serverError,
  throttled,
} from './ecs-api-error.js';
import { FaultLog, type InjectedFaultKind } from './fault-log.js';
import { decideFaults, faultConfig, NO_FAULTS, type FaultConfig } from './faults.js';
import { QuotaGate, quotaProfile, type QuotaGroup, type QuotaProfile, type QuotaSetting } from './quotas.js';
import { RunTaskLedger } from './run-task-ledger.js';
import {
  DEFAULT_LIFECYCLE,
  familyLifecycle,
  lifecycleConfig,
  planTask,
  viewTask,
  type LifecycleConfig,
  type StopRequest,
  type TaskPlan,
  type TaskView,
} from './task-lifecycle.js';

type Json = Record<string, unknown>;

export interface EcsSimulatorOptions {
  /** Epoch milliseconds. Default Date.now. */
  readonly now?: () => number;
  /** In [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** "aws" (documented defaults), "off", or custom buckets. Default "aws". */
  readonly quotas?: QuotaSetting;
  /** Partial FaultConfig. Default: no faults. */
  readonly faults?: Partial<FaultConfig>;
  /** Partial LifecycleConfig. */
  readonly lifecycle?: Partial<LifecycleConfig>;
  /** How long a stopped task stays visible to DescribeTasks and ListTasks. Default 1 hour, as on ECS. */
  readonly stoppedTaskRetentionMs?: number;
  /** How long a clientToken is remembered. Default 24 hours. */
  readonly clientTokenTtlMs?: number;
  /** Default us-east-1. */
  readonly region?: string;
  /** Default 123456789012. */
  readonly accountId?: string;
  /** Clusters that exist from the start. "default" always does. */
  readonly clusters?: readonly string[];
  /** RegisterTaskDefinition inputs registered at the start. */
  readonly taskDefinitions?: readonly Json[];
  /** Ledger entries kept (the report and per-run summaries stay exact beyond it). Default 200,000. */
  readonly ledgerLimit?: number;
  /** Injected faults kept in the fault log (its counts stay exact beyond it). Default 100,000. */
  readonly faultLogLimit?: number;
}

/** What to do with one call: answer it (after `delayMs`), or never answer. */
export type Served =
  | { readonly kind: 'answer'; readonly status: number; readonly body: Json; readonly delayMs: number }
  | { readonly kind: 'blackHole' };

export interface OperationStats {
  calls: number;
  ok: number;
  /** Refused by a quota bucket or by an injected throttle. */
  throttled: number;
  /** Injected ServerException, including lost RunTask responses. */
  serverErrors: number;
  /** Other errors, by __type. */
  errors: Record<string, number>;
  blackHoled: number;
}

export interface SimulatorStats {
  readonly startedAt: number;
  readonly now: number;
  readonly operations: Record<string, OperationStats>;
  readonly totals: { calls: number; throttled: number; serverErrors: number; blackHoled: number };
  readonly tasks: { tracked: number; launched: number };
}

interface TaskDefinition {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly body: Json;
  readonly containers: readonly {
    readonly name: string;
    readonly essential: boolean;
    readonly image?: string;
  }[];
  readonly networkMode: string;
}

interface SimTask {
  readonly seq: number;
  readonly arn: string;
  readonly id: string;
  readonly cluster: string;
  readonly definition: TaskDefinition;
  readonly launchType: string;
  readonly startedBy?: string;
  readonly group: string;
  readonly overrides: Json;
  readonly tags: readonly Json[];
  readonly plan: TaskPlan;
  stop?: StopRequest;
}

interface TokenRecord {
  readonly fingerprint: string;
  readonly at: number;
  readonly taskArns: readonly string[];
  readonly failures: readonly Json[];
}

const OPERATIONS = [
  'RunTask',
  'DescribeTasks',
  'ListTasks',
  'StopTask',
  'DescribeTaskDefinition',
  'RegisterTaskDefinition',
  'CreateCluster',
  'DescribeClusters',
] as const;
export type EcsOperation = (typeof OPERATIONS)[number];

const QUOTA_GROUP: Record<EcsOperation, QuotaGroup | undefined> = {
  RunTask: 'runTask',
  DescribeTasks: 'taskRead',
  ListTasks: 'taskRead',
  StopTask: 'taskModify',
  DescribeTaskDefinition: 'taskDefinitionRead',
  RegisterTaskDefinition: undefined,
  CreateCluster: undefined,
  DescribeClusters: 'clusterRead',
};

const MAX_DESCRIBE = 100;
const MAX_LIST_RESULTS = 100;
const MAX_RUN_COUNT = 10;
const MAX_CLIENT_TOKEN = 64;
const MAX_STARTED_BY = 128;
const MAX_TAGS = 50;
const SWEEP_EVERY_MS = 5_000;
const HOUR_MS = 3_600_000;

export function isEcsOperation(name: string): name is EcsOperation {
  return (OPERATIONS as readonly string[]).includes(name);
}

const emptyStats = (): OperationStats => ({
  calls: 0,
  ok: 0,
  throttled: 0,
  serverErrors: 0,
  errors: {},
  blackHoled: 0,
});

/** Stable JSON: keys sorted, so two equal requests fingerprint the same whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((k) => (value as Json)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Json)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

const seconds = (ms: number) => ms / 1000;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class EcsSimulator {
  readonly ledger: RunTaskLedger;
  /** Every injected fault, with the startedBy and clientToken of the request it struck. */
  readonly faultLog: FaultLog;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #region: string;
  readonly #account: string;
  readonly #retentionMs: number;
  readonly #tokenTtlMs: number;
  readonly #seedClusters: readonly string[];
  readonly #seedDefinitions: readonly Json[];
  readonly #initialFaults: FaultConfig;
  readonly #initialLifecycle: LifecycleConfig;
  readonly #initialQuotas: QuotaProfile;
  #quotaProfile: QuotaProfile;
  #quotas: QuotaGate;
  #faults: FaultConfig;
  /** RunTask calls since the faults were set: what `lostResponseCalls` numbers. */
  #runTaskCalls = 0;
  #lifecycle: LifecycleConfig;
  #clusters = new Map<string, Map<string, SimTask>>();
  #definitions = new Map<string, TaskDefinition[]>();
  #tasks = new Map<string, SimTask>();
  #byStartedBy = new Map<string, Set<string>>();
  #tokens = new Map<string, TokenRecord>();
  #seq = 0;
  #launched = 0;
  #lastSweep: number;
  #startedAt: number;
  #stats = new Map<string, OperationStats>();

  constructor(options: EcsSimulatorOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#region = options.region ?? 'us-east-1';
    this.#account = options.accountId ?? '123456789012';
    this.#retentionMs = options.stoppedTaskRetentionMs ?? HOUR_MS;
    this.#tokenTtlMs = options.clientTokenTtlMs ?? 24 * HOUR_MS;
    this.#initialQuotas = quotaProfile(options.quotas ?? 'aws');
    this.#quotaProfile = this.#initialQuotas;
    this.#quotas = new QuotaGate(this.#quotaProfile, this.#now);
    this.#initialFaults = faultConfig(options.faults ?? {});
    this.#faults = this.#initialFaults;
    this.#initialLifecycle = lifecycleConfig(options.lifecycle ?? {});
    this.#lifecycle = this.#initialLifecycle;
    this.ledger = new RunTaskLedger(options.ledgerLimit);
    this.faultLog = new FaultLog(options.faultLogLimit);
    this.#seedClusters = ['default', ...(options.clusters ?? [])];
    this.#seedDefinitions = options.taskDefinitions ?? [];
    this.#startedAt = this.#now();
    this.#lastSweep = this.#startedAt;
    this.#seed();
  }

  // ---- configuration at runtime ------------------------------------------------------------

  get faults(): FaultConfig {
    return this.#faults;
  }

  /** Replaces the faults (fields left out take their defaults: no fault). */
  setFaults(input: unknown): FaultConfig {
    this.#faults = faultConfig(input);
    this.#runTaskCalls = 0;
    return this.#faults;
  }

  get lifecycle(): LifecycleConfig {
    return this.#lifecycle;
  }

  /** Changes the lifecycle of tasks launched from now on; fields left out keep their values. */
  setLifecycle(input: unknown): LifecycleConfig {
    this.#lifecycle = lifecycleConfig(input, this.#lifecycle);
    return this.#lifecycle;
  }

  get quotas(): QuotaProfile {
    return this.#quotaProfile;
  }

  /** New buckets, full. */
  setQuotas(input: unknown): QuotaProfile {
    this.#quotaProfile = quotaProfile(input);
    this.#quotas = new QuotaGate(this.#quotaProfile, this.#now);
    return this.#quotaProfile;
  }

  /**
   * Back to the state at construction: the seeded clusters and task definitions only, no tasks,
   * tokens, ledger or stats; the start-up faults, lifecycle and quotas with full buckets.
   */
  reset(): void {
    this.#clusters = new Map();
    this.#definitions = new Map();
    this.#tasks = new Map();
    this.#byStartedBy = new Map();
    this.#tokens = new Map();
    this.#stats = new Map();
    this.#seq = 0;
    this.#launched = 0;
    this.ledger.clear();
    this.faultLog.clear();
    this.#faults = this.#initialFaults;
    this.#runTaskCalls = 0;
    this.#lifecycle = this.#initialLifecycle;
    this.#quotaProfile = this.#initialQuotas;
    this.#quotas = new QuotaGate(this.#quotaProfile, this.#now);
    this.#startedAt = this.#now();
    this.#lastSweep = this.#startedAt;
    this.#seed();
  }

  stats(): SimulatorStats {
    const operations: Record<string, OperationStats> = {};
    const totals = { calls: 0, throttled: 0, serverErrors: 0, blackHoled: 0 };
    for (const [op, s] of this.#stats) {
      operations[op] = structuredClone(s);
      totals.calls += s.calls;
      totals.throttled += s.throttled;
      totals.serverErrors += s.serverErrors;
      totals.blackHoled += s.blackHoled;
    }
    return {
      startedAt: this.#startedAt,
      now: this.#now(),
      operations,
      totals,
      tasks: { tracked: this.#tasks.size, launched: this.#launched },
    };
  }

  // ---- the ECS surface ---------------------------------------------------------------------

  /**
   * One call as the protocol sees it: faults, quotas, then the operation. Errors come back as an
   * answer with their status; nothing throws.
   */
  serve(operation: string, input: unknown, caller?: string): Served {
    const stats = this.#statsFor(operation);
    stats.calls++;
    const runTaskCall = operation === 'RunTask' ? ++this.#runTaskCalls : 0;
    const decision = decideFaults(this.#faults, operation, this.#random, runTaskCall);
    const injected = (fault: InjectedFaultKind, detail?: number) =>
      this.#recordFault(operation, input, fault, detail);
    if (decision.blackHole) {
      injected('blackHole');
      stats.blackHoled++;
      return { kind: 'blackHole' };
    }
    if (decision.delayMs > this.#faults.latencyMs)
      injected('latencySpike', decision.delayMs - this.#faults.latencyMs);
    const answer = (status: number, body: Json): Served => ({
      kind: 'answer',
      status,
      body,
      delayMs: decision.delayMs,
    });
    const fail = (err: EcsApiError): Served => {
      if (err.type === 'ThrottlingException') stats.throttled++;
      else if (err.type === 'ServerException') stats.serverErrors++;
      else stats.errors[err.type] = (stats.errors[err.type] ?? 0) + 1;
      return answer(err.status, err.body());
    };
    if (!isEcsOperation(operation))
      return fail(new EcsApiError('UnknownOperationException', `operation ${operation} is not simulated`));
    if (decision.serverError) {
      injected('serverError');
      return fail(serverError());
    }
    if (decision.throttle) {
      injected('throttle');
      return fail(throttled());
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return fail(new EcsApiError('SerializationException', 'the request body must be a JSON object'));
    try {
      this.#sweep();
      const body = this.#dispatch(operation, input as Json, caller);
      if (decision.hangAfterLaunch) {
        injected('hangAfterLaunch');
        stats.blackHoled++;
        return { kind: 'blackHole' };
      }
      if (decision.loseResponse) {
        injected('lostResponse');
        return fail(serverError('We encountered an internal error. Please try again.'));
      }
      stats.ok++;
      return answer(200, body);
    } catch (err) {
      if (err instanceof EcsApiError) return fail(err);
      throw err;
    }
  }

  /** Calls an operation in-process, throwing EcsApiError as the SDK would throw its exception. */
  call(operation: EcsOperation, input: Json): Json {
    const served = this.serve(operation, input);
    if (served.kind === 'blackHole') throw new Error(`${operation}: black-holed (an HTTP client would hang)`);
    if (served.status !== 200) {
      const { __type, message, ...fields } = served.body;
      throw new EcsApiError(String(__type), String(message), served.status, fields);
    }
    return served.body;
  }

  #dispatch(operation: EcsOperation, input: Json, caller: string | undefined): Json {
    const group = QUOTA_GROUP[operation];
    switch (operation) {
      case 'RunTask':
        return this.#runTask(input, caller);
      case 'DescribeTasks':
        this.#takeQuota([[group!, 1]]);
        return this.#describeTasks(input);
      case 'ListTasks':
        this.#takeQuota([[group!, 1]]);
        return this.#listTasks(input);
      case 'StopTask':
        this.#takeQuota([[group!, 1]]);
        return this.#stopTask(input);
      case 'DescribeTaskDefinition':
        this.#takeQuota([[group!, 1]]);
        return this.#describeTaskDefinition(input);
      case 'RegisterTaskDefinition':
        return { taskDefinition: this.#definitionJson(this.#register(input)), tags: input.tags ?? [] };
      case 'CreateCluster':
        return this.#createCluster(input);
      case 'DescribeClusters':
        this.#takeQuota([[group!, 1]]);
        return this.#describeClusters(input);
    }
  }

  #takeQuota(demands: readonly (readonly [QuotaGroup, number])[]): void {
    if (!this.#quotas.take(demands)) throw throttled();
  }

  // ---- RunTask -------------------------------------------------------------------------------

  #runTask(input: Json, caller: string | undefined): Json {
    const cluster = this.#cluster(input.cluster);
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_RUN_COUNT)
      throw invalidParameter(`count must be between 1 and ${MAX_RUN_COUNT}.`);
    const n = count as number;
    const token = str(input.clientToken);
    if (
      input.clientToken !== undefined &&
      (token === undefined || token.length === 0 || token.length > MAX_CLIENT_TOKEN)
    )
      throw invalidParameter(`clientToken must be 1 to ${MAX_CLIENT_TOKEN} characters.`);
    const startedBy = str(input.startedBy);
    if (startedBy !== undefined && startedBy.length > MAX_STARTED_BY)
      throw invalidParameter(`startedBy must be at most ${MAX_STARTED_BY} characters.`);
    const tags = input.tags ?? [];
    if (!Array.isArray(tags) || tags.length > MAX_TAGS)
      throw invalidParameter(`Tags must be an array of at most ${MAX_TAGS} tags.`);
    const definition = this.#definition(input.taskDefinition);
    const strategy = Array.isArray(input.capacityProviderStrategy)
      ? (input.capacityProviderStrategy as Json[])
      : [];
    const launchType =
      str(input.launchType) ??
      (strategy.some((s) => str(s.capacityProvider)?.startsWith('FARGATE')) ? 'FARGATE' : 'EC2');
    if (input.launchType !== undefined && strategy.length > 0)
      throw invalidParameter(
        'Specifying both a launch type and capacity provider strategy is not supported.',
      );
    const awsvpc = (input.networkConfiguration as Json | undefined)?.awsvpcConfiguration as Json | undefined;
    if (definition.networkMode === 'awsvpc' && !(Array.isArray(awsvpc?.subnets) && awsvpc.subnets.length > 0))
      throw invalidParameter(
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );

    const fargate = launchType === 'FARGATE';
    const demands: [QuotaGroup, number][] = [['runTask', 1]];
    if (fargate) demands.push(['fargateRunTask', 1], ['fargateTasks', n]);
    this.#takeQuota(demands);

    const now = this.#now();
    const base = {
      at: now,
      cluster,
      taskDefinition: definition.arn,
      ...(startedBy === undefined ? {} : { startedBy }),
      ...(token === undefined ? {} : { clientToken: token }),
      ...(caller === undefined ? {} : { caller }),
      count: n,
    };
    let fingerprint = '';
    if (token !== undefined) {
      const { clientToken: _ignored, ...rest } = input;
      // A digest, not the request itself: a day of tokens stays small.
      fingerprint = createHash('sha256')
        .update(canonical({ ...rest, cluster, taskDefinition: definition.arn, count: n }))
        .digest('base64');
      const seen = this.#tokens.get(token);
      if (seen !== undefined && now - seen.at < this.#tokenTtlMs) {
        if (seen.fingerprint !== fingerprint) {
          this.ledger.record({ ...base, outcome: 'conflict', taskArns: seen.taskArns, failures: 0 });
          throw new EcsApiError(
            'ConflictException',
            'The specified client token has already been used in a request with different parameters.',
            400,
            { resourceIds: [...seen.taskArns] },
          );
        }
        this.ledger.record({
          ...base,
          outcome: 'replay',
          taskArns: seen.taskArns,
          failures: seen.failures.length,
        });
        const tasks = seen.taskArns.flatMap((arn) => {
          const t = this.#tasks.get(arn);
          return t === undefined ? [] : [this.#taskJson(t, now, false)];
        });
        return { tasks, failures: seen.failures };
      }
    }

    const tasks: SimTask[] = [];
    const failures: Json[] = [];
    const lifecycle = familyLifecycle(this.#lifecycle, definition.family);
    for (let i = 0; i < n; i++) {
      if (
        this.#faults.capacityFailureRate > 0 &&
        this.#faultApplies('RunTask') &&
        this.#random() < this.#faults.capacityFailureRate
      ) {
        failures.push({ reason: this.#faults.capacityReason });
        continue;
      }
      tasks.push(
        this.#launch(cluster, definition, launchType, startedBy, input, tags as Json[], lifecycle, now),
      );
    }
    if (failures.length > 0) this.#recordFault('RunTask', input, 'capacity', failures.length);
    const taskArns = tasks.map((t) => t.arn);
    this.ledger.record({
      ...base,
      outcome: tasks.length > 0 ? 'accepted' : 'unplaced',
      taskArns,
      failures: failures.length,
    });
    // A call that placed nothing leaves the token free, so a retry of it can still launch.
    if (token !== undefined && tasks.length > 0)
      this.#tokens.set(token, { fingerprint, at: now, taskArns, failures });
    return { tasks: tasks.map((t) => this.#taskJson(t, now, false)), failures };
  }

  #recordFault(operation: string, input: unknown, fault: InjectedFaultKind, detail?: number): void {
    const request = typeof input === 'object' && input !== null ? (input as Json) : {};
    // Cut to what ECS accepts (and a little more), so a malformed request cannot bloat the log.
    const startedBy = str(request.startedBy)?.slice(0, 2 * MAX_STARTED_BY);
    const clientToken = str(request.clientToken)?.slice(0, 2 * MAX_CLIENT_TOKEN);
    this.faultLog.record({
      at: this.#now(),
      operation,
      fault,
      ...(startedBy === undefined ? {} : { startedBy }),
      ...(clientToken === undefined ? {} : { clientToken }),
      ...(detail === undefined ? {} : { detail }),
    });
  }

  #faultApplies(operation: string): boolean {
    return this.#faults.operations === undefined || this.#faults.operations.includes(operation);
  }

  #launch(
    cluster: string,
    definition: TaskDefinition,
    launchType: string,
    startedBy: string | undefined,
    input: Json,
    tags: readonly Json[],
    lifecycle: ReturnType<typeof familyLifecycle>,
    now: number,
  ): SimTask {
    const id = randomUUID().replaceAll('-', '');
    const arn = `arn:aws:ecs:${this.#region}:${this.#account}:task/${cluster}/${id}`;
    const task: SimTask = {
      seq: this.#seq++,
      arn,
      id,
      cluster,
      definition,
      launchType,
      ...(startedBy === undefined ? {} : { startedBy }),
      group: str(input.group) ?? `family:${definition.family}`,
      overrides: (input.overrides as Json | undefined) ?? {
        containerOverrides: [],
        inferenceAcceleratorOverrides: [],
      },
      tags,
      plan: planTask(lifecycle, now, definition.containers, this.#random),
    };
    this.#tasks.set(arn, task);
    this.#clusters.get(cluster)!.set(arn, task);
    if (startedBy !== undefined) {
      let set = this.#byStartedBy.get(startedBy);
      if (set === undefined) this.#byStartedBy.set(startedBy, (set = new Set()));
      set.add(arn);
    }
    this.#launched++;
    return task;
  }

  // ---- reads and StopTask --------------------------------------------------------------------

  #describeTasks(input: Json): Json {
    const cluster = this.#cluster(input.cluster);
    const refs = input.tasks;
    if (!Array.isArray(refs) || refs.length === 0) throw invalidParameter('Tasks cannot be empty.');
    if (refs.length > MAX_DESCRIBE)
      throw invalidParameter(`Tasks cannot contain more than ${MAX_DESCRIBE} items.`);
    const withTags = Array.isArray(input.include) && input.include.includes('TAGS');
    const now = this.#now();
    const tasks: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      const task = typeof ref === 'string' ? this.#visibleTask(cluster, ref, now) : undefined;
      if (task === undefined) failures.push({ arn: this.#taskArnOf(cluster, ref), reason: 'MISSING' });
      else tasks.push(this.#taskJson(task, now, withTags));
    }
    return { tasks, failures };
  }

  #listTasks(input: Json): Json {
    const cluster = this.#cluster(input.cluster);
    const maxResults = input.maxResults ?? MAX_LIST_RESULTS;
    if (
      !Number.isInteger(maxResults) ||
      (maxResults as number) < 1 ||
      (maxResults as number) > MAX_LIST_RESULTS
    )
      throw invalidParameter(`maxResults must be between 1 and ${MAX_LIST_RESULTS}.`);
    const desired = str(input.desiredStatus) ?? 'RUNNING';
    const family = str(input.family);
    const startedBy = str(input.startedBy);
    const launchType = str(input.launchType);
    let after = -1;
    if (input.nextToken !== undefined) after = this.#cursor(input.nextToken);
    const now = this.#now();
    const candidates: Iterable<SimTask> =
      startedBy === undefined
        ? this.#clusters.get(cluster)!.values()
        : [...(this.#byStartedBy.get(startedBy) ?? [])].flatMap((arn) => {
            const t = this.#tasks.get(arn);
            return t !== undefined && t.cluster === cluster ? [t] : [];
          });
    const page: SimTask[] = [];
    let more = false;
    for (const task of candidates) {
      if (task.seq <= after) continue;
      if (family !== undefined && task.definition.family !== family) continue;
      if (launchType !== undefined && task.launchType !== launchType) continue;
      const view = this.#visibleView(task, now);
      if (view === undefined || view.desiredStatus !== desired) continue;
      if (page.length === maxResults) {
        more = true;
        break;
      }
      page.push(task);
    }
    const last = page.at(-1);
    return {
      taskArns: page.map((t) => t.arn),
      ...(more && last !== undefined
        ? { nextToken: Buffer.from(`seq:${last.seq}`).toString('base64url') }
        : {}),
    };
  }

  #cursor(token: unknown): number {
    const match =
      typeof token === 'string' ? /^seq:(\d+)$/.exec(Buffer.from(token, 'base64url').toString()) : null;
    if (match === null) throw invalidParameter('Invalid nextToken.');
    return Number(match[1]);
  }

  #stopTask(input: Json): Json {
    const cluster = this.#cluster(input.cluster);
    if (typeof input.task !== 'string' || input.task === '') throw invalidParameter('Task cannot be empty.');
    const now = this.#now();
    const task = this.#visibleTask(cluster, input.task, now);
    if (task === undefined) throw invalidParameter('The referenced task was not found.');
    const reason = str(input.reason) ?? '';
    if (reason.length > 255) throw invalidParameter('Reason must be at most 255 characters.');
    if (task.stop === undefined && viewTask(task.plan, undefined, now).desiredStatus === 'RUNNING')
      task.stop = { at: now, reason: reason === '' ? 'Task stopped by user' : reason };
    return { task: this.#taskJson(task, now, false) };
  }

  #visibleTask(cluster: string, ref: string, now: number): SimTask | undefined {
    const task = this.#tasks.get(this.#taskArnOf(cluster, ref));
    if (task === undefined || task.cluster !== cluster) return undefined;
    return this.#visibleView(task, now) === undefined ? undefined : task;
  }

  /** The task's view, or undefined once it has been stopped for longer than the retention. */
  #visibleView(task: SimTask, now: number): TaskView | undefined {
    const view = viewTask(task.plan, task.stop, now);
    if (view.stoppedAt !== undefined && now - view.stoppedAt >= this.#retentionMs) return undefined;
    return view;
  }

  #taskArnOf(cluster: string, ref: unknown): string {
    const s = String(ref);
    return s.startsWith('arn:') ? s : `arn:aws:ecs:${this.#region}:${this.#account}:task/${cluster}/${s}`;
  }

  /** Forgets tasks past their retention and tokens past their window, so memory stays bounded. */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    for (const task of this.#tasks.values()) {
      if (this.#visibleView(task, now) !== undefined) continue;
      this.#tasks.delete(task.arn);
      this.#clusters.get(task.cluster)?.delete(task.arn);
      if (task.startedBy !== undefined) {
        const set = this.#byStartedBy.get(task.startedBy);
        set?.delete(task.arn);
        if (set?.size === 0) this.#byStartedBy.delete(task.startedBy);
      }
    }
    for (const [token, record] of this.#tokens)
      if (now - record.at >= this.#tokenTtlMs) this.#tokens.delete(token);
  }

  #taskJson(task: SimTask, now: number, withTags: boolean): Json {
    const view = viewTask(task.plan, task.stop, now);
    const containerStatus =
      view.lastStatus === 'PROVISIONING' || view.lastStatus === 'PENDING'
        ? 'PENDING'
        : view.lastStatus === 'STOPPED'
          ? 'STOPPED'
          : 'RUNNING';
    const def = task.definition;
    return {
      taskArn: task.arn,
      clusterArn: this.#clusterArn(task.cluster),
      taskDefinitionArn: def.arn,
      lastStatus: view.lastStatus,
      desiredStatus: view.desiredStatus,
      launchType: task.launchType,
      createdAt: seconds(task.plan.createdAt),
      ...(view.startedAt === undefined
        ? {}
        : {
            startedAt: seconds(view.startedAt),
            pullStartedAt: seconds(task.plan.pendingAt),
            pullStoppedAt: seconds(view.startedAt),
          }),
      ...(view.stoppingAt === undefined
        ? {}
        : { stoppingAt: seconds(view.stoppingAt), executionStoppedAt: seconds(view.stoppingAt) }),
      ...(view.stoppedAt === undefined ? {} : { stoppedAt: seconds(view.stoppedAt) }),
      ...(view.stopCode === undefined ? {} : { stopCode: view.stopCode }),
      ...(view.stoppedReason === undefined ? {} : { stoppedReason: view.stoppedReason }),
      ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
      group: task.group,
      version:
        ['PROVISIONING', 'PENDING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'STOPPED'].indexOf(
          view.lastStatus,
        ) + 1,
      ...(str(def.body.cpu) === undefined ? {} : { cpu: def.body.cpu }),
      ...(str(def.body.memory) === undefined ? {} : { memory: def.body.memory }),
      overrides: task.overrides,
      attachments: [],
      containers: def.containers.map((c, i) => ({
        containerArn: `arn:aws:ecs:${this.#region}:${this.#account}:container/${task.cluster}/${task.id}/${i}`,
        taskArn: task.arn,
        name: c.name,
        ...(c.image === undefined ? {} : { image: c.image }),
        lastStatus: containerStatus,
        ...(view.exitCodes?.[c.name] === undefined ? {} : { exitCode: view.exitCodes[c.name] }),
      })),
      ...(withTags ? { tags: task.tags } : {}),
    };
  }

  // ---- clusters and task definitions ---------------------------------------------------------

  #seed(): void {
    for (const name of this.#seedClusters) this.#clusters.set(name, this.#clusters.get(name) ?? new Map());
    for (const def of this.#seedDefinitions) this.#register(def);
  }

  #clusterArn(name: string): string {
    return `arn:aws:ecs:${this.#region}:${this.#account}:cluster/${name}`;
  }

  /** The cluster's name, from a name or an ARN; "default" when unset. */
  #cluster(ref: unknown): string {
    const s = str(ref) ?? 'default';
    const name = s.startsWith('arn:') ? s.slice(s.indexOf(':cluster/') + ':cluster/'.length) : s;
    if (!this.#clusters.has(name)) throw clusterNotFound();
    return name;
  }

  #createCluster(input: Json): Json {
    const name = str(input.clusterName) ?? 'default';
    if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) throw invalidParameter('Invalid cluster name.');
    if (!this.#clusters.has(name)) this.#clusters.set(name, new Map());
    return { cluster: this.#clusterJson(name) };
  }

  #describeClusters(input: Json): Json {
    const refs = Array.isArray(input.clusters) ? input.clusters : ['default'];
    const clusters: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      try {
        clusters.push(this.#clusterJson(this.#cluster(ref)));
      } catch {
        failures.push({ arn: String(ref), reason: 'MISSING' });
      }
    }
    return { clusters, failures };
  }

  #clusterJson(name: string): Json {
    return { clusterArn: this.#clusterArn(name), clusterName: name, status: 'ACTIVE' };
  }

  #register(input: Json): TaskDefinition {
    const family = str(input.family);
    if (family === undefined || !/^[a-zA-Z0-9_-]{1,255}$/.test(family))
      throw clientError('Family must be 1 to 255 letters, numbers, hyphens and underscores.');
    const containers = input.containerDefinitions;
    if (!Array.isArray(containers) || containers.length === 0)
      throw clientError('Container list cannot be empty.');
    const parsed = containers.map((c: Json, i: number) => {
      const name = str(c?.name);
      if (name === undefined || name === '')
        throw clientError(`containerDefinitions[${i}].name cannot be empty.`);
      return {
        name,
        essential: c.essential !== false,
        ...(str(c.image) === undefined ? {} : { image: c.image as string }),
      };
    });
    const revisions = this.#definitions.get(family) ?? [];
    const revision = revisions.length + 1;
    const arn = `arn:aws:ecs:${this.#region}:${this.#account}:task-definition/${family}:${revision}`;
    const { tags: _tags, ...body } = input;
    const def: TaskDefinition = {
      arn,
      family,
      revision,
      body,
      containers: parsed,
      networkMode: str(input.networkMode) ?? 'bridge',
    };
    revisions.push(def);
    this.#definitions.set(family, revisions);
    return def;
  }

  /** A task definition by family (latest revision), family:revision, or ARN. */
  #definition(ref: unknown): TaskDefinition {
    const s = str(ref);
    if (s === undefined || s === '') throw clientError('TaskDefinition can not be blank.');
    const short = s.startsWith('arn:')
      ? s.slice(s.indexOf(':task-definition/') + ':task-definition/'.length)
      : s;
    const [family = '', rev] = short.split(':');
    const revisions = this.#definitions.get(family);
    const def = rev === undefined ? revisions?.at(-1) : revisions?.[Number(rev) - 1];
    if (def === undefined) throw clientError('Unable to describe task definition.');
    return def;
  }

  #describeTaskDefinition(input: Json): Json {
    return { taskDefinition: this.#definitionJson(this.#definition(input.taskDefinition)), tags: [] };
  }

  #definitionJson(def: TaskDefinition): Json {
    return {
      ...def.body,
      taskDefinitionArn: def.arn,
      family: def.family,
      revision: def.revision,
      status: 'ACTIVE',
      networkMode: def.networkMode,
      containerDefinitions: (def.body.containerDefinitions as Json[]).map((c) => ({ essential: true, ...c })),
      registeredAt: seconds(this.#startedAt),
    };
  }

  #statsFor(operation: string): OperationStats {
    let s = this.#stats.get(operation);
    if (s === undefined) this.#stats.set(operation, (s = emptyStats()));
    return s;
  }
}

export { NO_FAULTS, DEFAULT_LIFECYCLE };
