// Writes the spec reference (docs/reference/ecsscheduledtask.md, ecsschedulerpolicy.md and
// ecsschedulecalendar.md) from the
// TypeBox schemas the CRDs come from, one section per field path, so the reference cannot say
// something the API server does not check. With --check it writes nothing and fails on a
// difference (`npm run crd:check`, which CI runs, and a unit test run it that way).
//
//   node --import tsx scripts/generate-reference.ts [--check]
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EcsScheduleCalendarSpec } from '../src/api/calendar-schema.js';
import {
  API_VERSION,
  BACKFILL_KIND,
  BACKFILL_SHORT_NAMES,
  CALENDAR_KIND,
  CALENDAR_SHORT_NAMES,
  KIND,
  POLICY_KIND,
  POLICY_SHORT_NAMES,
  SHORT_NAMES,
} from '../src/api/constants.js';
import { EcsTaskBackfillSpec, EcsTaskBackfillStatus } from '../src/api/backfill-schema.js';
import { EcsSchedulerPolicySpec } from '../src/api/policy-schema.js';
import { EcsScheduledTaskSpec, EcsScheduledTaskStatus, resourceValidations } from '../src/api/schema.js';
import { driftOf, writeOrCheck, type GeneratedFile } from './generated-files.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

type JsonSchema = Record<string, unknown>;

interface Rule {
  readonly rule: string;
  readonly message: string;
}

/** One field of the reference: its dotted path (`[]` for an array's items). */
export interface FieldDoc {
  readonly path: string;
  readonly schema: JsonSchema;
  readonly required: boolean;
}

/** Every field path under `root`, parents before their children, in the schema's own order. */
export function fieldPaths(root: JsonSchema, prefix: string): FieldDoc[] {
  const out: FieldDoc[] = [];
  const walk = (schema: JsonSchema, path: string, required: boolean) => {
    out.push({ path, schema, required });
    const props = schema.properties as Record<string, JsonSchema> | undefined;
    const requiredNames = new Set((schema.required as string[] | undefined) ?? []);
    for (const [name, sub] of Object.entries(props ?? {}))
      walk(sub, `${path}.${name}`, requiredNames.has(name));
    // An array's items have no section of their own (their anchor would be the array's): the
    // array's section describes them, and their fields follow as `path[].field`.
    const items = schema.items as JsonSchema | undefined;
    for (const [name, sub] of Object.entries((items?.properties as Record<string, JsonSchema>) ?? {})) {
      const itemRequired = new Set((items!.required as string[] | undefined) ?? []);
      walk(sub, `${path}[].${name}`, itemRequired.has(name));
    }
  };
  walk(root, prefix, true);
  return out;
}

const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
const cell = (text: string) => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');

function typeOf(schema: JsonSchema): string {
  const type = schema.type as string | undefined;
  if (type === 'array') {
    const items = schema.items as JsonSchema | undefined;
    return `array of ${items ? typeOf(items) : 'any'}`;
  }
  if (type === 'object' && schema.patternProperties) {
    const [values] = Object.values(schema.patternProperties as Record<string, JsonSchema>);
    return `map of string to ${values ? typeOf(values) : 'any'}`;
  }
  if (type === 'string' && schema.format) return `string (${String(schema.format as string)})`;
  return type ?? 'any';
}

function range(min: unknown, max: unknown, unit = ''): string | undefined {
  if (min === undefined && max === undefined) return undefined;
  if (min !== undefined && max !== undefined) return `${String(min)} to ${String(max)}${unit}`;
  return min !== undefined ? `at least ${String(min)}${unit}` : `at most ${String(max)}${unit}`;
}

function rows(field: FieldDoc): [string, string][] {
  const s = field.schema;
  const r: [string, string][] = [
    ['type', typeOf(s)],
    ['required', field.required ? 'yes' : 'no'],
  ];
  if (s.default !== undefined) r.push(['default', code(JSON.stringify(s.default))]);
  if (Array.isArray(s.enum)) r.push(['one of', (s.enum as unknown[]).map((v) => code(String(v))).join(', ')]);
  if (typeof s.pattern === 'string') r.push(['pattern', code(s.pattern)]);
  const value = range(s.minimum, s.maximum);
  if (value) r.push(['value', value]);
  const length = range(s.minLength, s.maxLength, ' characters');
  if (length) r.push(['length', length]);
  const items = range(s.minItems, s.maxItems, ' items');
  if (items) r.push(['items', items]);
  const rules = (s['x-kubernetes-validations'] as Rule[] | undefined) ?? [];
  for (const rule of rules) r.push(['rule', `${code(rule.rule)}: ${rule.message}`]);
  // An array's items and a map's values have no section of their own: say what they are here.
  const [mapValues] = Object.values((s.patternProperties as Record<string, JsonSchema> | undefined) ?? {});
  const scalarItems = s.type === 'array' ? (s.items as JsonSchema | undefined) : mapValues;
  if (scalarItems) {
    const each = s.type === 'array' ? 'each item' : 'each value';
    if (typeof scalarItems.description === 'string') r.push([each, scalarItems.description]);
    if (Array.isArray(scalarItems.enum))
      r.push([`${each}: one of`, (scalarItems.enum as unknown[]).map((v) => code(String(v))).join(', ')]);
    if (typeof scalarItems.pattern === 'string') r.push([`${each}: pattern`, code(scalarItems.pattern)]);
    const itemValue = range(scalarItems.minimum, scalarItems.maximum);
    if (itemValue) r.push([`${each}: value`, itemValue]);
    const itemLength = range(scalarItems.minLength, scalarItems.maxLength, ' characters');
    if (itemLength) r.push([`${each}: length`, itemLength]);
    for (const rule of (scalarItems['x-kubernetes-validations'] as Rule[] | undefined) ?? [])
      r.push([`${each}: rule`, `${code(rule.rule)}: ${rule.message}`]);
  }
  return r;
}

function section(field: FieldDoc): string {
  const description = typeof field.schema.description === 'string' ? field.schema.description : '';
  const table = rows(field)
    .map(([k, v]) => `| ${k} | ${cell(v)} |`)
    .join('\n');
  return `### \`${field.path}\`\n\n${description ? `${description}\n\n` : ''}| | |\n| --- | --- |\n${table}\n`;
}

function toc(fields: FieldDoc[]): string {
  const top = Math.min(...fields.map((f) => f.path.split('.').length));
  return fields
    .map((f) => {
      const depth = f.path.split('.').length - top;
      return `${'  '.repeat(depth)}- [\`${f.path}\`](#${anchorOfPath(f.path)})`;
    })
    .join('\n');
}

/** GitHub's anchor for a heading that is a field path in backticks: punctuation dropped. */
export function anchorOfPath(path: string): string {
  return path.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '');
}

const HEADER = (source: string) =>
  `<!-- Generated by scripts/generate-reference.ts from ${source}: edit the schema, then run
\`npm run docs:generate\` (part of \`npm run crd:generate\`). \`npm run crd:check\` (CI) fails when this file is stale. -->`;

function page(opts: {
  title: string;
  source: string;
  intro: string;
  parts: { heading: string; fields: FieldDoc[] }[];
}): string {
  const all = opts.parts.flatMap((p) => p.fields);
  const body = opts.parts
    .map((p) => `## ${p.heading} fields\n\n${p.fields.map(section).join('\n')}`)
    .join('\n');
  return `${HEADER(opts.source)}

# ${opts.title}

${opts.intro}

## Contents

${toc(all)}

${body}`;
}

function rootRules(): FieldDoc {
  return {
    path: 'metadata.name',
    required: false,
    schema: {
      type: 'string',
      description: 'The resource name, a DNS-1123 subdomain as for any Kubernetes object.',
      'x-kubernetes-validations': resourceValidations,
    },
  };
}

export type ReferencePage = GeneratedFile;

export function referencePages(): ReferencePage[] {
  const est = page({
    title: `${KIND} reference`,
    source: 'src/api/schema.ts',
    intro: `Every field of \`${API_VERSION}\` \`${KIND}\` (short names ${SHORT_NAMES.map(code).join(', ')}), as the CRD
declares it: its description, type, default, allowed values and limits, and the CEL rules the API
server checks. \`kubectl explain est.spec\` shows the same descriptions. For what the fields do
together, see [the EcsScheduledTask spec](../concepts/ecsscheduledtask.md); \`ecs-scheduler validate\`
runs the same checks offline.`,
    parts: [
      { heading: 'Metadata', fields: [rootRules()] },
      { heading: 'Spec', fields: fieldPaths(EcsScheduledTaskSpec as unknown as JsonSchema, 'spec') },
      { heading: 'Status', fields: fieldPaths(EcsScheduledTaskStatus as unknown as JsonSchema, 'status') },
    ],
  });
  const policy = page({
    title: `${POLICY_KIND} reference`,
    source: 'src/api/policy-schema.ts',
    intro: `Every field of the cluster-scoped \`${API_VERSION}\` \`${POLICY_KIND}\` (short name ${POLICY_SHORT_NAMES.map(code).join(', ')}), as
the CRD declares it. For how policies combine and what each list allows, see
[Multi-tenant clusters](../operating/tenancy.md).`,
    parts: [{ heading: 'Spec', fields: fieldPaths(EcsSchedulerPolicySpec as unknown as JsonSchema, 'spec') }],
  });
  const backfill = page({
    title: `${BACKFILL_KIND} reference`,
    source: 'src/api/backfill-schema.ts',
    intro: `Every field of \`${API_VERSION}\` \`${BACKFILL_KIND}\` (short name ${BACKFILL_SHORT_NAMES.map(code).join(', ')}), as the
CRD declares it. For what a backfill does, see [Backfill](../concepts/backfill.md).`,
    parts: [
      { heading: 'Spec', fields: fieldPaths(EcsTaskBackfillSpec as unknown as JsonSchema, 'spec') },
      { heading: 'Status', fields: fieldPaths(EcsTaskBackfillStatus as unknown as JsonSchema, 'status') },
    ],
  });
  const calendar = page({
    title: `${CALENDAR_KIND} reference`,
    source: 'src/api/calendar-schema.ts',
    intro: `Every field of the namespaced \`${API_VERSION}\` \`${CALENDAR_KIND}\` (short name ${CALENDAR_SHORT_NAMES.map(code).join(', ')}), as
the CRD declares it. For what an excluded time does, see [Calendars](../concepts/calendars.md).`,
    parts: [
      { heading: 'Spec', fields: fieldPaths(EcsScheduleCalendarSpec as unknown as JsonSchema, 'spec') },
    ],
  });
  return [
    { target: 'docs/reference/ecsscheduledtask.md', source: 'src/api/schema.ts', content: est },
    { target: 'docs/reference/ecsschedulerpolicy.md', source: 'src/api/policy-schema.ts', content: policy },
    { target: 'docs/reference/ecstaskbackfill.md', source: 'src/api/backfill-schema.ts', content: backfill },
    {
      target: 'docs/reference/ecsschedulecalendar.md',
      source: 'src/api/calendar-schema.ts',
      content: calendar,
    },
  ];
}

/** The reference pages that differ from what the schema gives. */
export function referenceDrift(root = ROOT): ReferencePage[] {
  return driftOf(referencePages(), root);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const check = process.argv.includes('--check');
  process.exit(writeOrCheck(referenceDrift(), { root: ROOT, check, regenerate: 'npm run docs:generate' }));
}
