// The EcsTaskBackfill CRD and its offline validator, both from src/api/backfill-schema.ts.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { validateBackfill } from '../../../src/api/backfill-validation.js';
import { buildBackfillCrd } from '../../../src/api/crd.js';
import { backfillCrdYaml } from '../../../src/api/crd-yaml.js';

type Schema = Record<string, unknown>;

function walk(schema: Schema, path: string, visit: (s: Schema, path: string) => void): void {
  visit(schema, path);
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>))
    walk(sub, `${path}.${name}`, visit);
  if (schema.items) walk(schema.items as Schema, `${path}[]`, visit);
}

const crd = buildBackfillCrd() as {
  spec: { scope: string; names: Schema; versions: Schema[] };
};
const version = crd.spec.versions[0]!;
const root = (version.schema as { openAPIV3Schema: Schema }).openAPIV3Schema;
const props = root.properties as Record<string, Schema>;

const valid = {
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsTaskBackfill',
  metadata: { name: 'reports-november', namespace: 'data' },
  spec: {
    taskRef: { name: 'nightly-report' },
    start: '2026-11-01T00:00:00Z',
    end: '2026-12-01T00:00:00Z',
    maxConcurrent: 3,
    rerun: 'MissedAndFailed',
  },
};

describe('EcsTaskBackfill CRD', () => {
  it('matches the checked-in copies (crds/, manifests/crd/, the chart)', async () => {
    for (const file of [
      'crds/ecstaskbackfills.yaml',
      'manifests/crd/ecstaskbackfills.yaml',
      'charts/ecs-scheduler/crds/ecstaskbackfills.yaml',
    ])
      expect(await readFile(file, 'utf8'), file).to.equal(backfillCrdYaml());
  });

  it('is namespaced, plural ecstaskbackfills, with a status subresource and DONE/FAILED columns', () => {
    expect(crd.spec.scope).to.equal('Namespaced');
    expect(crd.spec.names).to.include({ kind: 'EcsTaskBackfill', plural: 'ecstaskbackfills' });
    expect(version.subresources).to.deep.equal({ status: {} });
    const columns = version.additionalPrinterColumns as {
      name: string;
      jsonPath: string;
      priority?: number;
    }[];
    expect(columns.filter((c) => !c.priority).map((c) => c.name)).to.deep.equal([
      'Task',
      'Done',
      'Failed',
      'Running',
      'Complete',
      'Age',
    ]);
    expect(columns.find((c) => c.name === 'Done')!.jsonPath).to.equal('.status.progress');
  });

  it('describes every field, so kubectl explain is useful', () => {
    const missing: string[] = [];
    for (const part of ['spec', 'status'] as const)
      walk(props[part]!, part, (s, path) => {
        if (typeof s.description !== 'string' || s.description.length === 0) missing.push(path);
      });
    expect(missing).to.deep.equal([]);
  });

  it('carries the range rules, naming spec.end, and the immutability rule', () => {
    const rules = (props.spec!['x-kubernetes-validations'] ?? []) as { rule: string; message: string }[];
    expect(rules.map((r) => r.rule)).to.include.members([
      'timestamp(self.end) > timestamp(self.start)',
      'self == oldSelf',
    ]);
    expect(rules.find((r) => r.rule.includes('duration'))!.message).to.contain('spec.end');
  });

  describe('offline validation', () => {
    const cases: [string, (b: typeof valid) => unknown, string[]][] = [
      ['a valid backfill', (b) => b, []],
      [
        'end before start',
        (b) => ({ ...b, spec: { ...b.spec, end: '2026-10-01T00:00:00Z' } }),
        ['spec.end: spec.end must be after spec.start: the range is [start, end)'],
      ],
      [
        'a range over 366 days',
        (b) => ({ ...b, spec: { ...b.spec, end: '2028-01-01T00:00:00Z' } }),
        ['spec.end: spec.end may be at most 366 days after spec.start'],
      ],
      [
        'maxConcurrent 0',
        (b) => ({ ...b, spec: { ...b.spec, maxConcurrent: 0 } }),
        ['spec.maxConcurrent: must be >= 1'],
      ],
      [
        'an unknown rerun mode',
        (b) => ({ ...b, spec: { ...b.spec, rerun: 'Some' } }),
        ['spec.rerun: must be one of "MissedAndFailed", "All"'],
      ],
      [
        'no taskRef',
        (b) => ({ ...b, spec: { ...b.spec, taskRef: undefined } }),
        ['spec.taskRef: required field is missing'],
      ],
    ];
    for (const [name, make, want] of cases) {
      it(name, () => {
        const issues = validateBackfill(JSON.parse(JSON.stringify(make(valid))));
        expect(issues.map((i) => `${i.path}: ${i.message}`)).to.deep.equal(want);
      });
    }
  });
});
