import { expect } from 'chai';
import { recordingIo } from '../../support/recording-io.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextCommand } from '../../../src/cli/next-command.js';
import { compileSchedule } from '../../../src/schedule/schedule.js';

const fixedNow = new Date('2026-03-28T12:00:00Z');

describe('examples/sqs-consumer.yaml', () => {
  it('checks the queue every minute, as its comment says', async () => {
    const io = recordingIo(fixedNow);
    expect(await nextCommand(['-f', 'examples/sqs-consumer.yaml', '--count', '3'], io), io.err).to.equal(0);
    const times = io.out
      .trim()
      .split('\n')
      .map((line) => Date.parse(line.split('\t')[1] ?? ''));
    expect(times).to.have.length(3);
    expect([times[1]! - times[0]!, times[2]! - times[1]!]).to.deep.equal([60_000, 60_000]);
    expect(io.out).to.match(/^default\/consumer-task\t/);
  });
});

describe('next command', () => {
  const cases: { name: string; args: string[]; code: number; stdout: string; stderr?: RegExp }[] = [
    {
      name: 'an at() in the past says so',
      args: ['--schedule', 'at(2026-01-15T09:00:00)', '--time-zone', 'Europe/Berlin'],
      code: 0,
      stdout: '',
      stderr:
        /^next: no fire time after 2026-03-28T12:00:00Z: at\(2026-01-15T09:00:00\) is in the past \(it was 2026-01-15T08:00:00Z\); a one-off never runs again\n$/,
    },
    {
      name: 'an end time that has passed says so',
      args: ['--schedule', '@daily', '--end-time', '2026-03-01T00:00:00Z'],
      code: 0,
      stdout: '',
      stderr:
        /^next: no fire time after 2026-03-28T12:00:00Z: the end time 2026-03-01T00:00:00Z has passed\n$/,
    },
    {
      name: 'one fire after now by default',
      args: ['--schedule', '0 3 * * *'],
      code: 0,
      stdout: '2026-03-29T03:00:00Z\n',
    },
    {
      name: 'N fires in a zone across spring-forward',
      args: ['--schedule', '30 2 * * *', '--time-zone', 'Europe/Berlin', '--count', '3'],
      code: 0,
      stdout: '2026-03-29T01:30:00Z\n2026-03-30T00:30:00Z\n2026-03-31T00:30:00Z\n',
    },
    {
      name: '--from and a window',
      args: [
        '--schedule=@daily',
        '--from',
        '2026-01-01T00:00:00Z',
        '--start-time',
        '2026-02-01T00:00:00Z',
        '--end-time',
        '2026-02-03T00:00:00Z',
        '-n',
        '5',
      ],
      code: 0,
      stdout: '2026-02-01T00:00:00Z\n2026-02-02T00:00:00Z\n',
    },
    {
      name: '--from with an offset',
      args: ['--schedule', 'rate(1 day)', '--name', 'data/report', '--from', '2026-01-01T00:00:00+01:00'],
      code: 0,
      stdout: '2026-01-01T00:00:00Z\n',
    },
    {
      name: 'invalid expression exits 1 with the reason on stderr',
      args: ['--schedule', '0 25 * * *'],
      code: 1,
      stdout: '',
      stderr: /schedule: field "hour" value 25 out of range 0-23/,
    },
    {
      name: 'unknown zone exits 1',
      args: ['--schedule', '@daily', '--time-zone', 'Mars/Olympus'],
      code: 1,
      stdout: '',
      stderr: /timeZone: unknown time zone "Mars\/Olympus"/,
    },
    {
      name: 'unknown flag exits 2',
      args: ['--schedule', '@daily', '--bogus'],
      code: 2,
      stdout: '',
      stderr: /bogus/,
    },
    {
      name: 'missing --schedule exits 2',
      args: [],
      code: 2,
      stdout: '',
      stderr: /exactly one of --schedule and -f/,
    },
    {
      name: 'repeated --schedule prints the union, an instant named twice once',
      args: ['-s', '0 * * * *', '-s', '*/30 * * * *', '-s', 'rate(1 hour)', '--count', '3'],
      code: 0,
      stdout: '2026-03-28T12:30:00Z\n2026-03-28T13:00:00Z\n2026-03-28T13:30:00Z\n',
    },
    {
      name: 'a bad expression among several names its index',
      args: ['-s', '@daily', '-s', 'every day'],
      code: 1,
      stdout: '',
      stderr: /^next: schedules\[1\]: expected 5 or 6 fields, got 2\n$/,
    },
    {
      name: 'bad --count exits 2',
      args: ['--schedule', '@daily', '--count', '0'],
      code: 2,
      stdout: '',
      stderr: /--count must be a whole number/,
    },
    {
      name: '--from without a zone exits 2',
      args: ['--schedule', '@daily', '--from', '2026-01-01T00:00:00'],
      code: 2,
      stdout: '',
      stderr: /--from must be an ISO 8601 time with a zone/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const io = recordingIo(fixedNow);
      const code = await nextCommand(c.args, io);
      expect(code, io.err).to.equal(c.code);
      expect(io.out).to.equal(c.stdout);
      if (c.stderr) expect(io.err).to.match(c.stderr);
    });
  }

  it('--name seeds H as namespace/name does in the cluster', async () => {
    const io = recordingIo(fixedNow);
    expect(await nextCommand(['--schedule', 'H H * * *', '--name', 'data/report'], io)).to.equal(0);
    const expected = compileSchedule('H H * * *', { hashKey: 'data/report' }).next(fixedNow)!;
    expect(io.out).to.equal(`${expected.toISOString().replace('.000Z', 'Z')}\n`);
  });

  describe('-f FILE', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'next-command-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('prints namespace/name<TAB>instant for each EcsScheduledTask and reports bad ones', async () => {
      const file = join(dir, 'tasks.yaml');
      await writeFile(
        file,
        [
          'apiVersion: ecs-scheduler.dev/v1alpha1',
          'kind: EcsScheduledTask',
          'metadata: {name: nightly, namespace: data}',
          'spec: {schedule: "0 2 * * *", timeZone: Europe/Berlin, task: {taskDefinition: t}}',
          '---',
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata: {name: ignored}',
          '---',
          'apiVersion: ecs-scheduler.dev/v1alpha1',
          'kind: EcsScheduledTask',
          'metadata: {name: broken}',
          'spec: {schedule: "0 0 31 2 *", task: {taskDefinition: t}}',
          '---',
          'apiVersion: ecs-scheduler.dev/v1alpha1',
          'kind: EcsScheduledTask',
          'metadata: {name: once, namespace: ops}',
          'spec: {schedule: "at(2026-04-01T09:00:00)", startTime: "2026-01-01T00:00:00Z", task: {taskDefinition: t}}',
          '',
        ].join('\n'),
      );
      const io = recordingIo(fixedNow);
      const code = await nextCommand(['-f', file, '--count', '2'], io);
      expect(code).to.equal(1);
      expect(io.out).to.equal(
        'data/nightly\t2026-03-29T01:00:00Z\ndata/nightly\t2026-03-30T00:00:00Z\nops/once\t2026-04-01T09:00:00Z\n',
      );
      expect(io.err).to.match(/default\/broken: schedule: "0 0 31 2 \*" never fires/);
    });

    it('reads spec.schedules: the union of the list', async () => {
      const file = join(dir, 'schedules.yaml');
      await writeFile(
        file,
        [
          'apiVersion: ecs-scheduler.dev/v1alpha1',
          'kind: EcsScheduledTask',
          'metadata: {name: report, namespace: data}',
          'spec:',
          '  schedules: ["0 8 * * 1-5", "0 10 * * 6", "cron(0 10 ? * SAT *)"]',
          '  task: {taskDefinition: t}',
          '',
        ].join('\n'),
      );
      const io = recordingIo(fixedNow); // a Saturday, at noon
      expect(await nextCommand(['-f', file, '--count', '3'], io), io.err).to.equal(0);
      expect(io.out).to.equal(
        'data/report\t2026-03-30T08:00:00Z\ndata/report\t2026-03-31T08:00:00Z\ndata/report\t2026-04-01T08:00:00Z\n',
      );
    });

    it('a missing file exits 1', async () => {
      const io = recordingIo(fixedNow);
      expect(await nextCommand(['-f', join(dir, 'nope.yaml')], io)).to.equal(1);
      expect(io.err).to.match(/ENOENT/);
    });

    it('schedule-only flags are refused with -f', async () => {
      const io = recordingIo(fixedNow);
      expect(await nextCommand(['-f', 'x.yaml', '--time-zone', 'UTC'], io)).to.equal(2);
      expect(io.err).to.match(/--time-zone applies to --schedule/);
    });
  });
});
