// The chart README's values table (scripts/chart-readme.ts) is generated from values.schema.json
// and values.yaml; values are added to the chart while the generator stays as it is, so it must
// document any key of either file without being told about it.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartReadme, valueRows } from '../../../scripts/chart-readme.js';

const CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'ecs-scheduler');

const schema = JSON.stringify({
  type: 'object',
  properties: {
    log: {
      type: 'object',
      properties: {
        level: { enum: ['debug', 'info'], description: 'From the schema.' },
        format: { enum: ['json', 'text'] },
      },
    },
    replicas: { type: 'integer' },
    onlyInSchema: { type: ['integer', 'string'], description: 'Has no default.' },
    labels: { type: 'object' },
  },
});

const values = `# The file's own header, about no key.

log:
  # Above the first key of a map.
  level: info # not used: the schema's description wins
  format: json # inline
# Two lines
# joined.
replicas: 2
labels:
  team: a
# A value someone added to values.yaml only.
networkPolicy:
  enabled: false
  # Pipes | are escaped.
  ingress: [{ from: 'a|b' }]
`;

describe('chart README generator (scripts/chart-readme.ts)', () => {
  const rows = valueRows(schema, values);
  const row = (key: string) => {
    const hit = rows.find((r) => r.key === key);
    if (!hit) throw new Error(`no row for ${key}: ${rows.map((r) => r.key).join(', ')}`);
    return hit;
  };

  it("lists values.yaml's keys in order, then the schema's keys values.yaml leaves out", () => {
    expect(rows.map((r) => r.key)).to.deep.equal([
      'log.level',
      'log.format',
      'replicas',
      'labels',
      'networkPolicy', // its own row for its comment, then its keys
      'networkPolicy.enabled',
      'networkPolicy.ingress',
      'onlyInSchema',
    ]);
  });

  it("takes the schema's description first, else the comment above the key or on its line", () => {
    expect(row('log.level').description).to.equal('From the schema.');
    expect(row('log.format').description).to.equal('inline');
    expect(row('replicas').description).to.equal('Two lines joined.');
    expect(row('networkPolicy.ingress').description).to.equal('Pipes | are escaped.');
  });

  it('types from the schema (enums listed), or from the default where the schema has no entry', () => {
    expect(row('log.level').type).to.equal('"debug", "info"');
    expect(row('onlyInSchema').type).to.equal('integer or string');
    expect(row('networkPolicy.enabled').type).to.equal('boolean');
    expect(row('networkPolicy.ingress').type).to.equal('array');
  });

  it('defaults from values.yaml; a schema-only key has none; a map the schema leaves open is one row', () => {
    expect(row('replicas').default).to.equal(2);
    expect(row('onlyInSchema').default).to.equal(undefined);
    expect(row('labels').default).to.deep.equal({ team: 'a' });
  });

  it('escapes pipes in table cells, so a row keeps its four columns', () => {
    const readme = chartReadme('name: c\nversion: 1.2.3\n', schema, values);
    const line = readme.split('\n').find((l) => l.startsWith('| `networkPolicy.ingress`'));
    expect(line).to.equal(
      '| `networkPolicy.ingress` | array | `[{"from":"a\\|b"}]` | Pipes \\| are escaped. |',
    );
    expect(line!.split(/(?<!\\)\|/).length - 2).to.equal(4);
    expect(readme).to.include('--version 1.2.3');
  });

  it("the chart's README has a row for every leaf of values.yaml and every key of the schema", () => {
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    const leaves: string[] = [];
    const walk = (
      v: unknown,
      prefix: string,
      schemaNode: { properties?: Record<string, unknown> } | undefined,
    ) => {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const s = schemaNode?.properties?.[k] as { properties?: Record<string, unknown> } | undefined;
        if (s?.properties && child && typeof child === 'object') walk(child, `${prefix}${k}.`, s);
        else leaves.push(`${prefix}${k}`);
      }
    };
    const chartSchema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as {
      properties: Record<string, unknown>;
    };
    walk(parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')), '', chartSchema);
    expect(leaves.length).to.be.greaterThan(30);
    for (const key of [...leaves, ...Object.keys(chartSchema.properties)]) {
      expect(readme, key).to.match(new RegExp(`^\\| \`${key.replaceAll('.', '\\.')}(\\.[^\`]+)?\` \\|`, 'm'));
    }
  });
});
