// The single source of the EcsTaskBackfill API: a one-off run of an EcsScheduledTask's own schedule
// times over a past range. The CRD (crds/ecstaskbackfills.yaml), the TypeScript types
// (api/backfill-types.ts) and the offline validator (api/backfill-validation.ts) derive from the
// TypeBox schemas below, as they do for EcsScheduledTask in api/schema.ts.
import { Type, type TSchema } from '@sinclair/typebox';
import { Condition, NamespacedObjectMeta, RESOURCE_NAME_MAX, type CrossFieldRule } from './schema.js';

const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
const time = (description: string) => Type.String({ description, format: 'date-time', maxLength: 64 });
const count = (description: string) => Type.Integer({ description, minimum: 0 });

/**
 * Most schedule times one backfill covers. Each is looked up in ECS before it is launched, and the
 * failed ones are listed in the status: a bound keeps both the calls and the object small.
 */
export const MAX_BACKFILL_TIMES = 1000;
/** Runs of one backfill running at once, at most. */
export const MAX_BACKFILL_CONCURRENCY = 100;
/** The longest range, so a mistyped year is refused by `kubectl apply` rather than by the controller. */
export const MAX_BACKFILL_RANGE_DAYS = 366;

export const RERUN_MODES = ['MissedAndFailed', 'All'] as const;

export const backfillSpecRules: readonly CrossFieldRule<{ start: string; end: string }>[] = [
  {
    path: 'spec.end',
    fieldPath: '.end',
    rule: 'timestamp(self.end) > timestamp(self.start)',
    message: 'spec.end must be after spec.start: the range is [start, end)',
    check: (s) => Date.parse(s.end) > Date.parse(s.start),
  },
  {
    path: 'spec.end',
    fieldPath: '.end',
    rule: `timestamp(self.end) - timestamp(self.start) <= duration('${MAX_BACKFILL_RANGE_DAYS * 24}h')`,
    message: `spec.end may be at most ${MAX_BACKFILL_RANGE_DAYS} days after spec.start`,
    check: (s) => Date.parse(s.end) - Date.parse(s.start) <= MAX_BACKFILL_RANGE_DAYS * 86_400_000,
  },
];

/** A transition rule: what a backfill launches is fixed when it is created. */
export const backfillImmutableRule = {
  rule: 'self == oldSelf',
  message:
    'spec is immutable: a backfill runs what it was created with; delete it and create another to change it',
};

export const EcsTaskBackfillSpec = Type.Object(
  {
    taskRef: Type.Object(
      {
        name: Type.String({
          description: 'Name of the EcsScheduledTask, in the namespace of this backfill.',
          minLength: 1,
          maxLength: RESOURCE_NAME_MAX,
        }),
      },
      { description: 'The EcsScheduledTask whose schedule times are run.' },
    ),
    start: time(
      "First instant of the range (inclusive). The task's own schedule, timeZone and startTime/endTime give the times in it.",
    ),
    end: time('End of the range (exclusive). Times after the backfill was created are left to the schedule.'),
    maxConcurrent: opt(
      Type.Integer({
        description: 'Runs of this backfill running at once, at most.',
        minimum: 1,
        maximum: MAX_BACKFILL_CONCURRENCY,
        default: 1,
      }),
    ),
    rerun: opt(
      Type.String({
        description:
          "Which times to run: MissedAndFailed (times that never ran, or that the task's status records as Missed, Failed or LaunchFailed) or All (every time, also those that succeeded).",
        enum: [...RERUN_MODES],
        default: 'MissedAndFailed',
      }),
    ),
    dryRun: opt(
      Type.Boolean({
        description:
          'List the times that would be launched (status.dryRunTimes and an event) and launch nothing.',
        default: false,
      }),
    ),
  },
  {
    description: "Which task, which range of its schedule's times, and how many runs at once.",
    'x-kubernetes-validations': [
      ...backfillSpecRules.map(({ rule, message, fieldPath }) => ({
        rule,
        message,
        ...(fieldPath === undefined ? {} : { fieldPath }),
      })),
      backfillImmutableRule,
    ],
  },
);

const ActiveRun = Type.Object(
  {
    scheduledTime: time('The schedule time this run belongs to.'),
    startedBy: Type.String({ description: 'The startedBy of its tasks.', maxLength: 128 }),
    rerun: opt(
      Type.Boolean({
        description:
          'True for a time that already ran: it is launched under its own identity for this backfill, not the scheduled one.',
      }),
    ),
    cluster: Type.String({ description: 'ECS cluster of its tasks.', maxLength: 2048 }),
    taskArns: opt(
      Type.Array(Type.String({ description: 'ARN of one task.', maxLength: 2048 }), {
        description: 'Its tasks. Absent until RunTask answered: the time is chosen, not launched yet.',
        maxItems: 1000,
      }),
    ),
    launchedAt: opt(time('When RunTask accepted its tasks.')),
  },
  { description: 'A run of this backfill that has not finished.' },
);

export const EcsTaskBackfillStatus = Type.Object(
  {
    observedGeneration: opt(Type.Integer({ description: 'The generation acted on.', format: 'int64' })),
    conditions: opt(
      Type.Array(Condition, {
        description:
          'Complete (every time done, none failed), Failed (done, some failed; or the backfill cannot run) and Stalled (waiting on something the user must fix: the task, the policy).',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
    total: opt(count('Schedule times in the range.')),
    launched: opt(count('Times this backfill launched (RunTask).')),
    succeeded: opt(count('Launched times whose tasks all succeeded.')),
    failed: opt(count('Launched times that failed: a task failed, or ECS placed none.')),
    skipped: opt(
      count(
        'Times not launched: already launched by the schedule or an earlier backfill, or (MissedAndFailed) recorded as succeeded or running.',
      ),
    ),
    running: opt(count('Runs of this backfill not finished yet.')),
    progress: opt(
      Type.String({
        description: 'Done (succeeded, failed or skipped) over total, for `kubectl get`.',
        maxLength: 32,
      }),
    ),
    lastDecidedTime: opt(time('Every time up to and including this one has been launched or skipped.')),
    active: opt(
      Type.Array(ActiveRun, {
        description: 'Runs chosen or launched and not finished yet, at most maxConcurrent.',
        maxItems: MAX_BACKFILL_CONCURRENCY,
      }),
    ),
    failedTimes: opt(
      Type.Array(time('A schedule time whose run failed.'), {
        description: 'The times whose run failed, for another backfill or a look at their logs.',
        maxItems: MAX_BACKFILL_TIMES,
      }),
    ),
    dryRunTimes: opt(
      Type.Array(time('A schedule time that would be launched.'), {
        description: 'With dryRun: the times a real backfill would launch, in order.',
        maxItems: MAX_BACKFILL_TIMES,
      }),
    ),
    completionTime: opt(time('When the last run finished (Complete or Failed).')),
  },
  { description: 'Progress of the backfill.' },
);

export const EcsTaskBackfill = Type.Object({
  apiVersion: Type.String({ description: 'API version: ecs-scheduler.dev/v1alpha1.', maxLength: 253 }),
  kind: Type.String({ description: 'Kind: EcsTaskBackfill.', maxLength: 63 }),
  metadata: NamespacedObjectMeta,
  spec: EcsTaskBackfillSpec,
  status: opt(EcsTaskBackfillStatus),
});
