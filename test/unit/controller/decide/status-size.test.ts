import { expect } from 'chai';
import type { RunRecord, Status, TaskRecord } from '../../../../src/api/types.js';
import { validateResource } from '../../../../src/api/validation.js';
import { launchedTaskCount } from '../../../../src/controller/decide/run-tracking.js';
import { buildStatus } from '../../../../src/controller/decide/status-builder.js';
import {
  boundStatus,
  compactRun,
  droppedRuns,
  MAX_FINISHED_TASKS_PER_RUN,
  MAX_RUNS_KEPT,
  STATUS_BUDGET_BYTES,
  STATUS_LIMIT_BYTES,
} from '../../../../src/controller/decide/status-size.js';
import { scheduledTask } from '../../../support/resources.js';

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

  describe('a hard cap on runs, whatever their state', () => {
    const minute = (i: number) => new Date(now.getTime() - i * 60_000).toISOString();
    const small = (i: number, result: RunRecord['result'], pending = false): RunRecord => ({
      scheduledTime: minute(i),
      result,
      ...(result === 'Running'
        ? { tasks: [{ taskArn: arn(i, 0), lastStatus: 'RUNNING' }] }
        : { finishedAt: minute(i), reason: 'NonZeroExit' }),
      ...(pending ? { deadLetter: { state: 'Pending' as const } } : {}),
    });
    const statusOf = (runs: RunRecord[], droppedRunsTotal?: number): Status => ({
      lastScheduleTime: now.toISOString(),
      ...(droppedRunsTotal === undefined ? {} : { droppedRunsTotal }),
      runs,
    });

    it('drops settled runs first, then runs with a letter to send, running runs last, oldest first, and counts them', () => {
      // Newest first, as status.runs is: 100 running, 250 with a letter to send, 100 settled.
      const runs = [
        ...Array.from({ length: 100 }, (_, i) => small(i, 'Running')),
        ...Array.from({ length: 250 }, (_, i) => small(100 + i, 'Failed', true)),
        ...Array.from({ length: 100 }, (_, i) => small(350 + i, 'Succeeded')),
      ];
      const bounded = boundStatus(statusOf(runs, 7));
      expect(bounded.runs).to.have.length(MAX_RUNS_KEPT);
      expect(
        bounded.runs!.filter((r) => r.result === 'Running'),
        'every running run kept',
      ).to.have.length(100);
      expect(bounded.runs!.filter((r) => r.result === 'Succeeded')).to.have.length(0);
      const letters = bounded.runs!.filter((r) => r.deadLetter?.state === 'Pending');
      expect(
        letters.map((r) => r.scheduledTime),
        'the 200 newest letters',
      ).to.deep.equal(Array.from({ length: 200 }, (_, i) => minute(100 + i)));
      expect(bounded.droppedRunsTotal).to.equal(7 + 150);
      expect(bounded.lastScheduleTime, 'the watermark is never touched').to.equal(now.toISOString());
      const lost = droppedRuns(runs, bounded.runs);
      expect(
        lost.map((r) => r.scheduledTime),
        'what the reconciler reports',
      ).to.deep.equal(Array.from({ length: 50 }, (_, i) => minute(300 + i)));
    });

    it('a week of letters that cannot be sent stays within the cap and the budget', () => {
      const runs = Array.from({ length: 7 * 24 * 60 }, (_, i) => ({
        ...small(i, 'Failed', true),
        message: 'Essential container in task exited',
        attempt: 1,
      }));
      const bounded = boundStatus(statusOf(runs));
      expect(bounded.runs).to.have.length(MAX_RUNS_KEPT);
      expect(Buffer.byteLength(JSON.stringify(bounded))).to.be.at.most(STATUS_BUDGET_BYTES);
      expect(bounded.droppedRunsTotal).to.equal(runs.length - MAX_RUNS_KEPT);
    });

    it('running runs may pass the budget up to the limit, keeping every unfinished task; past it the oldest go', () => {
      // 20 runs of 1000 running tasks: about 170 KiB each.
      const runs = Array.from({ length: 20 }, (_, r) => ({
        ...small(r, 'Running'),
        tasks: Array.from({ length: 1000 }, (_, i) => task(r, i, undefined)),
      }));
      const bounded = boundStatus(statusOf(runs));
      const bytes = Buffer.byteLength(JSON.stringify(bounded));
      expect(bytes).to.be.above(STATUS_BUDGET_BYTES).and.at.most(STATUS_LIMIT_BYTES);
      const kept = bounded.runs!;
      expect(kept.length).to.be.within(2, 19);
      expect(
        kept.map((r) => r.scheduledTime),
        'the newest kept',
      ).to.deep.equal(runs.slice(0, kept.length).map((r) => r.scheduledTime));
      for (const r of kept) expect(r.tasks, 'every unfinished task still followed').to.have.length(1000);
      expect(bounded.droppedRunsTotal).to.equal(20 - kept.length);
      expect(droppedRuns(runs, kept)).to.have.length(20 - kept.length);
    });

    it('a status that fits is left as it was, without a dropped count', () => {
      const runs = [small(0, 'Running'), small(1, 'Failed', true), small(2, 'Succeeded')];
      const bounded = boundStatus(statusOf(runs));
      expect(bounded).to.deep.equal(statusOf(runs));
    });
  });
});
