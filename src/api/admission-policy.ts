// The optional apply-time check: a ValidatingAdmissionPolicy whose parameter resource is the
// EcsSchedulerPolicy, so `kubectl apply` rejects what a policy selecting the namespace does not
// allow, with the field named. It is generated here, beside the schema its CEL reads, and checked
// in under manifests/components/admission-policy/ by `npm run crd:generate`.
//
// It mirrors policy/policy-evaluator.ts: parameters are ANDed (every policy selecting the
// namespace must allow the object), as the controller ANDs them, and test/support/policy-cases.ts
// runs the same cases through both. What the admission API cannot see is let through here, and
// the controller, authoritative, still denies it:
// - a namespace that no policy selects (no parameter to evaluate), and policies naming different
//   roles for one namespace (each parameter is judged alone);
// - what needs the controller's flags: an unset spec.task.cluster (--default-cluster) and a
//   queueUrl, of the trigger or the dead letter (its region and account);
// - whether the EcsScheduleCalendars of spec.excludeCalendars exist (admission sees one object).
// EcsScheduleCalendars themselves are not matched: a calendar only keeps runs from starting and
// grants nothing a policy could deny, and their CRD's own rules check them on apply.
import { GROUP, PLURAL, POLICY_KIND, VERSION } from './constants.js';

export const ADMISSION_POLICY_NAME = `${PLURAL}.${GROUP}`;

/** A CEL string literal. */
function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const REGEX_META = ['\\', '.', '+', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$'];

/** CEL for the anchored RE2 regex of glob `p`: metacharacters escaped, `*` as `.*`. */
function regexOf(p: string): string {
  let e = p;
  for (const ch of REGEX_META) e += `.replace(${lit(ch)}, ${lit(`\\${ch}`)})`;
  return `'^' + ${e}.replace('*', '.*') + '$'`;
}

/** CEL: value `v` matches glob `p`. */
const glob = (p: string, v: string) => `${v}.matches(${regexOf(p)})`;

/** CEL: like glob, but a name pattern matches names and an ARN pattern ARNs; `*` matches both. */
const formGlob = (p: string, v: string) =>
  `(${p} == '*' || (${p}.startsWith('arn:') == ${v}.startsWith('arn:') && ${glob(p, v)}))`;

/** CEL: some pattern of the policy's list `name` allows `v` (an absent list allows nothing). */
const listed = (name: string, v: string, match: (p: string, v: string) => string = glob) =>
  `(has(params.spec.${name}) && params.spec.${name}.exists(p, ${match('p', v)}))`;

/** CEL: the policy's spec.overrides field `name` is set. */
const hasOverride = (name: string) => `(has(params.spec.overrides) && has(params.spec.overrides.${name}))`;
/** CEL: the policy's boolean spec.overrides.`name` is true. */
const overrideOn = (name: string) => `(${hasOverride(name)} && params.spec.overrides.${name})`;
/** CEL: some spec.overrides.containers rule covering container `c` satisfies `cond` (of rule `r`). */
const someRule = (c: string, cond: string) =>
  `(${hasOverride('containers')} && params.spec.overrides.containers.exists(r, ${glob('r.name', `${c}.name`)} && ${cond}))`;

const task = 'object.spec.task';
const awsvpc = `${task}.networkConfiguration.awsvpcConfiguration`;
const containers = `${task}.overrides.containerOverrides`;
const hasAwsvpc = `has(${task}.networkConfiguration) && has(${awsvpc})`;
const by = `' is not allowed by ${POLICY_KIND} ' + params.metadata.name`;

/** One aspect: its CEL (true = allowed) and the message naming field and value. */
const validations: { expression: string; messageExpression: string }[] = [
  {
    expression: `!has(${task}.cluster) || ${listed('clusters', `${task}.cluster`, formGlob)}`,
    messageExpression: `'spec.task.cluster "' + ${task}.cluster + '"' + ${by} + ' (clusters)'`,
  },
  {
    // family (any revision), family:revision or ARN; see taskDefinitionMatch in the evaluator.
    expression: listed(
      'taskDefinitions',
      `${task}.taskDefinition`,
      (p, v) =>
        `(${p} == '*' || (${p}.startsWith('arn:') == ${v}.startsWith('arn:') && ` +
        `(${p}.substring(${p}.lastIndexOf('/') + 1).matches(':[0-9*]+$') ? ${glob(p, v)} : ${glob(p, 'variables.family')})))`,
    ),
    messageExpression: `'spec.task.taskDefinition "' + ${task}.taskDefinition + '"' + ${by} + ' (taskDefinitions)'`,
  },
  ...(['taskRoleArn', 'executionRoleArn'] as const).map((role) => ({
    expression: `!has(${task}.overrides) || !has(${task}.overrides.${role}) || ${listed('roles', `${task}.overrides.${role}`)}`,
    messageExpression: `'spec.task.overrides.${role} "' + ${task}.overrides.${role} + '"' + ${by} + ' (roles)'`,
  })),
  {
    expression: `!has(${task}.launchType) || ${listed('launchTypes', `${task}.launchType`)}`,
    messageExpression: `'spec.task.launchType "' + ${task}.launchType + '"' + ${by} + ' (launchTypes)'`,
  },
  {
    expression: `!has(${task}.capacityProviderStrategy) || ${task}.capacityProviderStrategy.all(s, ${listed('capacityProviders', 's.capacityProvider')})`,
    messageExpression: `'spec.task.capacityProviderStrategy: a capacityProvider' + ${by} + ' (capacityProviders)'`,
  },
  {
    expression: `!(${hasAwsvpc}) || ${awsvpc}.subnets.all(s, ${listed('subnets', 's')})`,
    messageExpression: `'spec.task.networkConfiguration.awsvpcConfiguration.subnets: a subnet' + ${by} + ' (subnets)'`,
  },
  {
    expression: `!(${hasAwsvpc}) || !has(${awsvpc}.securityGroups) || ${awsvpc}.securityGroups.all(s, ${listed('securityGroups', 's')})`,
    messageExpression: `'spec.task.networkConfiguration.awsvpcConfiguration.securityGroups: a security group' + ${by} + ' (securityGroups)'`,
  },
  {
    expression: `!(${hasAwsvpc} && has(${awsvpc}.assignPublicIp) && ${awsvpc}.assignPublicIp == 'ENABLED') || (has(params.spec.assignPublicIp) && params.spec.assignPublicIp)`,
    messageExpression: `'spec.task.networkConfiguration.awsvpcConfiguration.assignPublicIp "ENABLED"' + ${by} + ' (assignPublicIp: false)'`,
  },
  {
    expression: `!(has(${task}.enableExecuteCommand) && ${task}.enableExecuteCommand) || (has(params.spec.enableExecuteCommand) && params.spec.enableExecuteCommand)`,
    messageExpression: `'spec.task.enableExecuteCommand "true"' + ${by} + ' (enableExecuteCommand: false)'`,
  },
  {
    expression: `!has(${task}.overrides) || !has(${containers}) || ${containers}.all(c, !has(c.command) || ${someRule('c', 'has(r.command) && r.command')})`,
    messageExpression: `'spec.task.overrides.containerOverrides: a command override' + ${by} + ' (overrides.containers)'`,
  },
  {
    expression: `!has(${task}.overrides) || !has(${containers}) || ${containers}.all(c, !has(c.environment) || c.environment.all(e, ${someRule('c', `has(r.environment) && r.environment.exists(p, ${glob('p', 'e.name')})`)}))`,
    messageExpression: `'spec.task.overrides.containerOverrides: an environment override' + ${by} + ' (overrides.containers)'`,
  },
  {
    expression: `!has(${task}.overrides) || !has(${containers}) || ${containers}.all(c, !has(c.environmentFiles) || c.environmentFiles.all(f, ${someRule('c', `has(r.environmentFiles) && r.environmentFiles.exists(p, ${glob('p', 'f.value')})`)}))`,
    messageExpression: `'spec.task.overrides.containerOverrides: an environment file' + ${by} + ' (overrides.containers)'`,
  },
  {
    expression:
      `${overrideOn('resources')} || !has(${task}.overrides) || (!has(${task}.overrides.cpu) && !has(${task}.overrides.memory) && !has(${task}.overrides.ephemeralStorage) && ` +
      `(!has(${containers}) || ${containers}.all(c, !has(c.cpu) && !has(c.memory) && !has(c.memoryReservation) && !has(c.resourceRequirements))))`,
    messageExpression: `'spec.task.overrides: a CPU, memory, storage or resource override' + ${by} + ' (overrides.resources: false)'`,
  },
  {
    expression: `!has(${task}.tags) || ${task}.tags.all(t, ${hasOverride('tags')} && params.spec.overrides.tags.exists(p, ${glob('p', 't.key')}))`,
    messageExpression: `'spec.task.tags: a tag key' + ${by} + ' (overrides.tags)'`,
  },
  {
    expression:
      `${overrideOn('placement')} || ((!has(${task}.placementConstraints) || size(${task}.placementConstraints) == 0) && ` +
      `(!has(${task}.placementStrategy) || size(${task}.placementStrategy) == 0))`,
    messageExpression: `'spec.task.placementConstraints or placementStrategy' + ${by} + ' (overrides.placement: false)'`,
  },
  {
    expression: `!has(${task}.platformVersion) || (${hasOverride('platformVersions')} && params.spec.overrides.platformVersions.exists(p, ${glob('p', `${task}.platformVersion`)}))`,
    messageExpression: `'spec.task.platformVersion "' + ${task}.platformVersion + '"' + ${by} + ' (overrides.platformVersions)'`,
  },
  {
    expression:
      '!has(params.spec.maxTasksPerRun) || ((has(object.spec.taskCount) ? object.spec.taskCount : 1) <= params.spec.maxTasksPerRun && ' +
      '(!has(object.spec.maxCount) || object.spec.maxCount <= params.spec.maxTasksPerRun))',
    messageExpression: `'spec.taskCount or spec.maxCount is above maxTasksPerRun ' + string(params.spec.maxTasksPerRun) + ' of ${POLICY_KIND} ' + params.metadata.name`,
  },
  {
    expression: `!has(object.spec.trigger) || !has(object.spec.trigger.sqs) || !has(object.spec.trigger.sqs.queueName) || ${listed('queues', 'object.spec.trigger.sqs.queueName', formGlob)}`,
    messageExpression: `'spec.trigger.sqs.queueName "' + object.spec.trigger.sqs.queueName + '"' + ${by} + ' (queues)'`,
  },
  {
    expression: `!has(object.spec.deadLetter) || !has(object.spec.deadLetter.sqs.queueName) || ${listed('queues', 'object.spec.deadLetter.sqs.queueName', formGlob)}`,
    messageExpression: `'spec.deadLetter.sqs.queueName "' + object.spec.deadLetter.sqs.queueName + '"' + ${by} + ' (queues)'`,
  },
];

const labels = 'variables.labels';
/** CEL: the policy's namespaceSelector selects the object's namespace (metav1.LabelSelector). */
const selects =
  `(!has(params.spec.namespaceSelector.matchLabels) || params.spec.namespaceSelector.matchLabels.all(k, k in ${labels} && ${labels}[k] == params.spec.namespaceSelector.matchLabels[k])) && ` +
  `(!has(params.spec.namespaceSelector.matchExpressions) || params.spec.namespaceSelector.matchExpressions.all(e, ` +
  `e.operator == 'In' ? (e.key in ${labels} && has(e.values) && e.values.exists(v, v == ${labels}[e.key])) : ` +
  `e.operator == 'NotIn' ? !(e.key in ${labels} && has(e.values) && e.values.exists(v, v == ${labels}[e.key])) : ` +
  `e.operator == 'Exists' ? e.key in ${labels} : ` +
  `e.operator == 'DoesNotExist' ? !(e.key in ${labels}) : false))`;

export function buildAdmissionPolicy(): Record<string, unknown>[] {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: ADMISSION_POLICY_NAME },
    spec: {
      // The controller decides for good; this only rejects early. A CEL failure (a cost limit on a
      // huge policy) must not block every apply in the cluster.
      failurePolicy: 'Ignore',
      paramKind: { apiVersion: `${GROUP}/${VERSION}`, kind: POLICY_KIND },
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [GROUP],
            apiVersions: [VERSION],
            operations: ['CREATE', 'UPDATE'],
            resources: [PLURAL],
          },
        ],
      },
      variables: [
        {
          name: 'labels',
          expression:
            'namespaceObject != null && has(namespaceObject.metadata.labels) ? namespaceObject.metadata.labels : {}',
        },
        {
          name: 'family',
          expression:
            `${task}.taskDefinition.substring(${task}.taskDefinition.lastIndexOf('/') + 1).matches(':[0-9]+$') ? ` +
            `${task}.taskDefinition.substring(0, ${task}.taskDefinition.lastIndexOf(':')) : ${task}.taskDefinition`,
        },
        { name: 'selects', expression: selects },
      ],
      validations: validations.map(({ expression, messageExpression }) => ({
        expression: `!variables.selects || (${expression})`,
        messageExpression,
        reason: 'Forbidden',
      })),
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: ADMISSION_POLICY_NAME },
    spec: {
      policyName: ADMISSION_POLICY_NAME,
      validationActions: ['Deny'],
      // Every EcsSchedulerPolicy is a parameter; with none at all there is nothing to check here.
      paramRef: { selector: {}, parameterNotFoundAction: 'Allow' },
    },
  };
  return [policy, binding];
}
