// `backfill NAME --from --to`: the flags are checked before any connection, the task must exist,
// and the EcsTaskBackfill it creates carries the range and options as given.
import { expect } from 'chai';
import { backfillFlags, backfillVerb, parseBackfillTime } from '../../../src/cli/backfill-command.js';
import { clusterCommand } from '../../../src/cli/cluster-command.js';
import { recordingIo } from '../../support/recording-io.js';
import { FakeCluster, scheduledTask } from './fake-cluster.js';

const now = new Date('2026-12-01T12:00:00Z');

describe('backfill verb', () => {
  describe('times', () => {
    const cases: [string, string | undefined][] = [
      ['2026-11-01T00:00:00Z', '2026-11-01T00:00:00.000Z'],
      ['2026-11-01T01:00:00+01:00', '2026-11-01T00:00:00.000Z'],
      ['2026-11-01T00:00:00.5Z', '2026-11-01T00:00:00.500Z'],
      ['2026-11-01', '2026-11-01T00:00:00.000Z'],
      ['2026-11-01T00:00:00', undefined], // no offset: ambiguous
      ['2026-13-01', undefined],
      ['yesterday', undefined],
      ['', undefined],
    ];
    for (const [text, want] of cases) {
      it(`"${text}" → ${want ?? 'refused'}`, () => {
        expect(parseBackfillTime(text)?.toISOString()).to.equal(want);
      });
    }
  });

  describe('flags', () => {
    const range = { from: '2026-11-01', to: '2026-12-01' };
    const cases: [string, Record<string, string | boolean>, string | Record<string, unknown>][] = [
      ['defaults', range, { maxConcurrent: 1, rerun: 'MissedAndFailed', dryRun: false }],
      [
        'every option',
        { ...range, 'max-concurrent': '3', rerun: 'all', 'dry-run': true, name: 'nov' },
        { maxConcurrent: 3, rerun: 'All', dryRun: true, name: 'nov' },
      ],
      ['no --to', { from: '2026-11-01' }, 'give the range with --from and --to'],
      ['a bad --from', { ...range, from: 'last week' }, '--from must be an RFC 3339 time'],
      ['--to before --from', { from: '2026-12-01', to: '2026-11-01' }, '--to must be after --from'],
      ['--to equal to --from', { from: '2026-12-01', to: '2026-12-01' }, '--to must be after --from'],
      ['--max-concurrent 0', { ...range, 'max-concurrent': '0' }, '--max-concurrent must be a whole number'],
      ['--max-concurrent 101', { ...range, 'max-concurrent': '101' }, 'from 1 to 100'],
      ['--max-concurrent 2.5', { ...range, 'max-concurrent': '2.5' }, '--max-concurrent must be'],
      ['--rerun Some', { ...range, rerun: 'Some' }, '--rerun must be MissedAndFailed or All'],
      ['--name Bad_Name', { ...range, name: 'Bad_Name' }, '--name must be a DNS label'],
    ];
    for (const [name, values, want] of cases) {
      it(name, () => {
        const got = backfillFlags(values);
        if (typeof want === 'string') expect(got).to.be.a('string').that.contains(want);
        else expect(got).to.deep.include(want);
      });
    }
  });

  it('creates the backfill in the task namespace and prints its name and how to follow it', async () => {
    const cluster = new FakeCluster('data').add(scheduledTask('data', 'nightly'));
    const io = recordingIo(now);
    const code = await clusterCommand(backfillVerb, cluster.connect)(
      ['nightly', '--from', '2026-11-01', '--to', '2026-12-01T00:00:00Z', '--max-concurrent', '3'],
      io,
    );
    expect(code, io.err).to.equal(0);
    expect(cluster.backfills).to.have.length(1);
    const created = cluster.backfills[0]!;
    expect(created.metadata).to.include({ namespace: 'data', name: 'nightly-backfill-x7k2p' });
    expect(created.spec).to.deep.equal({
      taskRef: { name: 'nightly' },
      start: '2026-11-01T00:00:00Z',
      end: '2026-12-01T00:00:00Z',
      maxConcurrent: 3,
      rerun: 'MissedAndFailed',
      dryRun: false,
    });
    expect(io.out).to.contain('ecstaskbackfill data/nightly-backfill-x7k2p created');
    expect(io.out).to.contain('kubectl get ecstaskbackfill -n data nightly-backfill-x7k2p -w');
  });

  it('a missing task is an error before anything is created', async () => {
    const cluster = new FakeCluster('data');
    const io = recordingIo(now);
    const code = await clusterCommand(backfillVerb, cluster.connect)(
      ['data/nope', '--from', '2026-11-01', '--to', '2026-12-01'],
      io,
    );
    expect(code).to.equal(1);
    expect(io.err).to.contain('"nope" not found');
    expect(cluster.backfills).to.deep.equal([]);
  });

  it('bad flags are a usage error (exit 2) before any connection', async () => {
    const cluster = new FakeCluster('data').add(scheduledTask('data', 'nightly'));
    const io = recordingIo(now);
    const code = await clusterCommand(backfillVerb, cluster.connect)(['nightly', '--from', '2026-11-01'], io);
    expect(code).to.equal(2);
    expect(io.err).to.contain('give the range with --from and --to');
    expect(io.err).to.contain('Usage: ecs-scheduler backfill');
    expect(cluster.connections).to.deep.equal([]);
  });
});
