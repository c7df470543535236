// decideRun, the one run decision: a table row per branch, each (input, decision) compared whole,
// so an action added, lost or reordered in any branch shows here. The pass only executes these
// actions; the reconciler tests check that it does.
import { expect } from 'chai';
import { RUN_NOW_ANNOTATION } from '../../../../src/api/constants.js';
import type { RunRecord, Spec } from '../../../../src/api/types.js';
import {
  decideRun,
  type LaunchWindow,
  type RunDecision,
  type RunDecisionInput,
} from '../../../../src/controller/decide/run-decision.js';
import type { FireTimes, SchedulePlan } from '../../../../src/controller/decide/schedule-plan.js';
import { compileCalendar, exclusionsOf } from '../../../../src/schedule/exclusion-calendar.js';
import { scheduledTask } from '../../../support/resources.js';

const HOUR = 3_600_000;
/** Every whole hour, UTC. */
const hourly: FireTimes = {
  next: (after) => new Date(Math.floor(after.getTime() / HOUR) * HOUR + HOUR),
  previous: (t) => new Date(Math.floor(t.getTime() / HOUR) * HOUR),
};
const d = (iso: string) => new Date(iso);
const NOW = d('2026-03-01T12:00:30Z');
const T10 = d('2026-03-01T10:00:00Z');
const T11 = d('2026-03-01T11:00:00Z');
const T12 = d('2026-03-01T12:00:00Z');
const T13 = d('2026-03-01T13:00:00Z');
const noJitter = () => 0;
const window: LaunchWindow = { retryWindowSeconds: 300, jitterSeconds: noJitter };
const resource = scheduledTask();
const spec = (extra: Partial<Spec> = {}): Spec => ({ ...resource.spec, ...extra });
const sqs = { queueName: 'q', messagesPerTask: 100 };

const running = (scheduledTime: string, ...arns: string[]): RunRecord => ({
  scheduledTime,
  result: 'Running',
  cluster: 'default',
  tasks: arns.map((taskArn) => ({ taskArn, lastStatus: 'RUNNING' })),
});
/** Launched 1 of 3 after capacity failures, at 12:00 (inside the 300 s window at NOW). */
const short: RunRecord = {
  ...running('2026-03-01T12:00:00Z', 'arn:s1'),
  desiredCount: 3,
  launchCount: 3,
  reason: 'CapacityUnavailable',
};
const waitingRetry = (cluster: string): RunRecord => ({
  scheduledTime: '2026-03-01T11:00:00Z',
  result: 'Running',
  cluster,
  desiredCount: 2,
  attempt: 2,
  retryAt: '2026-03-01T12:00:00Z',
});

/** A plan with nothing in it but what a row sets. */
const plan = (p: Partial<SchedulePlan>): SchedulePlan => ({
  catchup: [],
  missed: [],
  missedCount: 0,
  missedMore: false,
  ...p,
});
const coalesced = (time: Date): RunRecord => ({
  scheduledTime: time.toISOString(),
  result: 'Missed',
  reason: 'Coalesced',
  message: 'a later scheduled time was due at the same pass; only the most recent one runs',
});

const decide = decideRun as (input: RunDecisionInput) => RunDecision;

interface Row {
  readonly name: string;
  readonly input: RunDecisionInput;
  readonly want: RunDecision;
}

function table(title: string, rows: readonly Row[]): void {
  describe(`decideRun: ${title}`, () => {
    for (const row of rows) {
      it(row.name, () => {
        expect(decide(row.input)).to.deep.equal(row.want);
      });
    }
  });
}

const start = (extra: Partial<Extract<RunDecisionInput, { at: 'start' }>> = {}): RunDecisionInput => ({
  at: 'start',
  spec: spec(),
  now: NOW,
  runs: [],
  resource,
  fires: hourly,
  after: d('2026-03-01T09:30:00Z'),
  lastRunNow: undefined,
  buffered: false,
  launchedRunsTotal: 0,
  jitterSeconds: noJitter,
  ...extra,
});
const freeze = exclusionsOf([
  compileCalendar({ ranges: [{ start: '2026-03-01T10:30:00Z', end: '2026-03-01T11:30:00Z' }] }, 'ns/freeze'),
]);

table('the start of a pass (the schedule plan, and whether to ask ECS first)', [
  {
    name: 'a due time with older ones passed over: the newest is due, the rest coalesced',
    input: start(),
    want: {
      plan: plan({
        due: T12,
        missed: [T11, T10],
        missedCount: 2,
        lastScheduleTime: T12,
        nextScheduleTime: T13,
        wakeAt: T13,
      }),
      actions: [{ do: 'observe-tasks', fresh: false }],
    },
  },
  {
    name: 'Forbid with tasks on record and a time due: ask ECS which still run first',
    input: start({
      spec: spec({ concurrencyPolicy: 'Forbid' }),
      runs: [running('2026-03-01T09:00:00Z', 'arn:1')],
    }),
    want: {
      plan: plan({
        due: T12,
        missed: [T11, T10],
        missedCount: 2,
        lastScheduleTime: T12,
        nextScheduleTime: T13,
        wakeAt: T13,
      }),
      actions: [{ do: 'observe-tasks', fresh: true }],
    },
  },
  {
    name: 'suspended: nothing due or missed; the watermark follows the clock',
    input: start({ spec: spec({ suspend: true }) }),
    want: {
      plan: plan({ lastScheduleTime: T12, wakeAt: T13 }),
      actions: [{ do: 'observe-tasks', fresh: false }],
    },
  },
  {
    name: 'maxRuns reached: nothing due or missed, and no timer',
    input: start({ spec: spec({ maxRuns: 2 }), launchedRunsTotal: 2 }),
    want: { plan: plan({ lastScheduleTime: T12 }), actions: [{ do: 'observe-tasks', fresh: false }] },
  },
  {
    name: 'past startingDeadlineSeconds: the newest time is too late, the rest coalesced',
    input: start({ spec: spec({ startingDeadlineSeconds: 10 }) }),
    want: {
      plan: plan({
        tooLate: T12,
        missed: [T11, T10],
        missedCount: 2,
        lastScheduleTime: T12,
        nextScheduleTime: T13,
        wakeAt: T13,
      }),
      actions: [{ do: 'observe-tasks', fresh: false }],
    },
  },
  {
    name: 'catchup.maxRuns 3: the two older times launch too, oldest first',
    input: start({ spec: spec({ catchup: { maxRuns: 3 } }) }),
    want: {
      plan: plan({
        due: T12,
        catchup: [T10, T11],
        lastScheduleTime: T12,
        nextScheduleTime: T13,
        wakeAt: T13,
      }),
      actions: [{ do: 'observe-tasks', fresh: false }],
    },
  },
  {
    name: 'catch-up stops at what maxRuns still allows',
    input: start({ spec: spec({ catchup: { maxRuns: 3 }, maxRuns: 5 }), launchedRunsTotal: 3 }),
    want: {
      plan: plan({
        due: T12,
        catchup: [T11],
        missed: [T10],
        missedCount: 1,
        lastScheduleTime: T12,
        nextScheduleTime: T13,
        wakeAt: T13,
      }),
      actions: [{ do: 'observe-tasks', fresh: false }],
    },
  },
  {
    name: 'a calendar-excluded time is neither due nor missed: excluded, and dealt with before the due one',
    input: start({ exclusions: freeze }),
    want: {
      plan: plan({
        due: T12,
        missed: [T10],
        missedCount: 1,
        excluded: [T11],
        excludedBeforeDue: T11,
        lastScheduleTime: T12,
        nextScheduleTime: T13,
        wakeAt: T13,
      }),
      actions: [{ do: 'observe-tasks', fresh: false }],
    },
  },
  {
    name: 'a new run-now value under Replace with tasks running: ask ECS first',
    input: start({
      spec: spec({ concurrencyPolicy: 'Replace' }),
      after: T12,
      runs: [running('2026-03-01T12:00:00Z', 'arn:1')],
      resource: scheduledTask({}, { annotations: { [RUN_NOW_ANNOTATION]: 'go' } }),
    }),
    want: {
      plan: plan({ nextScheduleTime: T13, wakeAt: T13 }),
      actions: [{ do: 'observe-tasks', fresh: true }],
    },
  },
]);

const schedule = (p: SchedulePlan, extra: Partial<Extract<RunDecisionInput, { at: 'schedule' }>> = {}) =>
  ({
    at: 'schedule',
    plan: p,
    fires: hourly,
    after: d('2026-03-01T09:30:00Z'),
    mayHaveLaunched: () => false,
    pendingLookups: [],
    ...extra,
  }) as RunDecisionInput;
const duePlan = plan({ due: T12, missed: [T11, T10], missedCount: 2, lastScheduleTime: T12 });

table('the schedule (passed over, caught up, too late, due), in order', [
  {
    name: 'passed-over times nobody may have launched: Missed unseen, then the due time',
    input: schedule(duePlan),
    want: {
      actions: [
        {
          do: 'record-missed',
          runs: [coalesced(T11), coalesced(T10)],
          uncounted: 0,
          missed: 2,
          warning:
            'missed 2 scheduled time(s) before 2026-03-01T12:00:00.000Z; only the most recent is considered',
        },
        { do: 'advance-watermark', to: T11 },
        { do: 'start-run', kind: 'scheduled', time: T12 },
        { do: 'advance-watermark', to: T12 },
      ],
    },
  },
  {
    name: 'passed-over times an earlier owner may have launched: looked up first, none Missed unseen',
    input: schedule(duePlan, { mayHaveLaunched: () => true }),
    want: {
      actions: [
        {
          do: 'look-up-passed-over',
          pending: [{ from: '2026-03-01T10:00:00.000Z', to: '2026-03-01T11:00:00.000Z' }],
        },
        { do: 'advance-watermark', to: T11 },
        { do: 'start-run', kind: 'scheduled', time: T12 },
        { do: 'advance-watermark', to: T12 },
      ],
    },
  },
  {
    name: 'lookups still waiting for the budget are taken up, whatever is due',
    input: schedule(plan({ due: T12, lastScheduleTime: T12 }), {
      pendingLookups: [{ from: '2026-03-01T06:00:00.000Z', to: '2026-03-01T07:00:00.000Z' }],
    }),
    want: {
      actions: [
        {
          do: 'look-up-passed-over',
          pending: [{ from: '2026-03-01T06:00:00.000Z', to: '2026-03-01T07:00:00.000Z' }],
        },
        { do: 'start-run', kind: 'scheduled', time: T12 },
        { do: 'advance-watermark', to: T12 },
      ],
    },
  },
  {
    name: 'catch-up: each older time starts as its own run, oldest first, the watermark after each',
    input: schedule(plan({ due: T12, catchup: [T10, T11], lastScheduleTime: T12 })),
    want: {
      actions: [
        { do: 'start-run', kind: 'catch-up', time: T10 },
        { do: 'advance-watermark', to: T10 },
        { do: 'start-run', kind: 'catch-up', time: T11 },
        { do: 'advance-watermark', to: T11 },
        { do: 'start-run', kind: 'scheduled', time: T12 },
        { do: 'advance-watermark', to: T12 },
      ],
    },
  },
  {
    name: 'too late to start: looked up (a crash may have launched it), nothing launched',
    input: schedule(plan({ tooLate: T12, lastScheduleTime: T12 })),
    want: {
      actions: [
        { do: 'look-up-too-late', time: T12 },
        { do: 'advance-watermark', to: T12 },
      ],
    },
  },
  {
    name: 'an excluded time before the due one: the watermark passes it whatever the launch does',
    input: schedule(
      plan({
        due: T12,
        missed: [T10],
        missedCount: 1,
        excluded: [T11],
        excludedBeforeDue: T11,
        lastScheduleTime: T12,
      }),
    ),
    want: {
      actions: [
        {
          do: 'record-missed',
          runs: [coalesced(T10)],
          uncounted: 0,
          missed: 1,
          warning:
            'missed 1 scheduled time(s) before 2026-03-01T12:00:00.000Z; only the most recent is considered',
        },
        { do: 'advance-watermark', to: T11 },
        { do: 'start-run', kind: 'scheduled', time: T12 },
        { do: 'advance-watermark', to: T12 },
      ],
    },
  },
  {
    name: 'suspended (or maxRuns reached): only the watermark moves',
    input: schedule(plan({ lastScheduleTime: T12 })),
    want: { actions: [{ do: 'advance-watermark', to: T12 }] },
  },
  {
    name: 'more passed over than records kept: counted all the same',
    input: schedule(plan({ due: T12, missed: [T11], missedCount: 3, lastScheduleTime: T12 })),
    want: {
      actions: [
        {
          do: 'record-missed',
          runs: [coalesced(T11)],
          uncounted: 2,
          missed: 3,
          warning:
            'missed 3 scheduled time(s) before 2026-03-01T12:00:00.000Z; only the most recent is considered',
        },
        { do: 'advance-watermark', to: T11 },
        { do: 'start-run', kind: 'scheduled', time: T12 },
        { do: 'advance-watermark', to: T12 },
      ],
    },
  },
]);

const lookedUp = (
  why: 'passed-over' | 'too-late',
  found: string[],
  extra: Partial<Extract<RunDecisionInput, { at: 'looked-up' }>> = {},
) =>
  ({
    at: 'looked-up',
    why,
    spec: spec(),
    now: NOW,
    time: T11,
    found,
    cluster: 'default',
    maxTasksPerRun: 100,
    window,
    ...extra,
  }) as RunDecisionInput;
const adopted = (arns: string[]): RunRecord => ({
  scheduledTime: T11.toISOString(),
  result: 'Running',
  cluster: 'default',
  desiredCount: arns.length,
  launchCount: arns.length,
  tasks: arns.map((taskArn) => ({ taskArn })),
  message: `${arns.length} task(s) adopted from an earlier attempt`,
});

table('a time looked up in ECS', [
  {
    name: 'passed over, no task found: Missed',
    input: lookedUp('passed-over', []),
    want: {
      actions: [
        {
          do: 'record',
          missed: true,
          adopted: false,
          run: {
            scheduledTime: T11.toISOString(),
            result: 'Missed',
            reason: 'Coalesced',
            message:
              'passed over while nobody recorded it, and no task was found for it in ECS; a later scheduled time was due',
          },
        },
      ],
    },
  },
  {
    name: 'passed over, its tasks found: adopted',
    input: lookedUp('passed-over', ['arn:a']),
    want: { actions: [{ do: 'record', missed: false, adopted: true, run: adopted(['arn:a']) }] },
  },
  {
    name: 'passed over, found short of taskCount inside the launch window: the batches not seen are resent',
    input: lookedUp('passed-over', ['arn:a'], {
      spec: spec({ taskCount: 3 }),
      now: d('2026-03-01T11:02:00Z'),
    }),
    want: {
      actions: [
        {
          do: 'record',
          missed: false,
          adopted: true,
          run: {
            ...adopted(['arn:a']),
            desiredCount: 3,
            launchCount: 3,
            launchAttempts: 1,
            unconfirmedLaunch: { launchAttempt: 0, fromBatch: 0, count: 3 },
            reason: 'LaunchUnconfirmed',
            message:
              '1 of 3 task(s) adopted from an earlier attempt; the batches not seen are resent under their original tokens',
          },
        },
      ],
    },
  },
  {
    name: 'passed over, found short past the launch window: adopted as found',
    input: lookedUp('passed-over', ['arn:a'], { spec: spec({ taskCount: 3 }) }),
    want: {
      actions: [
        {
          do: 'record',
          missed: false,
          adopted: true,
          run: {
            ...adopted(['arn:a']),
            desiredCount: 3,
            message:
              '1 of 3 task(s) adopted from an earlier attempt; the rest are not launched: past startingDeadlineSeconds (or the launch retry window)',
          },
        },
      ],
    },
  },
  {
    name: 'too late, no task found: Missed with a MissedSchedule warning',
    input: lookedUp('too-late', [], { spec: spec({ startingDeadlineSeconds: 10 }) }),
    want: {
      actions: [
        {
          do: 'record',
          missed: true,
          adopted: false,
          run: {
            scheduledTime: T11.toISOString(),
            result: 'Missed',
            reason: 'StartingDeadlineExceeded',
            message:
              'too late to start: more than startingDeadlineSeconds (10s) after 2026-03-01T11:00:00.000Z',
          },
          warning:
            'too late to start: more than startingDeadlineSeconds (10s) after 2026-03-01T11:00:00.000Z',
        },
      ],
    },
  },
  {
    name: 'too late, its tasks found (launched before a crash): adopted',
    input: lookedUp('too-late', ['arn:a', 'arn:b'], { spec: spec({ startingDeadlineSeconds: 10 }) }),
    want: { actions: [{ do: 'record', missed: false, adopted: true, run: adopted(['arn:a', 'arn:b']) }] },
  },
]);

const due = (extra: Partial<Extract<RunDecisionInput, { at: 'due' }>> = {}) =>
  ({
    at: 'due',
    kind: 'scheduled',
    spec: spec(),
    now: NOW,
    runs: [],
    maxTasksPerRun: 100,
    queueClient: true,
    launchedRunsTotal: 0,
    ...extra,
  }) as RunDecisionInput;
const launch = (
  count: number,
  message: string,
  more: { desired?: number; stop?: string[]; supersede?: boolean } = {},
) =>
  ({
    actions: [
      {
        do: 'launch',
        count,
        desiredCount: more.desired ?? count,
        stop: more.stop ?? [],
        supersede: more.supersede ?? false,
        message,
      },
    ],
  }) as RunDecision;
const twoRunning = [running('2026-03-01T11:00:00Z', 'arn:1', 'arn:2')];

table('one due run (how many tasks, under which policy)', [
  {
    name: 'due, Allow: launch taskCount',
    input: due({ spec: spec({ taskCount: 2 }) }),
    want: launch(2, 'launching 2 task(s)'),
  },
  {
    name: 'taskCount above maxCount: maxCount',
    input: due({ spec: spec({ taskCount: 5, maxCount: 3 }) }),
    want: launch(3, 'launching 3 task(s)'),
  },
  {
    name: "taskCount above the controller's maxTasksPerRun: capped, and the message says so",
    input: due({ spec: spec({ taskCount: 5 }), maxTasksPerRun: 4 }),
    want: launch(4, 'launching 4 task(s) (capped from 5 by maxTasksPerRun 4)'),
  },
  {
    name: 'SQS trigger, depth not read yet: read it first',
    input: due({ spec: spec({ trigger: { sqs } }) }),
    want: { actions: [{ do: 'read-queue-depth' }] },
  },
  {
    name: 'SQS trigger: ceil(depth / messagesPerTask) tasks',
    input: due({ spec: spec({ trigger: { sqs } }), queueDepth: 250 }),
    want: launch(3, 'launching 3 task(s)'),
  },
  {
    name: 'SQS trigger: never above maxCount',
    input: due({ spec: spec({ trigger: { sqs }, maxCount: 2 }), queueDepth: 950 }),
    want: launch(2, 'launching 2 task(s)'),
  },
  {
    name: 'SQS trigger, empty queue: Skipped QueueEmpty, nothing launched',
    input: due({ spec: spec({ trigger: { sqs } }), queueDepth: 0 }),
    want: {
      actions: [{ do: 'skip', reason: 'QueueEmpty', message: 'the trigger queue is empty', desiredCount: 0 }],
    },
  },
  {
    name: 'SQS trigger without an SQS client: Skipped TriggerUnavailable',
    input: due({ spec: spec({ trigger: { sqs } }), queueClient: false }),
    want: {
      actions: [
        { do: 'skip', reason: 'TriggerUnavailable', message: 'this controller has no SQS client configured' },
      ],
    },
  },
  {
    name: 'SQS trigger under TopUp: tops up to ceil(depth / messagesPerTask)',
    input: due({
      spec: spec({ trigger: { sqs }, concurrencyPolicy: 'TopUp' }),
      queueDepth: 500,
      runs: twoRunning,
    }),
    want: launch(3, '2 task(s) running, topping up by 3 to 5', { desired: 5, supersede: true }),
  },
  {
    name: 'TopUp with enough running: Skipped AlreadyRunning',
    input: due({ spec: spec({ taskCount: 2, concurrencyPolicy: 'TopUp' }), runs: twoRunning }),
    want: {
      actions: [
        { do: 'skip', reason: 'AlreadyRunning', message: '2 task(s) running, 2 desired', desiredCount: 2 },
      ],
    },
  },
  {
    name: 'Allow with tasks running: launches beside them',
    input: due({ runs: twoRunning }),
    want: launch(1, 'launching 1 task(s)'),
  },
  {
    name: 'Forbid with tasks running: Skipped ConcurrencyForbid',
    input: due({ spec: spec({ concurrencyPolicy: 'Forbid' }), runs: twoRunning }),
    want: {
      actions: [
        {
          do: 'skip',
          reason: 'ConcurrencyForbid',
          message: '2 task(s) of an earlier run still running',
          desiredCount: 1,
        },
      ],
    },
  },
  {
    name: 'Forbid with a run waiting for its retry: Skipped ConcurrencyForbid',
    input: due({ spec: spec({ concurrencyPolicy: 'Forbid' }), runs: [waitingRetry('default')] }),
    want: {
      actions: [
        {
          do: 'skip',
          reason: 'ConcurrencyForbid',
          message:
            'the run scheduled at 2026-03-01T11:00:00Z is waiting for attempt 2 at 2026-03-01T12:00:00Z',
          desiredCount: 1,
        },
      ],
    },
  },
  {
    name: 'Replace with tasks running: stop them, launch, and supersede older runs',
    input: due({ spec: spec({ concurrencyPolicy: 'Replace' }), runs: twoRunning }),
    want: launch(1, 'replacing 2 running task(s)', { stop: ['arn:1', 'arn:2'], supersede: true }),
  },
  {
    name: 'BufferOne with tasks running: the run waits',
    input: due({ spec: spec({ concurrencyPolicy: 'BufferOne' }), runs: twoRunning }),
    want: { actions: [{ do: 'buffer', message: 'waiting: 2 task(s) of an earlier run still running' }] },
  },
  {
    name: 'BufferOne with one already waiting: Skipped BufferFull',
    input: due({
      spec: spec({ concurrencyPolicy: 'BufferOne' }),
      runs: twoRunning,
      buffered: '2026-03-01T11:30:00Z',
    }),
    want: {
      actions: [
        {
          do: 'skip',
          reason: 'BufferFull',
          message:
            '2 task(s) of an earlier run still running, and the run scheduled at 2026-03-01T11:30:00Z already waits for it',
          desiredCount: 1,
        },
      ],
    },
  },
  {
    name: 'BufferOne, a run-now while tasks run: Skipped, a run-now never waits',
    input: due({ kind: 'run-now', spec: spec({ concurrencyPolicy: 'BufferOne' }), runs: twoRunning }),
    want: {
      actions: [
        {
          do: 'skip',
          reason: 'ConcurrencyForbid',
          message: '2 task(s) of an earlier run still running; BufferOne makes only scheduled runs wait',
          desiredCount: 1,
        },
      ],
    },
  },
  {
    name: 'BufferOne with nothing running: launches as Allow, superseding older runs',
    input: due({ spec: spec({ concurrencyPolicy: 'BufferOne' }) }),
    want: launch(1, 'launching 1 task(s)', { supersede: true }),
  },
  {
    name: 'batches of an earlier launch without an answer: wait, the time stays due',
    input: due({
      runs: [
        {
          ...running('2026-03-01T11:00:00Z'),
          unconfirmedLaunch: { launchAttempt: 0, fromBatch: 0, count: 1 },
        },
      ],
    }),
    want: { actions: [{ do: 'wait' }] },
  },
  {
    name: 'maxRuns used up (by a run launched earlier in the pass): Skipped MaxRunsReached',
    input: due({ spec: spec({ maxRuns: 2 }), launchedRunsTotal: 2 }),
    want: {
      actions: [
        {
          do: 'skip',
          reason: 'MaxRunsReached',
          message: 'maxRuns (2) scheduled runs were launched already',
        },
      ],
    },
  },
  {
    name: 'maxRuns used up, a run-now: still launches (run-now is not counted)',
    input: due({ kind: 'run-now', spec: spec({ maxRuns: 2 }), launchedRunsTotal: 2 }),
    want: launch(1, 'launching 1 task(s)'),
  },
]);

const annotated = (value: string) => scheduledTask({}, { annotations: { [RUN_NOW_ANNOTATION]: value } });
const runNow = (extra: Partial<Extract<RunDecisionInput, { at: 'run-now' }>> = {}) =>
  ({
    at: 'run-now',
    spec: spec(),
    now: NOW,
    resource: annotated('go'),
    lastRunNow: undefined,
    ...extra,
  }) as RunDecisionInput;

table('the run-now annotation', [
  { name: 'no annotation: nothing', input: runNow({ resource }), want: { actions: [] } },
  { name: 'a value already acted on: nothing', input: runNow({ lastRunNow: 'go' }), want: { actions: [] } },
  {
    name: 'a new value: a run-now starts now',
    input: runNow(),
    want: { actions: [{ do: 'start-run', kind: 'run-now', time: NOW, value: 'go' }] },
  },
  {
    name: 'a new value while suspended: Skipped Suspended, and the value counts as acted on',
    input: runNow({ spec: spec({ suspend: true }) }),
    want: {
      actions: [
        {
          do: 'skip-run-now',
          value: 'go',
          run: {
            scheduledTime: NOW.toISOString(),
            result: 'Skipped',
            reason: 'Suspended',
            message: 'run-now "go" ignored: the resource is suspended',
          },
        },
      ],
    },
  },
]);

const bufferedAt = { scheduledTime: '2026-03-01T12:00:00Z', since: '2026-03-01T12:00:00Z' };
const buffered = (extra: Partial<Extract<RunDecisionInput, { at: 'buffered' }>> = {}) =>
  ({
    at: 'buffered',
    spec: spec({ concurrencyPolicy: 'BufferOne' }),
    now: NOW,
    runs: [],
    buffered: bufferedAt,
    launchedRunsTotal: 0,
    jitterSeconds: noJitter,
    ...extra,
  }) as RunDecisionInput;

table("BufferOne's waiting run", [
  {
    name: 'the earlier run still runs: it keeps waiting',
    input: buffered({ runs: twoRunning }),
    want: { actions: [{ do: 'keep-waiting' }] },
  },
  {
    name: 'the earlier run ended: it starts, keeping the time it waited since',
    input: buffered(),
    want: { actions: [{ do: 'start-run', kind: 'buffered', time: T12, since: bufferedAt.since }] },
  },
  {
    name: 'the policy is no longer BufferOne: it starts at once',
    input: buffered({ spec: spec({ concurrencyPolicy: 'Allow' }), runs: twoRunning }),
    want: { actions: [{ do: 'start-run', kind: 'buffered', time: T12, since: bufferedAt.since }] },
  },
  {
    name: 'suspended meanwhile: dropped, Skipped Suspended',
    input: buffered({ spec: spec({ concurrencyPolicy: 'BufferOne', suspend: true }) }),
    want: {
      actions: [
        {
          do: 'drop-buffered',
          run: {
            scheduledTime: bufferedAt.scheduledTime,
            result: 'Skipped',
            reason: 'Suspended',
            message: 'it waited for a running run (BufferOne), and the resource was suspended',
          },
        },
      ],
    },
  },
  {
    name: 'maxRuns reached meanwhile: dropped, Skipped MaxRunsReached',
    input: buffered({ spec: spec({ concurrencyPolicy: 'BufferOne', maxRuns: 1 }), launchedRunsTotal: 1 }),
    want: {
      actions: [
        {
          do: 'drop-buffered',
          run: {
            scheduledTime: bufferedAt.scheduledTime,
            result: 'Skipped',
            reason: 'MaxRunsReached',
            message: 'it waited for a running run (BufferOne), and maxRuns (1) was reached meanwhile',
          },
        },
      ],
    },
  },
  {
    name: 'waited past startingDeadlineSeconds: dropped, Missed with a warning',
    input: buffered({ spec: spec({ concurrencyPolicy: 'BufferOne', startingDeadlineSeconds: 10 }) }),
    want: {
      actions: [
        {
          do: 'drop-buffered',
          run: {
            scheduledTime: bufferedAt.scheduledTime,
            result: 'Missed',
            reason: 'StartingDeadlineExceeded',
            message:
              'too late to start: it waited for a running run (BufferOne) for more than startingDeadlineSeconds (10s) after 2026-03-01T12:00:00Z',
          },
          warning:
            'too late to start: it waited for a running run (BufferOne) for more than startingDeadlineSeconds (10s) after 2026-03-01T12:00:00Z',
        },
      ],
    },
  },
]);

const retries = (runs: RunRecord[]) =>
  ({
    at: 'retries',
    spec: spec({ retryPolicy: { maxRetries: 2 } }),
    now: NOW,
    runs,
    cluster: 'default',
  }) as RunDecisionInput;

table('retry attempts (spec.retryPolicy)', [
  {
    name: 'an attempt whose time came: launched with the planned task count',
    input: retries([waitingRetry('default')]),
    want: {
      actions: [
        {
          do: 'launch-attempt',
          run: waitingRetry('default'),
          attempt: 2,
          count: 2,
          desiredCount: 2,
          message: 'attempt 2 of 3: launching 2 task(s)',
        },
      ],
    },
  },
  {
    name: 'an attempt not due yet: nothing',
    input: {
      ...(retries([waitingRetry('default')]) as object),
      now: d('2026-03-01T11:59:00Z'),
    } as RunDecisionInput,
    want: { actions: [] },
  },
  {
    name: 'a waiting attempt in a cluster the spec no longer names: closed, saying why',
    input: retries([waitingRetry('old')]),
    want: {
      actions: [
        {
          do: 'close-retry',
          run: waitingRetry('old'),
          why: "spec.task.cluster is now default, and the run's was old",
        },
      ],
    },
  },
]);

const capacity = (runs: RunRecord[], now = NOW) =>
  ({ at: 'capacity', spec: spec(), now, runs, cluster: 'default', window }) as RunDecisionInput;

table('runs short of tasks after capacity failures', [
  {
    name: 'inside the launch window: the remainder is launched',
    input: capacity([short]),
    want: { actions: [{ do: 'relaunch-remainder', run: short, count: 2 }] },
  },
  {
    name: 'past the launch window: nothing more',
    input: capacity([short], d('2026-03-01T12:05:01Z')),
    want: { actions: [] },
  },
  {
    name: 'in a cluster the spec no longer names: ended with what it launched',
    input: capacity([{ ...short, cluster: 'old' }]),
    want: { actions: [{ do: 'end-short-run', run: { ...short, cluster: 'old' } }] },
  },
  {
    name: 'batches without an answer: confirmed first, not relaunched here',
    input: capacity([{ ...short, unconfirmedLaunch: { launchAttempt: 0, fromBatch: 0, count: 2 } }]),
    want: { actions: [] },
  },
]);

const noneLaunched: RunRecord = { ...short, tasks: [] };
const launched = (runs: RunRecord[]) =>
  ({
    at: 'launched',
    spec: spec(),
    now: NOW,
    runs,
    scheduledTime: '2026-03-01T12:00:30Z',
    window,
  }) as RunDecisionInput;

table('a new run taking over (Forbid, Replace, TopUp, BufferOne)', [
  {
    name: 'an older run short of tasks keeps what runs and stops retrying for capacity',
    input: launched([short]),
    want: {
      actions: [
        {
          do: 'supersede',
          run: short,
          updated: { ...short, launchCount: 1 },
          settle: 'no',
        },
      ],
    },
  },
  {
    name: 'an older run that launched nothing: LaunchFailed Superseded',
    input: launched([noneLaunched]),
    want: {
      actions: [
        {
          do: 'supersede',
          run: noneLaunched,
          updated: {
            scheduledTime: short.scheduledTime,
            result: 'LaunchFailed',
            cluster: 'default',
            desiredCount: 3,
            launchCount: 3,
            reason: 'Superseded',
            message: 'a newer run started before capacity was found',
            finishedAt: NOW.toISOString(),
          },
          settle: 'retryable',
        },
      ],
    },
  },
  { name: 'nothing pending: nothing to supersede', input: launched(twoRunning), want: { actions: [] } },
]);

const end = (extra: Partial<Extract<RunDecisionInput, { at: 'end' }>> = {}) =>
  ({
    at: 'end',
    spec: spec(),
    now: NOW,
    runs: [],
    launchedRunsTotal: 0,
    window,
    ...extra,
  }) as RunDecisionInput;

table('the end of a pass: when to look again', [
  {
    name: 'the next fire: requeued for it, padded',
    input: end({ wakeAt: T13 }),
    want: {
      pending: false,
      exhausted: false,
      actions: [{ do: 'requeue-after', ms: 59 * 60_000 + 30_000 + 25 }],
    },
  },
  {
    name: 'maxRuns reached: no timer, whatever the schedule',
    input: end({ spec: spec({ maxRuns: 1 }), launchedRunsTotal: 1, wakeAt: T13 }),
    want: { pending: false, exhausted: true, actions: [] },
  },
  {
    name: 'a run short of tasks: back within its capacity backoff (the time waited, at least 5 s)',
    input: end({ runs: [short], wakeAt: T13 }),
    want: { pending: true, exhausted: false, actions: [{ do: 'requeue-after', ms: 30_000 }] },
  },
  {
    name: 'tasks running without a shared tracker: polled',
    input: end({ wakeAt: T13, pollMs: 10_000 }),
    want: { pending: false, exhausted: false, actions: [{ do: 'requeue-after', ms: 10_000 }] },
  },
  {
    name: 'a retry attempt sooner than the next fire: back for it',
    input: end({ wakeAt: T13, retryAt: d('2026-03-01T12:01:00Z') }),
    want: { pending: false, exhausted: false, actions: [{ do: 'requeue-after', ms: 30_025 }] },
  },
  {
    name: 'nothing to come: only a change wakes it',
    input: end(),
    want: { pending: false, exhausted: false, actions: [] },
  },
]);

/** 25 tasks in three batches from batch 0, none answered. */
const unanswered = (extra: Partial<RunRecord> = {}): RunRecord => ({
  ...running('2026-03-01T12:00:00Z'),
  desiredCount: 25,
  launchCount: 25,
  unconfirmedLaunch: { launchAttempt: 0, fromBatch: 0, count: 25 },
  ...extra,
});
const resend = (run: RunRecord, found: number) =>
  ({ at: 'unanswered', run, found, cluster: 'default' }) as RunDecisionInput;

table('batches of a launch without an answer, once its tasks were looked up', [
  {
    name: 'none found: every batch is resent under its own token',
    input: resend(unanswered(), 0),
    want: { actions: [{ do: 'resend-batches', fromBatch: 0, count: 25, retryable: true }] },
  },
  {
    name: 'some found: the first batch went out; only the batches after it are sent',
    input: resend(unanswered(), 4),
    want: { actions: [{ do: 'resend-batches', fromBatch: 1, count: 15, retryable: true }] },
  },
  {
    name: 'being stopped (activeDeadlineSeconds): only what runs is adopted',
    input: resend(unanswered({ reason: 'DeadlineExceeded' }), 0),
    want: { actions: [{ do: 'resend-batches', fromBatch: 0, count: 0, retryable: true }] },
  },
  {
    name: 'in a cluster the spec no longer names: only what runs is adopted',
    input: resend(unanswered({ cluster: 'old' }), 0),
    want: { actions: [{ do: 'resend-batches', fromBatch: 0, count: 0, retryable: true }] },
  },
  {
    name: 'a run-now: its shortfall is not retried by spec.retryPolicy',
    input: resend(unanswered({ runNowKey: 'k' }), 0),
    want: { actions: [{ do: 'resend-batches', fromBatch: 0, count: 25, retryable: false }] },
  },
]);
