export const GROUP = 'ecs-scheduler.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'EcsScheduledTask';
export const PLURAL = 'ecsscheduledtasks';
export const SINGULAR = 'ecsscheduledtask';
export const SHORT_NAMES = ['est', 'ecsst'];
export const CATEGORIES = ['ecs-scheduler'];

/** Setting this annotation to a new value launches one run now (once per distinct value). */
export const RUN_NOW_ANNOTATION = `${GROUP}/run-now`;

/** Tag keys put on every task we launch, so a restarted controller can find what it launched. */
export const TAG_RESOURCE = `${GROUP}/resource`;
export const TAG_UID = `${GROUP}/uid`;
export const TAG_SCHEDULED_TIME = `${GROUP}/scheduled-time`;

/** The cluster admin's tenancy policy: cluster-scoped, in the same group and version. */
export const POLICY_KIND = 'EcsSchedulerPolicy';
export const POLICY_PLURAL = 'ecsschedulerpolicies';
export const POLICY_SINGULAR = 'ecsschedulerpolicy';
export const POLICY_SHORT_NAMES = ['esp'];

/** A run of a task's past schedule times: namespaced, in the same group and version. */
export const BACKFILL_KIND = 'EcsTaskBackfill';
export const BACKFILL_PLURAL = 'ecstaskbackfills';
export const BACKFILL_SINGULAR = 'ecstaskbackfill';
export const BACKFILL_SHORT_NAMES = ['etb'];
/** Times when the EcsScheduledTasks that name it do not run: namespaced, in the same group. */
export const CALENDAR_KIND = 'EcsScheduleCalendar';
export const CALENDAR_PLURAL = 'ecsschedulecalendars';
export const CALENDAR_SINGULAR = 'ecsschedulecalendar';
export const CALENDAR_SHORT_NAMES = ['escal'];
