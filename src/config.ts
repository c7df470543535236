// The one place that reads flags and environment variables. Every flag of `ecs-scheduler run` can
// also be set as ECS_SCHEDULER_<FLAG_IN_UPPER_SNAKE_CASE>; a flag wins over the environment.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { LogFormat, LogLevel } from './log/logger.js';

export interface Config {
  /** `kubernetes` watches the API server; `standalone` reads a folder of manifests. */
  readonly mode: 'kubernetes' | 'standalone';
  /** Namespace to watch; undefined watches all namespaces. */
  readonly namespace?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly defaultCluster: string;
  readonly metricsBindAddress: string;
  readonly healthProbeBindAddress: string;
  readonly leaderElect: boolean;
  /**
   * Every replica works on its own shard of the resources (a Lease each, a label on each resource);
   * leader election only picks the replica that assigns them. Kubernetes mode only.
   */
  readonly sharding: boolean;
  readonly leaderElectionId: string;
  readonly leaderElectionNamespace: string;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
  readonly identity: string;
  readonly maxConcurrentReconciles: number;
  /** Upper bound on the tasks any one run launches, whatever the spec or queue depth asks. */
  readonly maxTasksPerRun: number;
  /** A dead letter whose sends keep failing is given up after this many attempts... */
  readonly deadLetterMaxAttempts: number;
  /** ...or once it is this old (seconds since its run failed), whichever comes first. */
  readonly deadLetterMaxAgeSeconds: number;
  /**
   * Lookups of passed-over times (ListTasks by startedBy, two calls each) per second, shared by
   * every resource: a failover's adoptions drain at this pace instead of throttling ECS reads.
   */
  readonly adoptionLookupsPerSecond: number;
  /**
   * A run launched waits this long for its end before its launch is written, so a short run costs
   * one status write instead of two; a longer one shows as Running once this has passed. 0: at once.
   */
  readonly launchWriteDelaySeconds: number;
  /** `off` drops the client-side RunTask buckets: only for endpoints without quotas (a simulator). */
  readonly ecsRateLimits: 'aws' | 'off';
  readonly ecsEndpoint?: string;
  /** SQS (trigger and dead letters) endpoint override; default: the ECS one. */
  readonly sqsEndpoint?: string;
  /** SQS queue URL an EventBridge rule feeds with ECS Task State Change events; polling otherwise. */
  readonly taskEventsQueue?: string;
  readonly awsRegion?: string;
  readonly awsMaxAttempts: number;
  readonly logLevel: LogLevel;
  /** `--log-format auto` (the default) resolves to text when stderr is a terminal, else json. */
  readonly logFormat: LogFormat;
  /**
   * Series labelled with namespace and name (last run, next schedule, runs by resource...). One
   * series each per resource: turn off for installations with very many resources.
   */
  readonly perResourceMetrics: boolean;
  readonly manifestsDir?: string;
  /**
   * Standalone mode: the folder of EcsSchedulerPolicy and Namespace documents, kept apart from the
   * manifests because tenants write those; undefined: no policy, so enforcement denies every run.
   */
  readonly policiesDir?: string;
  readonly stateFile: string;
  /**
   * The host named in the state file's lock: $HOSTNAME (what a container runtime sets, a pod's
   * name in Kubernetes), else the system's host name.
   */
  readonly host: string;
  readonly dryRun: boolean;
  /** `enforce`: EcsSchedulerPolicies decide what may run (default); `off`: anything may (single tenant). */
  readonly policy: 'enforce' | 'off';
  /** STS endpoint override for a policy's assumeRoleArn (moto, LocalStack, a VPC endpoint). */
  readonly stsEndpoint?: string;
  /**
   * Tag each assumed-role session with ecs-scheduler.dev/namespace (needs sts:TagSession in the
   * role's trust policy). The session name names the namespace either way.
   */
  readonly stsSessionTags: boolean;
  /**
   * SIGTERM ends the process within this many seconds whatever is in flight; kept below
   * Kubernetes' default terminationGracePeriodSeconds (30) so the kubelet never has to SIGKILL.
   */
  readonly shutdownTimeoutSeconds: number;
  /** Start-up fails (exit non-zero) when the first list has not arrived within this many seconds. */
  readonly cacheSyncTimeoutSeconds: number;
  /** /healthz fails while a reconcile has been in flight for longer than this many seconds. */
  readonly stuckReconcileSeconds: number;
  /**
   * Repeats of an identical event (same resource, type, reason and note) are written as the
   * Event's series count at most this often, in seconds; a new reason is written at once.
   */
  readonly eventSeriesIntervalSeconds: number;
  /** Whether the SDK's default chain has anything obvious to work with (env, profile, web identity, container). */
  readonly awsCredentialsHint: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function queueUrl(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `--${flag}: "${raw}" is not a URL (an SQS queue URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`--${flag}: "${raw}" must be an http(s) SQS queue URL`);
  }
  return raw;
}

const FLAGS = {
  namespace: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'default-cluster': { type: 'string' },
  'metrics-bind-address': { type: 'string' },
  'health-probe-bind-address': { type: 'string' },
  'leader-elect': { type: 'boolean' },
  sharding: { type: 'boolean' },
  'leader-election-id': { type: 'string' },
  'leader-election-namespace': { type: 'string' },
  'lease-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
  'max-concurrent-reconciles': { type: 'string' },
  'max-tasks-per-run': { type: 'string' },
  'adoption-lookups-per-second': { type: 'string' },
  'dead-letter-max-attempts': { type: 'string' },
  'dead-letter-max-age': { type: 'string' },
  'launch-write-delay': { type: 'string' },
  'ecs-rate-limits': { type: 'string' },
  'ecs-endpoint': { type: 'string' },
  'sqs-endpoint': { type: 'string' },
  'task-events-queue': { type: 'string' },
  region: { type: 'string' },
  'aws-max-attempts': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  'per-resource-metrics': { type: 'string' },
  manifests: { type: 'string' },
  policies: { type: 'string' },
  state: { type: 'string' },
  'dry-run': { type: 'boolean' },
  policy: { type: 'string' },
  'sts-endpoint': { type: 'string' },
  'sts-session-tags': { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  'cache-sync-timeout': { type: 'string' },
  'stuck-reconcile-timeout': { type: 'string' },
  'event-series-interval': { type: 'string' },
} as const;

export const RUN_USAGE = `Usage: ecs-scheduler run [flags]

Kubernetes mode (default):
  --namespace NS                    watch one namespace (default: all)
  --kubeconfig FILE, --context NAME  kubeconfig to use outside a cluster
  --leader-elect                    elect a leader with a Lease (for replicas > 1)
  --sharding                        every replica works on its own shard of the resources, each
                                    with a Lease of its own (ecs-scheduler-shard-<pod>); the
                                    leader (elected as with --leader-elect) assigns the shards
  --leader-election-id NAME         Lease name (default ecs-scheduler-leader); with --sharding also
                                    the ring's name (the Leases' ecs-scheduler.dev/shard-ring label)
  --leader-election-namespace NS    Lease namespace (default: the pod's namespace)
  --lease-duration 15s --renew-deadline 10s --retry-period 2s
Standalone mode:
  --manifests DIR                   read EcsScheduledTask YAML from DIR instead of the API server
  --policies DIR                    EcsSchedulerPolicy (and Namespace) YAML, in a folder tenants cannot
                                    write; policies in --manifests are not honoured
  --state FILE                      status and run history file (default .ecs-scheduler-state.json);
                                    its lock is renewed every --retry-period and taken over by another
                                    host once unrenewed for --lease-duration
Both:
  --default-cluster NAME            ECS cluster when spec.task.cluster is unset (default "default")
  --dry-run                         launch nothing; log the RunTask request and record DryRun runs
  --policy enforce|off              enforce EcsSchedulerPolicies (default), or off for a single tenant
  --sts-endpoint URL                STS endpoint override, for policies' assumeRoleArn
  --sts-session-tags true|false     tag assumed-role sessions with the namespace (default true;
                                    needs sts:TagSession in the role's trust policy)
  --ecs-endpoint URL                ECS/SQS endpoint override (moto, LocalStack)
  --sqs-endpoint URL                SQS endpoint override, when it differs from --ecs-endpoint
  --task-events-queue URL           SQS queue of ECS Task State Change events (EventBridge): task
                                    ends are noticed at once; polling stays as the fallback
  --region REGION                   AWS region (default: AWS_REGION)
  --metrics-bind-address ADDR       /metrics address (default :8080; 0 disables)
  --health-probe-bind-address ADDR  /healthz and /readyz address (default :8081; 0 disables)
  --max-concurrent-reconciles N     parallel reconciles (default 64)
  --max-tasks-per-run N             cap on the tasks one run launches, for every resource (default 100)
  --adoption-lookups-per-second N   passed-over times looked up in ECS per second, shared by all
                                    resources, before any is recorded Missed (default 5)
  --dead-letter-max-attempts N      give a dead letter up after N failed sends (default 8)
  --dead-letter-max-age 60m         ... or once it is this old, whichever comes first
  --launch-write-delay 10s          a run's launch is written once it has run this long; a run that
                                    ends sooner is written once, with its result (0: at once)
  --ecs-rate-limits aws|off         hold RunTask to ECS's documented per-account quotas (default aws);
                                    off only for an endpoint without quotas, such as a load simulator
  --log-level debug|info|warn|error
  --log-format auto|json|text       auto (default): text on a terminal, JSON otherwise
  --per-resource-metrics true|false metric series per resource (default true; false for huge installs)
  --shutdown-timeout 25s            SIGTERM exits within this, whatever is in flight
  --cache-sync-timeout 2m           exit non-zero when resources are not loaded by then
  --stuck-reconcile-timeout 10m     /healthz fails while a reconcile runs longer than this
  --event-series-interval 5m        repeats of an identical event update its count at most this
                                    often; a new reason is written at once
  -h, --help                        print this help
Every flag can also be set as ECS_SCHEDULER_<FLAG> (e.g. ECS_SCHEDULER_DEFAULT_CLUSTER).`;

function envName(flag: string): string {
  return `ECS_SCHEDULER_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function seconds(flag: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!match) throw new ConfigError(`--${flag}: "${raw}" is not a duration (e.g. 15s, 500ms, 1m)`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  return unit === 'ms' ? value / 1000 : unit === 'm' ? value * 60 : value;
}

function positiveSeconds(flag: string, raw: string): number {
  const value = seconds(flag, raw);
  if (!(value > 0)) throw new ConfigError(`--${flag}: "${raw}" must be longer than zero`);
  return value;
}

function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--${flag}: "${raw}" must be a positive integer`);
  return n;
}

function positiveNumber(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${flag}: "${raw}" must be a positive number`);
  return n;
}

function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw))
    throw new ConfigError(`--${flag}: "${raw}" must be one of ${allowed.join(', ')}`);
  return raw as T;
}

function boolString(flag: string, raw: string): boolean {
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new ConfigError(`--${flag}: "${raw}" must be true or false`);
}

// People read a terminal; log pipelines read everything else.
function resolveLogFormat(raw: 'auto' | LogFormat, stderrIsTty: boolean): LogFormat {
  return raw === 'auto' ? (stderrIsTty ? 'text' : 'json') : raw;
}

/** Builds the run configuration from argv and the environment; throws ConfigError with the flag named. */
export function loadConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  stderrIsTty: boolean = process.stderr.isTTY === true,
): Config {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const str = (flag: keyof typeof FLAGS): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = env[envName(flag)];
    return e === undefined || e === '' ? undefined : e;
  };
  const bool = (flag: keyof typeof FLAGS): boolean => {
    const v = values[flag];
    if (typeof v === 'boolean') return v;
    const e = env[envName(flag)];
    if (e === undefined || e === '') return false;
    if (/^(1|true|yes)$/i.test(e)) return true;
    if (/^(0|false|no)$/i.test(e)) return false;
    throw new ConfigError(`${envName(flag)}: "${e}" must be true or false`);
  };

  const manifestsDir = str('manifests');
  const policiesDir = str('policies');
  if (
    policiesDir !== undefined &&
    manifestsDir !== undefined &&
    resolve(policiesDir) === resolve(manifestsDir)
  )
    throw new ConfigError('--policies: must be a folder apart from --manifests, which tenants write');
  const awsCredentialsHint = Boolean(
    env.AWS_ACCESS_KEY_ID ||
    env.AWS_PROFILE ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
    env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ||
    env.AWS_SHARED_CREDENTIALS_FILE,
  );
  const sharding = bool('sharding');
  if (sharding && manifestsDir)
    throw new ConfigError('--sharding: only in Kubernetes mode, not with --manifests');
  if (sharding && str('task-events-queue') !== undefined) {
    // Every replica would read the one queue and delete the events of the others' tasks.
    throw new ConfigError('--sharding: not yet with --task-events-queue; task ends are polled');
  }
  return {
    mode: manifestsDir ? 'standalone' : 'kubernetes',
    namespace: str('namespace'),
    kubeconfig: str('kubeconfig') ?? env.KUBECONFIG,
    context: str('context'),
    defaultCluster: str('default-cluster') ?? 'default',
    metricsBindAddress: str('metrics-bind-address') ?? ':8080',
    healthProbeBindAddress: str('health-probe-bind-address') ?? ':8081',
    leaderElect: bool('leader-elect'),
    sharding,
    leaderElectionId: str('leader-election-id') ?? 'ecs-scheduler-leader',
    leaderElectionNamespace: str('leader-election-namespace') ?? env.POD_NAMESPACE ?? 'ecs-scheduler-system',
    leaseDurationSeconds: seconds('lease-duration', str('lease-duration') ?? '15s'),
    renewDeadlineSeconds: seconds('renew-deadline', str('renew-deadline') ?? '10s'),
    retryPeriodSeconds: seconds('retry-period', str('retry-period') ?? '2s'),
    identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
    // Reconciles wait on I/O (~100 ms per pass against ECS and the API server) and a worker is
    // only a pending promise, so by Little's law 64 covers 10,000 resources a minute (~350 passes
    // a second, ~35 busy on average) twice over, while staying well under the API server's
    // default of 200 mutating requests in flight, which other clients share.
    maxConcurrentReconciles: positiveInt(
      'max-concurrent-reconciles',
      str('max-concurrent-reconciles') ?? '64',
    ),
    maxTasksPerRun: positiveInt('max-tasks-per-run', str('max-tasks-per-run') ?? '100'),
    adoptionLookupsPerSecond: positiveNumber(
      'adoption-lookups-per-second',
      str('adoption-lookups-per-second') ?? '5',
    ),
    deadLetterMaxAttempts: positiveInt('dead-letter-max-attempts', str('dead-letter-max-attempts') ?? '8'),
    deadLetterMaxAgeSeconds: positiveSeconds('dead-letter-max-age', str('dead-letter-max-age') ?? '60m'),
    // Most scheduled jobs of a minutely schedule end within seconds; 10 s keeps "Running" in status
    // close to the launch for the rest.
    launchWriteDelaySeconds: seconds('launch-write-delay', str('launch-write-delay') ?? '10s'),
    ecsRateLimits: oneOf('ecs-rate-limits', str('ecs-rate-limits') ?? 'aws', ['aws', 'off'] as const),
    ecsEndpoint: str('ecs-endpoint') ?? env.AWS_ENDPOINT_URL_ECS ?? env.AWS_ENDPOINT_URL,
    sqsEndpoint:
      str('sqs-endpoint') ??
      env.AWS_ENDPOINT_URL_SQS ??
      str('ecs-endpoint') ??
      env.AWS_ENDPOINT_URL_ECS ??
      env.AWS_ENDPOINT_URL,
    taskEventsQueue: queueUrl('task-events-queue', str('task-events-queue')),
    awsRegion: str('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    awsMaxAttempts: positiveInt('aws-max-attempts', str('aws-max-attempts') ?? '3'),
    logLevel: oneOf('log-level', str('log-level') ?? 'info', ['debug', 'info', 'warn', 'error'] as const),
    logFormat: resolveLogFormat(
      oneOf('log-format', str('log-format') ?? 'auto', ['auto', 'json', 'text'] as const),
      stderrIsTty,
    ),
    perResourceMetrics: boolString('per-resource-metrics', str('per-resource-metrics') ?? 'true'),
    manifestsDir,
    policiesDir,
    stateFile: str('state') ?? '.ecs-scheduler-state.json',
    host: env.HOSTNAME || hostname(),
    dryRun: bool('dry-run'),
    policy: oneOf('policy', str('policy') ?? 'enforce', ['enforce', 'off'] as const),
    stsEndpoint: str('sts-endpoint') ?? env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL,
    stsSessionTags: boolString('sts-session-tags', str('sts-session-tags') ?? 'true'),
    shutdownTimeoutSeconds: positiveSeconds('shutdown-timeout', str('shutdown-timeout') ?? '25s'),
    cacheSyncTimeoutSeconds: positiveSeconds('cache-sync-timeout', str('cache-sync-timeout') ?? '2m'),
    stuckReconcileSeconds: positiveSeconds(
      'stuck-reconcile-timeout',
      str('stuck-reconcile-timeout') ?? '10m',
    ),
    eventSeriesIntervalSeconds: positiveSeconds(
      'event-series-interval',
      str('event-series-interval') ?? '5m',
    ),
    awsCredentialsHint,
  };
}

/** The kubeconfig of the cluster-mode CLI verbs when --kubeconfig is absent: $KUBECONFIG, as kubectl reads it. */
export function cliKubeconfig(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return env.KUBECONFIG || undefined;
}

/** This process's environment with `additions`: what `run` relaunches itself with (cli/heap-sizing.ts). */
export function environmentWith(
  additions: Readonly<Record<string, string>>,
): Record<string, string | undefined> {
  return { ...process.env, ...additions };
}

/** MALLOC_ARENA_MAX as the user set it: `run` sets it only when it is not (cli/heap-sizing.ts). */
export function mallocArenaMaxOf(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env.MALLOC_ARENA_MAX || undefined;
}

/** NODE_OPTIONS as the user set it: `run` adds only the heap flags it does not name (cli/heap-sizing.ts). */
export function nodeOptionsOf(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env.NODE_OPTIONS || undefined;
}
