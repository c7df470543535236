/**
 * One job of the old ECS Scheduler service (as its `GET /jobs` returns it) into one
 * EcsScheduledTask. Every field is mapped or the job is refused with the reasons; a field we do
 * not know is a reason, so a typo or a newer field is never dropped without a word.
 */
import { API_VERSION, GROUP, KIND } from '../api/constants.js';
import type { EcsScheduledTaskResource, Spec, SqsTriggerSpec } from '../api/types.js';
import { validateResource } from '../api/validation.js';
import { translateApschedulerSchedule } from './apscheduler-schedule.js';

/** Records which old job a resource came from. */
export const IMPORTED_FROM_ANNOTATION = `${GROUP}/imported-from`;

/** The old service's misfire grace time: a run up to an hour late still happened. */
export const OLD_MISFIRE_GRACE_SECONDS = 3600;

/**
 * Stands in for an absent `messagesPerTask`. The old service then launched `taskCount` tasks for
 * any non-empty queue; with this divisor ceil(messages / messagesPerTask) stays at 1 (never above
 * taskCount) for every queue of up to 2^31 - 1 messages. It is the largest value a CRD int32 holds.
 */
export const UNSCALED_MESSAGES_PER_TASK = 2147483647;

export interface ConversionOptions {
  /** Namespace of every resource. */
  readonly namespace: string;
  /** `spec.task.cluster`; omitted means the controller's --default-cluster. */
  readonly cluster?: string;
}

export type JobConversion =
  | {
      readonly ok: true;
      readonly jobId: string;
      readonly resource: EcsScheduledTaskResource;
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly jobId: string | undefined; readonly reasons: readonly string[] };

/** Fields a job may have: what users set, and what the old service reported (read-only). */
const WRITABLE_FIELDS = new Set([
  'id',
  'taskDefinition',
  'schedule',
  'scheduleStart',
  'scheduleEnd',
  'timezone',
  'taskCount',
  'maxCount',
  'trigger',
  'suspended',
  'overrides',
]);
const READ_ONLY_FIELDS = new Set(['link', 'lastRun', 'lastRunTasks', 'estimatedNextRun']);
const TRIGGER_FIELDS = new Set(['type', 'queueName', 'messagesPerTask']);
const OVERRIDE_FIELDS = new Set(['containerName', 'environment']);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Converts every job; a name that two jobs would share fails the later job, since applying both
 * would leave only one resource.
 */
export function convertJobs(jobs: readonly unknown[], options: ConversionOptions): JobConversion[] {
  const owners = new Map<string, string>();
  return jobs.map((job) => {
    const result = convertJob(job, options);
    if (!result.ok) return result;
    const name = result.resource.metadata.name ?? '';
    const owner = owners.get(name);
    if (owner !== undefined) {
      return {
        ok: false,
        jobId: result.jobId,
        reasons: [`metadata.name "${name}" is already taken by job "${owner}"`],
      };
    }
    owners.set(name, result.jobId);
    return result;
  });
}

export function convertJob(job: unknown, options: ConversionOptions): JobConversion {
  if (!isObject(job)) return { ok: false, jobId: undefined, reasons: ['is not a JSON object'] };
  const reasons: string[] = [];
  const notes: string[] = [];
  const present = (key: string): boolean => job[key] !== undefined && job[key] !== null;

  for (const key of Object.keys(job)) {
    if (!WRITABLE_FIELDS.has(key) && !READ_ONLY_FIELDS.has(key)) reasons.push(`unknown field "${key}"`);
  }

  const taskDefinition = job.taskDefinition;
  if (typeof taskDefinition !== 'string' || taskDefinition === '') {
    reasons.push(
      present('taskDefinition') ? 'taskDefinition: must be a non-empty string' : 'taskDefinition: missing',
    );
  }
  // As in the old service, the id defaults to the task definition.
  const rawId = present('id') ? job.id : taskDefinition;
  const jobId = typeof rawId === 'string' && rawId !== '' ? rawId : undefined;
  if (present('id') && jobId === undefined) reasons.push('id: must be a non-empty string');

  let name: string | undefined;
  if (jobId !== undefined) {
    name = toResourceName(jobId);
    if (name === undefined) reasons.push(`id "${jobId}" has no character usable in a Kubernetes name`);
    else if (name !== jobId)
      notes.push(`metadata.name is "${name}": the id "${jobId}" is not a valid Kubernetes name`);
  }

  let schedule: string | undefined;
  if (typeof job.schedule !== 'string') {
    reasons.push(present('schedule') ? 'schedule: must be a string' : 'schedule: missing');
  } else {
    const translated = translateApschedulerSchedule(job.schedule);
    if (translated.ok) {
      schedule = translated.schedule;
      notes.push(...translated.notes.map((n) => `schedule: ${n}`));
    } else {
      reasons.push(`schedule: "${job.schedule}" ${translated.reason}`);
    }
  }

  const spec: Partial<Spec> = {};
  if (present('timezone')) {
    if (typeof job.timezone === 'string' && job.timezone !== '') spec.timeZone = job.timezone;
    else reasons.push('timezone: must be a non-empty string');
  }
  for (const [from, to] of [
    ['scheduleStart', 'startTime'],
    ['scheduleEnd', 'endTime'],
  ] as const) {
    if (!present(from)) continue;
    const parsed = parseOldDateTime(job[from]);
    if ('error' in parsed) {
      reasons.push(`${from}: ${parsed.error}`);
      continue;
    }
    if (parsed.naive)
      notes.push(
        `${from}: "${String(job[from])}" has no UTC offset and is read as UTC, as the old service documented`,
      );
    if (to === 'startTime') {
      spec.startTime = formatInstant(parsed.epochMs);
    } else {
      // The old end was inclusive, ours is exclusive. Fires fall on whole seconds, so the second
      // after the last whole second at or before the old end keeps exactly the same runs.
      spec.endTime = formatInstant(Math.floor(parsed.epochMs / 1000) * 1000 + 1000);
      notes.push(`${from}: endTime is one second after the last whole second of the old (inclusive) end`);
    }
  }

  if (present('suspended')) {
    if (typeof job.suspended === 'boolean') spec.suspend = job.suspended;
    else reasons.push('suspended: must be true or false');
  }

  let taskCount: number | undefined;
  let maxCount: number | undefined;
  for (const key of ['taskCount', 'maxCount'] as const) {
    if (!present(key)) continue;
    const value = job[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      reasons.push(`${key}: must be a whole number of at least 1`);
    } else if (key === 'taskCount') taskCount = value;
    else maxCount = value;
  }
  if (taskCount !== undefined && maxCount !== undefined && maxCount < taskCount) {
    // The old desired count was min(maxCount, max(taskCount, ...)): always maxCount here.
    notes.push(
      `taskCount ${taskCount} is above maxCount ${maxCount}; the old service launched ${maxCount}, so taskCount is ${maxCount}`,
    );
    taskCount = maxCount;
  }

  if (present('trigger')) {
    const trigger = convertTrigger(job.trigger, reasons, notes);
    if (trigger) spec.trigger = { sqs: trigger };
    if (trigger && maxCount === undefined) {
      // A trigger needs a bound now; the controller's default --max-tasks-per-run is the old
      // service's effective ceiling under this controller anyway.
      maxCount = Math.max(taskCount ?? 1, IMPORTED_TRIGGER_MAX_COUNT);
      notes.push(
        `maxCount: the old service had no upper bound for a trigger; maxCount is ${maxCount}, ` +
          'the default --max-tasks-per-run of the controller',
      );
    }
  }

  let containerOverrides: ContainerOverride[] | undefined;
  if (present('overrides')) {
    containerOverrides = convertOverrides(job.overrides, reasons, notes);
  }

  if (reasons.length > 0 || name === undefined || jobId === undefined || schedule === undefined) {
    return { ok: false, jobId, reasons };
  }

  const resource: EcsScheduledTaskResource = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: options.namespace, annotations: { [IMPORTED_FROM_ANNOTATION]: jobId } },
    spec: {
      schedule,
      ...(spec.timeZone !== undefined && { timeZone: spec.timeZone }),
      ...(spec.startTime !== undefined && { startTime: spec.startTime }),
      ...(spec.endTime !== undefined && { endTime: spec.endTime }),
      ...(spec.suspend !== undefined && { suspend: spec.suspend }),
      // The old service counted the running tasks and launched only the shortfall.
      concurrencyPolicy: 'TopUp',
      startingDeadlineSeconds: OLD_MISFIRE_GRACE_SECONDS,
      ...(taskCount !== undefined && { taskCount }),
      ...(maxCount !== undefined && { maxCount }),
      ...(spec.trigger !== undefined && { trigger: spec.trigger }),
      task: {
        ...(options.cluster !== undefined && { cluster: options.cluster }),
        taskDefinition: taskDefinition as string,
        ...(containerOverrides !== undefined &&
          containerOverrides.length > 0 && { overrides: { containerOverrides } }),
      },
    },
  };

  const issues = validateResource(resource);
  if (issues.length > 0) {
    return { ok: false, jobId, reasons: issues.map((i) => `${i.path}: ${stripPrefix(i.message, i.path)}`) };
  }
  return { ok: true, jobId, resource, notes };
}

/** maxCount of an imported trigger that had none: the controller's default --max-tasks-per-run. */
const IMPORTED_TRIGGER_MAX_COUNT = 100;

function convertTrigger(value: unknown, reasons: string[], notes: string[]): SqsTriggerSpec | undefined {
  if (!isObject(value)) {
    reasons.push('trigger: must be an object');
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!TRIGGER_FIELDS.has(key)) reasons.push(`trigger: unknown field "${key}"`);
  }
  if (typeof value.type !== 'string') {
    reasons.push('trigger.type: missing');
    return undefined;
  }
  if (value.type !== 'sqs') {
    // The old service ran any other type as its no-op trigger: launch taskCount on every fire.
    notes.push(
      `trigger: type "${value.type}" was not a trigger the old service knew, so it ran without one; so does this`,
    );
    return undefined;
  }
  if (typeof value.queueName !== 'string' || value.queueName === '') {
    reasons.push('trigger.queueName: an sqs trigger needs a queue name');
    return undefined;
  }
  let messagesPerTask = UNSCALED_MESSAGES_PER_TASK;
  if (value.messagesPerTask === undefined || value.messagesPerTask === null) {
    notes.push(
      `trigger: no messagesPerTask, so the old service launched taskCount tasks for any non-empty queue; ` +
        `messagesPerTask ${UNSCALED_MESSAGES_PER_TASK} does the same for queues up to that many messages`,
    );
  } else if (
    typeof value.messagesPerTask !== 'number' ||
    !Number.isInteger(value.messagesPerTask) ||
    value.messagesPerTask < 1
  ) {
    reasons.push('trigger.messagesPerTask: must be a whole number of at least 1');
    return undefined;
  } else {
    messagesPerTask = value.messagesPerTask;
  }
  return { queueName: value.queueName, messagesPerTask };
}

type ContainerOverride = {
  name: string;
  environment?: { name: string; value?: string }[];
};

function convertOverrides(
  value: unknown,
  reasons: string[],
  notes: string[],
): ContainerOverride[] | undefined {
  if (!Array.isArray(value)) {
    reasons.push('overrides: must be a list');
    return undefined;
  }
  const out: ContainerOverride[] = [];
  value.forEach((override: unknown, i) => {
    const where = `overrides[${i}]`;
    if (!isObject(override)) {
      reasons.push(`${where}: must be an object`);
      return;
    }
    for (const key of Object.keys(override)) {
      if (!OVERRIDE_FIELDS.has(key)) reasons.push(`${where}: unknown field "${key}"`);
    }
    if (typeof override.containerName !== 'string' || override.containerName === '') {
      reasons.push(`${where}.containerName: must be a non-empty string`);
      return;
    }
    const converted: ContainerOverride = { name: override.containerName };
    if (override.environment === undefined || override.environment === null) {
      notes.push(
        `${where}: has no environment; the old service failed every run of such a job, this one launches`,
      );
    } else if (!isObject(override.environment)) {
      reasons.push(`${where}.environment: must be an object of NAME: "value" pairs`);
      return;
    } else {
      converted.environment = [];
      for (const [envName, envValue] of Object.entries(override.environment)) {
        // RunTask takes strings only; the old service's call failed on anything else.
        if (typeof envValue !== 'string') {
          reasons.push(`${where}.environment.${envName}: must be a string`);
          continue;
        }
        converted.environment.push({ name: envName, value: envValue });
      }
    }
    out.push(converted);
  });
  return out;
}

/**
 * A Kubernetes object name (DNS-1123 subdomain, written as a label: lowercase letters, digits and
 * `-`, starting and ending with a letter or digit) for an old job id, which may hold `_` and capitals.
 */
export function toResourceName(id: string): string | undefined {
  const name = id
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+/, '')
    .slice(0, 253)
    .replace(/-+$/, '');
  return name === '' ? undefined : name;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * The old service's ISO 8601 datetimes. Its API reports them with an offset; one without an
 * offset is UTC, as its API documentation says (and as it stored them).
 */
export function parseOldDateTime(value: unknown): { epochMs: number; naive: boolean } | { error: string } {
  if (typeof value !== 'string') return { error: 'must be an ISO 8601 date-time string' };
  const m = DATE_TIME.exec(value.trim());
  if (!m) return { error: `"${value}" is not an ISO 8601 date-time` };
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((p) =>
    Number(p ?? 0),
  ) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(wall);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return { error: `"${value}" is not a valid date-time` };
  }
  const zone = m[8];
  if (zone === undefined) return { epochMs: wall, naive: true };
  if (zone.toUpperCase() === 'Z') return { epochMs: wall, naive: false };
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  return { epochMs: wall - sign * offsetMinutes * 60_000, naive: false };
}

/** RFC 3339 in UTC, without a fraction when it is zero. */
function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('.000Z', 'Z');
}

function stripPrefix(message: string, path: string): string {
  const field = path.split('.').pop() ?? '';
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}
