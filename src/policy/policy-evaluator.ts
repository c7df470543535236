// The admin policy's verdict on one EcsScheduledTask: pure, no I/O. Both gates (Kubernetes and
// standalone) feed it the policies and the namespace's labels they watch.
//
// A run is allowed when EVERY policy that selects the namespace allows every aspect of it, as the
// admission policy (api/admission-policy.ts) judges its parameters, so the two agree: a policy can
// only narrow what others allow. The one naming assumeRoleArn supplies the identity, and the
// smallest maxTasksPerRun the cap. Every list is an allow-list of
// exact values or `*` globs, and an absent list allows nothing. A name and an ARN are different
// forms: a name pattern matches what a tenant writes as a name (resolved in the account the call is
// made from), an ARN pattern matches ARNs, and a bare `*` matches both. So `prod` never lets a
// tenant name `arn:aws:ecs:...:999999999999:cluster/prod` in someone else's account.
import type { EcsSchedulerPolicyResource, PolicySpec } from '../api/policy-types.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import type { AwsIdentity, PolicyDecision } from '../controller/ports.js';
import { globMatch } from './glob.js';
import { selectorMatches } from './label-selector.js';

export interface PolicyContext {
  /** Every EcsSchedulerPolicy known, in any order. */
  readonly policies: readonly EcsSchedulerPolicyResource[];
  /**
   * Labels of the resource's namespace. Unknown namespaces (not cached yet, or standalone mode)
   * get the one label the API server puts on every namespace, kubernetes.io/metadata.name.
   */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** The cluster of a resource whose spec.task.cluster is unset (--default-cluster). */
  readonly defaultCluster: string;
  /** The controller's region: the region of an SQS queueUrl whose host names none. */
  readonly region?: string;
}

/** One denied aspect: the spec path, the value written there, and what the policy allows instead. */
export interface Denial {
  readonly field: string;
  readonly value: string;
  /** The policy's setting that refused it, e.g. `clusters: [prod, dev-*]`. */
  readonly allowed: string;
}

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const MESSAGE_MAX_LENGTH = 1000;
const LIST_SHOWN = 5;

function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

/** `*` matches everything; otherwise name patterns match names and ARN patterns match ARNs. */
function formMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  return isArn(pattern) === isArn(value) && globMatch(pattern, value);
}

function showList(name: string, list: readonly string[] | undefined): string {
  if (!list?.length) return `${name}: none`;
  const shown = list.slice(0, LIST_SHOWN).join(', ');
  return `${name}: [${shown}${list.length > LIST_SHOWN ? `, +${list.length - LIST_SHOWN} more` : ''}]`;
}

const REVISION = /:[0-9*]+$/;

/**
 * family (any revision), family:revision, or ARN. A pattern without a revision allows every
 * revision of the families it matches, and a value without one (the latest ACTIVE revision) is
 * allowed only by such a pattern: `etl:12` says nothing about whatever `etl` resolves to tomorrow.
 */
function taskDefinitionMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (isArn(pattern) !== isArn(value)) return false;
  const lastSegment = (s: string) => s.slice(s.lastIndexOf('/') + 1);
  if (REVISION.test(lastSegment(pattern))) return globMatch(pattern, value);
  const family = REVISION.test(lastSegment(value)) ? value.replace(REVISION, '') : value;
  return globMatch(pattern, family);
}

/**
 * An SQS queue as the allow-list sees it: a queueName stays a name; a queueUrl
 * (https://sqs.<region>.amazonaws.com/<account>/<name>) becomes the queue's ARN, because the URL
 * names the account.
 */
function queueValue(
  sqs: { queueName?: string; queueUrl?: string; region?: string },
  region: string | undefined,
  at = 'spec.trigger.sqs',
): { field: string; written: string; matched: string } {
  if (sqs.queueUrl === undefined)
    return {
      field: `${at}.queueName`,
      written: sqs.queueName ?? '',
      matched: sqs.queueName ?? '',
    };
  const written = sqs.queueUrl;
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    return { field: `${at}.queueUrl`, written, matched: written };
  }
  const [account, name, ...rest] = url.pathname.split('/').filter(Boolean);
  if (account === undefined || name === undefined || rest.length > 0 || !/^\d{12}$/.test(account))
    return { field: `${at}.queueUrl`, written, matched: written };
  const host = url.hostname;
  const hostRegion =
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
  const partition = host.endsWith('.amazonaws.com.cn') ? 'aws-cn' : 'aws';
  const arn = `arn:${partition}:sqs:${hostRegion ?? sqs.region ?? region ?? ''}:${account}:${name}`;
  return { field: `${at}.queueUrl`, written, matched: arn };
}

/** The first aspect of the run that `policy` does not allow, or undefined when it allows them all. */
export function firstDenial(
  spec: PolicySpec,
  resource: EcsScheduledTaskResource,
  context: Pick<PolicyContext, 'defaultCluster' | 'region'>,
): Denial | undefined {
  const task = resource.spec.task;
  const listed = (
    field: string,
    value: string,
    name: keyof PolicySpec,
    match: (pattern: string, value: string) => boolean = globMatch,
    matched: string = value,
  ): Denial | undefined => {
    const list = spec[name] as readonly string[] | undefined;
    if (list?.some((pattern) => match(pattern, matched))) return undefined;
    return {
      field,
      value: matched === value ? value : `${value} (${matched})`,
      allowed: showList(name, list),
    };
  };
  const checks: (() => Denial | undefined)[] = [
    () => listed('spec.task.cluster', task.cluster ?? context.defaultCluster, 'clusters', formMatch),
    () => listed('spec.task.taskDefinition', task.taskDefinition, 'taskDefinitions', taskDefinitionMatch),
    () =>
      task.overrides?.taskRoleArn === undefined
        ? undefined
        : listed('spec.task.overrides.taskRoleArn', task.overrides.taskRoleArn, 'roles'),
    () =>
      task.overrides?.executionRoleArn === undefined
        ? undefined
        : listed('spec.task.overrides.executionRoleArn', task.overrides.executionRoleArn, 'roles'),
    () =>
      task.launchType === undefined
        ? undefined
        : listed('spec.task.launchType', task.launchType, 'launchTypes'),
    ...(task.capacityProviderStrategy ?? []).map(
      (item, i) => () =>
        listed(
          `spec.task.capacityProviderStrategy[${i}].capacityProvider`,
          item.capacityProvider,
          'capacityProviders',
        ),
    ),
    ...(task.networkConfiguration?.awsvpcConfiguration?.subnets ?? []).map(
      (subnet, i) => () =>
        listed(`spec.task.networkConfiguration.awsvpcConfiguration.subnets[${i}]`, subnet, 'subnets'),
    ),
    ...(task.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? []).map(
      (group, i) => () =>
        listed(
          `spec.task.networkConfiguration.awsvpcConfiguration.securityGroups[${i}]`,
          group,
          'securityGroups',
        ),
    ),
    () =>
      task.networkConfiguration?.awsvpcConfiguration?.assignPublicIp === 'ENABLED' &&
      spec.assignPublicIp !== true
        ? {
            field: 'spec.task.networkConfiguration.awsvpcConfiguration.assignPublicIp',
            value: 'ENABLED',
            allowed: 'assignPublicIp: false',
          }
        : undefined,
    () =>
      task.enableExecuteCommand === true && spec.enableExecuteCommand !== true
        ? { field: 'spec.task.enableExecuteCommand', value: 'true', allowed: 'enableExecuteCommand: false' }
        : undefined,
    ...overrideChecks(spec, task),
    () => {
      const max = spec.maxTasksPerRun;
      if (max === undefined) return undefined;
      const taskCount = resource.spec.taskCount ?? 1;
      if (taskCount > max)
        return { field: 'spec.taskCount', value: String(taskCount), allowed: `maxTasksPerRun: ${max}` };
      const maxCount = resource.spec.maxCount;
      if (maxCount !== undefined && maxCount > max)
        return { field: 'spec.maxCount', value: String(maxCount), allowed: `maxTasksPerRun: ${max}` };
      return undefined;
    },
    () => {
      const sqs = resource.spec.trigger?.sqs;
      if (sqs === undefined) return undefined;
      const queue = queueValue(sqs, context.region);
      return listed(queue.field, queue.written, 'queues', formMatch, queue.matched);
    },
    () => {
      // The dead-letter queue is written to as the policy's role: the same allow-list applies.
      const sqs = resource.spec.deadLetter?.sqs;
      if (sqs === undefined) return undefined;
      const queue = queueValue(sqs, context.region, 'spec.deadLetter.sqs');
      return listed(queue.field, queue.written, 'queues', formMatch, queue.matched);
    },
  ];
  for (const check of checks) {
    const denial = check();
    if (denial) return denial;
  }
  return undefined;
}

type Task = EcsScheduledTaskResource['spec']['task'];

/** The checks of what a run overrides beyond its task definition: each kind denied unless allowed. */
function overrideChecks(spec: PolicySpec, task: Task): (() => Denial | undefined)[] {
  const allowed = spec.overrides ?? {};
  const rules = allowed.containers ?? [];
  const containerOverrides = task.overrides?.containerOverrides ?? [];
  const some = (list: readonly string[] | undefined, value: string) =>
    list?.some((pattern) => globMatch(pattern, value)) === true;
  const resources = (field: string, value: string): Denial | undefined =>
    allowed.resources === true ? undefined : { field, value, allowed: 'overrides.resources: false' };
  const checks: (() => Denial | undefined)[] = [];
  for (const [i, c] of containerOverrides.entries()) {
    const at = `spec.task.overrides.containerOverrides[${i}]`;
    const covering = rules.filter((r) => globMatch(r.name, c.name));
    const why = (what: string) =>
      covering.length === 0
        ? `no overrides.containers rule covers container ${c.name}`
        : `overrides.containers rules for ${c.name} (${covering.map((r) => r.name).join(', ')}) allow no such ${what}`;
    if (c.command !== undefined)
      checks.push(() =>
        covering.some((r) => r.command === true)
          ? undefined
          : { field: `${at}.command`, value: c.name, allowed: why('command') },
      );
    for (const [j, e] of (c.environment ?? []).entries())
      checks.push(() =>
        covering.some((r) => some(r.environment, e.name))
          ? undefined
          : { field: `${at}.environment[${j}].name`, value: e.name, allowed: why('environment variable') },
      );
    for (const [j, f] of (c.environmentFiles ?? []).entries())
      checks.push(() =>
        covering.some((r) => some(r.environmentFiles, f.value))
          ? undefined
          : {
              field: `${at}.environmentFiles[${j}].value`,
              value: f.value,
              allowed: why('environment file'),
            },
      );
    for (const key of ['cpu', 'memory', 'memoryReservation', 'resourceRequirements'] as const)
      if (c[key] !== undefined) checks.push(() => resources(`${at}.${key}`, c.name));
  }
  for (const key of ['cpu', 'memory', 'ephemeralStorage'] as const)
    if (task.overrides?.[key] !== undefined)
      checks.push(() => resources(`spec.task.overrides.${key}`, JSON.stringify(task.overrides![key])));
  for (const [i, tag] of (task.tags ?? []).entries())
    checks.push(() =>
      some(allowed.tags, tag.key)
        ? undefined
        : {
            field: `spec.task.tags[${i}].key`,
            value: tag.key,
            allowed: showList('overrides.tags', allowed.tags),
          },
    );
  for (const key of ['placementConstraints', 'placementStrategy'] as const)
    if ((task[key]?.length ?? 0) > 0 && allowed.placement !== true)
      checks.push(() => ({
        field: `spec.task.${key}`,
        value: task[key]![0]!.type,
        allowed: 'overrides.placement: false',
      }));
  if (task.platformVersion !== undefined) {
    const version = task.platformVersion;
    checks.push(() =>
      some(allowed.platformVersions, version)
        ? undefined
        : {
            field: 'spec.task.platformVersion',
            value: version,
            allowed: showList('overrides.platformVersions', allowed.platformVersions),
          },
    );
  }
  return checks;
}

function byName(a: EcsSchedulerPolicyResource, b: EcsSchedulerPolicyResource): number {
  const x = a.metadata.name ?? '';
  const y = b.metadata.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function clip(message: string): string {
  // Conditions take far more, but an Event's note is capped at 1 KiB by the API server.
  return message.length <= MESSAGE_MAX_LENGTH ? message : `${message.slice(0, MESSAGE_MAX_LENGTH - 1)}…`;
}

/**
 * The policies that select `namespace`, by name. A namespace whose labels are unknown has the one
 * label the API server puts on every namespace.
 */
export function selectingPolicies(
  policies: readonly EcsSchedulerPolicyResource[],
  namespace: string,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): EcsSchedulerPolicyResource[] {
  const labels = namespaceLabels ?? { [NAMESPACE_NAME_LABEL]: namespace };
  return policies.filter((p) => selectorMatches(p.spec.namespaceSelector, labels)).sort(byName);
}

/**
 * The verdict on `resource` under the given policies. `selecting`, when given, is
 * selectingPolicies() for the resource's namespace, already worked out (a cache of it).
 */
export function evaluatePolicies(
  resource: EcsScheduledTaskResource,
  context: PolicyContext,
  selecting: readonly EcsSchedulerPolicyResource[] = selectingPolicies(
    context.policies,
    resource.metadata.namespace ?? 'default',
    context.namespaceLabels,
  ),
): PolicyDecision {
  const namespace = resource.metadata.namespace ?? 'default';
  const names = selecting.map((p) => p.metadata.name ?? '');
  if (selecting.length === 0) {
    return {
      allowed: false,
      field: 'metadata.namespace',
      value: namespace,
      policies: [],
      message: clip(
        `no EcsSchedulerPolicy selects namespace ${namespace}, so nothing may run here; a cluster admin grants it with a policy whose namespaceSelector matches the namespace's labels`,
      ),
    };
  }
  const denials: { policy: string; denial: Denial }[] = [];
  for (const policy of selecting) {
    const denial = firstDenial(policy.spec, resource, context);
    if (denial !== undefined) denials.push({ policy: policy.metadata.name ?? '', denial });
  }
  if (denials.length > 0) {
    const first = denials[0]!.denial;
    const reasons = denials.map(
      ({ policy, denial }) => `${policy} denies ${denial.field} "${denial.value}" (${denial.allowed})`,
    );
    return {
      allowed: false,
      field: first.field,
      value: first.value,
      policies: names,
      message: clip(
        `${first.field} "${first.value}" is not allowed by every EcsSchedulerPolicy selecting namespace ${namespace}: ${reasons.join('; ')}`,
      ),
    };
  }
  // Every selecting policy allows the run; the one that names a role says whose it is. A broader
  // policy without a role never lets a team's runs fall back to the controller's own identity,
  // and two roles for one namespace are a conflict no order of names may settle.
  const roles = selecting.filter((p) => p.spec.assumeRoleArn !== undefined);
  const distinct = new Set(roles.map((p) => `${p.spec.assumeRoleArn} ${p.spec.externalId ?? ''}`));
  if (distinct.size > 1) {
    return {
      allowed: false,
      field: 'metadata.namespace',
      value: namespace,
      policies: names,
      message: clip(
        `the EcsSchedulerPolicies selecting namespace ${namespace} name different identities (${roles
          .map((p) => `${p.metadata.name ?? ''}: ${p.spec.assumeRoleArn}`)
          .join(', ')}), so nothing may run here until a cluster admin leaves one`,
      ),
    };
  }
  const role = roles[0]?.spec;
  const identity: AwsIdentity | undefined =
    role?.assumeRoleArn === undefined
      ? undefined
      : {
          roleArn: role.assumeRoleArn,
          ...(role.externalId === undefined ? {} : { externalId: role.externalId }),
        };
  const caps = selecting.flatMap((p) => (p.spec.maxTasksPerRun === undefined ? [] : [p.spec.maxTasksPerRun]));
  return {
    allowed: true,
    policy: names.join(','),
    ...(identity === undefined ? {} : { identity }),
    ...(caps.length === 0 ? {} : { maxTasksPerRun: Math.min(...caps) }),
  };
}
