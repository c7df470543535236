import type { Static } from '@sinclair/typebox';
import type {
  EcsScheduledTask,
  EcsScheduledTaskSpec,
  EcsScheduledTaskStatus,
  RUN_RESULTS,
  CONCURRENCY_POLICIES,
} from './schema.js';

export type EcsScheduledTaskResource = Static<typeof EcsScheduledTask>;
export type Spec = Static<typeof EcsScheduledTaskSpec>;
export type Status = Static<typeof EcsScheduledTaskStatus>;
export type TaskSpec = Spec['task'];
export type SqsTriggerSpec = NonNullable<NonNullable<Spec['trigger']>['sqs']>;
export type RunRecord = NonNullable<Status['runs']>[number];
export type TaskRecord = NonNullable<RunRecord['tasks']>[number];
export type ActiveTask = NonNullable<Status['active']>[number];
export type Condition = NonNullable<Status['conditions']>[number];
export type RunResult = (typeof RUN_RESULTS)[number];
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];
