import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { buildCrd } from '../../../src/api/crd.js';
import { crdYaml } from '../../../src/api/crd-yaml.js';

type Schema = Record<string, unknown>;

function walk(schema: Schema, path: string, visit: (s: Schema, path: string) => void): void {
  visit(schema, path);
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>))
    walk(sub, `${path}.${name}`, visit);
  if (schema.items) walk(schema.items as Schema, `${path}[]`, visit);
  if (typeof schema.additionalProperties === 'object')
    walk(schema.additionalProperties as Schema, `${path}{}`, visit);
}

const version = (buildCrd().spec as { versions: Schema[] }).versions[0]!;
const root = (version.schema as { openAPIV3Schema: Schema }).openAPIV3Schema;
const props = root.properties as Record<string, Schema>;

describe('CRD generated from the schema', () => {
  it('matches the checked-in crds/ecsscheduledtasks.yaml and the kustomize copy', async () => {
    expect(await readFile('crds/ecsscheduledtasks.yaml', 'utf8')).to.equal(crdYaml());
    expect(await readFile('manifests/crd/ecsscheduledtasks.yaml', 'utf8')).to.equal(crdYaml());
  });

  it('describes every field of spec and status, so kubectl explain is useful', () => {
    const missing: string[] = [];
    for (const part of ['spec', 'status'] as const)
      walk(props[part]!, part, (s, path) => {
        if (typeof s.description !== 'string' || s.description.length === 0) missing.push(path);
      });
    expect(missing).to.deep.equal([]);
  });

  it('is structural: no $ref, and no additionalProperties beside properties', () => {
    const problems: string[] = [];
    walk(root, 'root', (s, path) => {
      if ('$ref' in s) problems.push(`${path}: $ref`);
      if (s.properties && 'additionalProperties' in s)
        problems.push(`${path}: additionalProperties beside properties`);
      if (s.type === undefined && path !== 'root') problems.push(`${path}: no type`);
    });
    expect(problems).to.deep.equal([]);
  });

  it('carries the CEL cross-field rules where they apply', () => {
    const spec = props.spec!;
    const rules = (s: Schema) =>
      ((s['x-kubernetes-validations'] ?? []) as { rule: string }[]).map((r) => r.rule);
    expect(rules(spec).join(' ')).to.contain('self.maxCount >=').and.to.contain('timestamp(self.endTime)');
    const task = (spec.properties as Record<string, Schema>).task!;
    expect(rules(task).join(' ')).to.contain('launchType').and.to.contain('capacityProviderStrategy');
    const sqs = ((spec.properties as Record<string, Schema>).trigger!.properties as Record<string, Schema>)
      .sqs!;
    expect(rules(sqs)).to.deep.equal(['has(self.queueName) != has(self.queueUrl)']);
  });

  it('has the status subresource, printer columns, short names and a category', () => {
    const crd = parse(crdYaml()) as { spec: { names: Schema; versions: Schema[] } };
    expect(crd.spec.versions[0]!.subresources).to.deep.equal({ status: {} });
    const columns = (crd.spec.versions[0]!.additionalPrinterColumns as { name: string }[]).map((c) =>
      c.name.toUpperCase(),
    );
    expect(columns).to.deep.equal([
      'SCHEDULE',
      'TIMEZONE',
      'RESOLVED',
      'SUSPEND',
      'ACTIVE',
      'LAST SCHEDULE',
      'NEXT',
      'LAST RESULT',
      'READY',
      'AGE',
      'MESSAGE',
    ]);
    expect(crd.spec.names.shortNames).to.include('est');
    expect(crd.spec.names.categories).to.include('ecs-scheduler');
  });

  it('declares exit codes as a map of integers', () => {
    const runs = (props.status!.properties as Record<string, Schema>).runs!;
    const task = (((runs.items as Schema).properties as Record<string, Schema>).tasks!.items as Schema)
      .properties as Record<string, Schema>;
    expect(task.exitCodes).to.have.property('type', 'object');
    expect(task.exitCodes).to.have.nested.property('additionalProperties.type', 'integer');
  });
});
