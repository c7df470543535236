import { expect } from 'chai';
import type { RunRecord, Status, TaskRecord } from '../../../src/api/types.js';
import { validateResource } from '../../../src/api/validation.js';
import { launchedTaskCount } from '../../../src/controller/run-tracking.js';
import { buildStatus } from '../../../src/controller/status-builder.js';
import { compactRun, MAX_FINISHED_TASKS_PER_RUN } from '../../../src/controller/status-size.js';
import { scheduledTask } from '../../support/resources.js';

const now = new Date('2026-03-01T10:00:00Z');
const KiB = 1024;

/** A realistic ARN: 96 characters. */
const arn = (run: number, i: number) =>
  `arn:aws:ecs:eu-west-1:123456789012:task/a-cluster-name/${(run * 10_000 + i).toString(16).padStart(32, '0')}`;

function task(run: number, i: number, exit: number | undefined): TaskRecord {
  if (exit === undefined)
    return { taskArn: arn(run, i), lastStatus: 'RUNNING', startedAt: now.toISOString() };
  return {
    taskArn: arn(run, i),
    lastStatus: 'STOPPED',
    startedAt: now.toISOString(),
    stoppedAt: now.toISOString(),
    stopCode: 'EssentialContainerExited',
    stoppedReason: `Essential container in task exited ${'x'.repeat(2000)}`,
    exitCodes: { app: exit, 'log-router': 0, sidecar: exit },
  };
}

function run(index: number, result: RunRecord['result'], tasks: TaskRecord[]): RunRecord {
  return {
    scheduledTime: new Date(now.getTime() - index * 60_000).toISOString(),
    launchedAt: now.toISOString(),
    ...(result === 'Running' ? {} : { finishedAt: now.toISOString() }),
    result,
    reason: result === 'Failed' ? 'NonZeroExit' : undefined,
    message: 'm'.repeat(10_000),
    desiredCount: tasks.length,
    launchCount: tasks.length,
    cluster: 'a-cluster-name',
    launchAttempts: 1,
    tasks,
  } as RunRecord;
}

/** Ten failed attempts as a tenant could store them: every text field at its schema maximum. */
const tenAttempts = (index: number): NonNullable<RunRecord['attempts']> =>
  Array.from({ length: 10 }, (_, a) => ({
    attempt: a + 1,
    result: 'Failed' as const,
    reason: 'NonZeroExit',
    message: 'a'.repeat(1024),
    launchedAt: now.toISOString(),
    finishedAt: now.toISOString(),
    taskCounts: { Failed: 500, Succeeded: 499, Missing: 1 },
    failedTask: arn(index, a),
  }));

describe('bounded status', () => {
  it('counts finished tasks past the limit by outcome, failures listed first, unfinished all kept', () => {
    const tasks = [
      ...Array.from({ length: 20 }, (_, i) => task(1, i, 0)),
      ...Array.from({ length: 3 }, (_, i) => task(1, 100 + i, 1)),
      ...Array.from({ length: 5 }, (_, i) => task(1, 200 + i, undefined)),
    ];
    const compacted = compactRun(run(1, 'Running', tasks));
    expect(compacted.omittedTasks).to.deep.equal({ Succeeded: 13 });
    const listed = compacted.tasks ?? [];
    expect(listed.filter((t) => t.lastStatus === 'RUNNING')).to.have.length(5);
    expect(listed.filter((t) => t.exitCodes?.app === 1)).to.have.length(3);
    expect(listed.filter((t) => t.lastStatus === 'STOPPED')).to.have.length(MAX_FINISHED_TASKS_PER_RUN);
    expect(launchedTaskCount(compacted), 'nothing lost from the count').to.equal(28);
    expect(compacted.tasks![0]!.stoppedReason!.length).to.be.at.most(256);
    expect(compacted.message!.length).to.be.at.most(1024);
  });

  it('compacting again keeps the counts cumulative', () => {
    const tasks = Array.from({ length: 30 }, (_, i) => task(1, i, 0));
    const once = compactRun(run(1, 'Succeeded', tasks));
    const twice = compactRun(once, 1);
    expect(once.omittedTasks).to.deep.equal({ Succeeded: 20 });
    expect(twice.omittedTasks).to.deep.equal({ Succeeded: 29 });
    expect(launchedTaskCount(twice)).to.equal(30);
  });

  for (const deadLetter of [undefined, 'Pending'] as const) {
    it(`stays under 256 KiB and valid at the maxima with 10 retries per run${deadLetter ? ', every dead letter pending' : ''}`, () => {
      const withAttempts = (r: RunRecord, index: number): RunRecord => ({
        ...r,
        attempt: 11,
        attempts: tenAttempts(index),
        ...(deadLetter && r.result === 'Failed' ? { deadLetter: { state: deadLetter } } : {}),
      });
      const runs: RunRecord[] = [
        withAttempts(
          run(
            0,
            'Running',
            Array.from({ length: 1000 }, (_, i) => task(0, i, undefined)),
          ),
          0,
        ),
        ...Array.from({ length: 100 }, (_, r) =>
          withAttempts(
            run(
              r + 1,
              'Succeeded',
              Array.from({ length: 1000 }, (_, i) => task(r + 1, i, 0)),
            ),
            r + 1,
          ),
        ),
        ...Array.from({ length: 100 }, (_, r) =>
          withAttempts(
            run(
              r + 101,
              'Failed',
              Array.from({ length: 1000 }, (_, i) => task(r + 101, i, i % 2)),
            ),
            r + 101,
          ),
        ),
      ];
      const spec = { successfulRunsHistoryLimit: 100, failedRunsHistoryLimit: 100 };
      const status: Status = buildStatus({
        previous: {},
        generation: 1,
        now,
        suspended: false,
        pending: false,
        resolvedSchedule: '0 * * * *',
        nextScheduleTime: now.toISOString(),
        lastScheduleTime: now.toISOString(),
        lastSuccessfulTime: now.toISOString(),
        lastRunNow: 'r'.repeat(1000),
        missedRunsTotal: 5,
        runs,
        limits: spec,
      });
      const bytes = Buffer.byteLength(JSON.stringify(status));
      expect(bytes).to.be.below(256 * KiB);
      const running = status.runs!.find((r) => r.result === 'Running')!;
      expect(running.tasks, 'every unfinished task is still followed').to.have.length(1000);
      expect(running.attempts, 'the running run keeps its attempts').to.have.length(10);
      if (deadLetter) {
        const pending = status.runs!.filter((r) => r.deadLetter?.state === 'Pending');
        expect(pending, 'no run with an unsent dead letter is dropped').to.have.length(100);
      }
      const issues = validateResource(scheduledTask(spec, { status })).filter((i) =>
        i.path.startsWith('status'),
      );
      expect(issues).to.deep.equal([]);
    });
  }

  it('stays under 256 KiB and valid at the schema maxima: 100 + 100 runs of 1000 tasks, one running', () => {
    const runs: RunRecord[] = [
      run(
        0,
        'Running',
        Array.from({ length: 1000 }, (_, i) => task(0, i, undefined)),
      ),
      ...Array.from({ length: 100 }, (_, r) =>
        run(
          r + 1,
          'Succeeded',
          Array.from({ length: 1000 }, (_, i) => task(r + 1, i, 0)),
        ),
      ),
      ...Array.from({ length: 100 }, (_, r) =>
        run(
          r + 101,
          'Failed',
          Array.from({ length: 1000 }, (_, i) => task(r + 101, i, i % 2)),
        ),
      ),
    ];
    const spec = { successfulRunsHistoryLimit: 100, failedRunsHistoryLimit: 100 };
    const status: Status = buildStatus({
      previous: {},
      generation: 1,
      now,
      suspended: false,
      pending: false,
      resolvedSchedule: '0 * * * *',
      nextScheduleTime: now.toISOString(),
      lastScheduleTime: now.toISOString(),
      lastSuccessfulTime: now.toISOString(),
      lastRunNow: 'r'.repeat(1000),
      missedRunsTotal: 5,
      runs,
      limits: spec,
    });
    const bytes = Buffer.byteLength(JSON.stringify(status));
    expect(bytes).to.be.below(256 * KiB);
    const running = status.runs!.find((r) => r.result === 'Running')!;
    expect(running.tasks, 'every unfinished task is still followed').to.have.length(1000);
    expect(status.activeCount).to.equal(1000);
    expect(status.lastScheduleTime).to.equal(now.toISOString());
    const issues = validateResource(scheduledTask(spec, { status })).filter((i) =>
      i.path.startsWith('status'),
    );
    expect(issues).to.deep.equal([]);
  });
});
