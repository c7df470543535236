/**
 * EventBridge Scheduler schedules (the JSON of GetSchedule, as the CLI prints it or the SDK returns
 * it) into EcsScheduledTasks. The expression is kept as written; the time zone, the window, the
 * flexible time window, the retry policy, the dead letter, the ECS parameters and the role are
 * mapped field by field, and a field that cannot be mapped exactly is a reason to refuse.
 */
import { API_VERSION, KIND } from '../api/constants.js';
import type { EcsScheduledTaskResource, Spec } from '../api/types.js';
import { RESOURCE_NAME_MAX } from '../api/schema.js';
import { checkEventBridgeExpression } from './eventbridge-expression.js';
import { convertEcsTarget } from './eventbridge-target.js';
import {
  DESCRIPTION_ANNOTATION,
  finish,
  formatInstant,
  IMPORTED_FROM_ANNOTATION,
  isObject,
  member,
  parseAwsTime,
  refuseDuplicateNames,
  toResourceName,
  unknownKeys,
  type ImportConversion,
} from './import-conversion.js';

export interface ScheduleImportOptions {
  readonly namespace: string;
  /** The instant of the import: daylight-saving gaps are checked from here on. */
  readonly now: number;
}

const SCHEDULE_FIELDS = [
  'Name',
  'GroupName',
  'Arn',
  'Description',
  'ScheduleExpression',
  'ScheduleExpressionTimezone',
  'StartDate',
  'EndDate',
  'State',
  'FlexibleTimeWindow',
  'Target',
  'KmsKeyArn',
  'ActionAfterCompletion',
  'CreationDate',
  'LastModificationDate',
];
const TARGET_FIELDS = [
  'Arn',
  'RoleArn',
  'DeadLetterConfig',
  'RetryPolicy',
  'Input',
  'EcsParameters',
  'EventBridgeParameters',
  'KinesisParameters',
  'SageMakerPipelineParameters',
  'SqsParameters',
];

export function convertSchedules(
  schedules: readonly unknown[],
  options: ScheduleImportOptions,
): ImportConversion[] {
  return refuseDuplicateNames(schedules.map((s, i) => convertSchedule(s, options, `schedule #${i + 1}`)));
}

export function convertSchedule(
  schedule: unknown,
  options: ScheduleImportOptions,
  fallbackId = 'schedule',
): ImportConversion {
  if (!isObject(schedule)) return { ok: false, id: fallbackId, reasons: ['is not a JSON object'] };
  const rawName = member(schedule, 'Name');
  const group =
    typeof member(schedule, 'GroupName') === 'string' ? (member(schedule, 'GroupName') as string) : 'default';
  const id = typeof rawName === 'string' && rawName !== '' ? `schedule ${group}/${rawName}` : fallbackId;
  const reasons: string[] = [];
  const notes: string[] = [];

  if (member(schedule, 'Target') === undefined && member(schedule, 'ScheduleExpression') === undefined)
    return {
      ok: false,
      id,
      reasons: [
        'has neither Target nor ScheduleExpression: a ListSchedules summary? import the GetSchedule output',
      ],
    };
  for (const key of unknownKeys(schedule, SCHEDULE_FIELDS))
    reasons.push(`${key}: not a GetSchedule member, so its meaning is unknown`);

  let name: string | undefined;
  if (typeof rawName !== 'string' || rawName === '') reasons.push('Name: missing');
  else {
    name = toResourceName(group === 'default' ? rawName : `${group}-${rawName}`, RESOURCE_NAME_MAX);
    if (name === undefined) reasons.push(`Name "${rawName}" has no character usable in a Kubernetes name`);
  }

  const spec: Partial<Spec> = {};
  const zone = member(schedule, 'ScheduleExpressionTimezone');
  if (zone !== undefined && zone !== null) {
    if (typeof zone === 'string' && zone !== '') spec.timeZone = zone;
    else reasons.push('ScheduleExpressionTimezone: must be an IANA time zone name');
  }
  const start = readTime(schedule, 'StartDate', reasons);
  const end = readTime(schedule, 'EndDate', reasons);
  const expression = member(schedule, 'ScheduleExpression');
  let anchor = start;
  if (typeof expression !== 'string' || expression === '') {
    reasons.push('ScheduleExpression: missing');
  } else {
    if (/^\s*rate\s*\(/i.test(expression) && start === undefined) {
      // "Without a StartDate a rate-based schedule starts invoking the target immediately."
      const created = readTime(schedule, 'CreationDate', reasons);
      if (created === undefined) {
        reasons.push(
          `ScheduleExpression: ${expression} counts from the schedule's creation, and the input has no CreationDate (nor StartDate)`,
        );
      } else {
        anchor = Math.floor(created / 1000) * 1000;
        notes.push(
          `ScheduleExpression: ${expression} counts from the schedule's creation, so startTime is its CreationDate ${formatInstant(anchor)}`,
        );
        const modified = readTime(schedule, 'LastModificationDate', []);
        if (modified !== undefined && Math.abs(modified - created) >= 1000)
          notes.push(
            'ScheduleExpression: the schedule was updated after its creation; if EventBridge restarted the rate then, give it a StartDate and import again',
          );
      }
    }
    const check = checkEventBridgeExpression(expression, {
      timeZone: spec.timeZone ?? 'UTC',
      now: options.now,
      allowAt: true,
      ...(anchor !== undefined && { startTime: anchor }),
      ...(end !== undefined && { endTime: end }),
    });
    if (!check.ok) reasons.push(`ScheduleExpression: ${check.reason}`);
    else spec.schedule = expression.trim();
  }
  if (anchor !== undefined) spec.startTime = formatInstant(anchor);
  // EndDate is "the date before which the schedule can invoke its target": exclusive, as endTime.
  if (end !== undefined) spec.endTime = formatInstant(end);

  const state = member(schedule, 'State');
  if (state === 'DISABLED') spec.suspend = true;
  else if (state !== undefined && state !== 'ENABLED')
    reasons.push(`State: "${String(state)}" is neither ENABLED nor DISABLED`);

  const window = member(schedule, 'FlexibleTimeWindow');
  if (isObject(window)) {
    for (const key of unknownKeys(window, ['Mode', 'MaximumWindowInMinutes']))
      reasons.push(`FlexibleTimeWindow.${key}: not a FlexibleTimeWindow member`);
    const mode = member(window, 'Mode');
    const minutes = member(window, 'MaximumWindowInMinutes');
    if (mode === 'FLEXIBLE') {
      if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
        reasons.push('FlexibleTimeWindow.MaximumWindowInMinutes: must be 1 to 1440 with Mode FLEXIBLE');
      else {
        spec.jitterSeconds = minutes * 60;
        notes.push(
          `FlexibleTimeWindow: each run starts within ${minutes} minute(s) of its time (jitterSeconds ${minutes * 60}), at a stable pseudo-random delay where EventBridge picks a fresh one`,
        );
      }
    } else if (mode !== 'OFF')
      reasons.push(`FlexibleTimeWindow.Mode: "${String(mode)}" is neither OFF nor FLEXIBLE`);
  } else if (window !== undefined) reasons.push('FlexibleTimeWindow: must be an object');

  const after = member(schedule, 'ActionAfterCompletion');
  if (after === 'DELETE')
    notes.push('ActionAfterCompletion: DELETE: the resource stays after its last run; delete it yourself');
  else if (after !== undefined && after !== null && after !== 'NONE')
    reasons.push(`ActionAfterCompletion: "${String(after)}" is neither NONE nor DELETE`);
  if (member(schedule, 'KmsKeyArn') !== undefined && member(schedule, 'KmsKeyArn') !== null)
    notes.push(
      'KmsKeyArn: encrypted the schedule as EventBridge stored it; the resource is stored by Kubernetes',
    );

  const target = member(schedule, 'Target');
  if (!isObject(target)) {
    reasons.push('Target: missing');
    return { ok: false, id, reasons };
  }
  const converted = convertEcsTarget(target, 'Target', TARGET_FIELDS, reasons, notes);
  if (!converted.ok) {
    // A target that is not ECS says all there is to say; the other reasons are noise then.
    const own = converted.notEcs ? reasons.filter((r) => r.startsWith('Target.Arn')) : reasons;
    return { ok: false, id, reasons: own };
  }
  if (reasons.length > 0 || name === undefined || spec.schedule === undefined)
    return { ok: false, id, reasons };

  const parts = converted.parts;
  const arn = member(schedule, 'Arn');
  const description = member(schedule, 'Description');
  const resource: EcsScheduledTaskResource = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name,
      namespace: options.namespace,
      annotations: {
        [IMPORTED_FROM_ANNOTATION]:
          typeof arn === 'string' ? arn : `scheduler:schedule/${group}/${String(rawName)}`,
        ...(typeof description === 'string' &&
          description !== '' && { [DESCRIPTION_ANNOTATION]: description }),
      },
    },
    spec: {
      schedule: spec.schedule,
      ...(spec.timeZone !== undefined && { timeZone: spec.timeZone }),
      ...(spec.startTime !== undefined && { startTime: spec.startTime }),
      ...(spec.endTime !== undefined && { endTime: spec.endTime }),
      ...(spec.suspend !== undefined && { suspend: spec.suspend }),
      startingDeadlineSeconds: parts.startingDeadlineSeconds,
      ...(spec.jitterSeconds !== undefined && { jitterSeconds: spec.jitterSeconds }),
      ...(parts.taskCount !== undefined && { taskCount: parts.taskCount }),
      ...(parts.deadLetter !== undefined && { deadLetter: parts.deadLetter }),
      task: parts.task,
    },
  };
  return finish(id, resource, notes, parts.roleArn);
}

function readTime(object: Record<string, unknown>, key: string, reasons: string[]): number | undefined {
  const value = member(object, key);
  if (value === undefined || value === null) return undefined;
  const ms = parseAwsTime(value);
  if (ms === undefined) reasons.push(`${key}: "${String(value)}" is not a timestamp`);
  return ms;
}
