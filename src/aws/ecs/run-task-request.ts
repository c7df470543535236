// Builds the exact RunTask requests for a LaunchRequest. Pure, and shared by the AWS launcher and
// the dry-run launcher, so that a dry run logs precisely what a real run would send.
import type {
  AssignPublicIp,
  CapacityProviderStrategyItem,
  ContainerOverride,
  EnvironmentFileType,
  LaunchType,
  PlacementConstraintType,
  PlacementStrategyType,
  PropagateTags,
  ResourceType,
  RunTaskCommandInput,
  Tag,
  TaskOverride,
} from '@aws-sdk/client-ecs';
import type { TaskSpec } from '../../api/types.js';
import { TASKS_PER_BATCH, type LaunchRequest } from '../../controller/ports.js';

/** RunTask starts at most 10 tasks per call. */
export const MAX_TASKS_PER_RUN_TASK = TASKS_PER_BATCH;
/** RunTask rejects a clientToken longer than 64 characters. */
export const MAX_CLIENT_TOKEN_LENGTH = 64;
/** ECS allows 50 tags per task. */
export const MAX_TAGS = 50;

/**
 * The clientToken for batch `index` of a launch. Batch 0 keeps the request's token, so a
 * single-batch launch sends exactly the token the core derived. Later batches get a `-b<i>`
 * suffix: a retried batch stays idempotent, while different batches are not collapsed into one
 * by ECS.
 */
export function batchClientToken(token: string, index: number): string {
  if (index === 0) return token.slice(0, MAX_CLIENT_TOKEN_LENGTH);
  const suffix = `-b${index}`;
  return `${token.slice(0, MAX_CLIENT_TOKEN_LENGTH - suffix.length)}${suffix}`;
}

/** The user's tags followed by ours; on a duplicate key ours win, since they identify the run. */
export function mergeTags(
  userTags: TaskSpec['tags'],
  ourTags: readonly { key: string; value: string }[],
): Tag[] {
  const merged = new Map<string, string | undefined>();
  for (const tag of userTags ?? []) merged.set(tag.key, tag.value);
  for (const tag of ourTags) merged.set(tag.key, tag.value);
  return [...merged].map(([key, value]) => (value === undefined ? { key } : { key, value }));
}

/** True when the task runs on Fargate: its own RunTask throttle applies. */
export function isFargate(task: TaskSpec): boolean {
  if (task.launchType === 'FARGATE') return true;
  return (task.capacityProviderStrategy ?? []).some(
    (item) => item.capacityProvider === 'FARGATE' || item.capacityProvider === 'FARGATE_SPOT',
  );
}

/**
 * The RunTask requests for a launch: one per batch of at most 10 tasks, in order, numbered from
 * `firstBatch`.
 */
export function buildRunTaskInputs(request: LaunchRequest): RunTaskCommandInput[] {
  const inputs: RunTaskCommandInput[] = [];
  const base = baseInput(request);
  for (let index = request.firstBatch ?? 0, remaining = request.count; remaining > 0; index++) {
    const count = Math.min(MAX_TASKS_PER_RUN_TASK, remaining);
    remaining -= count;
    // Each batch its own copy; the first takes the base as built (most launches are one batch).
    inputs.push({
      ...(inputs.length === 0 ? base : structuredClone(base)),
      count,
      clientToken: batchClientToken(request.clientToken, index),
    });
  }
  return inputs;
}

function baseInput(request: LaunchRequest): RunTaskCommandInput {
  const task = request.task;
  const input: RunTaskCommandInput = {
    cluster: request.cluster,
    taskDefinition: task.taskDefinition,
    startedBy: request.startedBy,
    tags: mergeTags(task.tags, request.tags),
  };
  if (task.launchType !== undefined) input.launchType = task.launchType as LaunchType;
  if (task.capacityProviderStrategy !== undefined) {
    input.capacityProviderStrategy = task.capacityProviderStrategy.map((item) =>
      compact<CapacityProviderStrategyItem>({
        capacityProvider: item.capacityProvider,
        weight: item.weight,
        base: item.base,
      }),
    );
  }
  if (task.platformVersion !== undefined) input.platformVersion = task.platformVersion;
  const awsvpc = task.networkConfiguration?.awsvpcConfiguration;
  if (task.networkConfiguration !== undefined) {
    input.networkConfiguration =
      awsvpc === undefined
        ? {}
        : {
            awsvpcConfiguration: compact({
              subnets: [...awsvpc.subnets],
              securityGroups: awsvpc.securityGroups === undefined ? undefined : [...awsvpc.securityGroups],
              assignPublicIp: awsvpc.assignPublicIp as AssignPublicIp | undefined,
            }),
          };
  }
  if (task.placementConstraints !== undefined) {
    input.placementConstraints = task.placementConstraints.map((c) =>
      compact({ type: c.type as PlacementConstraintType, expression: c.expression }),
    );
  }
  if (task.placementStrategy !== undefined) {
    input.placementStrategy = task.placementStrategy.map((s) =>
      compact({ type: s.type as PlacementStrategyType, field: s.field }),
    );
  }
  if (task.group !== undefined) input.group = task.group;
  if (task.propagateTags !== undefined) input.propagateTags = task.propagateTags as PropagateTags;
  if (task.enableECSManagedTags !== undefined) input.enableECSManagedTags = task.enableECSManagedTags;
  if (task.enableExecuteCommand !== undefined) input.enableExecuteCommand = task.enableExecuteCommand;
  if (task.overrides !== undefined) input.overrides = taskOverride(task.overrides);
  return input;
}

function taskOverride(overrides: NonNullable<TaskSpec['overrides']>): TaskOverride {
  return compact<TaskOverride>({
    containerOverrides: overrides.containerOverrides?.map((c) =>
      compact<ContainerOverride>({
        name: c.name,
        command: c.command === undefined ? undefined : [...c.command],
        environment: c.environment?.map((e) => compact({ name: e.name, value: e.value })),
        environmentFiles: c.environmentFiles?.map((f) => ({
          value: f.value,
          type: f.type as EnvironmentFileType,
        })),
        cpu: c.cpu,
        memory: c.memory,
        memoryReservation: c.memoryReservation,
        resourceRequirements: c.resourceRequirements?.map((r) => ({
          type: r.type as ResourceType,
          value: r.value,
        })),
      }),
    ),
    cpu: overrides.cpu,
    memory: overrides.memory,
    taskRoleArn: overrides.taskRoleArn,
    executionRoleArn: overrides.executionRoleArn,
    ephemeralStorage:
      overrides.ephemeralStorage === undefined
        ? undefined
        : { sizeInGiB: overrides.ephemeralStorage.sizeInGiB },
  });
}

/** Drops keys whose value is undefined, so logged requests show only what is sent. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
