// Chart.yaml's Artifact Hub annotations describe the chart to people browsing Artifact Hub; they
// are hand-written, so these checks keep them true: the image is the one values.yaml installs, the
// CRDs listed are the ones in crds/, the CRD examples are valid resources, and the versions and
// licence are the npm package's.
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validatePolicy } from '../../../src/api/policy-validation.js';
import { validateResource } from '../../../src/api/validation.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHART = join(ROOT, 'charts', 'ecs-scheduler');
const read = (path: string) => readFileSync(path, 'utf8');

interface Chart {
  version: string;
  appVersion: string;
  annotations: Record<string, string>;
}
const chart = parse(read(join(CHART, 'Chart.yaml'))) as Chart;
const annotation = <T>(name: string): T => {
  const text = chart.annotations[`artifacthub.io/${name}`];
  if (text === undefined) throw new Error(`Chart.yaml has no artifacthub.io/${name} annotation`);
  return parse(text) as T;
};
const pkg = JSON.parse(read(join(ROOT, 'package.json'))) as { version: string; license: string };

describe('Helm chart metadata (Chart.yaml, Artifact Hub annotations)', () => {
  it("versions and licence are the npm package's", () => {
    expect(chart.version).to.equal(pkg.version);
    expect(chart.appVersion).to.equal(pkg.version);
    expect(chart.annotations['artifacthub.io/license']).to.equal(pkg.license);
  });

  it('artifacthub.io/images names the image values.yaml installs by default', () => {
    const values = parse(read(join(CHART, 'values.yaml'))) as { image: { repository: string; tag: string } };
    const images = annotation<{ name: string; image: string }[]>('images');
    expect(images.map((i) => i.image)).to.deep.equal([
      `${values.image.repository}:${values.image.tag || chart.appVersion}`,
    ]);
  });

  it('artifacthub.io/crds lists exactly the CRDs in crds/', () => {
    const files = readdirSync(join(CHART, 'crds')).map(
      (f) =>
        parse(read(join(CHART, 'crds', f))) as {
          metadata: { name: string };
          spec: { names: { kind: string }; versions: { name: string }[] };
        },
    );
    const listed = annotation<{ kind: string; version: string; name: string }[]>('crds');
    expect(listed.map((c) => `${c.kind} ${c.version} ${c.name}`).sort()).to.deep.equal(
      files.map((f) => `${f.spec.names.kind} ${f.spec.versions[0]!.name} ${f.metadata.name}`).sort(),
    );
  });

  it('artifacthub.io/crdsExamples has one valid example per CRD kind', () => {
    const examples = annotation<{ kind: string }[]>('crdsExamples');
    expect(examples.map((e) => e.kind).sort()).to.deep.equal(['EcsScheduledTask', 'EcsSchedulerPolicy']);
    for (const e of examples) {
      const issues = e.kind === 'EcsScheduledTask' ? validateResource(e) : validatePolicy(e);
      expect(issues, e.kind).to.deep.equal([]);
    }
  });

  it('artifacthub.io/links and artifacthub.io/changes are in the shape Artifact Hub reads', () => {
    for (const link of annotation<{ name: string; url: string }[]>('links')) {
      expect(link.name).to.be.a('string').and.not.equal('');
      expect(link.url).to.match(/^https:\/\//);
    }
    const changes = annotation<{ kind: string; description: string }[]>('changes');
    expect(changes).to.have.length.greaterThan(0);
    for (const c of changes) {
      expect(c.kind).to.be.oneOf(['added', 'changed', 'deprecated', 'removed', 'fixed', 'security']);
      expect(c.description).to.be.a('string').and.not.equal('');
    }
  });
});
