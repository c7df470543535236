import { expect } from 'chai';
import { recordingIo } from '../../support/recording-io.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statusCommand } from '../../../src/cli/status-command.js';
import type { StateData } from '../../../src/standalone/state-file.js';

function captureIo() {
  const io = recordingIo(new Date('2026-03-01T12:00:00Z'));
  return { io, stdout: () => io.out, stderr: () => io.err };
}

const state: StateData = {
  version: 1,
  resources: {
    'default/heartbeat': {
      uid: 'u-1',
      generation: 2,
      resourceVersion: '7',
      creationTimestamp: '2026-03-01T00:00:00.000Z',
      specHash: 'h',
      status: {
        resolvedSchedule: '*/10 * * * * *',
        activeCount: 1,
        lastScheduleTime: '2026-03-01T11:59:50.000Z',
        nextScheduleTime: '2026-03-01T12:00:00.000Z',
        lastResult: 'DryRun',
        runs: [
          { scheduledTime: '2026-03-01T11:59:50.000Z', result: 'DryRun', reason: 'DryRun', tasks: [] },
          {
            scheduledTime: '2026-03-01T11:59:40.000Z',
            result: 'Failed',
            reason: 'EssentialContainerExited',
            tasks: [{ taskArn: 'arn:a' }, { taskArn: 'arn:b' }],
          },
        ],
      },
    },
    'data/nightly': {
      uid: 'u-2',
      generation: 1,
      resourceVersion: '3',
      creationTimestamp: '2026-02-01T00:00:00.000Z',
      specHash: 'h',
    },
    'data/old': {
      uid: 'u-3',
      generation: 1,
      resourceVersion: '4',
      creationTimestamp: '2026-02-01T00:00:00.000Z',
      specHash: 'h',
      removedAt: '2026-02-15T00:00:00.000Z',
      status: { nextScheduleTime: '2026-02-16T00:00:00.000Z', lastResult: 'Succeeded' },
    },
  },
};

describe('status command', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-scheduler-status-'));
    path = join(dir, 'state.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a summary table, then the recent runs of each resource', async () => {
    await writeFile(path, JSON.stringify(state));
    const { io, stdout } = captureIo();
    expect(await statusCommand(['--state', path], io)).to.equal(0);
    expect(stdout()).to.equal(
      [
        'NAMESPACE/NAME       RESOLVED         ACTIVE   LAST SCHEDULE          NEXT                   LAST RESULT',
        'data/nightly         -                0        -                      -                      -',
        'data/old (removed)   -                0        -                      -                      Succeeded',
        'default/heartbeat    */10 * * * * *   1        2026-03-01T11:59:50Z   2026-03-01T12:00:00Z   DryRun',
        '',
        'data/nightly runs:',
        '  (no runs yet)',
        '',
        'data/old runs:',
        '  (no runs yet)',
        '',
        'default/heartbeat runs:',
        '  SCHEDULED              RESULT   REASON                     TASKS',
        '  2026-03-01T11:59:50Z   DryRun   DryRun                     0',
        '  2026-03-01T11:59:40Z   Failed   EssentialContainerExited   2',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON with --output json', async () => {
    await writeFile(path, JSON.stringify(state));
    const { io, stdout } = captureIo();
    expect(await statusCommand([`--state=${path}`, '-o', 'json'], io)).to.equal(0);
    const parsed = JSON.parse(stdout()) as {
      resources: { namespace: string; name: string; status: unknown }[];
    };
    expect(parsed.resources.map((r) => `${r.namespace}/${r.name}`)).to.deep.equal([
      'data/nightly',
      'data/old',
      'default/heartbeat',
    ]);
    expect(parsed.resources[2]!.status).to.deep.equal(state.resources['default/heartbeat']!.status);
  });

  it('says so when nothing is recorded yet', async () => {
    await writeFile(path, JSON.stringify({ version: 1, resources: {} }));
    const { io, stdout } = captureIo();
    expect(await statusCommand(['--state', path], io)).to.equal(0);
    expect(stdout()).to.equal('No resources recorded yet.\n');
  });

  const failures = [
    {
      name: 'a missing file',
      content: undefined,
      code: 1,
      stderr: (p: string) => [`state file ${p} does not exist`, `run --manifests DIR --state ${p}`],
    },
    {
      name: 'a corrupt file',
      content: '{"version": 1, "resources": {"a/b": ',
      code: 1,
      stderr: (p: string) => [`state file ${p} is corrupt: invalid JSON:`],
    },
  ];
  for (const { name, content, code, stderr: expected } of failures) {
    it(`fails clearly on ${name}`, async () => {
      if (content !== undefined) await writeFile(path, content);
      const { io, stdout, stderr } = captureIo();
      expect(await statusCommand(['--state', path], io)).to.equal(code);
      for (const text of expected(path)) expect(stderr()).to.include(text);
      expect(stdout()).to.equal('');
    });
  }

  const usage = [
    { name: 'no --state', args: [], message: '--state FILE is required' },
    { name: '--state without a value', args: ['--state'], message: '--state needs a file' },
    {
      name: 'an unknown output',
      args: ['--state', 'x', '--output', 'yaml'],
      message: 'must be table or json',
    },
    { name: 'an unknown flag', args: ['--state', 'x', '--watch'], message: 'unknown argument "--watch"' },
  ];
  for (const { name, args, message } of usage) {
    it(`prints usage and exits 2 on ${name}`, async () => {
      const { io, stderr } = captureIo();
      expect(await statusCommand(args, io)).to.equal(2);
      expect(stderr()).to.include(message).and.include('Usage: ecs-scheduler status');
    });
  }

  it('prints help on --help', async () => {
    const { io, stdout } = captureIo();
    expect(await statusCommand(['--help'], io)).to.equal(0);
    expect(stdout()).to.include('Usage: ecs-scheduler status --state FILE');
  });
});
