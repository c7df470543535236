/**
 * EventBridge rules with a schedule expression, each with its targets (DescribeRule's JSON with
 * ListTargetsByRule's `Targets` beside it), into one EcsScheduledTask per ECS target. Rules are
 * read in UTC and have no window; a rule with an event pattern is not a schedule and is refused.
 */
import { API_VERSION, KIND } from '../api/constants.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
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
  refuseDuplicateNames,
  toResourceName,
  unknownKeys,
  type ImportConversion,
} from './import-conversion.js';

export interface RuleImportOptions {
  readonly namespace: string;
  readonly now: number;
  /**
   * When the rate() rules started counting (their creation, which the EventBridge API does not
   * report). Without it a rate() rule is refused: its phase is unknown.
   */
  readonly rateStart?: number;
}

const RULE_FIELDS = [
  'Name',
  'Arn',
  'EventPattern',
  'ScheduleExpression',
  'State',
  'Description',
  'RoleArn',
  'ManagedBy',
  'EventBusName',
  'CreatedBy',
  'Targets',
];
const TARGET_FIELDS = [
  'Id',
  'Arn',
  'RoleArn',
  'Input',
  'InputPath',
  'InputTransformer',
  'KinesisParameters',
  'RunCommandParameters',
  'EcsParameters',
  'BatchParameters',
  'SqsParameters',
  'HttpParameters',
  'RedshiftDataParameters',
  'SageMakerPipelineParameters',
  'DeadLetterConfig',
  'RetryPolicy',
  'AppSyncParameters',
];

export function convertRules(rules: readonly unknown[], options: RuleImportOptions): ImportConversion[] {
  return refuseDuplicateNames(rules.flatMap((r, i) => convertRule(r, options, `rule #${i + 1}`)));
}

export function convertRule(
  rule: unknown,
  options: RuleImportOptions,
  fallbackId = 'rule',
): ImportConversion[] {
  if (!isObject(rule)) return [{ ok: false, id: fallbackId, reasons: ['is not a JSON object'] }];
  const ruleName = member(rule, 'Name');
  const bus =
    typeof member(rule, 'EventBusName') === 'string' ? (member(rule, 'EventBusName') as string) : 'default';
  const id = typeof ruleName === 'string' && ruleName !== '' ? `rule ${bus}/${ruleName}` : fallbackId;
  const reasons: string[] = [];
  const notes: string[] = [];
  for (const key of unknownKeys(rule, RULE_FIELDS))
    reasons.push(`${key}: not a DescribeRule member, so its meaning is unknown`);
  if (typeof ruleName !== 'string' || ruleName === '') reasons.push('Name: missing');
  if (member(rule, 'EventPattern') !== undefined && member(rule, 'EventPattern') !== null)
    reasons.push('EventPattern: the rule runs on events, not on a schedule');
  if (member(rule, 'ManagedBy') !== undefined)
    notes.push(
      `ManagedBy: the rule is managed by ${String(member(rule, 'ManagedBy'))}, which may recreate it`,
    );
  if (member(rule, 'RoleArn') !== undefined)
    notes.push(
      'RoleArn: the rule-level role sends events to other buses; an ECS target uses its own RoleArn',
    );

  const expression = member(rule, 'ScheduleExpression');
  let schedule: string | undefined;
  let startTime: number | undefined;
  if (typeof expression !== 'string' || expression === '') {
    reasons.push('ScheduleExpression: missing (only scheduled rules can be imported)');
  } else {
    if (/^\s*rate\s*\(/i.test(expression)) {
      if (options.rateStart === undefined)
        reasons.push(
          `ScheduleExpression: ${expression} counts from the rule's creation, which EventBridge does not report; give that instant with --rate-start`,
        );
      else {
        startTime = options.rateStart;
        notes.push(`ScheduleExpression: ${expression} counts from --rate-start ${formatInstant(startTime)}`);
      }
    }
    const check = checkEventBridgeExpression(expression, {
      timeZone: 'UTC',
      now: options.now,
      allowAt: false,
      ...(startTime !== undefined && { startTime }),
    });
    if (!check.ok) reasons.push(`ScheduleExpression: ${check.reason}`);
    else schedule = expression.trim();
  }
  const state = member(rule, 'State');
  const suspend = state === 'DISABLED';
  if (state !== undefined && !suspend && !/^ENABLED/.test(String(state)))
    reasons.push(`State: "${String(state)}" is not ENABLED or DISABLED`);

  const targets = member(rule, 'Targets');
  if (!Array.isArray(targets) || targets.length === 0) {
    reasons.push('Targets: none (put the output of `aws events list-targets-by-rule` beside the rule)');
    return [{ ok: false, id, reasons }];
  }

  const base = typeof ruleName === 'string' ? toResourceName(ruleName, RESOURCE_NAME_MAX) : undefined;
  if (typeof ruleName === 'string' && base === undefined)
    reasons.push(`Name "${ruleName}" has no character usable in a Kubernetes name`);
  const ecsTargets = targets.filter(
    (t) => isObject(t) && /:ecs:|aws-sdk:ecs:/.test(String(member(t, 'Arn'))),
  );
  return targets.map((target: unknown, i): ImportConversion => {
    const targetId =
      isObject(target) && typeof member(target, 'Id') === 'string'
        ? (member(target, 'Id') as string)
        : `#${i + 1}`;
    const where = `Targets[Id=${targetId}]`;
    const tid = `${id} target ${targetId}`;
    if (!isObject(target)) return { ok: false, id: tid, reasons: [`${where}: is not a JSON object`] };
    const targetReasons: string[] = [];
    const targetNotes = [...notes];
    const converted = convertEcsTarget(target, where, TARGET_FIELDS, targetReasons, targetNotes);
    if (!converted.ok && converted.notEcs) return { ok: false, id: tid, reasons: targetReasons };
    const all = [...reasons, ...targetReasons];
    if (!converted.ok || all.length > 0 || base === undefined || schedule === undefined)
      return { ok: false, id: tid, reasons: all };
    // One ECS target keeps the rule's name; several are told apart by their target ids.
    const name = ecsTargets.length === 1 ? base : toResourceName(`${base}-${targetId}`, RESOURCE_NAME_MAX);
    if (name === undefined) return { ok: false, id: tid, reasons: [`${where}.Id: no usable name`] };
    const parts = converted.parts;
    const arn = member(rule, 'Arn');
    const description = member(rule, 'Description');
    const resource: EcsScheduledTaskResource = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name,
        namespace: options.namespace,
        annotations: {
          [IMPORTED_FROM_ANNOTATION]: `${typeof arn === 'string' ? arn : `events:rule/${bus}/${String(ruleName)}`}#${targetId}`,
          ...(typeof description === 'string' &&
            description !== '' && { [DESCRIPTION_ANNOTATION]: description }),
        },
      },
      spec: {
        schedule,
        ...(startTime !== undefined && { startTime: formatInstant(startTime) }),
        ...(suspend && { suspend: true }),
        startingDeadlineSeconds: parts.startingDeadlineSeconds,
        ...(parts.taskCount !== undefined && { taskCount: parts.taskCount }),
        ...(parts.deadLetter !== undefined && { deadLetter: parts.deadLetter }),
        task: parts.task,
      },
    };
    return finish(tid, resource, targetNotes, parts.roleArn);
  });
}
