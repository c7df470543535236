/**
 * The EcsSchedulerPolicy that allows exactly what the imported resources launch: one policy per
 * role the sources ran their tasks as (the policy's assumeRoleArn), selecting the namespace they
 * are imported into, with allow-lists of the exact values they use. Since the first allowing
 * policy by name decides the role, a resource that another role's policy would also allow (and
 * that comes first) is refused: it would run as the wrong role.
 */
import { API_VERSION, POLICY_KIND } from '../api/constants.js';
import type { EcsSchedulerPolicyResource, PolicySpec } from '../api/policy-types.js';
import { validatePolicy } from '../api/policy-validation.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { evaluatePolicies, NAMESPACE_NAME_LABEL } from '../policy/policy-evaluator.js';
import { toResourceName, type ImportConversion } from './import-conversion.js';

type Converted = Extract<ImportConversion, { ok: true }>;

export interface ImportPolicies {
  readonly policies: readonly EcsSchedulerPolicyResource[];
  /** The conversions again, with the ones no policy can allow as they ran refused. */
  readonly conversions: readonly ImportConversion[];
}

const NAME_MAX = 253;

export function importPolicies(conversions: readonly ImportConversion[], namespace: string): ImportPolicies {
  let current = [...conversions];
  // Refusing a resource changes the allow-lists of its policy; a few rounds settle it.
  for (let round = 0; round < 5; round++) {
    const converted = current.filter((c): c is Converted => c.ok);
    const groups = new Map<string, Converted[]>();
    for (const c of converted) {
      const key = c.roleArn ?? '';
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const policies = [...groups.entries()].map(([role, members]) =>
      policyFor(
        namespace,
        role === '' ? undefined : role,
        members.map((m) => m.resource),
      ),
    );
    const refusals = new Map<Converted, string>();
    policies.forEach((policy, i) => {
      const issues = validatePolicy(policy);
      const members = [...groups.values()][i]!;
      if (issues.length > 0) {
        for (const m of members)
          refusals.set(
            m,
            `RoleArn: no EcsSchedulerPolicy can be written for it: ${issues.map((x) => `${x.path}: ${x.message}`).join('; ')}`,
          );
        return;
      }
      for (const m of members) {
        const decision = evaluatePolicies(m.resource, { policies, defaultCluster: '' });
        const chosen = decision.allowed ? decision.policy : undefined;
        if (chosen === policy.metadata.name) continue;
        const other = policies.find((p) => p.metadata.name === chosen);
        refusals.set(
          m,
          `RoleArn: ${m.roleArn ?? "the controller's own role"} cannot be kept: policy ${chosen ?? '(none)'}` +
            `${other?.spec.assumeRoleArn ? ` (role ${other.spec.assumeRoleArn})` : ''} also allows this run in namespace ${namespace} and is read first, ` +
            'so it would run as that role; import the schedules of each role into a namespace of its own (--namespace)',
        );
      }
    });
    if (refusals.size === 0) return { policies, conversions: current };
    current = current.map((c) => {
      const reason = c.ok ? refusals.get(c) : undefined;
      return reason === undefined ? c : { ok: false, id: c.id, reasons: [reason] };
    });
  }
  return { policies: [], conversions: current };
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
      resources.map((r) => {
        const sqs = r.spec.deadLetter?.sqs;
        return sqs?.queueUrl !== undefined ? queueArn(sqs.queueUrl) : sqs?.queueName;
      }),
    ),
  };
  const spec: PolicySpec = {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    ...Object.fromEntries(Object.entries(lists).filter(([, v]) => v !== undefined)),
    ...(vpcs.some((v) => v?.assignPublicIp === 'ENABLED') && { assignPublicIp: true }),
    ...(tasks.some((t) => t.enableExecuteCommand === true) && { enableExecuteCommand: true }),
    maxTasksPerRun: Math.max(
      1,
      ...resources.map((r) => Math.max(r.spec.taskCount ?? 1, r.spec.maxCount ?? 1)),
    ),
    ...(roleArn !== undefined && { assumeRoleArn: roleArn }),
  };
  return { apiVersion: API_VERSION, kind: POLICY_KIND, metadata: { name }, spec };
}
