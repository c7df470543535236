// The documentation holds together: every relative link and #anchor in README.md and docs/**/*.md
// resolves (with GitHub's anchor rules), every alert's runbook_url lands on a heading of the docs,
// and the README stays a short entry point from which the spec reference, the Helm deployment and
// the runbooks are one click away.
import { expect } from 'chai';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../integration/support/env.js';
import { headingAnchors, links, markdownFiles, readText } from '../../support/markdown.js';

const FILES = markdownFiles(REPO_ROOT);
const REPO_URL = 'https://github.com/ecs-scheduler/ecs-scheduler/blob/main/';

const anchorsCache = new Map<string, Set<string>>();
function anchorsOf(path: string): Set<string> {
  let anchors = anchorsCache.get(path);
  if (!anchors) {
    anchors = headingAnchors(readText(REPO_ROOT, path));
    anchorsCache.set(path, anchors);
  }
  return anchors;
}

/** Why `target`, linked from `from`, does not resolve; undefined when it does. */
function brokenLink(from: string, target: string): string | undefined {
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const path = pathPart === '' ? from : normalize(join(dirname(from), decodeURI(pathPart)));
  if (path.startsWith('..')) return `${path} is outside the repository`;
  if (!existsSync(join(REPO_ROOT, path))) return `${path} does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(join(REPO_ROOT, path)).isDirectory() || !path.endsWith('.md'))
    return `#${anchor} on ${path}, which is not a Markdown file`;
  return anchorsOf(path).has(anchor) ? undefined : `${path} has no heading for #${anchor}`;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe('documentation links', () => {
  it('covers README.md and the docs/ pages', () => {
    expect(FILES[0]).to.equal('README.md');
    expect(FILES.filter((f) => f.startsWith('docs/')).length).to.be.at.least(10);
  });

  for (const file of FILES) {
    it(`${file}: every relative link and #anchor resolves`, () => {
      const broken = links(readText(REPO_ROOT, file))
        .filter((l) => !isExternal(l.target))
        .map((l) => ({ ...l, why: brokenLink(file, l.target) }))
        .filter((l) => l.why !== undefined)
        .map((l) => `${file}:${l.line}: (${l.target}) ${l.why}`);
      expect(broken).to.deep.equal([]);
    });
  }

  it('the checker itself: a missing file, a missing anchor and a repeated heading', () => {
    expect(brokenLink('README.md', 'docs/nowhere.md')).to.equal('docs/nowhere.md does not exist');
    expect(brokenLink('README.md', 'docs/operating/runbooks.md#no-such-alert')).to.equal(
      'docs/operating/runbooks.md has no heading for #no-such-alert',
    );
    expect(brokenLink('docs/operating/helm.md', '../../README.md#the-two-commands')).to.equal(undefined);
    expect(headingAnchors('# A\n## Schedules\n```sh\n# not a heading\n```\n## Schedules\n')).to.deep.equal(
      new Set(['a', 'schedules', 'schedules-1']),
    );
    expect(headingAnchors('### `spec.task.overrides.containerOverrides[].name`\n')).to.deep.equal(
      new Set(['spectaskoverridescontaineroverridesname']),
    );
  });
});

interface Rule {
  alert?: string;
  annotations?: { runbook_url?: string };
}

/** The alerts of every place that ships them: kustomize's component and the chart's copy. */
const ALERT_FILES = [
  'manifests/components/prometheus/prometheus-rule.yaml',
  'charts/ecs-scheduler/files/prometheus-rules.yaml',
];

function alertsOf(path: string): Rule[] {
  const doc = parseYaml(readText(REPO_ROOT, path)) as {
    spec?: { groups: { rules: Rule[] }[] };
    groups?: { rules: Rule[] }[];
  };
  return (doc.spec?.groups ?? doc.groups ?? []).flatMap((g) => g.rules).filter((r) => r.alert);
}

describe("alerts' runbook_urls", () => {
  for (const file of ALERT_FILES) {
    it(`${file}: every runbook_url is a heading of a docs/ page in this repository`, () => {
      const rules = alertsOf(file);
      expect(rules.length).to.be.at.least(7);
      for (const r of rules) {
        const url = r.annotations?.runbook_url ?? '';
        expect(url, `${r.alert}: runbook_url`).to.match(
          new RegExp(`^${REPO_URL.replaceAll('.', '\\.')}docs/.+\\.md#.+$`),
        );
        const target = url.slice(REPO_URL.length);
        expect(brokenLink('README.md', target), `${r.alert}: ${url}`).to.equal(undefined);
      }
    });
  }
});

describe('README.md as the entry point', () => {
  const readme = readText(REPO_ROOT, 'README.md');
  const targets = links(readme).map((l) => l.target);

  it('is at most 200 lines', () => {
    expect(readme.trimEnd().split('\n').length).to.be.at.most(200);
  });

  it('links straight to the spec reference, the Helm deployment and the EcsScheduledTaskLastRunFailed runbook', () => {
    expect(targets).to.include('docs/reference/ecsscheduledtask.md');
    expect(targets).to.include('docs/operating/helm.md');
    expect(targets).to.include('docs/operating/runbooks.md#ecsscheduledtasklastrunfailed');
  });

  it('keeps the two commands, as .ci/run runs the second one verbatim', () => {
    expect(readme).to.contain('```sh\nnpm ci && npm run build && npm start\n```');
    expect(readme).to.contain('```sh\nnpm ci && npm test\n```');
    expect(readText(REPO_ROOT, '.ci/run')).to.contain('{ npm ci && npm test; }');
  });
});
