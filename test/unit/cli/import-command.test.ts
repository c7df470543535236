import { expect } from 'chai';
import { recordingIo } from '../../support/recording-io.js';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { validateResource } from '../../../src/api/validation.js';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { createImportCommand, importCommand } from '../../../src/cli/import-command.js';

const fixtures = fileURLToPath(new URL('../../fixtures/old-service/', import.meta.url));

function resources(yamlText: string): EcsScheduledTaskResource[] {
  return parseAllDocuments(yamlText).map((doc) => doc.toJS() as EcsScheduledTaskResource);
}

const byName = (list: EcsScheduledTaskResource[], name: string) => {
  const found = list.find((r) => r.metadata.name === name);
  if (!found) expect.fail(`no resource named ${name}`);
  return found;
};

describe('import command', () => {
  it('converts a saved GET /jobs body to multi-document YAML', async () => {
    const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
    const code = await importCommand(
      [join(fixtures, 'get-jobs-response.json'), '--namespace', 'batch', '--cluster=prod'],
      io,
    );
    expect(code, io.err).to.equal(0);
    const list = resources(io.out);
    expect(list.map((r) => r.metadata.name)).to.deep.equal([
      'long-sleep-task',
      'sleeper-task',
      'nightly-report',
    ]);
    for (const r of list) {
      expect(validateResource(r)).to.deep.equal([]);
      expect(r.metadata.namespace).to.equal('batch');
      expect(r.spec.task.cluster).to.equal('prod');
    }
    const nightly = byName(list, 'nightly-report');
    expect(nightly.spec).to.include({
      schedule: '0 30 2 * * 1-5',
      timeZone: 'Europe/Berlin',
      startTime: '2017-05-01T00:00:00Z',
      endTime: '2018-01-01T00:00:00Z',
      suspend: true,
      taskCount: 2,
      maxCount: 4,
    });
    expect(io.err).to.include('job "Nightly_Report": note: metadata.name is "nightly-report"');
    expect(io.err).to.include('import: converted 3 of 3 job(s)\n');
  });

  it('reads stdin with "-" and converts the usage guide jobs', async () => {
    const text = await readFile(join(fixtures, 'usage-guide-jobs.json'), 'utf8');
    const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
    const code = await createImportCommand({ readStdin: async () => text })(['-'], io);
    expect(code, io.err).to.equal(0);
    const list = resources(io.out);
    expect(byName(list, 'sleeper-task').spec.schedule).to.equal('? */5 * * * *');
    expect(
      byName(list, 'long-sleep-task').spec.task.overrides?.containerOverrides?.[0]?.environment,
    ).to.deep.equal([{ name: 'SLEEP_SECONDS', value: '10' }]);
    expect(byName(list, 'consumer-task').spec).to.deep.include({
      maxCount: 10,
      concurrencyPolicy: 'TopUp',
      startingDeadlineSeconds: 3600,
      trigger: { sqs: { queueName: 'consumer-task-queue', messagesPerTask: 100 } },
    });
  });

  it('reads stdin when no input is named', async () => {
    const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
    const code = await createImportCommand({
      readStdin: async () => '{"taskDefinition": "sleeper-task", "schedule": "9 */5"}',
    })([], io);
    expect(code, io.err).to.equal(0);
    expect(resources(io.out).map((r) => r.spec.schedule)).to.deep.equal(['9 */5 * * * *']);
  });

  it('converts a job exact only inside its year, and refuses one whose weekday its date is not (exit 1)', async () => {
    const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
    const jobs = [
      { id: 'monday-the-3rd', taskDefinition: 't', schedule: '0 14 11/8 mon-fri * 3 APR 2028' },
      { id: 'saturday-the-3rd', taskDefinition: 't', schedule: '0 14 11/8 sat * 3 APR 2028' },
    ];
    const code = await createImportCommand({
      readStdin: async () => jobs.map((j) => JSON.stringify(j)).join('\n'),
    })([], io);
    expect(code).to.equal(1);
    const [converted, ...others] = resources(io.out);
    expect(others).to.deep.equal([]);
    expect(converted?.metadata.name).to.equal('monday-the-3rd');
    expect(converted?.spec.schedule).to.equal('cron(14 11/8 3 4 ? 2028)');
    expect(validateResource(converted as EcsScheduledTaskResource)).to.deep.equal([]);
    expect(io.err).to.include('job "monday-the-3rd": note: schedule: within year "2028"');
    expect(io.err).to.include(
      'job "saturday-the-3rd": schedule: "0 14 11/8 sat * 3 APR 2028" never runs: no date in year "2028" ' +
        'matches day "3" with day_of_week "sat" with month "APR" (2028-04-03 is a Monday)',
    );
  });

  describe('--out DIR', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ecs-scheduler-import-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('writes one <name>.yaml per job', async () => {
      const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
      const out = join(dir, 'manifests');
      const code = await importCommand([join(fixtures, 'usage-guide-jobs.json'), '--out', out], io);
      expect(code, io.err).to.equal(0);
      expect((await readdir(out)).sort()).to.deep.equal([
        'consumer-task.yaml',
        'long-sleep-task.yaml',
        'sleeper-task.yaml',
      ]);
      const [consumer] = resources(await readFile(join(out, 'consumer-task.yaml'), 'utf8'));
      expect(consumer?.spec.trigger?.sqs?.messagesPerTask).to.equal(100);
      expect(io.out.trim().split('\n')).to.have.length(3);
    });
  });

  it('reports a bad JSON line and the unconvertible jobs, and writes the rest (exit 1)', async () => {
    const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
    const code = await importCommand([join(fixtures, 'jobs-with-bad-line.jsonl')], io);
    expect(code).to.equal(1);
    expect(resources(io.out).map((r) => r.metadata.name)).to.deep.equal(['sleeper-task', 'month-end']);
    expect(io.err).to.include('line 3: Expected double-quoted property name in JSON at column 51\n');
    expect(io.err).to.include(
      'job "weekly-by-week-number": schedule: "0 0 0 * 10" week "10" (ISO week number) has no cron field',
    );
    expect(io.err).to.include('import: converted 2 of 4 job(s), 2 could not be converted');
  });

  it('names an unknown field (exit 1)', async () => {
    const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
    const body = JSON.stringify({ jobs: [{ id: 'foo', taskDefinition: 't', schedule: '0', retries: 3 }] });
    const code = await createImportCommand({ readStdin: async () => body })(['-'], io);
    expect(code).to.equal(1);
    expect(io.err).to.include('job "foo": unknown field "retries"\n');
    expect(io.out).to.equal('');
  });

  describe('unreadable input (exit 2)', () => {
    const cases: { name: string; args: string[]; stdin?: string; message: RegExp }[] = [
      {
        name: 'a missing file',
        args: ['/nonexistent/jobs.json'],
        message: /cannot read \/nonexistent\/jobs.json: ENOENT/,
      },
      { name: 'empty input', args: ['-'], stdin: '  \n', message: /the input is empty/ },
      {
        name: 'a broken JSON document, with its position',
        args: ['-'],
        stdin: '{\n  "jobs": [\n    {"id": "a",}\n  ]\n}\n',
        message: /not valid JSON: .*line 3 column/,
      },
      { name: '"jobs" is not a list', args: ['-'], stdin: '{"jobs": {}}', message: /"jobs" must be a list/ },
      {
        name: 'unexpected top-level field',
        args: ['-'],
        stdin: '{"jobs": [], "total": 0}',
        message: /unexpected top-level field\(s\) "total"/,
      },
      { name: 'unknown flag', args: ['--namepsace', 'x'], message: /unknown flag "--namepsace"/ },
      {
        name: 'bad namespace',
        args: ['--namespace', 'Not_Valid'],
        message: /--namespace "Not_Valid" is not a valid namespace name/,
      },
      { name: 'two inputs', args: ['a.json', 'b.json'], message: /expected one input, got 2/ },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
        const code = await createImportCommand({ readStdin: async () => c.stdin ?? '' })(c.args, io);
        expect(code).to.equal(2);
        expect(io.err).to.match(c.message);
      });
    }
  });

  it('prints its usage with --help', async () => {
    const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
    expect(await importCommand(['--help'], io)).to.equal(0);
    expect(io.out).to.include('Usage: ecs-scheduler import [FILE|URL|-]');
  });

  describe('from a running old service', () => {
    const jobs = [
      { id: 'sleeper-task', taskDefinition: 'sleeper-task', schedule: '9 */5', taskCount: 1 },
      { id: 'long-sleep-task', taskDefinition: 'sleeper-task', schedule: '22 */7', taskCount: 1 },
      { id: 'consumer-task', taskDefinition: 'consumer-task', schedule: '43 */3', taskCount: 1 },
    ];
    let server: Server;
    let base: string;
    let requests: string[];
    let status: number;

    // The old API: skip/count query parameters, `next` only while jobs remain.
    beforeEach(async () => {
      requests = [];
      status = 200;
      server = createServer((req, res) => {
        requests.push(req.url ?? '');
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (url.pathname !== '/jobs') {
          res.writeHead(404).end('{"message": "not found"}');
          return;
        }
        const skip = Number(url.searchParams.get('skip') ?? 0);
        const count = Number(url.searchParams.get('count') ?? 10);
        const body: Record<string, unknown> = {
          jobs: jobs
            .slice(skip, skip + count)
            .map((j) => ({ ...j, link: { href: `/jobs/${j.id}`, rel: 'item' } })),
        };
        if (skip + count < jobs.length) body.next = `/jobs?skip=${skip + count}&count=${count}`;
        if (skip > 0) body.prev = `/jobs?skip=${Math.max(0, skip - count)}&count=${count}`;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('pages through GET /jobs?skip=N&count=M until there is no next page', async () => {
      const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
      const code = await importCommand([base, '--page-size', '2'], io);
      expect(code, io.err).to.equal(0);
      expect(requests).to.deep.equal(['/jobs?skip=0&count=2', '/jobs?skip=2&count=2']);
      expect(resources(io.out).map((r) => r.metadata.name)).to.deep.equal([
        'sleeper-task',
        'long-sleep-task',
        'consumer-task',
      ]);
    });

    it('accepts the URL of /jobs itself', async () => {
      const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
      expect(await importCommand([`${base}/jobs/`], io), io.err).to.equal(0);
      expect(requests).to.deep.equal(['/jobs?skip=0&count=100']);
    });

    it('fails with exit 2 on an HTTP error', async () => {
      status = 500;
      const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
      expect(await importCommand([base], io)).to.equal(2);
      expect(io.err).to.match(/^import: GET http:\/\/127\.0\.0\.1:\d+\/jobs\?skip=0&count=100: HTTP 500/);
    });

    it('fails with exit 2 when nothing listens', async () => {
      const closed = base;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const io = recordingIo(new Date('2026-03-01T00:00:00Z'));
      expect(await importCommand([closed], io)).to.equal(2);
      expect(io.err).to.match(/^import: GET http:\/\/127\.0\.0\.1:\d+\/jobs.*fetch failed/);
    });
  });
});
