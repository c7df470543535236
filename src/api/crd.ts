// Turns the TypeBox schema into a structural CRD: no $ref, no additionalProperties beside
// properties, maps as additionalProperties, a description on every field.
import {
  API_VERSION,
  CATEGORIES,
  GROUP,
  KIND,
  PLURAL,
  POLICY_KIND,
  POLICY_PLURAL,
  POLICY_SHORT_NAMES,
  POLICY_SINGULAR,
  SHORT_NAMES,
  SINGULAR,
  VERSION,
} from './constants.js';
import { EcsSchedulerPolicySpec } from './policy-schema.js';
import { EcsScheduledTaskSpec, EcsScheduledTaskStatus, resourceValidations } from './schema.js';

type JsonSchema = Record<string, unknown>;

function structural(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') {
      const props: JsonSchema = {};
      for (const [name, sub] of Object.entries(value as Record<string, JsonSchema>))
        props[name] = structural(sub);
      out.properties = props;
    } else if (key === 'items') {
      out.items = structural(value as JsonSchema);
    } else if (key === 'patternProperties') {
      // TypeBox expresses Record<string, T> as patternProperties; Kubernetes wants additionalProperties.
      const [sub] = Object.values(value as Record<string, JsonSchema>);
      out.additionalProperties = structural(sub ?? {});
    } else if (key === 'additionalProperties') {
      // Pruning already drops unknown fields; structural schemas forbid it beside properties.
      if (typeof value === 'object' && !('properties' in schema))
        out.additionalProperties = structural(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  if (out.type === 'object' && out.properties && Object.keys(out.properties as object).length === 0)
    delete out.properties;
  return out;
}

const READY = '.status.conditions[?(@.type=="Ready")]';

/**
 * `kubectl get est` columns. SCHEDULE reads status.scheduleSummary, which the controller writes:
 * a column's JSONPath cannot join spec.schedules or fall back from spec.schedule to it, and a long
 * list must be cut to stay readable. NEXT is a `string` column on purpose: kubectl renders a `date` column
 * as an age, and a time in the future as `<invalid>`; the RFC 3339 string reads as an absolute
 * time. LAST SCHEDULE stays a `date`, so it reads as "5m" ago. Priority 1 shows only with -o wide.
 */
export const PRINTER_COLUMNS = [
  { name: 'Schedule', type: 'string', jsonPath: '.status.scheduleSummary' },
  { name: 'Timezone', type: 'string', jsonPath: '.spec.timeZone', priority: 1 },
  { name: 'Resolved', type: 'string', jsonPath: '.status.resolvedSchedule', priority: 1 },
  { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend' },
  { name: 'Active', type: 'integer', jsonPath: '.status.activeCount' },
  { name: 'Last Schedule', type: 'date', jsonPath: '.status.lastScheduleTime' },
  { name: 'Next', type: 'string', jsonPath: '.status.nextScheduleTime' },
  { name: 'Last Result', type: 'string', jsonPath: '.status.lastResult' },
  { name: 'Ready', type: 'string', jsonPath: `${READY}.status` },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Message', type: 'string', jsonPath: `${READY}.message` },
] as const;

export function buildCrd(): Record<string, unknown> {
  const spec = structural(JSON.parse(JSON.stringify(EcsScheduledTaskSpec)) as JsonSchema);
  const status = structural(JSON.parse(JSON.stringify(EcsScheduledTaskStatus)) as JsonSchema);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: SHORT_NAMES,
        categories: CATEGORIES,
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: PRINTER_COLUMNS,
          schema: {
            openAPIV3Schema: {
              description: `${KIND} runs an Amazon ECS task on a schedule (${API_VERSION}).`,
              type: 'object',
              required: ['spec'],
              'x-kubernetes-validations': resourceValidations,
              properties: {
                apiVersion: {
                  type: 'string',
                  description: 'APIVersion defines the versioned schema of this object.',
                },
                kind: { type: 'string', description: 'Kind is the REST resource this object represents.' },
                metadata: { type: 'object' },
                spec,
                status,
              },
            },
          },
        },
      ],
    },
  };
}

/** The cluster-scoped EcsSchedulerPolicy CRD, from api/policy-schema.ts. It has no status. */
export function buildPolicyCrd(): Record<string, unknown> {
  const spec = structural(JSON.parse(JSON.stringify(EcsSchedulerPolicySpec)) as JsonSchema);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${POLICY_PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: POLICY_KIND,
        listKind: `${POLICY_KIND}List`,
        plural: POLICY_PLURAL,
        singular: POLICY_SINGULAR,
        shortNames: POLICY_SHORT_NAMES,
        categories: CATEGORIES,
      },
      scope: 'Cluster',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { name: 'Clusters', type: 'string', jsonPath: '.spec.clusters' },
            { name: 'Task Definitions', type: 'string', jsonPath: '.spec.taskDefinitions' },
            { name: 'Assume Role', type: 'string', jsonPath: '.spec.assumeRoleArn', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              description:
                `${POLICY_KIND} says what the ${KIND}s of some namespaces may launch, and with which IAM role ` +
                `(${API_VERSION}). Owned by the cluster admin.`,
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: {
                  type: 'string',
                  description: 'APIVersion defines the versioned schema of this object.',
                },
                kind: { type: 'string', description: 'Kind is the REST resource this object represents.' },
                metadata: { type: 'object' },
                spec,
              },
            },
          },
        },
      ],
    },
  };
}
