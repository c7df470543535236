// The pure decision functions, table by table.
import { expect } from 'chai';
import type { RunRecord, Spec } from '../../../../src/api/types.js';
import { setCondition } from '../../../../src/controller/decide/conditions.js';
import { newRunRecord } from '../../../../src/controller/decide/launch-outcome.js';
import { lastResult, trimRuns } from '../../../../src/controller/decide/run-history.js';
import { runNowIdentity, scheduledRunIdentity } from '../../../../src/controller/decide/run-identity.js';
import { decideLaunch, desiredTaskCount } from '../../../../src/controller/decide/due-run.js';
import {
  MAX_FIRES_SCANNED,
  planSchedule,
  type FireTimes,
} from '../../../../src/controller/decide/schedule-plan.js';
import { trackRuns } from '../../../../src/controller/decide/run-tracking.js';
import { capacityFailure, missingTaskDefinition } from '../../../support/recording-launcher.js';
import { scheduledTask } from '../../../support/resources.js';

const HOUR = 3_600_000;
/** Every whole hour, UTC. */
const hourly: FireTimes = {
  next: (after) => new Date(Math.floor(after.getTime() / HOUR) * HOUR + HOUR),
  previous: (t) => new Date(Math.floor(t.getTime() / HOUR) * HOUR),
};
const every = (ms: number): FireTimes => ({
  next: (after) => new Date(Math.floor(after.getTime() / ms) * ms + ms),
  previous: (t) => new Date(Math.floor(t.getTime() / ms) * ms),
});
const d = (iso: string) => new Date(iso);
const noJitter = () => 0;

describe('desiredTaskCount', () => {
  const sqs = { queueName: 'q', messagesPerTask: 100 };
  const cases: { name: string; spec: Partial<Spec>; depth?: number; want: number }[] = [
    { name: 'default taskCount is 1', spec: {}, want: 1 },
    { name: 'taskCount', spec: { taskCount: 4 }, want: 4 },
    { name: 'maxCount caps taskCount', spec: { taskCount: 4, maxCount: 4 }, want: 4 },
    { name: 'trigger, empty queue', spec: { trigger: { sqs } }, depth: 0, want: 0 },
    { name: 'trigger, 1 message', spec: { trigger: { sqs } }, depth: 1, want: 1 },
    { name: 'trigger, 100 messages', spec: { trigger: { sqs } }, depth: 100, want: 1 },
    { name: 'trigger, 101 messages', spec: { trigger: { sqs } }, depth: 101, want: 2 },
    { name: 'trigger, 250 messages', spec: { trigger: { sqs } }, depth: 250, want: 3 },
    {
      name: 'trigger, 5000 messages, maxCount 10',
      spec: { trigger: { sqs }, maxCount: 10 },
      depth: 5000,
      want: 10,
    },
    { name: 'trigger, taskCount is the floor', spec: { trigger: { sqs }, taskCount: 3 }, depth: 1, want: 3 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(desiredTaskCount(scheduledTask(c.spec).spec, c.depth)).to.equal(c.want);
    });
  }
});

describe('decideLaunch', () => {
  const running = ['arn:1', 'arn:2'];
  const cases: { name: string; args: Parameters<typeof decideLaunch>; want: object }[] = [
    {
      name: 'Allow ignores running tasks',
      args: ['Allow', 3, running],
      want: { action: 'launch', count: 3, stop: [] },
    },
    { name: 'default policy is Allow', args: [undefined, 1, running], want: { action: 'launch', count: 1 } },
    {
      name: 'Forbid skips',
      args: ['Forbid', 1, running],
      want: { action: 'skip', reason: 'ConcurrencyForbid' },
    },
    { name: 'Forbid launches when idle', args: ['Forbid', 1, []], want: { action: 'launch', count: 1 } },
    {
      name: 'Replace stops then launches',
      args: ['Replace', 1, running],
      want: { action: 'launch', count: 1, stop: running },
    },
    {
      name: 'TopUp launches the shortfall',
      args: ['TopUp', 5, running],
      want: { action: 'launch', count: 3 },
    },
    {
      name: 'TopUp skips at the desired count',
      args: ['TopUp', 2, running],
      want: { action: 'skip', reason: 'AlreadyRunning' },
    },
    {
      name: 'desired 0 is QueueEmpty',
      args: ['Allow', 0, []],
      want: { action: 'skip', reason: 'QueueEmpty' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(decideLaunch(...c.args)).to.deep.include(c.want));
  }
});

describe('planSchedule', () => {
  const cases: {
    name: string;
    input: Partial<Parameters<typeof planSchedule>[0]>;
    want: { due?: string; tooLate?: string; missedCount: number; last?: string; wakeAt?: string };
  }[] = [
    {
      name: 'nothing due before the first fire',
      input: { after: d('2026-03-01T09:30:00Z'), now: d('2026-03-01T09:59:00Z') },
      want: { missedCount: 0, wakeAt: '2026-03-01T10:00:00Z' },
    },
    {
      name: 'a fire exactly at now is due',
      input: { after: d('2026-03-01T09:30:00Z'), now: d('2026-03-01T10:00:00Z') },
      want: {
        due: '2026-03-01T10:00:00Z',
        missedCount: 0,
        last: '2026-03-01T10:00:00Z',
        wakeAt: '2026-03-01T11:00:00Z',
      },
    },
    {
      name: 'a fire at the watermark is not due again',
      input: { after: d('2026-03-01T10:00:00Z'), now: d('2026-03-01T10:30:00Z') },
      want: { missedCount: 0 },
    },
    {
      name: 'coalesces: older fires are counted as missed',
      input: { after: d('2026-03-01T06:00:00Z'), now: d('2026-03-01T10:10:00Z') },
      want: { due: '2026-03-01T10:00:00Z', missedCount: 3, last: '2026-03-01T10:00:00Z' },
    },
    {
      name: 'late beyond the deadline',
      input: {
        after: d('2026-03-01T09:00:00Z'),
        now: d('2026-03-01T10:10:01Z'),
        startingDeadlineSeconds: 600,
      },
      want: { tooLate: '2026-03-01T10:00:00Z', missedCount: 0, last: '2026-03-01T10:00:00Z' },
    },
    {
      name: 'exactly at the deadline is still in time',
      input: {
        after: d('2026-03-01T09:00:00Z'),
        now: d('2026-03-01T10:10:00Z'),
        startingDeadlineSeconds: 600,
      },
      want: { due: '2026-03-01T10:00:00Z', missedCount: 0, last: '2026-03-01T10:00:00Z' },
    },
    {
      name: 'lateness counts from the jittered moment',
      input: {
        after: d('2026-03-01T09:00:00Z'),
        now: d('2026-03-01T10:15:00Z'),
        startingDeadlineSeconds: 600,
        jitterSeconds: () => 600,
      },
      want: { due: '2026-03-01T10:00:00Z', missedCount: 0, last: '2026-03-01T10:00:00Z' },
    },
    {
      name: 'a fire still waiting for its jitter is not due; wake at its moment',
      input: { after: d('2026-03-01T09:00:00Z'), now: d('2026-03-01T10:01:00Z'), jitterSeconds: () => 120 },
      want: { missedCount: 0, wakeAt: '2026-03-01T10:02:00Z' },
    },
    {
      name: 'suspended: watermark follows, nothing due or missed',
      input: { after: d('2026-03-01T06:00:00Z'), now: d('2026-03-01T10:10:00Z'), suspend: true },
      want: { missedCount: 0, last: '2026-03-01T10:00:00Z', wakeAt: '2026-03-01T11:00:00Z' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planSchedule({
        fires: hourly,
        after: d('2026-03-01T00:00:00Z'),
        now: d('2026-03-01T00:00:00Z'),
        suspend: false,
        jitterSeconds: noJitter,
        ...c.input,
      });
      expect(plan.due?.toISOString()).to.equal(c.want.due && d(c.want.due).toISOString());
      expect(plan.tooLate?.toISOString()).to.equal(c.want.tooLate && d(c.want.tooLate).toISOString());
      expect(plan.missedCount).to.equal(c.want.missedCount);
      expect(plan.lastScheduleTime?.toISOString()).to.equal(c.want.last && d(c.want.last).toISOString());
      if (c.want.wakeAt) expect(plan.wakeAt?.toISOString()).to.equal(d(c.want.wakeAt).toISOString());
    });
  }

  it('bounds the scan after a long outage of an every-second schedule', () => {
    const plan = planSchedule({
      fires: every(1000),
      after: d('2026-03-01T00:00:00Z'),
      now: d('2026-03-02T00:00:00Z'),
      suspend: false,
      jitterSeconds: noJitter,
    });
    expect(plan.due?.toISOString()).to.equal('2026-03-02T00:00:00.000Z');
    expect(plan.missedCount).to.equal(MAX_FIRES_SCANNED - 1);
    expect(plan.missedMore).to.equal(true);
    expect(plan.missed.length).to.be.at.most(100);
  });
});

describe('setCondition', () => {
  const t0 = d('2026-03-01T10:00:00Z');
  const t1 = d('2026-03-01T11:00:00Z');
  it('stamps lastTransitionTime only when the status changes', () => {
    const first = setCondition(undefined, { type: 'Ready', status: 'True', reason: 'A', message: 'a' }, t0);
    const same = setCondition(
      first,
      { type: 'Ready', status: 'True', reason: 'B', message: 'b', observedGeneration: 2 },
      t1,
    );
    expect(same[0]).to.deep.equal({
      type: 'Ready',
      status: 'True',
      reason: 'B',
      message: 'b',
      observedGeneration: 2,
      lastTransitionTime: t0.toISOString(),
    });
    const changed = setCondition(same, { type: 'Ready', status: 'False', reason: 'C', message: 'c' }, t1);
    expect(changed[0]!.lastTransitionTime).to.equal(t1.toISOString());
    expect(first[0]!.reason, 'input untouched').to.equal('A');
  });
});

describe('run identity', () => {
  it('fits ECS limits even for long uids', () => {
    const resource = scheduledTask({}, { uid: 'x'.repeat(200) });
    for (const id of [
      scheduledRunIdentity(resource, d('2026-03-01T10:00:00Z')),
      runNowIdentity(resource, 'v', d('2026-03-01T10:00:00Z')),
    ]) {
      expect(id.startedBy).to.match(/^[A-Za-z0-9_/-]{1,128}$/);
      expect(id.clientToken.length).to.be.at.most(64);
    }
  });
  it('does not let user tags override ours', () => {
    const resource = scheduledTask({
      task: {
        taskDefinition: 't',
        tags: [{ key: 'ecs-scheduler.dev/uid', value: 'forged' }, { key: 'team' }],
      },
    });
    const tags = scheduledRunIdentity(resource, d('2026-03-01T10:00:00Z')).tags;
    expect(tags.filter((t) => t.key === 'ecs-scheduler.dev/uid')).to.have.length(1);
    expect(tags.at(-1)).to.deep.equal({ key: 'team', value: '' });
  });
});

describe('run history', () => {
  const run = (hour: number, result: RunRecord['result']): RunRecord => ({
    scheduledTime: `2026-03-01T${String(hour).padStart(2, '0')}:00:00.000Z`,
    result,
  });
  it('keeps Running, limits successes and the rest, newest first', () => {
    const runs = [
      run(1, 'Succeeded'),
      run(2, 'Failed'),
      run(3, 'Running'),
      run(4, 'DryRun'),
      run(5, 'Missed'),
      run(6, 'Succeeded'),
      run(7, 'Skipped'),
    ];
    const kept = trimRuns(runs, { successfulRunsHistoryLimit: 2, failedRunsHistoryLimit: 1 });
    expect(kept.map((r) => `${r.scheduledTime.slice(11, 13)} ${r.result}`)).to.deep.equal([
      '07 Skipped',
      '06 Succeeded',
      '04 DryRun',
      '03 Running',
    ]);
    expect(
      trimRuns(runs, { successfulRunsHistoryLimit: 0, failedRunsHistoryLimit: 0 }).map((r) => r.result),
    ).to.deep.equal(['Running']);
    expect(lastResult(runs)).to.equal('Skipped');
  });
});

describe('trackRuns', () => {
  const now = d('2026-03-01T10:05:00Z');
  const base: RunRecord = {
    scheduledTime: '2026-03-01T10:00:00.000Z',
    launchedAt: '2026-03-01T10:00:01.000Z',
    result: 'Running',
    desiredCount: 2,
    tasks: [{ taskArn: 'a' }, { taskArn: 'b' }],
  };
  const stopped = (taskArn: string, code: number) => ({
    taskArn,
    lastStatus: 'STOPPED',
    exitCodes: { app: code },
    essentialContainers: ['app'],
  });
  const options = { now, missingGraceMs: 120_000, isPending: () => false };

  it('waits until every task stopped, then settles', () => {
    const half = trackRuns(
      [base],
      [stopped('a', 0), { ...stopped('b', 0), lastStatus: 'RUNNING', exitCodes: {} }],
      options,
    );
    expect(half.settled).to.deep.equal([]);
    const all = trackRuns(half.runs, [stopped('b', 0)], options);
    expect(all.settled.map((r) => r.result)).to.deep.equal(['Succeeded']);
  });
  it('one failing task fails the run, and the first failure is the reason', () => {
    const result = trackRuns([base], [stopped('a', 3), stopped('b', 4)], options);
    expect(result.settled[0]).to.include({ result: 'Failed', reason: 'NonZeroExit' });
    expect(result.settled[0]!.message).to.contain('exited 3');
  });
  it('a pending run is not settled even if its tasks stopped', () => {
    const result = trackRuns([{ ...base, desiredCount: 3 }], [stopped('a', 0), stopped('b', 0)], {
      ...options,
      isPending: () => true,
    });
    expect(result.settled).to.deep.equal([]);
  });
  it('a run that launched fewer tasks than desired fails when it settles', () => {
    const result = trackRuns([{ ...base, desiredCount: 3 }], [stopped('a', 0), stopped('b', 0)], options);
    expect(result.settled[0]).to.include({ result: 'Failed', reason: 'CapacityUnavailable' });
  });
});

describe('newRunRecord', () => {
  const base: RunRecord = { scheduledTime: '2026-03-01T10:00:00.000Z', result: 'Running' };
  const now = d('2026-03-01T10:00:05Z');
  const task = { taskArn: 'a' };
  const cases: { name: string; input: Partial<Parameters<typeof newRunRecord>[0]>; want: object }[] = [
    {
      name: 'all launched',
      input: { outcome: { tasks: [task], adopted: 0, failures: [], dryRun: false, attempts: 1 } },
      want: { result: 'Running', desiredCount: 1 },
    },
    {
      name: 'capacity, retryable',
      input: { outcome: { tasks: [], adopted: 0, failures: [capacityFailure], dryRun: false, attempts: 1 } },
      want: { result: 'Running', reason: 'CapacityUnavailable' },
    },
    {
      name: 'capacity, not retryable (run-now)',
      input: {
        retryable: false,
        outcome: { tasks: [], adopted: 0, failures: [capacityFailure], dryRun: false, attempts: 1 },
      },
      want: { result: 'LaunchFailed', reason: 'CapacityUnavailable' },
    },
    {
      name: 'other failure',
      input: {
        outcome: { tasks: [], adopted: 0, failures: [missingTaskDefinition], dryRun: false, attempts: 1 },
      },
      want: { result: 'LaunchFailed', reason: 'RunTaskFailure' },
    },
    {
      name: 'partial with another failure: runs, will fail',
      input: {
        count: 2,
        outcome: { tasks: [task], adopted: 0, failures: [missingTaskDefinition], dryRun: false, attempts: 1 },
      },
      want: { result: 'Running', reason: 'RunTaskFailure', desiredCount: 2, launchCount: 1 },
    },
    {
      name: 'dry run',
      input: { outcome: { tasks: [], adopted: 0, failures: [], dryRun: true, attempts: 1 } },
      want: { result: 'DryRun' },
    },
    {
      name: 'top-up: desired is the total, launchCount the shortfall',
      input: {
        desired: 5,
        count: 2,
        outcome: { tasks: [task, task], adopted: 0, failures: [], dryRun: false, attempts: 1 },
      },
      want: { result: 'Running', desiredCount: 5, launchCount: 2 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(
        newRunRecord({
          base,
          desired: c.input.count ?? 1,
          count: 1,
          now,
          retryable: true,
          message: 'm',
          outcome: { tasks: [], adopted: 0, failures: [], dryRun: false, attempts: 1 },
          ...c.input,
        }),
      ).to.include(c.want);
    });
  }
});
