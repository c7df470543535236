// The identity of one run: what makes "at most one launch per scheduled time" hold across
// restarts and leader changes. It is derived only from the resource uid and the scheduled time (or
// the run-now annotation value), never from when the controller happened to look, so a controller
// that crashed after RunTask and before its status write finds the same tasks again.
import { TAG_RESOURCE, TAG_SCHEDULED_TIME, TAG_UID } from '../../api/constants.js';
import type { EcsScheduledTaskResource } from '../../api/types.js';
import { stableHash } from '../../schedule/stable-hash.js';
import { keyOf } from '../ports.js';

/** Every task this controller launches has a startedBy that begins so. */
export const RUN_STARTED_BY_PREFIX = 'ecss/';

export interface RunIdentity {
  /** ListTasks can filter on it. ECS allows letters, digits, `-`, `_` and `/`, 128 at most. */
  readonly startedBy: string;
  /** RunTask idempotency token, 64 characters at most. */
  readonly clientToken: string;
  /** Our tags followed by the user's (ours win on a clash). */
  readonly tags: readonly { key: string; value: string }[];
}

const STARTED_BY_MAX = 128;
const CLIENT_TOKEN_MAX = 64;

/** A Kubernetes uid is a UUID; anything else (standalone manifests) is made safe for startedBy. */
function uidOf(resource: Pick<EcsScheduledTaskResource, 'metadata'>): string {
  const uid = resource.metadata.uid;
  if (uid) return uid.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return `key-${shortHash(keyOf(resource))}`;
}

/** 8 hex digits, stable across processes. */
export function shortHash(value: string): string {
  return stableHash(value, 'ecs-scheduler/run-identity').toString(16).padStart(8, '0');
}

function build(
  resource: Pick<EcsScheduledTaskResource, 'metadata' | 'spec'>,
  suffix: string,
  scheduledTime: Date,
): RunIdentity {
  const uid = uidOf(resource);
  const ours = [
    { key: TAG_RESOURCE, value: keyOf(resource) },
    { key: TAG_UID, value: resource.metadata.uid ?? uid },
    { key: TAG_SCHEDULED_TIME, value: scheduledTime.toISOString() },
  ];
  const reserved = new Set(ours.map((t) => t.key));
  const users = (resource.spec.task.tags ?? [])
    .filter((t) => !reserved.has(t.key))
    .map((t) => ({ key: t.key, value: t.value ?? '' }));
  return {
    startedBy: `${RUN_STARTED_BY_PREFIX}${uid}/${suffix}`.slice(0, STARTED_BY_MAX),
    clientToken: `${uid}-${suffix}`.slice(0, CLIENT_TOKEN_MAX),
    tags: [...ours, ...users],
  };
}

/** The run for a scheduled time: `ecss/<uid>/<epochSeconds>`. */
export function scheduledRunIdentity(
  resource: Pick<EcsScheduledTaskResource, 'metadata' | 'spec'>,
  scheduledTime: Date,
): RunIdentity {
  return build(resource, String(Math.floor(scheduledTime.getTime() / 1000)), scheduledTime);
}

/** What a run-now run keeps in its record (`runNowKey`) to name its identity on every attempt. */
export function runNowKeyOf(annotationValue: string): string {
  return shortHash(annotationValue);
}

/** The run for a run-now annotation value: `ecss/<uid>/now-<hash of the value>`. */
export function runNowIdentity(
  resource: Pick<EcsScheduledTaskResource, 'metadata' | 'spec'>,
  annotationValue: string,
  scheduledTime: Date,
): RunIdentity {
  return build(resource, `now-${runNowKeyOf(annotationValue)}`, scheduledTime);
}

/** The identity of a recorded run: scheduled, or run-now by the key in its record. */
export function recordedRunIdentity(
  resource: Pick<EcsScheduledTaskResource, 'metadata' | 'spec'>,
  run: { readonly scheduledTime: string; readonly runNowKey?: string },
): RunIdentity {
  const time = new Date(run.scheduledTime);
  return run.runNowKey === undefined
    ? scheduledRunIdentity(resource, time)
    : build(resource, `now-${run.runNowKey}`, time);
}

/**
 * Attempt `attempt` of a run (1 is the first launch, which keeps the run's own identity). A retry
 * is a new request, so it gets its own startedBy (`…-r<n>`, found by ListTasks apart from the
 * failed attempt's tasks) and its own token, both derived only from the run and the number.
 */
export function attemptIdentity(run: RunIdentity, attempt: number): RunIdentity {
  if (attempt <= 1) return run;
  const suffix = `-r${attempt - 1}`;
  return {
    startedBy: `${run.startedBy.slice(0, STARTED_BY_MAX - suffix.length)}${suffix}`,
    // launchClientToken shortens it with a hash of the whole if it grows past its budget.
    clientToken: `${run.clientToken}${suffix}`,
    tags: run.tags,
  };
}

/**
 * A backfill's run of a time that already ran (a failed run, or any with rerun: All): the
 * scheduled identity with `-b<hash of the backfill uid>`, so the schedule's own tasks and an
 * earlier backfill's are never mistaken for it, while a restarted controller finds it again.
 */
export function backfillRerunIdentity(run: RunIdentity, backfillUid: string): RunIdentity {
  const suffix = `-b${shortHash(backfillUid)}`;
  return {
    startedBy: `${run.startedBy.slice(0, STARTED_BY_MAX - suffix.length)}${suffix}`,
    clientToken: `${run.clientToken}${suffix}`,
    tags: run.tags,
  };
}
