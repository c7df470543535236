// The single source of the EcsSchedulerPolicy API: the cluster admin's statement of what the
// EcsScheduledTasks in some namespaces may launch. The CRD (crds/ecsschedulerpolicies.yaml), the
// TypeScript types (api/policy-types.ts) and the validator (api/policy-validation.ts) derive from
// the TypeBox schemas below, as they do for EcsScheduledTask in api/schema.ts.
import { Type, type TSchema } from '@sinclair/typebox';
import type { CrossFieldRule } from './schema.js';

const celRules = <T>(rules: readonly CrossFieldRule<T>[]) => ({
  'x-kubernetes-validations': rules.map(({ rule, message }) => ({ rule, message })),
});
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

// Long enough for any ARN (2048 is IAM's limit for a role ARN); a list of patterns is an admin's
// short allow-list, and 256 entries keep a CEL cost estimate of the admission policy small.
const PATTERN_MAX_LENGTH = 2048;
const LIST_MAX_ITEMS = 256;

const patterns = (what: string, example: string) =>
  opt(
    Type.Array(
      Type.String({ minLength: 1, maxLength: PATTERN_MAX_LENGTH, description: 'A value or pattern.' }),
      {
        description:
          `${what}: exact values, or patterns where * matches any run of characters ` +
          `(for example ${example}). Absent or empty allows none.`,
        maxItems: LIST_MAX_ITEMS,
        'x-kubernetes-list-type': 'set',
      },
    ),
  );

const LabelSelectorRequirement = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 317, description: 'The label key the selector applies to.' }),
    operator: Type.String({
      description: 'In, NotIn, Exists or DoesNotExist.',
      enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'],
    }),
    values: opt(
      Type.Array(Type.String({ maxLength: 63, description: 'A label value.' }), {
        description: 'Values for In and NotIn; must be empty for Exists and DoesNotExist.',
        maxItems: LIST_MAX_ITEMS,
      }),
    ),
  },
  {
    description: 'A label selector requirement, as in metav1.LabelSelectorRequirement.',
    'x-kubernetes-validations': [
      {
        rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
        message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
      },
    ],
  },
);

const NamespaceSelector = Type.Object(
  {
    matchLabels: opt(
      Type.Record(Type.String(), Type.String({ maxLength: 63, description: 'A label value.' }), {
        description: 'Labels a namespace must carry, every one of them.',
      }),
    ),
    matchExpressions: opt(
      Type.Array(LabelSelectorRequirement, {
        description: 'Requirements a namespace must meet, every one of them.',
        maxItems: LIST_MAX_ITEMS,
      }),
    ),
  },
  {
    description:
      'The namespaces this policy covers, by their labels (metav1.LabelSelector). {} selects every ' +
      'namespace; kubernetes.io/metadata.name selects one by name.',
  },
);

// Overrides change what a task definition's role and secrets run: a command, an environment
// variable or file, a tag an IAM condition reads, the instances it lands on. Each kind is denied
// unless a policy allows it here. group, propagateTags and enableECSManagedTags are bookkeeping
// that grants nothing, and are not listed.
const ContainerOverrideRule = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'The containers this rule covers: a name, or a pattern where * matches any run of characters.',
    }),
    command: opt(
      Type.Boolean({ description: "Whether runs may replace these containers' command.", default: false }),
    ),
    environment: patterns(
      'Environment variables runs may set in these containers, by name',
      'LOG_LEVEL, BATCH_*',
    ),
    environmentFiles: patterns(
      'Environment files runs may add to these containers, by S3 object ARN',
      'arn:aws:s3:::team-a-config/*.env',
    ),
  },
  { description: 'What runs may override in the containers whose name matches.' },
);

const OverridesPolicy = Type.Object(
  {
    containers: opt(
      Type.Array(ContainerOverrideRule, {
        description:
          'Container overrides runs may make (spec.task.overrides.containerOverrides). Absent or empty allows none; a container matched by several rules gets what any of them allows.',
        maxItems: 20,
      }),
    ),
    resources: opt(
      Type.Boolean({
        description:
          'Whether runs may override CPU, memory, ephemeral storage and GPU or accelerator requirements (of the task or a container).',
        default: false,
      }),
    ),
    tags: patterns(
      "Tag keys runs may set in spec.task.tags (the controller's own tags are added either way)",
      'team, cost-*',
    ),
    placement: opt(
      Type.Boolean({
        description: 'Whether runs may set placementConstraints and placementStrategy.',
        default: false,
      }),
    ),
    platformVersions: patterns('Fargate platform versions runs may set', 'LATEST, 1.4.0'),
  },
  {
    description:
      'What runs may override beyond the task definition. Every kind absent here is denied: a run that overrides nothing needs none of it.',
  },
);

export const policySpecRules: readonly CrossFieldRule<{ assumeRoleArn?: string; externalId?: string }>[] = [
  {
    path: 'spec',
    rule: '!has(self.externalId) || has(self.assumeRoleArn)',
    message: 'externalId needs assumeRoleArn',
    check: (s) => s.externalId === undefined || s.assumeRoleArn !== undefined,
  },
];

export const EcsSchedulerPolicySpec = Type.Object(
  {
    namespaceSelector: NamespaceSelector,
    clusters: patterns(
      'ECS clusters the runs may use, by name or ARN',
      'prod, arn:aws:ecs:eu-west-1:123456789012:cluster/batch-*',
    ),
    taskDefinitions: patterns(
      'Task definitions the runs may use: a family (any revision), family:revision, or ARN',
      'report-*, etl:12',
    ),
    roles: patterns(
      'taskRoleArn and executionRoleArn overrides the runs may set (runs without overrides need none)',
      'arn:aws:iam::123456789012:role/data-*',
    ),
    launchTypes: patterns('Launch types the runs may set', 'FARGATE'),
    capacityProviders: patterns('Capacity providers a capacityProviderStrategy may name', 'FARGATE_SPOT'),
    subnets: patterns('Subnets the runs may use', 'subnet-0123456789abcdef0, *'),
    securityGroups: patterns('Security groups the runs may use', 'sg-0123456789abcdef0'),
    assignPublicIp: opt(
      Type.Boolean({
        description: 'Whether runs may set assignPublicIp: ENABLED.',
        default: false,
      }),
    ),
    enableExecuteCommand: opt(
      Type.Boolean({ description: 'Whether runs may turn on ECS Exec.', default: false }),
    ),
    maxTasksPerRun: opt(
      Type.Integer({
        description:
          'Most tasks one run may launch: taskCount and maxCount above it are denied. The controller-wide --max-tasks-per-run applies as well.',
        minimum: 1,
        maximum: 1000,
      }),
    ),
    overrides: opt(OverridesPolicy),
    queues: patterns(
      'SQS queues an SQS trigger may read and a dead letter may be sent to: a name matches queueName, an ARN matches the queue of a queueUrl',
      'data-*, arn:aws:sqs:eu-west-1:123456789012:data-*',
    ),
    assumeRoleArn: opt(
      Type.String({
        description:
          "IAM role the controller assumes (STS AssumeRole) for the ECS and SQS calls of these runs, instead of its own. Its trust policy must allow the controller's role.",
        pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]{1,512}$',
        maxLength: PATTERN_MAX_LENGTH,
      }),
    ),
    externalId: opt(
      Type.String({
        description: "sts:ExternalId sent with AssumeRole; the role's trust policy should require it.",
        minLength: 2,
        maxLength: 1224,
        pattern: '^[\\w+=,.@:/-]+$',
      }),
    ),
  },
  {
    description:
      'What the EcsScheduledTasks of the selected namespaces may launch. A run is allowed when every policy selecting its namespace allows every aspect of it; the one naming assumeRoleArn supplies the identity (policies naming different roles for one namespace allow nothing there).',
    ...celRules(policySpecRules),
  },
);

export const EcsSchedulerPolicy = Type.Object({
  apiVersion: Type.String({ description: 'API version: ecs-scheduler.dev/v1alpha1.' }),
  kind: Type.String({ description: 'Kind: EcsSchedulerPolicy.' }),
  metadata: Type.Object(
    {
      name: opt(Type.String()),
      uid: opt(Type.String()),
      generation: opt(Type.Integer()),
      resourceVersion: opt(Type.String()),
      annotations: opt(Type.Record(Type.String(), Type.String())),
      labels: opt(Type.Record(Type.String(), Type.String())),
      creationTimestamp: opt(Type.String()),
    },
    { additionalProperties: true },
  ),
  spec: EcsSchedulerPolicySpec,
});
