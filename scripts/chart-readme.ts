// Writes the Helm chart's README (charts/ecs-scheduler/README.md, which `helm package` ships and
// Artifact Hub shows) from what the chart itself declares: every key of values.schema.json and
// values.yaml, with its type and enum from the schema, its default from values.yaml, and its
// description from the schema's `description` or else from the comment above the key in
// values.yaml. A key in only one of the two files still gets its row, so a new value needs no edit
// here. scripts/sync-chart.ts writes it (`npm run chart:sync`) and checks it (`npm run chart:check`).
import { isMap, isScalar, parse, parseDocument, type Pair, type YAMLMap } from 'yaml';

interface Schema {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
}

export interface ValueRow {
  readonly key: string;
  readonly type: string;
  /** undefined: values.yaml has no default for the key. */
  readonly default: unknown;
  readonly description: string;
}

interface ChartMeta {
  readonly name: string;
  readonly version: string;
  readonly appVersion?: string;
  readonly description?: string;
  readonly kubeVersion?: string;
}

/** The comments of values.yaml by dotted key: the lines above a key, and the rest of its line. */
function valueComments(valuesYaml: string): Map<string, string> {
  const comments = new Map<string, string>();
  const walk = (map: YAMLMap, prefix: string) => {
    map.items.forEach((item, index) => {
      const pair = item as Pair;
      if (!isScalar(pair.key)) return;
      const key = `${prefix}${String(pair.key.value)}`;
      // yaml puts the comment above a map's first key on the map itself.
      const above = pair.key.commentBefore ?? (index === 0 ? map.commentBefore : undefined);
      const inline = isScalar(pair.value) ? pair.value.comment : undefined;
      const text = [above, inline]
        .filter((c): c is string => !!c)
        .map((c) => c.replace(/\s*\n\s*/g, ' ').trim())
        .join(' ');
      if (text) comments.set(key, text);
      if (isMap(pair.value)) walk(pair.value, `${key}.`);
    });
  };
  const doc = parseDocument(valuesYaml);
  if (isMap(doc.contents)) walk(doc.contents, '');
  return comments;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(schema: Schema | undefined, value: unknown): string {
  if (schema?.enum) return schema.enum.map((v) => JSON.stringify(v)).join(', ');
  if (schema?.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type as string];
    return types
      .map((t) => (t === 'array' && schema.items?.type ? `array of ${String(schema.items.type)}` : t))
      .join(' or ');
  }
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return 'array';
  return isPlainObject(value) ? 'object' : typeof value;
}

/**
 * One row per value, in values.yaml's order, then the schema's keys values.yaml leaves out. A key
 * whose schema lists properties (or, without a schema, whose default is a map) is documented key
 * by key; its own row appears only when it has a description.
 */
export function valueRows(schemaJson: string, valuesYaml: string): ValueRow[] {
  const schema = JSON.parse(schemaJson) as Schema;
  const values: unknown = parse(valuesYaml) ?? {};
  const comments = valueComments(valuesYaml);
  const rows: ValueRow[] = [];
  const walk = (node: Schema | undefined, value: unknown, prefix: string) => {
    const keys = [
      ...Object.keys(isPlainObject(value) ? value : {}),
      ...Object.keys(node?.properties ?? {}).filter((k) => !(isPlainObject(value) && k in value)),
    ];
    for (const k of keys) {
      const key = `${prefix}${k}`;
      const child = node?.properties?.[k];
      const v = isPlainObject(value) ? value[k] : undefined;
      const description = child?.description ?? comments.get(key) ?? '';
      const nested = child?.properties
        ? Object.keys(child.properties).length > 0
        : !child && isPlainObject(v) && Object.keys(v).length > 0;
      if (nested) {
        if (description) rows.push({ key, type: 'object', default: undefined, description });
        walk(child, v, `${key}.`);
      } else rows.push({ key, type: typeOf(child, v), default: v, description });
    }
  };
  walk(schema, values, '');
  return rows;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
const defaultCell = (v: unknown) => (v === undefined ? '' : code(JSON.stringify(v)));

export function chartReadme(chartYaml: string, schemaJson: string, valuesYaml: string): string {
  const chart = parse(chartYaml) as ChartMeta;
  const rows = valueRows(schemaJson, valuesYaml);
  const oci = `oci://ghcr.io/ecs-scheduler/charts/${chart.name}`;
  return `<!-- Generated by scripts/chart-readme.ts from Chart.yaml, values.schema.json and values.yaml:
edit those, then run \`npm run chart:sync\`. \`npm run chart:check\` (CI) fails when this file is stale. -->

# ${chart.name}

${chart.description ?? ''}

Chart version ${chart.version}, application version ${chart.appVersion ?? chart.version}${chart.kubeVersion ? `, Kubernetes ${chart.kubeVersion}` : ''}.
The controller's documentation: https://github.com/ecs-scheduler/ecs-scheduler/tree/main/docs (start with the project's README).

## Installing

\`\`\`sh
helm install ${chart.name} ${oci} --version ${chart.version} \\
  --namespace ecs-scheduler-system --create-namespace \\
  --set aws.region=eu-west-1 \\
  --set serviceAccount.irsaRoleArn=arn:aws:iam::123456789012:role/ecs-scheduler
\`\`\`

The CRDs (\`EcsScheduledTask\`, \`EcsSchedulerPolicy\`, \`EcsScheduleCalendar\`) are in the chart's \`crds/\` folder. Helm
installs them on the first install only and never upgrades them: before a \`helm upgrade\` to a new
version, apply that version's CRDs with
\`helm show crds ${oci} --version VERSION | kubectl apply --server-side -f -\`.

\`values.schema.json\` rejects a misspelt key or a wrong type at \`helm install\`, \`helm upgrade\` and
\`helm lint\`.

## Values

| Key | Type | Default | Description |
| --- | --- | --- | --- |
${rows.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(defaultCell(r.default))} | ${cell(r.description)} |`).join('\n')}
`;
}
