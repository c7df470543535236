// The single source of the EcsScheduledTask API. The CRD (crds/ecsscheduledtasks.yaml), the
// TypeScript types (api/types.ts) and the ajv validator (api/validation.ts) are all derived from
// the TypeBox schemas below, so they cannot drift apart.
import { Type, type TSchema } from '@sinclair/typebox';

/** Cross-field rules: the CEL text goes into the CRD; `check` enforces the same rule offline. */
export interface CrossFieldRule<T> {
  readonly rule: string;
  readonly message: string;
  /** Dotted path named in offline error messages: the field the rule is about. */
  readonly path: string;
  /** The same field relative to the object carrying the rule, so the API server names it too. */
  readonly fieldPath?: string;
  /** How the API server words it: `FieldValueRequired` gives "Required value". */
  readonly reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  readonly check: (value: T) => boolean;
}

const celRules = <T>(rules: readonly CrossFieldRule<T>[]) => ({
  'x-kubernetes-validations': rules.map(({ rule, message, fieldPath, reason }) => ({
    rule,
    message,
    ...(fieldPath === undefined ? {} : { fieldPath }),
    ...(reason === undefined ? {} : { reason }),
  })),
});

// Every string has a maxLength: the API server then bounds what a tenant can store, and the CEL
// cost estimate stays small. Limits are ECS's own where it has one; whole-override strings
// share RunTask's 8,192-character overrides budget; ARNs are at most 2,048 characters.
const ARN_MAX = 2048;
const OVERRIDE_TEXT_MAX = 8192;
const NAME_MAX = 255;
const ID_MAX = 256;
const MESSAGE_MAX = 32768;
/** us-east-1, us-gov-west-1, cn-northwest-1: a region is a host label, never a host of its own. */
export const AWS_REGION_PATTERN = '^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$';
/** The characters ECS accepts in tag keys and values (RE2 and ajv's unicode mode both read \\p{..}). */
const TAG_TEXT = '^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$';
/** Names this long fit the ecs-scheduler.dev/resource tag, `namespace/name`, in ECS's 256. */
export const RESOURCE_NAME_MAX = 256 - 63 - 1;

const str = (description: string, extra: Record<string, unknown> = {}) =>
  Type.String({ description, ...extra });
const int = (description: string, extra: Record<string, unknown> = {}) =>
  Type.Integer({ description, ...extra });
const bool = (description: string, extra: Record<string, unknown> = {}) =>
  Type.Boolean({ description, ...extra });
const time = (description: string) => Type.String({ description, format: 'date-time', maxLength: 64 });
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

const KeyValuePair = Type.Object(
  {
    name: str('Name of the environment variable.', { minLength: 1, maxLength: NAME_MAX }),
    value: opt(str('Value of the environment variable.', { maxLength: OVERRIDE_TEXT_MAX })),
  },
  { description: 'An environment variable for the container.' },
);

const Tag = Type.Object(
  {
    key: str('Tag key: letters, digits, spaces and _ . : / = + - @, as ECS allows.', {
      minLength: 1,
      maxLength: 128,
      pattern: TAG_TEXT,
    }),
    value: opt(str('Tag value: the characters a key may have.', { maxLength: 256, pattern: TAG_TEXT })),
  },
  { description: 'An ECS resource tag.' },
);

const ContainerOverride = Type.Object(
  {
    name: str('Name of the container in the task definition that receives the override.', {
      minLength: 1,
      maxLength: NAME_MAX,
    }),
    command: opt(
      Type.Array(str('One argument.', { maxLength: OVERRIDE_TEXT_MAX }), {
        description: 'Replaces the container command.',
        maxItems: 1000,
      }),
    ),
    environment: opt(
      Type.Array(KeyValuePair, {
        description: 'Environment variables added to (or replacing) the container ones.',
        maxItems: 1000,
      }),
    ),
    environmentFiles: opt(
      Type.Array(
        Type.Object(
          {
            value: str('ARN of the S3 object holding the environment file.', { maxLength: ARN_MAX }),
            type: str('File type; only "s3" is supported by ECS.', { enum: ['s3'] }),
          },
          { description: 'An environment file in S3.' },
        ),
        { description: 'Environment files to add to the container (at most 10).', maxItems: 10 },
      ),
    ),
    cpu: opt(int('CPU units reserved for the container.', { minimum: 0 })),
    memory: opt(int('Hard memory limit of the container, in MiB.', { minimum: 0 })),
    memoryReservation: opt(int('Soft memory limit of the container, in MiB.', { minimum: 0 })),
    resourceRequirements: opt(
      Type.Array(
        Type.Object(
          {
            type: str('Resource type.', { enum: ['GPU', 'InferenceAccelerator'] }),
            value: str('Amount of the resource.', { maxLength: 64 }),
          },
          { description: 'A resource requirement.' },
        ),
        { description: 'GPU or inference accelerator requirements.', maxItems: 8 },
      ),
    ),
  },
  { description: 'Overrides for one container, as in ECS RunTask containerOverrides.' },
);

const TaskOverride = Type.Object(
  {
    containerOverrides: opt(
      Type.Array(ContainerOverride, {
        description: 'Per-container overrides (a task has at most 10 containers).',
        maxItems: 10,
      }),
    ),
    cpu: opt(str('Task-level CPU override, for example "512".', { maxLength: 32 })),
    memory: opt(str('Task-level memory override, for example "1024".', { maxLength: 32 })),
    taskRoleArn: opt(str('IAM role the task containers assume.', { maxLength: ARN_MAX })),
    executionRoleArn: opt(
      str('IAM role the ECS agent uses to pull images and write logs.', { maxLength: ARN_MAX }),
    ),
    ephemeralStorage: opt(
      Type.Object(
        { sizeInGiB: int('Ephemeral storage size in GiB (21-200).', { minimum: 21, maximum: 200 }) },
        { description: 'Fargate ephemeral storage override.' },
      ),
    ),
  },
  { description: 'Overrides passed to RunTask, as in ECS TaskOverride.' },
);

export const taskRules: readonly CrossFieldRule<{
  launchType?: string;
  capacityProviderStrategy?: unknown[];
}>[] = [
  {
    path: 'spec.task',
    rule: '!(has(self.launchType) && has(self.capacityProviderStrategy))',
    message: 'launchType and capacityProviderStrategy are mutually exclusive',
    check: (t) => !(t.launchType !== undefined && t.capacityProviderStrategy !== undefined),
  },
];

const TaskSpec = Type.Object(
  {
    cluster: opt(
      str("ECS cluster name or ARN. Defaults to the controller's --default-cluster.", {
        minLength: 1,
        maxLength: ARN_MAX,
      }),
    ),
    taskDefinition: str('Task definition: family, family:revision, or full ARN.', {
      minLength: 1,
      maxLength: ARN_MAX,
    }),
    launchType: opt(
      str('Launch type. Mutually exclusive with capacityProviderStrategy.', {
        enum: ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'],
      }),
    ),
    capacityProviderStrategy: opt(
      Type.Array(
        Type.Object(
          {
            capacityProvider: str('Capacity provider name, for example FARGATE_SPOT.', {
              minLength: 1,
              maxLength: NAME_MAX,
            }),
            weight: opt(int('Relative share of tasks for this provider.', { minimum: 0, maximum: 1000 })),
            base: opt(int('Minimum number of tasks on this provider.', { minimum: 0, maximum: 100000 })),
          },
          { description: 'One capacity provider and its share.' },
        ),
        { description: 'Capacity provider strategy. Mutually exclusive with launchType.', maxItems: 20 },
      ),
    ),
    platformVersion: opt(str('Fargate platform version, for example LATEST.', { maxLength: 64 })),
    networkConfiguration: opt(
      Type.Object(
        {
          awsvpcConfiguration: opt(
            Type.Object(
              {
                subnets: Type.Array(str('Subnet id.', { maxLength: ID_MAX }), {
                  description: 'Subnets for the task ENI (at most 16).',
                  minItems: 1,
                  maxItems: 16,
                }),
                securityGroups: opt(
                  Type.Array(str('Security group id.', { maxLength: ID_MAX }), {
                    description: 'Security groups (at most 5).',
                    maxItems: 5,
                  }),
                ),
                assignPublicIp: opt(
                  str('Whether the ENI gets a public IP.', { enum: ['ENABLED', 'DISABLED'] }),
                ),
              },
              { description: 'awsvpc network mode settings.' },
            ),
          ),
        },
        { description: 'Network configuration; required for the awsvpc network mode.' },
      ),
    ),
    placementConstraints: opt(
      Type.Array(
        Type.Object(
          {
            type: str('Constraint type.', { enum: ['distinctInstance', 'memberOf'] }),
            expression: opt(str('Cluster query language expression (memberOf only).', { maxLength: 2000 })),
          },
          { description: 'A task placement constraint.' },
        ),
        { description: 'Placement constraints (EC2 only, at most 10).', maxItems: 10 },
      ),
    ),
    placementStrategy: opt(
      Type.Array(
        Type.Object(
          {
            type: str('Strategy type.', { enum: ['random', 'spread', 'binpack'] }),
            field: opt(
              str('Field the strategy applies to, for example attribute:ecs.availability-zone.', {
                maxLength: NAME_MAX,
              }),
            ),
          },
          { description: 'A task placement strategy.' },
        ),
        { description: 'Placement strategies (EC2 only, at most 5).', maxItems: 5 },
      ),
    ),
    group: opt(str('Task group name.', { maxLength: 255 })),
    propagateTags: opt(
      str('Copy tags from the task definition or service to the task.', {
        enum: ['TASK_DEFINITION', 'SERVICE', 'NONE'],
      }),
    ),
    enableECSManagedTags: opt(bool('Turn on Amazon ECS managed tags for the task.')),
    enableExecuteCommand: opt(bool('Turn on ECS Exec for the task.')),
    tags: opt(
      Type.Array(Tag, { description: 'Extra tags for the task (ours are added to these).', maxItems: 40 }),
    ),
    overrides: opt(TaskOverride),
  },
  { description: 'RunTask parameters, with the names and shapes of the ECS API.', ...celRules(taskRules) },
);

/** Both SQS references (the trigger's and the dead letter's) name their queue one way only. */
function queueReferenceRules(
  path: string,
): readonly CrossFieldRule<{ queueName?: string; queueUrl?: string }>[] {
  return [
    {
      path,
      rule: 'has(self.queueName) != has(self.queueUrl)',
      message: 'exactly one of queueName and queueUrl must be set',
      check: (q) => (q.queueName !== undefined) !== (q.queueUrl !== undefined),
    },
  ];
}

export const sqsRules = queueReferenceRules('spec.trigger.sqs');

/** queueName, queueUrl and region: how a spec points at an SQS queue. */
const queueReference = {
  queueName: opt(
    str('Name of the queue, resolved in the region. Exactly one of queueName and queueUrl.', {
      minLength: 1,
      maxLength: 80,
    }),
  ),
  queueUrl: opt(
    str(
      "URL of the queue, on the region's SQS endpoint (https://sqs.<region>.amazonaws.com/<account>/<name>). Exactly one of queueName and queueUrl.",
      { minLength: 1, maxLength: ARN_MAX },
    ),
  ),
  region: opt(
    str("AWS region of the queue, for example eu-west-1. Defaults to the controller's region.", {
      maxLength: 64,
      pattern: AWS_REGION_PATTERN,
    }),
  ),
};

const SqsTrigger = Type.Object(
  {
    ...queueReference,
    messagesPerTask: int(
      'Messages one task is expected to consume; desired tasks = ceil(messages / messagesPerTask).',
      {
        minimum: 1,
      },
    ),
    includeInFlight: opt(
      bool('Count in-flight (received, not yet deleted) messages as well as visible ones.', {
        default: false,
      }),
    ),
  },
  { description: 'Launch only when the SQS queue has messages.', ...celRules(sqsRules) },
);

/** Longest expression, and most expressions in spec.schedules: a pass walks each of them. */
const SCHEDULE_MAX = 256;
export const MAX_SCHEDULES = 20;
/** Missed times one pass may launch after downtime: each is a RunTask call of its own. */
export const MAX_CATCHUP_RUNS = 100;

export const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace', 'TopUp', 'BufferOne'] as const;

/** At most this many retries: each is a whole run's worth of tasks, and each is kept in the record. */
export const MAX_RETRIES = 10;

const RetryPolicy = Type.Object(
  {
    maxRetries: int(
      'Attempts after the first for a run that failed (an essential container exited non-zero, its tasks vanished, or its launch failed). 0 turns retries off.',
      { minimum: 0, maximum: MAX_RETRIES },
    ),
    backoffSeconds: opt(
      int('Seconds between a failed attempt and the next one.', { minimum: 1, maximum: 86400, default: 60 }),
    ),
  },
  { description: 'Retry failed runs as further attempts of the same run.' },
);

export const deadLetterSqsRules = queueReferenceRules('spec.deadLetter.sqs');

const DeadLetterSqs = Type.Object(
  {
    ...queueReference,
  },
  {
    description:
      'An SQS queue that receives one JSON message per finally-failed run. A FIFO queue (name ending in .fifo) also drops a repeated message.',
    ...celRules(deadLetterSqsRules),
  },
);

export const specRules: readonly CrossFieldRule<{
  taskCount?: number;
  maxCount?: number;
  startTime?: string;
  endTime?: string;
  trigger?: unknown;
  schedule?: string;
  schedules?: readonly string[];
}>[] = [
  {
    path: 'spec.schedules',
    fieldPath: '.schedules',
    rule: 'has(self.schedule) != has(self.schedules)',
    message: 'exactly one of schedule and schedules must be set',
    check: (s) => (s.schedule === undefined) !== (s.schedules === undefined),
  },
  {
    // A trigger's count grows with the queue: without a bound, a deep queue launches thousands.
    path: 'spec.maxCount',
    fieldPath: '.maxCount',
    reason: 'FieldValueRequired',
    rule: '!has(self.trigger) || has(self.maxCount)',
    message: 'maxCount is required when a trigger is set: it bounds the tasks one run may launch',
    check: (s) => s.trigger === undefined || s.maxCount !== undefined,
  },
  {
    path: 'spec',
    rule: '!has(self.maxCount) || self.maxCount >= (has(self.taskCount) ? self.taskCount : 1)',
    message: 'maxCount must be greater than or equal to taskCount',
    check: (s) => s.maxCount === undefined || s.maxCount >= (s.taskCount ?? 1),
  },
  {
    path: 'spec',
    rule: '!has(self.startTime) || !has(self.endTime) || timestamp(self.endTime) > timestamp(self.startTime)',
    message: 'endTime must be after startTime',
    check: (s) =>
      s.startTime === undefined || s.endTime === undefined || Date.parse(s.endTime) > Date.parse(s.startTime),
  },
];

export const EcsScheduledTaskSpec = Type.Object(
  {
    schedule: opt(
      str(
        'When to run: 5- or 6-field cron (seconds first), @macros, cron(...), rate(...), or at(...). H and ? pick a stable value. Exactly one of schedule and schedules.',
        { minLength: 1, maxLength: SCHEDULE_MAX },
      ),
    ),
    schedules: opt(
      Type.Array(
        str('One expression, of any kind schedule accepts.', { minLength: 1, maxLength: SCHEDULE_MAX }),
        {
          description:
            'Several expressions, read in timeZone: the run times are their union, and an instant named by more than one runs once. Exactly one of schedule and schedules.',
          minItems: 1,
          maxItems: MAX_SCHEDULES,
        },
      ),
    ),
    timeZone: opt(
      str('IANA time zone the schedule is read in.', { default: 'UTC', minLength: 1, maxLength: 64 }),
    ),
    startTime: opt(time('No run is scheduled before this instant.')),
    endTime: opt(time('No run is scheduled at or after this instant.')),
    suspend: opt(bool('Stop scheduling new runs; running tasks are left alone.', { default: false })),
    concurrencyPolicy: opt(
      str(
        'What to do when a run is due while earlier tasks still run: Allow, Forbid (skip), Replace (stop them), TopUp (launch only the shortfall), BufferOne (one run waits for them and starts when they end; a further one is skipped).',
        { enum: [...CONCURRENCY_POLICIES], default: 'Allow' },
      ),
    ),
    catchup: opt(
      Type.Object(
        {
          maxRuns: int(
            'Launch up to this many of the scheduled times passed over while nobody ran them (the newest included), oldest first, each as its own run. Older ones, and those past startingDeadlineSeconds, are recorded Missed.',
            { minimum: 1, maximum: MAX_CATCHUP_RUNS },
          ),
        },
        {
          description:
            'After downtime, launch missed runs instead of only the latest one. Each goes through concurrencyPolicy. Without it, only the most recent missed time runs.',
        },
      ),
    ),
    maxRuns: opt(
      int(
        'Stop scheduling after this many scheduled runs were launched (status.launchedRunsTotal); a run-now is neither counted nor stopped. The Ready condition then says MaxRunsReached.',
        { minimum: 1 },
      ),
    ),
    startingDeadlineSeconds: opt(
      int('A run that cannot start within this many seconds of its scheduled time is recorded as Missed.', {
        minimum: 0,
      }),
    ),
    jitterSeconds: opt(
      int('Delay each run by a stable pseudo-random 0..N seconds.', {
        minimum: 0,
        maximum: 86400,
        default: 0,
      }),
    ),
    activeDeadlineSeconds: opt(
      int("Stop a run's tasks still running after this many seconds.", { minimum: 1 }),
    ),
    taskCount: opt(int('Tasks launched per run.', { minimum: 1, maximum: 1000, default: 1 })),
    maxCount: opt(
      int('Upper bound on tasks per run and, with TopUp, on running tasks.', { minimum: 1, maximum: 1000 }),
    ),
    trigger: opt(
      Type.Object(
        { sqs: opt(SqsTrigger) },
        { description: 'Launch only when a condition holds at the scheduled time.' },
      ),
    ),
    retryPolicy: opt(RetryPolicy),
    deadLetter: opt(
      Type.Object(
        { sqs: DeadLetterSqs },
        { description: 'Where a run that failed after its last retry is reported.' },
      ),
    ),
    excludeCalendars: opt(
      Type.Array(
        str('Name of an EcsScheduleCalendar in this namespace.', {
          minLength: 1,
          maxLength: 253,
          pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
        }),
        {
          description:
            'EcsScheduleCalendars (same namespace) whose times this task does not run at: an excluded scheduled time is not launched, not recorded Missed or Skipped, and nextScheduleTime is the next time no calendar excludes. A calendar that does not exist stalls the resource (CalendarNotFound).',
          maxItems: 16,
          'x-kubernetes-list-type': 'set',
        },
      ),
    ),
    successfulRunsHistoryLimit: opt(
      int('Succeeded runs kept in status.runs.', { minimum: 0, maximum: 100, default: 3 }),
    ),
    failedRunsHistoryLimit: opt(
      int('Failed, missed or skipped runs kept in status.runs.', { minimum: 0, maximum: 100, default: 1 }),
    ),
    task: TaskSpec,
  },
  { description: 'The desired schedule and the ECS task to run.', ...celRules(specRules) },
);

export const RUN_RESULTS = [
  'Running',
  'Succeeded',
  'Failed',
  'LaunchFailed',
  'Missed',
  'Skipped',
  'DryRun',
] as const;

const TaskRecord = Type.Object(
  {
    taskArn: str('ARN of the ECS task.', { maxLength: ARN_MAX }),
    lastStatus: opt(str('Last known ECS status, for example RUNNING or STOPPED.', { maxLength: 64 })),
    startedAt: opt(time('When the task started.')),
    stoppedAt: opt(time('When the task stopped.')),
    stopCode: opt(str('ECS stop code, for example EssentialContainerExited.', { maxLength: 64 })),
    stoppedReason: opt(str('ECS stopped reason.', { maxLength: MESSAGE_MAX })),
    exitCodes: opt(
      Type.Record(Type.String(), Type.Integer({ description: 'Exit code of the container.' }), {
        description: 'Exit code of each container that has exited.',
      }),
    ),
  },
  { description: 'One ECS task of a run.' },
);

const AttemptRecord = Type.Object(
  {
    attempt: int('Attempt number, 1 for the first launch.', { minimum: 1, maximum: MAX_RETRIES + 1 }),
    result: str('Failed or LaunchFailed.', { enum: [...RUN_RESULTS] }),
    reason: opt(str('CamelCase reason, for example NonZeroExit.', { maxLength: 1024 })),
    message: opt(str('Human-readable detail.', { maxLength: 1024 })),
    launchedAt: opt(time('When RunTask accepted its tasks.')),
    finishedAt: opt(time('When it was settled.')),
    taskCounts: opt(
      Type.Record(Type.String(), Type.Integer({ minimum: 0, description: 'Tasks with this outcome.' }), {
        description: 'Its tasks by outcome (Succeeded, Failed, Missing).',
      }),
    ),
    failedTask: opt(str('ARN of its first failed task, for its logs.', { maxLength: ARN_MAX })),
  },
  { description: 'One failed attempt of a run.' },
);

const RunRecord = Type.Object(
  {
    scheduledTime: time('The scheduled instant this run belongs to.'),
    launchedAt: opt(time('When RunTask accepted the tasks.')),
    finishedAt: opt(time('When the last task stopped, or the run was settled.')),
    result: str('Running, Succeeded, Failed, LaunchFailed, Missed, Skipped or DryRun.', {
      enum: [...RUN_RESULTS],
    }),
    reason: opt(
      str('CamelCase reason, for example CapacityUnavailable or ConcurrencyForbid.', { maxLength: 1024 }),
    ),
    message: opt(str('Human-readable detail.', { maxLength: MESSAGE_MAX })),
    desiredCount: opt(
      int('Tasks this run wanted running: taskCount, or the trigger count, capped by maxCount.', {
        minimum: 0,
      }),
    ),
    launchCount: opt(
      int('Tasks this run set out to launch: the desired count, or with TopUp the shortfall.', {
        minimum: 0,
      }),
    ),
    queueDepth: opt(int('Queue depth read by the trigger for this run.', { minimum: 0 })),
    cluster: opt(
      str('ECS cluster the tasks were launched in; they are followed there.', { maxLength: ARN_MAX }),
    ),
    launchAttempts: opt(
      int(
        'RunTask attempts made so far. Part of the idempotency token, so a repeated attempt sends the same request.',
        { minimum: 0 },
      ),
    ),
    unconfirmedLaunch: opt(
      Type.Object(
        {
          launchAttempt: int('The RunTask attempt they belong to (its token number, 0 for the first).', {
            minimum: 0,
          }),
          fromBatch: int('The first batch without an answer; the batches after it were never sent.', {
            minimum: 0,
          }),
          count: int('Tasks those batches asked for.', { minimum: 1 }),
        },
        {
          description:
            'RunTask batches that got no answer (a timeout, a lost reply, a lost lease): their tasks may run. Before anything new is launched, they are resent with their original tokens or their tasks are found by startedBy.',
        },
      ),
    ),
    tasks: opt(
      Type.Array(TaskRecord, {
        description:
          'Tasks launched by this run: all unfinished ones, and the first finished ones (failures first).',
      }),
    ),
    omittedTasks: opt(
      Type.Record(Type.String(), Type.Integer({ minimum: 0, description: 'Tasks with this outcome.' }), {
        description:
          'Finished tasks left out of tasks to keep the status small, counted by outcome (Succeeded, Failed, Missing).',
      }),
    ),
    launchDelaySeconds: opt(
      int('Seconds from the scheduled time to the launch, for a run that waited (BufferOne).', {
        minimum: 0,
      }),
    ),
    runNowKey: opt(
      str('For a run-now run: the hash of the annotation value, part of its identity.', { maxLength: 16 }),
    ),
    attempt: opt(
      int('The attempt this record describes: 1 for the first launch, one more for each retry.', {
        minimum: 1,
        maximum: MAX_RETRIES + 1,
      }),
    ),
    retryAt: opt(time('While waiting to retry: when the next attempt launches.')),
    attempts: opt(
      Type.Array(AttemptRecord, {
        description: 'Earlier attempts of this run that failed, oldest first.',
        maxItems: MAX_RETRIES,
      }),
    ),
    deadLetter: opt(
      Type.Object(
        {
          state: str(
            'Pending until the queue accepts the message, then Sent; Failed when the queue can never be used as written, or when the controller gave up on it (too many attempts, too old).',
            { enum: ['Pending', 'Sent', 'Failed'] },
          ),
          sentAt: opt(time('When the queue accepted the message.')),
          messageId: opt(str('The message id SQS returned.', { maxLength: 128 })),
          error: opt(
            str('Why the message cannot be sent, or why the last attempt failed.', { maxLength: 1024 }),
          ),
          attempts: opt(int('Sends tried and failed so far.', { minimum: 0 })),
          nextAttemptAt: opt(time('While Pending after a failed send: when it is tried again.')),
        },
        { description: 'The dead-letter message of a run that failed after its last retry.' },
      ),
    ),
  },
  { description: 'One scheduled run and its outcome.' },
);

export const Condition = Type.Object(
  {
    type: str('Condition type: Ready, Stalled or Reconciling.', { maxLength: 316 }),
    status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    observedGeneration: opt(int('Generation the condition was computed for.', { format: 'int64' })),
    lastTransitionTime: time('When the status last changed.'),
    reason: str('CamelCase reason.', { maxLength: 1024 }),
    message: str('Human-readable detail.', { maxLength: MESSAGE_MAX }),
  },
  { description: 'A kstatus-style condition.' },
);

export const EcsScheduledTaskStatus = Type.Object(
  {
    observedGeneration: opt(int('The spec generation the controller last acted on.', { format: 'int64' })),
    conditions: opt(
      Type.Array(Condition, {
        description: 'Ready, Stalled and Reconciling, as kstatus, Flux and Argo CD read them.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
    resolvedSchedule: opt(
      str(
        "The schedule with H and ? resolved to concrete values; spec.schedules' expressions joined with '; '.",
        { maxLength: 8192 },
      ),
    ),
    scheduleSummary: opt(
      str("For the Schedule column: the expressions as written, joined with '; ', cut at 64 characters.", {
        maxLength: 256,
      }),
    ),
    nextScheduleTime: opt(time('The next time a run is due.')),
    lastScheduleTime: opt(
      time(
        'The scheduled time of the most recent run, or of the most recent time passed over while suspended or excluded by a calendar (spec.excludeCalendars).',
      ),
    ),
    lastSuccessfulTime: opt(time('When the most recent successful run finished.')),
    lastResult: opt(str('Result of the most recent settled run.', { maxLength: 64 })),
    activeCount: opt(int('Tasks of this resource still running.', { minimum: 0 })),
    active: opt(
      Type.Array(
        Type.Object(
          {
            taskArn: str('ARN of the running task.', { maxLength: ARN_MAX }),
            scheduledTime: time('Scheduled time of the run that launched it.'),
            startedAt: opt(time('When RunTask accepted it.')),
          },
          { description: 'A task still running.' },
        ),
        { description: 'Tasks of this resource that have not stopped.' },
      ),
    ),
    bufferedRun: opt(
      Type.Object(
        {
          scheduledTime: time('The scheduled time that waits.'),
          since: time('When it began to wait.'),
        },
        {
          description:
            'BufferOne: the run that came while another was running. It starts when that one ends; a further one is recorded Skipped (BufferFull).',
        },
      ),
    ),
    lastRunNow: opt(
      // An annotation value can be as long as all annotations together may be (256 KiB).
      str('The last value of the ecs-scheduler.dev/run-now annotation that was acted on.', {
        maxLength: 262144,
      }),
    ),
    missedRunsTotal: opt(int('Scheduled times recorded as Missed since creation.', { minimum: 0 })),
    pendingLookups: opt(
      Type.Array(
        Type.Object(
          {
            from: time('The oldest scheduled time of the range still to look up.'),
            to: time('The newest scheduled time of the range (inclusive).'),
          },
          { description: 'Scheduled times from `from` to `to`, inclusive, still to look up.' },
        ),
        {
          description:
            'Scheduled times passed over (before lastScheduleTime) that an earlier leader may have launched without recording them. Each is looked up in ECS by its startedBy before it is recorded: adopted with its tasks, or Missed. Present only while the shared lookup budget (--adoption-lookups-per-second) is behind; oldest first.',
          maxItems: 64,
        },
      ),
    ),
    launchedRunsTotal: opt(
      int(
        'Scheduled runs launched since creation (retries and run-now not counted); spec.maxRuns is checked against it.',
        { minimum: 0 },
      ),
    ),
    droppedRunsTotal: opt(
      int(
        'Runs left out of status.runs to keep the status under its size cap (not those past the history limits), since creation.',
        { minimum: 0 },
      ),
    ),
    runs: opt(
      Type.Array(RunRecord, { description: 'Recent runs, newest first, trimmed by the history limits.' }),
    ),
  },
  { description: 'What the controller observed and did.' },
);

export const resourceRules: readonly CrossFieldRule<{ metadata: { name?: string } }>[] = [
  {
    // CEL at the root may read metadata.name (not the namespace, at most 63 characters).
    path: 'metadata.name',
    rule: `!has(self.metadata.name) || self.metadata.name.size() <= ${RESOURCE_NAME_MAX}`,
    message: `metadata.name may have at most ${RESOURCE_NAME_MAX} characters: the ecs-scheduler.dev/resource tag holds namespace/name, and ECS tag values end at 256`,
    check: (r) => (r.metadata.name?.length ?? 0) <= RESOURCE_NAME_MAX,
  },
];

/** The x-kubernetes-validations of the CRD's root schema. */
export const resourceValidations = celRules(resourceRules)['x-kubernetes-validations'];

/** What the offline validators read of a namespaced object's metadata; the API server checks the rest. */
export const NamespacedObjectMeta = Type.Object(
  {
    name: opt(Type.String()),
    namespace: opt(Type.String()),
    uid: opt(Type.String()),
    generation: opt(Type.Integer()),
    resourceVersion: opt(Type.String()),
    annotations: opt(Type.Record(Type.String(), Type.String())),
    labels: opt(Type.Record(Type.String(), Type.String())),
    creationTimestamp: opt(Type.String()),
  },
  { additionalProperties: true },
);

export const EcsScheduledTask = Type.Object({
  apiVersion: str('API version: ecs-scheduler.dev/v1alpha1.', { maxLength: 253 }),
  kind: str('Kind: EcsScheduledTask.', { maxLength: 63 }),
  metadata: NamespacedObjectMeta,
  spec: EcsScheduledTaskSpec,
  status: opt(EcsScheduledTaskStatus),
});
