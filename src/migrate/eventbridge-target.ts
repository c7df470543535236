/**
 * An EventBridge target (Scheduler's `Target`, or one of a rule's `Targets`) that runs an ECS task,
 * as the parts of an EcsScheduledTask: spec.task, the run count, the delivery deadline, the dead
 * letter and the role. Both APIs share the shapes (EcsParameters, RetryPolicy, DeadLetterConfig);
 * each field is mapped exactly or named in a reason.
 */
import type { Spec, TaskSpec } from '../api/types.js';
import { isObject, member, unknownKeys, type Json } from './import-conversion.js';

/** EventBridge's own RetryPolicy when none is given: 185 attempts within 24 hours. */
export const EVENTBRIDGE_DEFAULT_RETRY_ATTEMPTS = 185;
export const EVENTBRIDGE_DEFAULT_EVENT_AGE_SECONDS = 86400;

/** Scheduler's universal target for RunTask: the Input is the whole RunTask request. */
const UNIVERSAL_RUN_TASK = /^arn:aws[a-z-]*:scheduler:::aws-sdk:ecs:runTask$/i;
const ECS_CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/.+$/;
const SQS_ARN = /^arn:(aws[a-z-]*):sqs:([a-z0-9-]+):(\d{12}):([\w-]{1,80}(?:\.fifo)?)$/;

export interface TargetParts {
  readonly task: TaskSpec;
  readonly taskCount?: number;
  readonly startingDeadlineSeconds: number;
  readonly deadLetter?: NonNullable<Spec['deadLetter']>;
  readonly roleArn?: string;
}

export type TargetConversion =
  { readonly ok: true; readonly parts: TargetParts } | { readonly ok: false; readonly notEcs: boolean };

const ECS_PARAMETERS = [
  'TaskDefinitionArn',
  'TaskCount',
  'LaunchType',
  'NetworkConfiguration',
  'PlatformVersion',
  'Group',
  'CapacityProviderStrategy',
  'EnableECSManagedTags',
  'EnableExecuteCommand',
  'PlacementConstraints',
  'PlacementStrategy',
  'PropagateTags',
  'ReferenceId',
  'Tags',
];
const TASK_OVERRIDE_FIELDS = [
  'containerOverrides',
  'cpu',
  'memory',
  'taskRoleArn',
  'executionRoleArn',
  'ephemeralStorage',
];
const CONTAINER_OVERRIDE_FIELDS = [
  'name',
  'command',
  'environment',
  'environmentFiles',
  'cpu',
  'memory',
  'memoryReservation',
  'resourceRequirements',
];
/** RunTask request members the universal target may carry, and which EcsParameters each is. */
const RUN_TASK_REQUEST: Readonly<Record<string, string>> = {
  cluster: '',
  taskDefinition: 'TaskDefinitionArn',
  count: 'TaskCount',
  launchType: 'LaunchType',
  networkConfiguration: 'NetworkConfiguration',
  platformVersion: 'PlatformVersion',
  group: 'Group',
  capacityProviderStrategy: 'CapacityProviderStrategy',
  enableECSManagedTags: 'EnableECSManagedTags',
  enableExecuteCommand: 'EnableExecuteCommand',
  placementConstraints: 'PlacementConstraints',
  placementStrategy: 'PlacementStrategy',
  propagateTags: 'PropagateTags',
  referenceId: 'ReferenceId',
  tags: 'Tags',
  overrides: '',
};

/**
 * `target` is the JSON of one target. `where` prefixes every reason (`Target`, `Targets[Id=x]`);
 * `known` are the members of the target that the caller's API defines.
 */
export function convertEcsTarget(
  target: Json,
  where: string,
  known: readonly string[],
  reasons: string[],
  notes: string[],
): TargetConversion {
  const arn = member(target, 'Arn');
  if (typeof arn !== 'string' || arn === '') {
    reasons.push(`${where}.Arn: missing`);
    return { ok: false, notEcs: false };
  }
  let cluster: string;
  let parameters: unknown;
  let input: unknown = member(target, 'Input');
  const contextAttributes = typeof input === 'string' && input.includes('<aws.scheduler.');
  if (contextAttributes) {
    reasons.push(
      `${where}.Input: holds Scheduler context attributes (<aws.scheduler.*>), filled in per invocation; an EcsScheduledTask sends the same request every run`,
    );
    input = undefined;
  }
  if (UNIVERSAL_RUN_TASK.test(arn)) {
    // Its whole request is the Input: with context attributes nothing of it can be read as is.
    if (contextAttributes) return { ok: false, notEcs: false };
    const request = parseJsonMember(input, `${where}.Input`, reasons);
    if (request === undefined) return { ok: false, notEcs: false };
    const normalized = fromRunTaskRequest(request, `${where}.Input`, reasons);
    if (normalized === undefined) return { ok: false, notEcs: false };
    ({ cluster, parameters, input } = normalized);
    if (member(target, 'EcsParameters') !== undefined)
      reasons.push(`${where}.EcsParameters: a universal RunTask target takes its parameters from Input`);
  } else if (ECS_CLUSTER_ARN.test(arn)) {
    cluster = arn;
    parameters = member(target, 'EcsParameters');
  } else {
    reasons.push(`${where}.Arn: the target is not ECS RunTask but ${arn}, so there is no task to schedule`);
    return { ok: false, notEcs: true };
  }

  for (const key of unknownKeys(target, known))
    reasons.push(`${where}.${key}: not a member of this API's target, so its meaning is unknown`);
  for (const key of [
    'SqsParameters',
    'KinesisParameters',
    'EventBridgeParameters',
    'SageMakerPipelineParameters',
    'RunCommandParameters',
    'BatchParameters',
    'HttpParameters',
    'RedshiftDataParameters',
    'AppSyncParameters',
  ]) {
    if (member(target, key) !== undefined && known.includes(key))
      reasons.push(`${where}.${key}: belongs to another kind of target, not ECS RunTask`);
  }
  for (const key of ['InputPath', 'InputTransformer']) {
    if (member(target, key) !== undefined)
      reasons.push(
        `${where}.${key}: rewrites the event into the overrides per invocation; a schedule has no event to read`,
      );
  }

  if (!isObject(parameters)) {
    reasons.push(`${where}.EcsParameters: missing (an ECS target needs at least TaskDefinitionArn)`);
    return { ok: false, notEcs: false };
  }
  const task = convertEcsParameters(parameters, `${where}.EcsParameters`, cluster, reasons);
  const taskCount = member(parameters, 'TaskCount');
  if (
    taskCount !== undefined &&
    (typeof taskCount !== 'number' || !Number.isInteger(taskCount) || taskCount < 1)
  )
    reasons.push(`${where}.EcsParameters.TaskCount: must be a whole number of at least 1`);

  if (input !== undefined && input !== null) {
    const overrides = convertOverridesInput(input, `${where}.Input`, reasons);
    if (overrides !== undefined && task !== undefined && Object.keys(overrides).length > 0)
      task.overrides = overrides;
  }

  const startingDeadlineSeconds = convertRetryPolicy(
    member(target, 'RetryPolicy'),
    `${where}.RetryPolicy`,
    reasons,
    notes,
  );
  const deadLetter = convertDeadLetter(
    member(target, 'DeadLetterConfig'),
    `${where}.DeadLetterConfig`,
    reasons,
    notes,
  );

  const role = member(target, 'RoleArn');
  let roleArn: string | undefined;
  if (typeof role === 'string' && role !== '') {
    roleArn = role;
    notes.push(
      `${where}.RoleArn: the generated EcsSchedulerPolicy has the controller assume ${role}; its trust policy must allow the controller's role, not only EventBridge`,
    );
  } else if (role !== undefined) reasons.push(`${where}.RoleArn: must be an IAM role ARN`);

  if (reasons.length > 0 || task === undefined) return { ok: false, notEcs: false };
  return {
    ok: true,
    parts: {
      task,
      ...(typeof taskCount === 'number' && { taskCount }),
      startingDeadlineSeconds,
      ...(deadLetter !== undefined && { deadLetter }),
      ...(roleArn !== undefined && { roleArn }),
    },
  };
}

function parseJsonMember(value: unknown, where: string, reasons: string[]): Json | undefined {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      reasons.push(`${where}: not JSON (${(error as Error).message})`);
      return undefined;
    }
  }
  if (!isObject(parsed)) {
    reasons.push(`${where}: must be a JSON object`);
    return undefined;
  }
  return parsed;
}

/** The universal target's RunTask request, in the shape of an ECS target. */
function fromRunTaskRequest(
  request: Json,
  where: string,
  reasons: string[],
): { cluster: string; parameters: Json; input: unknown } | undefined {
  for (const key of unknownKeys(request, Object.keys(RUN_TASK_REQUEST)))
    reasons.push(`${where}.${key}: a RunTask member an EcsScheduledTask has no field for`);
  const cluster = member(request, 'cluster');
  // RunTask's own default is the account's "default" cluster.
  const parameters: Json = {};
  for (const [from, to] of Object.entries(RUN_TASK_REQUEST)) {
    if (to !== '' && member(request, from) !== undefined) parameters[to] = member(request, from);
  }
  if (cluster !== undefined && (typeof cluster !== 'string' || cluster === '')) {
    reasons.push(`${where}.cluster: must be a cluster name or ARN`);
    return undefined;
  }
  return {
    cluster: (cluster as string | undefined) ?? 'default',
    parameters,
    input: member(request, 'overrides'),
  };
}

function convertEcsParameters(
  p: Json,
  where: string,
  cluster: string,
  reasons: string[],
): (TaskSpec & { overrides?: TaskSpec['overrides'] }) | undefined {
  for (const key of unknownKeys(p, ECS_PARAMETERS))
    reasons.push(`${where}.${key}: not an EcsParameters member, so its meaning is unknown`);
  const taskDefinition = member(p, 'TaskDefinitionArn');
  if (typeof taskDefinition !== 'string' || taskDefinition === '') {
    reasons.push(`${where}.TaskDefinitionArn: missing`);
    return undefined;
  }
  if (member(p, 'ReferenceId') !== undefined)
    reasons.push(`${where}.ReferenceId: RunTask's referenceId has no field in an EcsScheduledTask`);
  const task: Record<string, unknown> = { cluster, taskDefinition };
  const copy = (from: string, to: string) => {
    const value = member(p, from);
    if (value !== undefined && value !== null) task[to] = value;
  };
  copy('LaunchType', 'launchType');
  copy('PlatformVersion', 'platformVersion');
  copy('Group', 'group');
  copy('PropagateTags', 'propagateTags');
  copy('EnableECSManagedTags', 'enableECSManagedTags');
  copy('EnableExecuteCommand', 'enableExecuteCommand');

  const strategy = member(p, 'CapacityProviderStrategy');
  if (Array.isArray(strategy) && strategy.length > 0) {
    task.capacityProviderStrategy = strategy.map((item: unknown) =>
      isObject(item)
        ? pickMembers(
            item,
            ['capacityProvider', 'weight', 'base'],
            `${where}.CapacityProviderStrategy`,
            reasons,
          )
        : item,
    );
  }
  const constraints = member(p, 'PlacementConstraints');
  if (Array.isArray(constraints) && constraints.length > 0)
    task.placementConstraints = constraints.map((item: unknown) =>
      isObject(item)
        ? pickMembers(item, ['type', 'expression'], `${where}.PlacementConstraints`, reasons)
        : item,
    );
  const placement = member(p, 'PlacementStrategy');
  if (Array.isArray(placement) && placement.length > 0)
    task.placementStrategy = placement.map((item: unknown) =>
      isObject(item) ? pickMembers(item, ['type', 'field'], `${where}.PlacementStrategy`, reasons) : item,
    );

  const network = member(p, 'NetworkConfiguration');
  if (isObject(network)) {
    for (const key of unknownKeys(network, ['AwsvpcConfiguration']))
      reasons.push(`${where}.NetworkConfiguration.${key}: not a NetworkConfiguration member`);
    const vpc = member(network, 'AwsvpcConfiguration');
    if (isObject(vpc)) {
      task.networkConfiguration = {
        awsvpcConfiguration: pickMembers(
          vpc,
          ['subnets', 'securityGroups', 'assignPublicIp'],
          `${where}.NetworkConfiguration.AwsvpcConfiguration`,
          reasons,
        ),
      };
    }
  }

  const tags = member(p, 'Tags');
  if (Array.isArray(tags) && tags.length > 0) {
    const out: { key: string; value: string }[] = [];
    for (const item of tags as unknown[]) {
      if (!isObject(item)) {
        reasons.push(`${where}.Tags: each tag must be an object`);
        continue;
      }
      const keyed = member(item, 'Key');
      if (typeof keyed === 'string' && Object.keys(item).length <= 2) {
        // EventBridge rules: {Key, Value}.
        out.push({ key: keyed, value: String(member(item, 'Value') ?? '') });
      } else {
        // Scheduler: a list of {key: value} maps.
        for (const [key, value] of Object.entries(item)) out.push({ key, value: String(value) });
      }
    }
    task.tags = out;
  }
  return task as unknown as TaskSpec;
}

/** Members of an ECS shape, lowerCamel as our spec writes them; any other member is a reason. */
function pickMembers(item: Json, names: readonly string[], where: string, reasons: string[]): Json {
  for (const key of unknownKeys(item, names)) reasons.push(`${where}.${key}: not a member of this ECS shape`);
  const out: Json = {};
  for (const name of names) {
    const value = member(item, name);
    if (value !== undefined && value !== null) out[name] = value;
  }
  return out;
}

/** An ECS target's Input: the TaskOverride of RunTask, as JSON text. */
function convertOverridesInput(
  input: unknown,
  where: string,
  reasons: string[],
): TaskSpec['overrides'] | undefined {
  const overrides = parseJsonMember(input, where, reasons);
  if (overrides === undefined) return undefined;
  for (const key of unknownKeys(overrides, TASK_OVERRIDE_FIELDS))
    reasons.push(`${where}.${key}: a task override an EcsScheduledTask has no field for`);
  const out: Json = {};
  for (const name of TASK_OVERRIDE_FIELDS) {
    const value = member(overrides, name);
    if (value === undefined || value === null) continue;
    if (name === 'containerOverrides' && Array.isArray(value)) {
      out[name] = value.map((c: unknown, i) =>
        isObject(c)
          ? pickMembers(c, CONTAINER_OVERRIDE_FIELDS, `${where}.containerOverrides[${i}]`, reasons)
          : c,
      );
    } else out[name] = value;
  }
  return out as TaskSpec['overrides'];
}

/**
 * EventBridge retries the RunTask call that failed (throttling, capacity) with backoff until the
 * event is MaximumEventAgeInSeconds old or MaximumRetryAttempts were made; it never reruns a task
 * that ran and failed. The controller retries such a launch until startingDeadlineSeconds, without
 * counting: the age maps exactly, a count only when it is EventBridge's own (which the age bounds
 * first). spec.retryPolicy is left off, since it reruns failed tasks, which EventBridge never did.
 */
function convertRetryPolicy(value: unknown, where: string, reasons: string[], notes: string[]): number {
  if (value === undefined || value === null) {
    notes.push(
      `${where}: none, so EventBridge's default (${EVENTBRIDGE_DEFAULT_RETRY_ATTEMPTS} attempts within ${EVENTBRIDGE_DEFAULT_EVENT_AGE_SECONDS} s): startingDeadlineSeconds ${EVENTBRIDGE_DEFAULT_EVENT_AGE_SECONDS}`,
    );
    return EVENTBRIDGE_DEFAULT_EVENT_AGE_SECONDS;
  }
  if (!isObject(value)) {
    reasons.push(`${where}: must be an object`);
    return EVENTBRIDGE_DEFAULT_EVENT_AGE_SECONDS;
  }
  for (const key of unknownKeys(value, ['MaximumEventAgeInSeconds', 'MaximumRetryAttempts']))
    reasons.push(`${where}.${key}: not a RetryPolicy member`);
  const age = member(value, 'MaximumEventAgeInSeconds') ?? EVENTBRIDGE_DEFAULT_EVENT_AGE_SECONDS;
  if (typeof age !== 'number' || !Number.isInteger(age) || age < 0) {
    reasons.push(`${where}.MaximumEventAgeInSeconds: must be a whole number of seconds`);
  }
  const attempts = member(value, 'MaximumRetryAttempts') ?? EVENTBRIDGE_DEFAULT_RETRY_ATTEMPTS;
  if (attempts !== EVENTBRIDGE_DEFAULT_RETRY_ATTEMPTS) {
    reasons.push(
      `${where}.MaximumRetryAttempts: ${String(attempts)} cannot be kept: the controller retries a RunTask call that failed ` +
        `until startingDeadlineSeconds (here MaximumEventAgeInSeconds) without counting attempts, as EventBridge does with its default of ` +
        `${EVENTBRIDGE_DEFAULT_RETRY_ATTEMPTS}; set it to ${EVENTBRIDGE_DEFAULT_RETRY_ATTEMPTS} in the input to accept that`,
    );
  }
  notes.push(
    `${where}: a failed RunTask call is retried until startingDeadlineSeconds ${String(age)}; a task that ran and failed is not rerun (no spec.retryPolicy), as under EventBridge`,
  );
  return typeof age === 'number' ? age : EVENTBRIDGE_DEFAULT_EVENT_AGE_SECONDS;
}

/** An SQS ARN names its account, so it becomes a queueUrl (a queueName would be resolved in ours). */
function convertDeadLetter(
  value: unknown,
  where: string,
  reasons: string[],
  notes: string[],
): NonNullable<Spec['deadLetter']> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    reasons.push(`${where}: must be an object`);
    return undefined;
  }
  for (const key of unknownKeys(value, ['Arn']))
    reasons.push(`${where}.${key}: not a DeadLetterConfig member`);
  const arn = member(value, 'Arn');
  if (arn === undefined) return undefined;
  const m = typeof arn === 'string' ? SQS_ARN.exec(arn) : null;
  if (!m) {
    reasons.push(`${where}.Arn: "${String(arn)}" is not the ARN of an SQS queue`);
    return undefined;
  }
  const [, partition, region, account, name] = m;
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  notes.push(
    `${where}: the queue now receives ecs-scheduler's JSON message (kind EcsScheduledTaskRunFailed) for a run that finally failed, including one whose task failed, instead of EventBridge's undelivered event`,
  );
  return { sqs: { queueUrl: `https://sqs.${region}.${domain}/${account}/${name}` } };
}
