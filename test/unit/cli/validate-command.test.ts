import { expect } from 'chai';
import { recordingIo } from '../../support/recording-io.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCommand } from '../../../src/cli/validate-command.js';

const good = `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: ok}
spec: {schedule: '@daily', task: {taskDefinition: t}}
`;

describe('ecs-scheduler validate', () => {
  it('accepts every example under examples/', async () => {
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand(['examples'], io), io.err).to.equal(0);
    expect(io.err).to.match(
      /[1-9]\d* EcsScheduledTask and [1-9]\d* EcsSchedulerPolicy document\(s\) checked, 0 of other kinds skipped, 0 error\(s\)/,
    );
  });

  it('reports file:line:column: field: problem for each error, and lists skipped kinds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    const file = join(dir, 'jobs.yaml');
    await writeFile(
      file,
      `${good}---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
---
apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: bad}
spec:
  schedule: '0 0 31 2 *'
  taskCount: 0
  task: {}
`,
    );
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand([dir], io)).to.equal(1);
    expect(io.err.split('\n')).to.deep.equal([
      `${file}:6:1: skipped: kind ConfigMap (v1) is not EcsScheduledTask or EcsSchedulerPolicy`,
      `${file}:15:14: spec.taskCount: must be >= 1`,
      `${file}:16:9: spec.task.taskDefinition: required field is missing`,
      '2 EcsScheduledTask and 0 EcsSchedulerPolicy document(s) checked, 1 of other kinds skipped, 2 error(s)',
      '',
    ]);
  });

  it('checks spec.schedules: each expression by its index, and exactly one of schedule and schedules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    const file = join(dir, 'schedules.yaml');
    await writeFile(
      file,
      `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: listed}
spec: {schedules: ['0 8 * * 1-5', 'cron(0 10 ? * SAT *)'], maxRuns: 3, catchup: {maxRuns: 2}, concurrencyPolicy: BufferOne, task: {taskDefinition: t}}
---
apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: bad}
spec:
  schedules: ['@daily', '0 0 30 2 *']
  task: {taskDefinition: t}
---
apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: both}
spec:
  schedule: '@daily'
  schedules: ['@hourly']
  task: {taskDefinition: t}
`,
    );
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand([dir], io)).to.equal(1);
    const lines = io.err.split('\n');
    expect(
      lines.some((l) => /spec\.schedules\[1\]: "0 0 30 2 \*" never fires/.test(l)),
      io.err,
    ).to.equal(true);
    expect(
      lines.some((l) => /spec\.schedules: exactly one of schedule and schedules/.test(l)),
      io.err,
    ).to.equal(true);
    expect(io.err).to.match(
      /3 EcsScheduledTask and 0 EcsSchedulerPolicy document\(s\) checked, 0 of other kinds skipped, 2 error\(s\)/,
    );
  });

  const metadataCases = [
    {
      name: 'a name with upper case and _',
      metadata: '{name: Bad_Name}',
      error: ':3:18: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain',
    },
    {
      name: 'a name longer than 253',
      metadata: `{name: ${'a'.repeat(254)}}`,
      error: 'metadata.name: Invalid value: "aaaa',
    },
    {
      name: 'a namespace with a dot (a label, not a subdomain)',
      metadata: '{name: ok, namespace: team.data}',
      error: ':3:33: metadata.namespace: Invalid value: "team.data": a lowercase RFC 1123 label',
    },
    {
      name: 'a label value with a space',
      metadata: '{name: ok, labels: {team: "data eng"}}',
      error: 'metadata.labels.team: Invalid value: "data eng": a valid label value',
    },
    {
      name: 'a label key with two slashes',
      metadata: '{name: ok, labels: {"a/b/c": x}}',
      error: 'metadata.labels: Invalid value: "a/b/c": prefix part a lowercase RFC 1123 subdomain',
    },
  ];
  for (const c of metadataCases) {
    it(`refuses metadata as the API server does: ${c.name}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'validate-'));
      await writeFile(join(dir, 'a.yaml'), good.replace('{name: ok}', c.metadata));
      const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
      expect(await validateCommand([dir], io), io.err).to.equal(1);
      expect(io.err).to.contain(c.error);
    });
  }

  it('accepts a dotted name, a long label key prefix and an empty label value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    await writeFile(
      join(dir, 'a.yaml'),
      good.replace(
        '{name: ok}',
        '{name: nightly.report-1, namespace: data, labels: {"app.kubernetes.io/name": "", x: y}}',
      ),
    );
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand([dir], io), io.err).to.equal(0);
  });

  it('reports a schedule that never fires and a YAML syntax error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    await writeFile(join(dir, 'a.yaml'), good.replace("'@daily'", "'0 0 31 2 *'"));
    await writeFile(join(dir, 'b.yml'), 'kind: [unclosed\nfoo: bar\n');
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand([dir], io)).to.equal(1);
    expect(io.err).to.match(/a\.yaml:4:18: spec\.schedule: .+/);
    // The whole YAML error: message, position and code frame, not its first line only.
    expect(io.err).to.contain(
      'b.yml:2:1: (yaml): Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1:\n\nkind: [unclosed\nfoo: bar\n^',
    );
  });

  it('checks an EcsSchedulerPolicy too, as a cluster-scoped object', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    const file = join(dir, 'policy.yaml');
    await writeFile(
      file,
      `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsSchedulerPolicy
metadata:
  name: Team_Data
  namespace: data
spec:
  namespaceSelector: {matchLabels: {team: data}}
  bogus: true
`,
    );
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand([file], io)).to.equal(1);
    expect(io.err).to.contain(`${file}:4:9: metadata.name: Invalid value: "Team_Data"`);
    expect(io.err).to.contain(
      `${file}:5:14: metadata.namespace: must not be set: the kind is cluster-scoped`,
    );
    expect(io.err).to.contain(`spec.bogus: unknown field`);
    expect(io.err).to.contain('0 EcsScheduledTask and 1 EcsSchedulerPolicy document(s) checked');
  });

  it('prints its help on stdout and exits 0 with --help', async () => {
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand(['--help'], io)).to.equal(0);
    expect(io.out).to.match(/^Usage: ecs-scheduler validate FILE\|DIR\.\.\./);
    expect(io.err).to.equal('');
  });

  it('exits 2 with usage when given nothing, and on a missing path', async () => {
    expect(await validateCommand([], recordingIo(new Date('2026-11-26T00:00:00Z')))).to.equal(2);
    const io = recordingIo(new Date('2026-11-26T00:00:00Z'));
    expect(await validateCommand(['/nonexistent/path'], io)).to.equal(2);
    expect(io.err).to.contain('/nonexistent/path');
  });
});
