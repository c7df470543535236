// Every example in README.md and in the Markdown pages under docs/ is applied or run (an example
// that moved from the README to a docs/ page is still tested there):
// - each ```yaml block: an EcsScheduledTask is applied with `kubectl apply --dry-run=server` (in
//   this suite's namespace) and checked by `ecs-scheduler validate`; a spec fragment is embedded
//   into a minimal resource first;
// - each EcsSchedulerPolicy in a ```yaml block is validated offline and applied with --dry-run=server;
// - each ```json block parses;
// - each ```console block: the `$ node bin/ecs-scheduler.js ...` lines are run as written, and
//   their output must equal the lines the page shows under them; `$ kubectl get est` is run
//   against the README's first example and its columns compared;
// - each command in a ```sh block is either run here or named in COVERED_ELSEWHERE with the test
//   that runs it, so a new command in the docs fails this test until someone decides how it is tested.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BACKFILL_KIND, CALENDAR_KIND, POLICY_KIND } from '../../src/api/constants.js';
import { validateBackfill } from '../../src/api/backfill-validation.js';
import { validateCalendar } from '../../src/api/calendar-validation.js';
import { validatePolicy } from '../../src/api/policy-validation.js';
import { scheduleSummary } from '../../src/schedule/schedule-union.js';
import { codeBlocks, markdownFiles, readText } from '../support/markdown.js';
import {
  REPO_ROOT,
  captureRun,
  kubectl,
  kubectlOk,
  loadTestEnv,
  useTestNamespace,
  type CapturedRun,
} from './support/index.js';

/** An EcsSchedulerPolicy document (the Multi-tenant clusters section): checked on its own. */
function isPolicy(doc: unknown): boolean {
  return (doc as { kind?: unknown } | null)?.kind === POLICY_KIND;
}

/** An EcsTaskBackfill document (docs/concepts/backfill.md): checked on its own. */
function isBackfill(doc: unknown): boolean {
  return (doc as { kind?: unknown } | null)?.kind === BACKFILL_KIND;
}

function isCalendar(doc: unknown): boolean {
  return (doc as { kind?: unknown } | null)?.kind === CALENDAR_KIND;
}

/** A code block of one of the files, with where it is, for messages. */
interface Block {
  readonly lang: string;
  readonly body: string;
  /** `file:line` of the opening fence. */
  readonly at: string;
}

const FILES = markdownFiles(REPO_ROOT);
/** Every file's text, for examples given in the prose rather than in a block. */
const ALL_TEXT = FILES.map((f) => readText(REPO_ROOT, f)).join('\n');
const blocks: Block[] = FILES.flatMap((file) =>
  codeBlocks(readText(REPO_ROOT, file)).map((b) => ({ lang: b.lang, body: b.body, at: `${file}:${b.line}` })),
);

/** Runs a shell command line as a user would type it, from the repository root. */
function sh(command: string, env: Record<string, string> = {}): Promise<CapturedRun> {
  return captureRun('bash', ['-c', command], { env: { ...process.env, ...env } });
}

interface ConsoleExample {
  readonly command: string;
  readonly output: string[];
  readonly at: string;
}

function consoleExamples(): ConsoleExample[] {
  const examples: ConsoleExample[] = [];
  for (const b of blocks.filter((x) => x.lang === 'console')) {
    let current: { command: string; output: string[]; at: string } | undefined;
    for (const l of b.body.split('\n')) {
      if (l.startsWith('$ ')) {
        if (current) examples.push(current);
        current = { command: l.slice(2), output: [], at: b.at };
      } else if (current && l !== '') {
        current.output.push(l);
      }
    }
    if (current) examples.push(current);
  }
  return examples;
}

/**
 * Commands in ```sh blocks that this file does not run, and where they are run instead. A command
 * that matches neither this list nor RUN_HERE fails the last test.
 */
const COVERED_ELSEWHERE: [RegExp, string][] = [
  [
    /^npm ci && npm run build && npm start$/,
    "test/integration/standalone-run.test.ts runs `npm start`'s command",
  ],
  [/^npm ci && npm test$/, 'the suite itself (this file is part of `npm test`)'],
  [/^kubectl apply -k manifests\/$/, 'test/integration/manifests.test.ts'],
  [
    /^helm install ecs-scheduler charts\/ecs-scheduler /,
    'test/integration/helm-chart.test.ts renders the chart with these values and applies it with --dry-run=server',
  ],
  [
    /^kubectl apply --server-side -f charts\/ecs-scheduler\/crds\/$/,
    'test/integration/helm-chart.test.ts applies the chart with its CRDs (server dry run)',
  ],
  [
    /^kubectl ecs-scheduler backfill /,
    'test/integration/backfill.test.ts creates a backfill with the verb against the real API server; test/unit/cli/backfill-command.test.ts checks its flags',
  ],
  [
    /^ecs-scheduler run --sharding$/,
    'test/integration/controller-sharding.test.ts starts three replicas with --sharding against the real API server',
  ],
  [
    /^kubectl get leases -l ecs-scheduler\.dev\/shard-ring=/,
    "test/integration/controller-sharding.test.ts lists the ring's Leases by this label selector",
  ],
  [/^docker buildx /, 'not run by the tests: it needs a Docker daemon with buildx and a registry'],
  [
    /^(npm ci && npm pack && npm install -g \.\/ecs-scheduler-[\d.]+\.tgz|ecs-scheduler --version && kubectl ecs-scheduler --help)$/,
    'test/integration/npm-package.test.ts packs a copy of the checkout, installs the tarball globally on an empty prefix and runs both commands',
  ],
  [
    /^npm install -g ecs-scheduler$/,
    'not run by the tests: the registry holds a published release; test/integration/npm-package.test.ts installs the tarball that `npm publish` would upload',
  ],
  [
    /^helm package charts\/ecs-scheduler$/,
    'test/integration/helm-package.test.ts packages the chart and installs the archive (server dry run)',
  ],
  [/^helm (registry login|push) /, 'not run by the tests: it needs an OCI registry account'],
  [
    /^(aws (sqs|events) |--(event-pattern|targets) )/,
    'not run by the tests: EventBridge needs an AWS account; test/integration/task-events-queue.test.ts feeds the queue the events such a rule delivers',
  ],
  [
    /^node scripts\/with-testenv\.js npm run bench:kube -- .+$/,
    'test/integration/kube-connections-bench.test.ts runs the benchmark as a short smoke',
  ],
  [
    /^(npm run build|node scripts\/with-testenv\.js npm run bench:controller -- .+)$/,
    'test/integration/controller-bench.test.ts runs the benchmark as a short smoke; the long runs are not for CI',
  ],
  [
    /^node scripts\/cpuprofile-top\.js (--top \d+|--callers \S+) /,
    'test/unit/scripts/cpuprofile-top.test.ts runs the summariser on a profile it writes',
  ],
  [
    /^node bin\/ecs-scheduler\.js (run --manifests|status --state)/,
    'test/integration/standalone-run.test.ts',
  ],
  [/^(ecs-scheduler import|curl -s '.*\/jobs)/, 'test/unit/cli/import-command.test.ts (no old service here)'],
  [/^kubectl apply --server-side -f jobs\.yaml/, 'test/unit/cli/import-command.test.ts output is validated'],
  [
    /^(npm run testenv:(up|down)|source \.testenv\/env\.sh|kubectl get est -A)/,
    'scripts/with-testenv.js (the harness)',
  ],
];
const RUN_HERE: RegExp[] = [
  /^node bin\/ecs-scheduler\.js validate examples\//,
  /^kubectl apply -f examples\/policies\/policy\.yaml$/,
  /^kubectl annotate est nightly-report ecs-scheduler\.dev\/run-now=/,
];

function shCommands(): { command: string; at: string }[] {
  return blocks
    .filter((b) => b.lang === 'sh')
    .flatMap((b) =>
      b.body
        .split('\n')
        .map((l) => l.replace(/\s+#.*$/, '').trim())
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((command) => ({ command, at: b.at })),
    );
}

interface Est {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec: Record<string, unknown>;
}

describe('documentation examples, README.md and docs/ (real API server)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('readme');
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-readme-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads README.md and the docs/ pages, and has the examples this test knows how to check', () => {
    expect(FILES[0]).to.equal('README.md');
    expect(FILES).to.include('docs/operating/tenancy.md');
    expect(blocks.filter((b) => b.lang === 'yaml').length).to.be.at.least(3);
    expect(consoleExamples().length).to.be.at.least(3);
    const unknown = blocks.filter((b) => !['yaml', 'json', 'console', 'sh', 'text'].includes(b.lang));
    expect(
      unknown.map((b) => `${b.at}: \`\`\`${b.lang || '(no language)'}`),
      'code blocks without a language this test handles',
    ).to.deep.equal([]);
  });

  /** Every ```yaml block as resources in this namespace: full ones as written, fragments embedded. */
  function yamlExamples(): { resource: Est; at: string; fragment: boolean }[] {
    return blocks
      .filter((b) => b.lang === 'yaml')
      .flatMap((b, i) =>
        parseAllDocuments(b.body)
          .filter((d) => !isPolicy(d.toJS()) && !isBackfill(d.toJS()) && !isCalendar(d.toJS()))
          .map((d, j) => {
            const doc = d.toJS() as Partial<Est> | null;
            if (doc?.kind === 'EcsScheduledTask') {
              expect(doc.apiVersion, b.at).to.equal('ecs-scheduler.dev/v1alpha1');
              return {
                resource: { ...doc, metadata: { ...doc.metadata!, namespace: ns.name } } as Est,
                at: b.at,
                fragment: false,
              };
            }
            if (doc && !doc.kind && doc.spec) {
              const task = { taskDefinition: 'sleeper-task', ...(doc.spec.task as object | undefined) };
              return {
                resource: {
                  apiVersion: 'ecs-scheduler.dev/v1alpha1',
                  kind: 'EcsScheduledTask',
                  metadata: { name: `readme-fragment-${i}-${j}`, namespace: ns.name },
                  spec: { ...doc.spec, task },
                },
                at: b.at,
                fragment: true,
              };
            }
            throw new Error(`${b.at}: a YAML example that is neither an EcsScheduledTask nor a spec`);
          }),
      );
  }

  it('every YAML example applies with kubectl apply --dry-run=server', async () => {
    const examples = yamlExamples();
    expect(examples.filter((e) => !e.fragment).length).to.be.at.least(2);
    for (const e of examples) {
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
        input: JSON.stringify(e.resource),
      });
      expect(r.code, `${e.at}: ${r.stderr}`).to.equal(0);
      expect(r.stdout).to.contain('(server dry run)');
    }
  });

  it('every YAML example passes `ecs-scheduler validate` (the offline checks)', async () => {
    const examples = yamlExamples();
    // JSON is YAML; validate reads the folder's .yaml files.
    for (const [i, e] of examples.entries())
      writeFileSync(join(dir, `example-${i}.yaml`), JSON.stringify(e.resource));
    const r = await sh(`node bin/ecs-scheduler.js validate ${dir}`);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  it('every EcsSchedulerPolicy example is valid offline and applies with --dry-run=server', async () => {
    const policies = blocks
      .filter((b) => b.lang === 'yaml')
      .flatMap((b) => parseAllDocuments(b.body).map((d) => ({ doc: d.toJS() as unknown, at: b.at })))
      .filter((p) => isPolicy(p.doc));
    expect(policies.length, 'the Multi-tenant clusters section shows a policy').to.be.at.least(1);
    for (const p of policies) {
      expect(validatePolicy(p.doc), p.at).to.deep.equal([]);
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(p.doc) });
      expect(r.code, `${p.at}: ${r.stderr}`).to.equal(0);
    }
  });

  it('every EcsTaskBackfill example is valid offline and applies with --dry-run=server', async () => {
    const backfills = blocks
      .filter((b) => b.lang === 'yaml')
      .flatMap((b) => parseAllDocuments(b.body).map((d) => ({ doc: d.toJS() as unknown, at: b.at })))
      .filter((p) => isBackfill(p.doc));
    expect(backfills.length, 'docs/concepts/backfill.md shows a backfill').to.be.at.least(1);
    for (const p of backfills) {
      expect(validateBackfill(p.doc), p.at).to.deep.equal([]);
      const doc = p.doc as { metadata: Record<string, unknown> };
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
        input: JSON.stringify({ ...doc, metadata: { ...doc.metadata, namespace: ns.name } }),
      });
      expect(r.code, `${p.at}: ${r.stderr}`).to.equal(0);
    }
  });

  it('every EcsScheduleCalendar example is valid offline and applies with --dry-run=server', async () => {
    const calendars = blocks
      .filter((b) => b.lang === 'yaml')
      .flatMap((b) => parseAllDocuments(b.body).map((d) => ({ doc: d.toJS() as Est, at: b.at })))
      .filter((c) => isCalendar(c.doc));
    expect(calendars.length, 'docs/concepts/calendars.md shows a calendar').to.be.at.least(1);
    for (const c of calendars) {
      const doc = { ...c.doc, metadata: { ...c.doc.metadata, namespace: ns.name } };
      expect(validateCalendar(doc), c.at).to.deep.equal([]);
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(doc) });
      expect(r.code, `${c.at}: ${r.stderr}`).to.equal(0);
    }
  });

  it('every JSON example parses', () => {
    const json = blocks.filter((b) => b.lang === 'json');
    expect(json.length).to.be.at.least(1);
    for (const b of json) expect(() => JSON.parse(b.body) as unknown, b.at).to.not.throw();
  });

  describe('console examples', () => {
    for (const example of consoleExamples()) {
      if (example.command.startsWith('node bin/ecs-scheduler.js ')) {
        it(`$ ${example.command} (${example.at})`, async () => {
          const r = await sh(example.command);
          expect(r.code, r.stderr).to.equal(0);
          expect(r.stdout.trimEnd().split('\n'), example.at).to.deep.equal(example.output);
        });
      } else if (example.command === 'kubectl get est') {
        it('$ kubectl get est (the first YAML example, applied for real)', async () => {
          const first = yamlExamples().find((e) => !e.fragment)!.resource;
          await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(first) });
          // SCHEDULE reads status.scheduleSummary: write it as the controller's first pass does.
          await kubectlOk([
            'patch',
            'est',
            first.metadata.name,
            '-n',
            ns.name,
            '--subresource=status',
            '--type=merge',
            '-p',
            JSON.stringify({ status: { scheduleSummary: scheduleSummary(first.spec) } }),
          ]);
          const out = await kubectlOk(['get', 'est', '-n', ns.name]);
          const columns = (l: string) => l.trim().split(/\s{2,}/);
          const [header, row] = out.trimEnd().split('\n');
          expect(columns(header!), 'the printer columns').to.deep.equal(columns(example.output[0]!));
          // NAME, SCHEDULE, SUSPEND: the rest come from status (no controller runs here) or time.
          expect(columns(row!).slice(0, 3)).to.deep.equal(columns(example.output[1]!).slice(0, 3));
        });
      } else {
        it(`$ ${example.command}`, () => {
          throw new Error(`${example.at}: no way to run this console example; add one here`);
        });
      }
    }
  });

  describe('sh commands', () => {
    it('node bin/ecs-scheduler.js validate examples/ exits 0', async () => {
      const r = await sh('node bin/ecs-scheduler.js validate examples/');
      expect(r.code, r.stdout + r.stderr).to.equal(0);
    });

    it('kubectl annotate est nightly-report ecs-scheduler.dev/run-now=... --overwrite', async () => {
      const command = shCommands().find((c) =>
        c.command.startsWith('kubectl annotate est nightly-report'),
      )!.command;
      const first = yamlExamples().find((e) => e.resource.metadata.name === 'nightly-report')!.resource;
      await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(first) });
      const r = await sh(command.replace(/^kubectl /, `kubectl -n ${ns.name} `), {
        KUBECONFIG: loadTestEnv().kubeconfigPath,
      });
      expect(r.code, r.stderr).to.equal(0);
      const value = await kubectlOk([
        'get',
        'est',
        'nightly-report',
        '-n',
        ns.name,
        '-o',
        'jsonpath={.metadata.annotations.ecs-scheduler\\.dev/run-now}',
      ]);
      expect(value).to.match(/^\d{10}$/);
    });

    it('kubectl apply -f examples/policies/policy.yaml applies (server dry run: the policy is cluster-wide)', async () => {
      const command = shCommands().find((c) =>
        c.command.startsWith('kubectl apply -f examples/policies/policy.yaml'),
      )!;
      const r = await sh(`${command.command} --dry-run=server`, { KUBECONFIG: loadTestEnv().kubeconfigPath });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(
        /ecsschedulerpolicy\.ecs-scheduler\.dev\/examples created \(server dry run\)/,
      );
    });

    it('`node bin/ecs-scheduler.js crd | kubectl apply -f -` (in the prose) applies', async () => {
      expect(ALL_TEXT).to.contain('`node bin/ecs-scheduler.js crd | kubectl apply -f -`');
      const r = await sh('node bin/ecs-scheduler.js crd | kubectl apply --dry-run=server -f -', {
        KUBECONFIG: loadTestEnv().kubeconfigPath,
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(
        'customresourcedefinition.apiextensions.k8s.io/ecsscheduledtasks.ecs-scheduler.dev',
      );
    });

    it('every other sh command is run by another test (COVERED_ELSEWHERE)', () => {
      const unhandled = shCommands().filter(
        (c) =>
          !RUN_HERE.some((re) => re.test(c.command)) && !COVERED_ELSEWHERE.some(([re]) => re.test(c.command)),
      );
      expect(
        unhandled.map((c) => `${c.at}: ${c.command}`),
        'commands in the docs that no test runs',
      ).to.deep.equal([]);
    });
  });
});
