/**
 * ecschedule (Songmu/ecschedule) configuration files into EcsScheduledTasks. ecschedule applies
 * each of its rules as an EventBridge rule with one ECS target, so each is rebuilt here as the
 * rule ecschedule would apply (names made ARNs in the region and account, as it does; role
 * ecsEventsRole unless set; one task unless set; EventBridge's default retry policy) and converted
 * as an EventBridge rule. Templates (`{{ ... }}`) and Jsonnet are evaluated by ecschedule at apply
 * time, so a file with them is refused: `ecschedule dump` prints the rules as applied.
 */
import { parse } from 'yaml';
import { convertRules, type RuleImportOptions } from './eventbridge-rules.js';
import { isObject, unknownKeys, type ImportConversion, type Json } from './import-conversion.js';

export interface EcscheduleImportOptions extends RuleImportOptions {
  /** The account ecschedule resolved names in (it asks STS); needed to make ARNs of names. */
  readonly accountId?: string;
}

/** ecschedule's role when a configuration names none. */
export const ECSCHEDULE_DEFAULT_ROLE = 'ecsEventsRole';

const CONFIG_FIELDS = ['region', 'cluster', 'trackingId', 'role', 'rules', 'plugins'];
const RULE_FIELDS = [
  'name',
  'description',
  'scheduleExpression',
  'disabled',
  'targetId',
  'taskDefinition',
  'taskCount',
  'taskOverride',
  'containerOverrides',
  'role',
  'group',
  'capacityProviderStrategy',
  'launch_type',
  'platform_version',
  'network_configuration',
  'dead_letter_config',
  'propagateTags',
  'region',
  'cluster',
  'trackingId',
];

export class EcscheduleInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EcscheduleInputError';
  }
}

export function convertEcschedule(
  text: string,
  file: string,
  options: EcscheduleImportOptions,
): ImportConversion[] {
  if (/\.jsonnet$/i.test(file))
    throw new EcscheduleInputError(
      `${file}: Jsonnet is evaluated by ecschedule; render it to JSON first (jsonnet ${file})`,
    );
  if (text.includes('{{'))
    throw new EcscheduleInputError(
      `${file}: holds templates ({{ ... }}) that ecschedule fills in when it applies; import the output of \`ecschedule dump\` instead`,
    );
  let config: unknown;
  try {
    config = parse(text);
  } catch (error) {
    throw new EcscheduleInputError(`${file}: not YAML or JSON: ${(error as Error).message}`);
  }
  if (!isObject(config) || !Array.isArray(config.rules))
    throw new EcscheduleInputError(`${file}: not an ecschedule configuration (no "rules" list)`);
  const top: string[] = unknownKeys(config, CONFIG_FIELDS).map((k) => `${k}: not an ecschedule setting`);
  const rules = (config.rules as unknown[]).map((rule, i) => {
    if (!isObject(rule)) return { rule: undefined, reasons: [`rules[${i}]: not an object`] };
    return toEventBridgeRule(config as Json, rule, options.accountId);
  });
  const converted = convertRules(
    rules.map((r) => r.rule ?? {}),
    options,
  );
  // Each ecschedule rule has exactly one target, so conversions and rules line up.
  return converted.map((c, i) => {
    const own = [...top, ...(rules[i]?.reasons ?? [])];
    if (own.length === 0) return c;
    return { ok: false, id: c.id, reasons: [...own, ...(c.ok ? [] : c.reasons)] };
  });
}

function toEventBridgeRule(
  config: Json,
  rule: Json,
  accountId: string | undefined,
): { rule: Json; reasons: string[] } {
  const reasons: string[] = [];
  const name = typeof rule.name === 'string' ? rule.name : '';
  const where = `rules[${name}]`;
  for (const key of unknownKeys(rule, RULE_FIELDS))
    reasons.push(`${where}.${key}: not an ecschedule rule setting`);
  const region = (rule.region ?? config.region) as unknown;
  const cluster = (rule.cluster ?? config.cluster) as unknown;
  const role = (rule.role ?? config.role ?? ECSCHEDULE_DEFAULT_ROLE) as unknown;
  const arnOf = (value: unknown, field: string, make: (v: string) => string): string | undefined => {
    if (typeof value !== 'string' || value === '') {
      reasons.push(`${where}.${field}: missing`);
      return undefined;
    }
    if (value.startsWith('arn:')) return value;
    if (accountId === undefined || typeof region !== 'string') {
      reasons.push(
        `${where}.${field}: "${value}" is a name, which ecschedule made an ARN in its account and region; give --account-id (and region in the file)`,
      );
      return undefined;
    }
    return make(value);
  };
  const clusterArn = arnOf(
    cluster,
    'cluster',
    (v) => `arn:aws:ecs:${String(region)}:${accountId}:cluster/${v}`,
  );
  const roleArn = arnOf(role, 'role', (v) => `arn:aws:iam::${accountId}:role/${v}`);
  const taskDefinition = arnOf(
    rule.taskDefinition,
    'taskDefinition',
    (v) => `arn:aws:ecs:${String(region)}:${accountId}:task-definition/${v}`,
  );

  const parameters: Json = {
    TaskDefinitionArn: taskDefinition,
    TaskCount: typeof rule.taskCount === 'number' && rule.taskCount >= 1 ? rule.taskCount : 1,
    LaunchType: rule.launch_type,
    PlatformVersion: rule.platform_version,
    Group: rule.group,
    PropagateTags: rule.propagateTags,
    CapacityProviderStrategy: rule.capacityProviderStrategy,
  };
  const network = rule.network_configuration;
  if (isObject(network)) {
    for (const key of unknownKeys(network, ['aws_vpc_configuration']))
      reasons.push(`${where}.network_configuration.${key}: not an ecschedule setting`);
    const vpc = network.aws_vpc_configuration;
    if (isObject(vpc)) {
      for (const key of unknownKeys(vpc, ['subnets', 'security_groups', 'assign_public_ip']))
        reasons.push(
          `${where}.network_configuration.aws_vpc_configuration.${key}: not an ecschedule setting`,
        );
      parameters.NetworkConfiguration = {
        AwsvpcConfiguration: {
          Subnets: vpc.subnets,
          SecurityGroups: vpc.security_groups,
          AssignPublicIp: vpc.assign_public_ip,
        },
      };
    }
  }
  for (const key of Object.keys(parameters)) if (parameters[key] === undefined) delete parameters[key];

  // The Input ecschedule writes: the task override with the container overrides, environment as pairs.
  const overrides: Json = {};
  if (isObject(rule.taskOverride)) {
    for (const key of unknownKeys(rule.taskOverride, ['cpu', 'memory']))
      reasons.push(`${where}.taskOverride.${key}: not an ecschedule setting`);
    if (rule.taskOverride.cpu !== undefined) overrides.cpu = String(rule.taskOverride.cpu);
    if (rule.taskOverride.memory !== undefined) overrides.memory = String(rule.taskOverride.memory);
  }
  if (Array.isArray(rule.containerOverrides) && rule.containerOverrides.length > 0) {
    overrides.containerOverrides = rule.containerOverrides.map((c: unknown, i) => {
      if (!isObject(c)) return c;
      for (const key of unknownKeys(c, [
        'name',
        'command',
        'environment',
        'cpu',
        'memory',
        'memoryReservation',
      ]))
        reasons.push(`${where}.containerOverrides[${i}].${key}: not an ecschedule setting`);
      const out: Json = { ...c };
      if (isObject(c.environment))
        out.environment = Object.entries(c.environment).map(([k, v]) => ({ name: k, value: String(v) }));
      return out;
    });
  }

  const dlq = rule.dead_letter_config;
  let deadLetterArn: string | undefined;
  if (isObject(dlq) && dlq.sqs !== undefined)
    deadLetterArn = arnOf(
      dlq.sqs,
      'dead_letter_config.sqs',
      (v) => `arn:aws:sqs:${String(region)}:${accountId}:${v}`,
    );

  const target: Json = {
    Id: typeof rule.targetId === 'string' && rule.targetId !== '' ? rule.targetId : name,
    Arn: clusterArn ?? '',
    ...(roleArn !== undefined && { RoleArn: roleArn }),
    EcsParameters: parameters,
    ...(Object.keys(overrides).length > 0 && { Input: JSON.stringify(overrides) }),
    ...(deadLetterArn !== undefined && { DeadLetterConfig: { Arn: deadLetterArn } }),
  };
  return {
    rule: {
      Name: rule.name,
      ...(rule.description !== undefined && { Description: rule.description }),
      ScheduleExpression: rule.scheduleExpression,
      State: rule.disabled === true ? 'DISABLED' : 'ENABLED',
      Targets: [target],
    },
    reasons,
  };
}
