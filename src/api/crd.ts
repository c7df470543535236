// Turns the TypeBox schema into a structural CRD: no $ref, no additionalProperties beside
// properties, maps as additionalProperties, a description on every field.
import {
  API_VERSION,
  BACKFILL_KIND,
  BACKFILL_PLURAL,
  BACKFILL_SHORT_NAMES,
  BACKFILL_SINGULAR,
  CALENDAR_KIND,
  CALENDAR_PLURAL,
  CALENDAR_SHORT_NAMES,
  CALENDAR_SINGULAR,
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
import { EcsTaskBackfillSpec, EcsTaskBackfillStatus } from './backfill-schema.js';
import { EcsScheduleCalendarSpec } from './calendar-schema.js';
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

/** What differs between our kinds' CRDs; the rest of the envelope is the same for each. */
interface KindDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly scope: 'Namespaced' | 'Cluster';
  readonly printerColumns: readonly Record<string, unknown>[];
  /** The openAPIV3Schema's description: what the kind is, for `kubectl explain`. */
  readonly description: string;
  readonly spec: JsonSchema;
  /** With a status subresource when given. */
  readonly status?: JsonSchema;
  readonly validations?: unknown;
}

/** One CRD of the group, with a single served and stored version. */
function customResourceDefinition(d: KindDefinition): Record<string, unknown> {
  const copy = (schema: JsonSchema) => structural(JSON.parse(JSON.stringify(schema)) as JsonSchema);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${d.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: d.kind,
        listKind: `${d.kind}List`,
        plural: d.plural,
        singular: d.singular,
        shortNames: d.shortNames,
        categories: CATEGORIES,
      },
      scope: d.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          ...(d.status ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: d.printerColumns,
          schema: {
            openAPIV3Schema: {
              description: d.description,
              type: 'object',
              required: ['spec'],
              ...(d.validations ? { 'x-kubernetes-validations': d.validations } : {}),
              properties: {
                apiVersion: {
                  type: 'string',
                  description: 'APIVersion defines the versioned schema of this object.',
                },
                kind: { type: 'string', description: 'Kind is the REST resource this object represents.' },
                metadata: { type: 'object' },
                spec: copy(d.spec),
                ...(d.status ? { status: copy(d.status) } : {}),
              },
            },
          },
        },
      ],
    },
  };
}

export function buildCrd(): Record<string, unknown> {
  return customResourceDefinition({
    kind: KIND,
    plural: PLURAL,
    singular: SINGULAR,
    shortNames: SHORT_NAMES,
    scope: 'Namespaced',
    printerColumns: PRINTER_COLUMNS,
    description: `${KIND} runs an Amazon ECS task on a schedule (${API_VERSION}).`,
    spec: EcsScheduledTaskSpec as unknown as JsonSchema,
    status: EcsScheduledTaskStatus as unknown as JsonSchema,
    validations: resourceValidations,
  });
}

/** The cluster-scoped EcsSchedulerPolicy CRD, from api/policy-schema.ts. It has no status. */
export function buildPolicyCrd(): Record<string, unknown> {
  return customResourceDefinition({
    kind: POLICY_KIND,
    plural: POLICY_PLURAL,
    singular: POLICY_SINGULAR,
    shortNames: POLICY_SHORT_NAMES,
    scope: 'Cluster',
    printerColumns: [
      { name: 'Clusters', type: 'string', jsonPath: '.spec.clusters' },
      { name: 'Task Definitions', type: 'string', jsonPath: '.spec.taskDefinitions' },
      { name: 'Assume Role', type: 'string', jsonPath: '.spec.assumeRoleArn', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    description:
      `${POLICY_KIND} says what the ${KIND}s of some namespaces may launch, and with which IAM role ` +
      `(${API_VERSION}). Owned by the cluster admin.`,
    spec: EcsSchedulerPolicySpec as unknown as JsonSchema,
  });
}

/**
 * `kubectl get etb` columns: DONE reads `27/30` (succeeded, failed or skipped over total), FAILED
 * and RUNNING are counts, COMPLETE is the Complete condition. The range shows with -o wide.
 */
export const BACKFILL_PRINTER_COLUMNS = [
  { name: 'Task', type: 'string', jsonPath: '.spec.taskRef.name' },
  { name: 'Done', type: 'string', jsonPath: '.status.progress' },
  { name: 'Failed', type: 'integer', jsonPath: '.status.failed' },
  { name: 'Running', type: 'integer', jsonPath: '.status.running' },
  { name: 'Complete', type: 'string', jsonPath: '.status.conditions[?(@.type=="Complete")].status' },
  { name: 'Start', type: 'string', jsonPath: '.spec.start', priority: 1 },
  { name: 'End', type: 'string', jsonPath: '.spec.end', priority: 1 },
  { name: 'Dry Run', type: 'boolean', jsonPath: '.spec.dryRun', priority: 1 },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
] as const;

/** The namespaced EcsTaskBackfill CRD, from api/backfill-schema.ts. */
export function buildBackfillCrd(): Record<string, unknown> {
  return customResourceDefinition({
    kind: BACKFILL_KIND,
    plural: BACKFILL_PLURAL,
    singular: BACKFILL_SINGULAR,
    shortNames: BACKFILL_SHORT_NAMES,
    scope: 'Namespaced',
    printerColumns: BACKFILL_PRINTER_COLUMNS,
    description:
      `${BACKFILL_KIND} runs the schedule times of one ${KIND} in a past range, with the ` +
      `identities the schedule would have given them (${API_VERSION}).`,
    spec: EcsTaskBackfillSpec as unknown as JsonSchema,
    status: EcsTaskBackfillStatus as unknown as JsonSchema,
  });
}

/** The namespaced EcsScheduleCalendar CRD, from api/calendar-schema.ts. It has no status. */
export function buildCalendarCrd(): Record<string, unknown> {
  return customResourceDefinition({
    kind: CALENDAR_KIND,
    plural: CALENDAR_PLURAL,
    singular: CALENDAR_SINGULAR,
    shortNames: CALENDAR_SHORT_NAMES,
    scope: 'Namespaced',
    printerColumns: [
      { name: 'Timezone', type: 'string', jsonPath: '.spec.timeZone' },
      { name: 'Dates', type: 'string', jsonPath: '.spec.dates' },
      { name: 'Days', type: 'string', jsonPath: '.spec.daysOfWeek' },
      { name: 'Ranges', type: 'string', jsonPath: '.spec.ranges', priority: 1 },
      { name: 'Daily', type: 'string', jsonPath: '.spec.dailyRanges', priority: 1 },
      { name: 'Expressions', type: 'string', jsonPath: '.spec.expressions', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    description:
      `${CALENDAR_KIND} names times when the ${KIND}s that list it in spec.excludeCalendars do not run: ` +
      `holidays, freezes, maintenance windows (${API_VERSION}).`,
    spec: EcsScheduleCalendarSpec as unknown as JsonSchema,
  });
}
