// The spec reference (docs/reference/*.md) is generated from the schema the CRDs come from: the
// checked-in pages must be what the generator gives now (as `npm run crd:check` requires in CI),
// and every field the CRDs declare must have its section, with what the CRD says about it.
import { expect } from 'chai';
import { buildCrd, buildPolicyCrd } from '../../../src/api/crd.js';
import { REPO_ROOT } from '../../integration/support/env.js';
import { anchorOfPath, referenceDrift, referencePages } from '../../../scripts/generate-reference.js';
import { headingAnchors } from '../../support/markdown.js';

type JsonSchema = Record<string, unknown>;

/** Every field path of a CRD schema, `[]` for array items, as the reference names them. */
function crdPaths(schema: JsonSchema, path: string): string[] {
  const props = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const items = schema.items as JsonSchema | undefined;
  return [
    path,
    ...Object.entries(props).flatMap(([name, sub]) => crdPaths(sub, `${path}.${name}`)),
    ...Object.entries((items?.properties as Record<string, JsonSchema> | undefined) ?? {}).flatMap(
      ([name, sub]) => crdPaths(sub, `${path}[].${name}`),
    ),
  ];
}

function openApi(crd: Record<string, unknown>): JsonSchema {
  const versions = (crd.spec as { versions: { schema: { openAPIV3Schema: JsonSchema } }[] }).versions;
  return versions[0]!.schema.openAPIV3Schema;
}

const page = (name: string) =>
  referencePages().find((p) => p.target === `docs/reference/${name}.md`)!.content;

describe('spec reference (scripts/generate-reference.ts)', () => {
  it('docs/reference/ is what the schema gives now (npm run docs:generate)', () => {
    expect(referenceDrift(REPO_ROOT).map((p) => p.target)).to.deep.equal([]);
  });

  for (const [name, crd, roots] of [
    ['ecsscheduledtask', buildCrd(), ['spec', 'status']],
    ['ecsschedulerpolicy', buildPolicyCrd(), ['spec']],
  ] as const) {
    it(`${name}.md has a section for every field of the CRD`, () => {
      const anchors = headingAnchors(page(name));
      const schema = openApi(crd).properties as Record<string, JsonSchema>;
      const paths = roots.flatMap((root) => crdPaths(schema[root]!, root));
      expect(paths.length).to.be.at.least(20);
      expect(paths.filter((p) => !anchors.has(anchorOfPath(p)))).to.deep.equal([]);
    });
  }

  it("a section gives the field's description, type, default, allowed values and limits", () => {
    const section = (path: string) => {
      const text = page('ecsscheduledtask');
      const start = text.indexOf(`### \`${path}\`\n`);
      expect(start, path).to.be.greaterThan(-1);
      const end = text.indexOf('\n### ', start + 1);
      return text.slice(start, end === -1 ? undefined : end);
    };
    const concurrency = section('spec.concurrencyPolicy');
    expect(concurrency).to.contain('What to do when a run is due while earlier tasks still run');
    expect(concurrency).to.contain('| default | `"Allow"` |');
    expect(concurrency).to.contain('| one of | `Allow`, `Forbid`, `Replace`, `TopUp`, `BufferOne` |');
    expect(section('spec.taskCount')).to.contain('| value | 1 to 1000 |');
    expect(section('spec.task.taskDefinition')).to.contain('| required | yes |');
    expect(section('spec.task.networkConfiguration.awsvpcConfiguration.subnets')).to.contain(
      '| items | 1 to 16 items |',
    );
    expect(section('spec.trigger.sqs.region')).to.contain('| pattern |');
    expect(section('spec')).to.contain('maxCount is required when a trigger is set');
  });
});
