/**
 * The EcsSchedulerPolicy that allows exactly what the imported resources launch, and nothing
 * more: allow-lists of the exact values they use, and of the overrides they make (containers by
 * name with their command, environment variable names and environment files; resources; tag keys;
 * placement; platform versions).
 *
 * One policy per namespace, not one per role: a run must be allowed by EVERY policy selecting its
 * namespace, and policies naming different assumeRoleArn for one namespace allow nothing there. So
 * a namespace has one identity, and its one policy must allow every resource in it. Schedules that
 * ran as another role than most of the namespace's are refused with that reason, as is anything the
 * allow-lists cannot name exactly (a `*` in a value would be read as a pattern).
 */
import { API_VERSION, POLICY_KIND } from '../api/constants.js';
import type { EcsSchedulerPolicyResource, PolicySpec } from '../api/policy-types.js';
import { validatePolicy } from '../api/policy-validation.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { evaluatePolicies, NAMESPACE_NAME_LABEL } from '../policy/policy-evaluator.js';
import { toResourceName, type ImportConversion } from './import-conversion.js';

type Converted = Extract<ImportConversion, { ok: true }>;
type Task = EcsScheduledTaskResource['spec']['task'];
type ContainerRule = NonNullable<NonNullable<PolicySpec['overrides']>['containers']>[number];

export interface ImportPolicies {
  readonly policies: readonly EcsSchedulerPolicyResource[];
  /** The conversions again, with the ones no policy can allow as they ran refused. */
  readonly conversions: readonly ImportConversion[];
}

const NAME_MAX = 253;
const NO_ROLE = "the controller's own role";

const namespaceOf = (c: Converted) => c.resource.metadata.namespace ?? 'default';

export function importPolicies(conversions: readonly ImportConversion[], namespace: string): ImportPolicies {
  const refusals = new Map<Converted, string>();
  const converted = conversions.filter((c): c is Converted => c.ok);
  const namespaces = [...new Set([namespace, ...converted.map(namespaceOf)])];
  for (const ns of namespaces) {
    const members = converted.filter((c) => namespaceOf(c) === ns);
    for (const m of members) {
      const reason = inexpressible(m.resource);
      if (reason !== undefined) refusals.set(m, reason);
    }
    const role = namespaceRole(members.filter((m) => !refusals.has(m)));
    for (const m of members) {
      if (refusals.has(m) || m.roleArn === role) continue;
      refusals.set(
        m,
        `RoleArn: ${m.roleArn ?? NO_ROLE} cannot be kept: the other schedules imported into namespace ${ns} ` +
          `run as ${role ?? NO_ROLE}, and a namespace has one identity (EcsSchedulerPolicies selecting one ` +
          'namespace with different assumeRoleArn allow nothing there); import the schedules of each role into ' +
          'a namespace of its own (--namespace, with --group or --name-prefix)',
      );
    }
  }
  const policies: EcsSchedulerPolicyResource[] = [];
  for (const ns of namespaces) {
    // Refusing a resource narrows the policy, which cannot make another resource denied; one
    // more pass only confirms it.
    for (;;) {
      const members = converted.filter((c) => namespaceOf(c) === ns && !refusals.has(c));
      if (members.length === 0) break;
      const role = members[0]!.roleArn;
      const policy = policyFor(
        ns,
        role,
        members.map((m) => m.resource),
      );
      const issues = validatePolicy(policy);
      if (issues.length > 0) {
        for (const m of members)
          refusals.set(
            m,
            `no EcsSchedulerPolicy can be written for namespace ${ns}: ${issues.map((x) => `${x.path}: ${x.message}`).join('; ')}`,
          );
        break;
      }
      let refused = false;
      for (const m of members) {
        // The controller's own verdict, so the output is checked by what will judge it.
        const decision = evaluatePolicies(m.resource, { policies: [policy], defaultCluster: '' });
        const identity = decision.allowed ? decision.identity?.roleArn : undefined;
        if (decision.allowed && identity === role) continue;
        refusals.set(
          m,
          decision.allowed
            ? `RoleArn: ${role ?? NO_ROLE} is not the identity the generated policy gives`
            : `the generated EcsSchedulerPolicy cannot allow it: ${decision.message}`,
        );
        refused = true;
      }
      if (!refused) {
        policies.push(policy);
        break;
      }
    }
  }
  return {
    policies,
    conversions: conversions.map((c) => {
      const reason = c.ok ? refusals.get(c) : undefined;
      return reason === undefined ? c : { ok: false, id: c.id, reasons: [reason] };
    }),
  };
}

/** The role most of the namespace's schedules ran as (ties: the first by ARN, none before any). */
function namespaceRole(members: readonly Converted[]): string | undefined {
  const counts = new Map<string | undefined, number>();
  for (const m of members) counts.set(m.roleArn, (counts.get(m.roleArn) ?? 0) + 1);
  return [...counts.entries()].sort(([a, x], [b, y]) => y - x || (a ?? '').localeCompare(b ?? ''))[0]?.[0];
}

/** Values the allow-lists would read as patterns: `*` there would allow more than the value. */
function inexpressible(resource: EcsScheduledTaskResource): string | undefined {
  const task = resource.spec.task;
  const values: [string, string | undefined][] = [
    ['spec.task.platformVersion', task.platformVersion],
    ...(task.tags ?? []).map((t, i): [string, string] => [`spec.task.tags[${i}].key`, t.key]),
  ];
  for (const [i, c] of (task.overrides?.containerOverrides ?? []).entries()) {
    const at = `spec.task.overrides.containerOverrides[${i}]`;
    values.push([`${at}.name`, c.name]);
    for (const [j, e] of (c.environment ?? []).entries())
      values.push([`${at}.environment[${j}].name`, e.name]);
    for (const [j, f] of (c.environmentFiles ?? []).entries())
      values.push([`${at}.environmentFiles[${j}].value`, f.value]);
  }
  const starred = values.find(([, v]) => v?.includes('*'));
  return starred
    ? `${starred[0]}: "${starred[1]}" has a *, which an EcsSchedulerPolicy allow-list reads as a pattern, so no policy can allow exactly it`
    : undefined;
}

function unique(values: Iterable<string | undefined>): string[] | undefined {
  const list = [...new Set([...values].filter((v): v is string => v !== undefined))].sort();
  return list.length > 0 ? list : undefined;
}

/** The queue a dead letter's queueUrl names, as the policy matches it: its ARN. */
function queueArn(url: string): string | undefined {
  const m = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/(\d{12})\/([^/]+)$/.exec(url);
  return m ? `arn:${m[2] ? 'aws-cn' : 'aws'}:sqs:${m[1]}:${m[3]}:${m[4]}` : undefined;
}

function overridesResources(task: Task): boolean {
  const o = task.overrides;
  return (
    o?.cpu !== undefined ||
    o?.memory !== undefined ||
    o?.ephemeralStorage !== undefined ||
    (o?.containerOverrides ?? []).some(
      (c) =>
        c.cpu !== undefined ||
        c.memory !== undefined ||
        c.memoryReservation !== undefined ||
        c.resourceRequirements !== undefined,
    )
  );
}

/** One rule per container whose command, environment or environment files the runs override. */
function containerRules(tasks: readonly Task[]): ContainerRule[] | undefined {
  const rules = new Map<string, { command: boolean; environment: string[]; environmentFiles: string[] }>();
  for (const c of tasks.flatMap((t) => t.overrides?.containerOverrides ?? [])) {
    const rule = rules.get(c.name) ?? { command: false, environment: [], environmentFiles: [] };
    rule.command ||= c.command !== undefined;
    rule.environment.push(...(c.environment ?? []).map((e) => e.name));
    rule.environmentFiles.push(...(c.environmentFiles ?? []).map((f) => f.value));
    rules.set(c.name, rule);
  }
  const list = [...rules.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([name, r]): ContainerRule[] => {
      const environment = unique(r.environment);
      const environmentFiles = unique(r.environmentFiles);
      if (!r.command && environment === undefined && environmentFiles === undefined) return [];
      return [
        {
          name,
          ...(r.command && { command: true }),
          ...(environment !== undefined && { environment }),
          ...(environmentFiles !== undefined && { environmentFiles }),
        },
      ];
    });
  return list.length > 0 ? list : undefined;
}

export function policyFor(
  namespace: string,
  roleArn: string | undefined,
  resources: readonly EcsScheduledTaskResource[],
): EcsSchedulerPolicyResource {
  const tasks = resources.map((r) => r.spec.task);
  const vpcs = tasks.map((t) => t.networkConfiguration?.awsvpcConfiguration);
  const roleName = roleArn?.slice(roleArn.lastIndexOf('/') + 1);
  const name =
    toResourceName(`imported-${namespace}${roleName === undefined ? '' : `-${roleName}`}`, NAME_MAX) ??
    `imported-${namespace}`;
  const lists: Partial<PolicySpec> = {
    clusters: unique(tasks.map((t) => t.cluster)),
    taskDefinitions: unique(tasks.map((t) => t.taskDefinition)),
    roles: unique(tasks.flatMap((t) => [t.overrides?.taskRoleArn, t.overrides?.executionRoleArn])),
    launchTypes: unique(tasks.map((t) => t.launchType)),
    capacityProviders: unique(
      tasks.flatMap((t) => (t.capacityProviderStrategy ?? []).map((s) => s.capacityProvider)),
    ),
    subnets: unique(vpcs.flatMap((v) => v?.subnets ?? [])),
    securityGroups: unique(vpcs.flatMap((v) => v?.securityGroups ?? [])),
    queues: unique(
      resources.flatMap((r) =>
        [r.spec.trigger?.sqs, r.spec.deadLetter?.sqs].map((sqs) =>
          sqs?.queueUrl !== undefined ? queueArn(sqs.queueUrl) : sqs?.queueName,
        ),
      ),
    ),
  };
  const allowed: NonNullable<PolicySpec['overrides']> = {
    ...Object.fromEntries(
      Object.entries({
        containers: containerRules(tasks),
        tags: unique(tasks.flatMap((t) => (t.tags ?? []).map((tag) => tag.key))),
        platformVersions: unique(tasks.map((t) => t.platformVersion)),
      }).filter(([, v]) => v !== undefined),
    ),
    ...(tasks.some(overridesResources) && { resources: true }),
    ...(tasks.some((t) => (t.placementConstraints?.length ?? 0) + (t.placementStrategy?.length ?? 0) > 0) && {
      placement: true,
    }),
  };
  const spec: PolicySpec = {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    ...Object.fromEntries(Object.entries(lists).filter(([, v]) => v !== undefined)),
    ...(vpcs.some((v) => v?.assignPublicIp === 'ENABLED') && { assignPublicIp: true }),
    ...(tasks.some((t) => t.enableExecuteCommand === true) && { enableExecuteCommand: true }),
    ...(Object.keys(allowed).length > 0 && { overrides: allowed }),
    maxTasksPerRun: Math.max(
      1,
      ...resources.map((r) => Math.max(r.spec.taskCount ?? 1, r.spec.maxCount ?? 1)),
    ),
    ...(roleArn !== undefined && { assumeRoleArn: roleArn }),
  };
  return { apiVersion: API_VERSION, kind: POLICY_KIND, metadata: { name }, spec };
}
