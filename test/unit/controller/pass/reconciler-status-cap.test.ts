import { expect } from 'chai';
import type { RunRecord } from '../../../../src/api/types.js';
import { MAX_RUNS_KEPT } from '../../../../src/controller/decide/status-size.js';
import { MemoryDeadLetterSink } from '../../../support/memory-dead-letter-sink.js';
import { harness } from './harness.js';

const now = new Date('2026-03-01T10:00:30Z');
const minutesAgo = (i: number) => new Date(Date.parse('2026-03-01T10:00:00Z') - i * 60_000).toISOString();
const arnOf = (i: number) =>
  `arn:aws:ecs:eu-west-1:123456789012:task/default/${i.toString(16).padStart(32, '0')}`;

describe('Reconciler: the run cap of the status', () => {
  it('a running run dropped from a full status is named in a Warning with its tasks; a dropped letter is given up', async () => {
    const running: RunRecord[] = Array.from({ length: MAX_RUNS_KEPT }, (_, i) => ({
      scheduledTime: minutesAgo(i),
      // Launched moments ago: DescribeTasks not knowing them yet is not a loss.
      launchedAt: new Date(now.getTime() - 5_000).toISOString(),
      result: 'Running',
      cluster: 'default',
      desiredCount: 1,
      launchCount: 1,
      tasks: [{ taskArn: arnOf(i) }],
    }));
    const letters: RunRecord[] = Array.from({ length: 3 }, (_, i) => ({
      scheduledTime: minutesAgo(MAX_RUNS_KEPT + i),
      finishedAt: now.toISOString(),
      result: 'Failed',
      reason: 'NonZeroExit',
      // Not due: this pass does not try them.
      deadLetter: { state: 'Pending', attempts: 1, nextAttemptAt: '2026-03-01T10:05:00Z' },
    }));
    const sink = new MemoryDeadLetterSink();
    const h = harness(
      { deadLetter: { sqs: { queueName: 'failed-runs' } } },
      {
        now: now.toISOString(),
        deps: { deadLetters: sink },
        status: { lastScheduleTime: '2026-03-01T10:00:00Z', runs: [...running, ...letters] },
      },
    );
    // One more running run than the cap holds: the oldest running run must go.
    h.store.update('data/report', (r) => {
      r.status!.runs = [
        {
          ...running[0]!,
          scheduledTime: '2026-03-01T10:00:10Z',
          tasks: [{ taskArn: arnOf(9999) }],
        },
        ...r.status!.runs!,
      ];
    });
    await h.reconcile();

    const runs = h.runs();
    expect(runs).to.have.length(MAX_RUNS_KEPT);
    expect(runs.every((r) => r.result === 'Running')).to.equal(true);
    expect(h.status().droppedRunsTotal).to.equal(4);
    const dropped = h.events.events.filter((e) => e.reason === 'RunDropped');
    expect(dropped).to.have.length(1);
    expect(dropped[0]!.type).to.equal('Warning');
    expect(dropped[0]!.message)
      .to.include(minutesAgo(MAX_RUNS_KEPT - 1))
      .and.include(arnOf(MAX_RUNS_KEPT - 1));
    expect(h.events.events.filter((e) => e.reason === 'DeadLetterGaveUp')).to.have.length(3);
    expect(h.metrics.deadLetters.map((d) => d.outcome)).to.deep.equal([
      'abandoned',
      'abandoned',
      'abandoned',
    ]);
    expect(sink.sends).to.deep.equal([]);
  });
});
