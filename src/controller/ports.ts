// The ports the pure core talks through. Adapters (kube/, ecs/, trigger/, standalone/) implement
// them; unit tests use in-memory fakes of them. Nothing here imports a client library.
import type { EcsScheduledTaskResource, Status, TaskSpec } from '../api/types.js';

/** `namespace/name` of a resource; the work queue's key. */
export type ResourceKey = string;

export function keyOf(resource: Pick<EcsScheduledTaskResource, 'metadata'>): ResourceKey {
  return `${resource.metadata.namespace ?? 'default'}/${resource.metadata.name ?? ''}`;
}

/** Where resources live: the Kubernetes API server, or a folder of manifests in standalone mode. */
export interface ResourceStore {
  /** The cached copy, or undefined when the resource is gone. Callers must not mutate it. */
  get(key: ResourceKey): EcsScheduledTaskResource | undefined;
  /**
   * Replaces the status, guarded by `metadata.resourceVersion` of `resource`. Throws ConflictError
   * when the stored copy is newer. Returns the stored resource after the write.
   */
  writeStatus(resource: EcsScheduledTaskResource, status: Status): Promise<EcsScheduledTaskResource>;
}

export type EventType = 'Normal' | 'Warning';

/** CamelCase reasons, as Kubernetes events use them. */
export const EventReason = {
  Launched: 'Launched',
  LaunchFailed: 'LaunchFailed',
  MissedSchedule: 'MissedSchedule',
  RunSucceeded: 'RunSucceeded',
  RunFailed: 'RunFailed',
  InvalidSpec: 'InvalidSpec',
  DeadlineExceeded: 'DeadlineExceeded',
  Skipped: 'Skipped',
  DryRun: 'DryRun',
  /** BufferOne: a due run waits for the running one. */
  Buffered: 'Buffered',
} as const;

/**
 * What varies between occurrences of an event and is kept out of its message, so that repeats stay
 * one Event series: the Kubernetes recorder leaves it out, a log line carries it as fields.
 */
export interface EventDetails {
  /** The run the event is about. */
  readonly scheduledTime?: string;
}

export interface EventRecorder {
  record(
    resource: EcsScheduledTaskResource,
    type: EventType,
    reason: string,
    message: string,
    details?: EventDetails,
  ): void;
}

/** One RunTask call's worth of intent, fully resolved by the core. */
export interface LaunchRequest {
  readonly cluster: string;
  readonly task: TaskSpec;
  readonly count: number;
  /** Identifies resource + scheduled time; ListTasks can filter on it (128 chars max). */
  readonly startedBy: string;
  /**
   * Idempotency token of the first RunTask batch (64 chars max); batch i > 0 appends `-b<i>`. The
   * same run and attempt always send the same token, on every replica, so ECS answers a repeated
   * request with the tasks it already started. moto ignores it, so it is not our only guard.
   */
  readonly clientToken: string;
  /** Our tags, merged with the user's. */
  readonly tags: readonly { key: string; value: string }[];
  /** Launch as this role (the policy's `assumeRoleArn`); default: the controller's own. */
  readonly identity?: AwsIdentity;
  /**
   * Index of the first batch (default 0). Resending the unconfirmed batches of an earlier launch
   * starts at the first of them, so each batch goes out again under its own original token.
   */
  readonly firstBatch?: number;
}

/** RunTask starts at most 10 tasks per call: a launch goes out in batches of this many. */
export const TASKS_PER_BATCH = 10;

/**
 * Asked right before every call that can start tasks (each RunTask batch, each retry of one after
 * throttling, after every wait for the rate limiter); throws PassAbortedError when this replica may
 * no longer launch. The lease fence today (see fencing.ts); a per-shard fence implements the same.
 */
export type LaunchCheck = () => void;

/** Options of TaskLauncher.runTasks. */
export interface LaunchCallOptions {
  /** Abandons the call in flight (TransientError 'Aborted'), e.g. when leadership is lost. */
  readonly signal?: AbortSignal;
  /** Default: every call may go out. */
  readonly mayLaunch?: LaunchCheck;
}

/**
 * Batches of a launch that got no answer: the first of them was sent and its answer lost (a
 * timeout, a 5xx, throttling past the retries, an abort), or the fence stopped the launch before
 * it; the ones after it were never sent. Their tasks may or may not run: the run is not fully
 * known until they are resent with their original tokens or found by startedBy.
 */
export interface UnconfirmedBatches {
  /** Index of the first batch without an answer (absolute: `firstBatch` counted in). */
  readonly fromBatch: number;
  /** Tasks those batches asked for. */
  readonly count: number;
  /** Why the answer is missing. */
  readonly error: Error;
}

/** Per-call options of the TaskLauncher port. */
export interface EcsCallOptions {
  /** Call ECS as this role (the policy's `assumeRoleArn`); default: the controller's own. */
  readonly identity?: AwsIdentity;
  /** Abandons the call (TransientError 'Aborted'), e.g. when leadership is lost. */
  readonly signal?: AbortSignal;
}

export interface LaunchedTask {
  readonly taskArn: string;
  readonly lastStatus?: string;
}

export interface LaunchFailure {
  readonly arn?: string;
  readonly reason: string;
  readonly detail?: string;
  /** Worth retrying within the launch window: no capacity, or a lost container instance (AGENT, MISSING). */
  readonly capacity: boolean;
}

export interface LaunchResult {
  readonly tasks: readonly LaunchedTask[];
  readonly failures: readonly LaunchFailure[];
  readonly dryRun?: boolean;
  /**
   * When ECS accepted the first batch that started tasks, read after the call returned: later
   * than the pass's `now` by any wait for the client-side RunTask quota. It is the run's
   * launchedAt. Absent when nothing started.
   */
  readonly acceptedAt?: Date;
  /** Set when a batch after the first tasks started got no answer; see UnconfirmedBatches. */
  readonly unconfirmed?: UnconfirmedBatches;
}

export interface TaskObservation {
  readonly taskArn: string;
  /** MISSING when ECS does not (yet) know the ARN: eventual consistency, not an error. */
  readonly lastStatus: string;
  readonly startedAt?: Date;
  readonly stoppedAt?: Date;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  /** Exit code per container that has one. */
  readonly exitCodes: Readonly<Record<string, number>>;
  /** Names of essential containers; a run succeeds when every one of them exited 0. */
  readonly essentialContainers: readonly string[];
}

/** ECS, behind a port. The AWS adapter batches, rate-limits and maps errors to ours. */
export interface TaskLauncher {
  /**
   * Launches `count` tasks, in batches of at most 10. A batch ECS answers with ConflictException
   * (its token already used with other parameters) contributes the tasks ECS names for that token,
   * as launched tasks: they are this run's, never a failure. When nothing started yet, an error
   * is thrown; once tasks started, a batch without an answer ends the launch with `unconfirmed`.
   */
  runTasks(request: LaunchRequest, options?: LaunchCallOptions): Promise<LaunchResult>;
  /** ARNs of tasks (running or stopped) started with this `startedBy`. */
  findTasks(cluster: string, startedBy: string, options?: EcsCallOptions): Promise<string[]>;
  /** Observations for the given ARNs (batched at 100). Unknown ARNs come back as MISSING. */
  describeTasks(
    cluster: string,
    taskArns: readonly string[],
    options?: EcsCallOptions,
  ): Promise<TaskObservation[]>;
  stopTasks(
    cluster: string,
    taskArns: readonly string[],
    reason: string,
    options?: EcsCallOptions,
  ): Promise<void>;
}

/** A trigger turns an external signal into a queue depth; the core turns that into a count. */
export interface QueueDepthSource {
  queueDepth(
    trigger: {
      queueName?: string;
      queueUrl?: string;
      region?: string;
      includeInFlight?: boolean;
    },
    options?: {
      /** Read the queue as this role (the policy's `assumeRoleArn`); default: the controller's own. */
      readonly identity?: AwsIdentity;
      /** Abandons the call (TransientError 'Aborted'), e.g. at shutdown. */
      readonly signal?: AbortSignal;
    },
  ): Promise<number>;
}

/** AWS credentials other than the controller's own: an admin policy's `assumeRoleArn`. */
export interface AwsIdentity {
  readonly roleArn: string;
  readonly externalId?: string;
  /**
   * The namespace the role acts for: it names the STS session and tags it, so CloudTrail tells
   * namespaces apart. Credentials (and clients) are kept per namespace for that reason.
   */
  readonly namespace?: string;
}

/** The admin policy's verdict on one resource, decided before any AWS call. */
export type PolicyDecision =
  | {
      readonly allowed: true;
      /** The policies that allowed it (every one selecting the namespace), comma-separated; undefined when enforcement is off. */
      readonly policy?: string;
      /** Run with this role instead of the controller's own. */
      readonly identity?: AwsIdentity;
      /** The policy's `maxTasksPerRun`, if any; the controller-wide cap applies as well. */
      readonly maxTasksPerRun?: number;
    }
  | {
      readonly allowed: false;
      /** Spec path of the first denied aspect, e.g. `spec.task.cluster`. */
      readonly field: string;
      readonly value: string;
      /** Names of the policies that select the namespace (empty: none does). */
      readonly policies: readonly string[];
      /** One line for the condition and the Warning event. */
      readonly message: string;
    };

/**
 * Whose verdicts may have changed: every resource's (a policy changed), or only those of the
 * resources in these namespaces (a namespace came, went, or was relabelled so that other
 * policies select it).
 */
export type PolicyChange = 'all' | { readonly namespaces: readonly string[] };

/** The keys among `keys` whose verdict `change` may have changed. */
export function keysAffectedBy(change: PolicyChange, keys: Iterable<ResourceKey>): ResourceKey[] {
  if (change === 'all') return [...keys];
  const namespaces = new Set(change.namespaces);
  return [...keys].filter((key) => namespaces.has(key.slice(0, key.indexOf('/'))));
}

/** Tenancy (EcsSchedulerPolicy). Pure lookup over the watched policies and namespaces. */
export interface PolicyGate {
  /**
   * The verdict. Throws a TransientError when it cannot judge yet (the resource's namespace has
   * not been seen): the pass is retried with backoff, never judged on partial labels.
   */
  evaluate(resource: EcsScheduledTaskResource): PolicyDecision;
  /** Called when verdicts may have changed (a policy or a namespace changed). */
  onChange(listener: (change: PolicyChange) => void): void;
}

/**
 * Leadership fencing. A launch goes out only while this replica still holds the lease with a
 * safety margin, measured on the monotonic clock; standalone mode holds it always (its state
 * file lock is the fence there).
 */
export interface LeaseFence {
  /**
   * True when the lease is held and will stay held for at least `marginMs` more. With `key` (the
   * resource about to be acted on), also that this replica may act on that resource: a sharded
   * replica owns it and is not draining it.
   */
  holds(marginMs: number, key?: string): boolean;
}
