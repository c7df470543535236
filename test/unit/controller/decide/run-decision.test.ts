// The branch helpers of decideRun (run-decision.table.test.ts tables decideRun itself), one row
// per branch. decideDueRun is compared whole (deep.equal), so a field added or lost in any branch
// shows here; planSchedule rows pin the fields each case sets.
import { expect } from 'chai';
import { RUN_NOW_ANNOTATION } from '../../../../src/api/constants.js';
import type { RunRecord, Spec } from '../../../../src/api/types.js';
import {
  decideBuffered,
  decideDueRun,
  decideRunNow,
  needsFreshTasks,
  wantsRunNow,
  type BufferedDecision,
  type DueRunDecision,
  type DueRunInput,
} from '../../../../src/controller/decide/due-run.js';
import {
  decideRetries,
  decideSupersede,
  isPendingRun,
} from '../../../../src/controller/decide/older-runs.js';
import { decideMissed, decideTooLate } from '../../../../src/controller/decide/passed-over.js';
import {
  REQUEUE_PADDING_MS,
  requeueAfterMs,
  type RequeueInput,
} from '../../../../src/controller/decide/requeue.js';
import {
  launchWindowEnd,
  MAX_MISSED_RECORDS,
  maxRunsReached,
  planSchedule,
  type FireTimes,
  type PlanInput,
} from '../../../../src/controller/decide/schedule-plan.js';
import { dueRetries } from '../../../../src/controller/decide/run-retry.js';
import { compileCalendar, exclusionsOf } from '../../../../src/schedule/exclusion-calendar.js';
import { scheduledTask } from '../../../support/resources.js';

const sqs = { queueName: 'q', messagesPerTask: 100 };
const running = (scheduledTime: string, ...arns: string[]): RunRecord => ({
  scheduledTime,
  result: 'Running',
  tasks: arns.map((taskArn) => ({ taskArn, lastStatus: 'RUNNING' })),
});
const twoRunning = running('2026-03-01T09:00:00Z', 'arn:1', 'arn:2');
const waitingForRetry: RunRecord = {
  scheduledTime: '2026-03-01T09:00:00Z',
  result: 'Running',
  attempt: 2,
  retryAt: '2026-03-01T10:01:00Z',
};

describe('decideDueRun: what a due run does', () => {
  const cases: {
    name: string;
    spec?: Partial<Spec>;
    runs?: RunRecord[];
    maxTasksPerRun?: number;
    queueClient?: boolean;
    queueDepth?: number;
    buffered?: string;
    runNow?: boolean;
    runsLeft?: number;
    want: DueRunDecision;
  }[] = [
    // Unconfirmed batches block every new launch, before anything else is looked at.
    {
      name: 'unconfirmed batches of an earlier launch: wait, the time stays due',
      runs: [{ ...twoRunning, unconfirmedLaunch: { launchAttempt: 0, fromBatch: 1, count: 10 } }],
      want: { action: 'wait' },
    },
    {
      name: 'unconfirmed batches wait even where the trigger could not be read',
      spec: { trigger: { sqs } },
      queueClient: false,
      runs: [{ ...twoRunning, unconfirmedLaunch: { launchAttempt: 0, fromBatch: 0, count: 1 } }],
      want: { action: 'wait' },
    },
    // The trigger.
    {
      name: 'trigger without an SQS client: Skipped TriggerUnavailable, no desired count',
      spec: { trigger: { sqs } },
      queueClient: false,
      want: {
        action: 'skip',
        reason: 'TriggerUnavailable',
        message: 'this controller has no SQS client configured',
      },
    },
    {
      name: 'trigger, depth not read yet: read it',
      spec: { trigger: { sqs } },
      want: { action: 'read-queue-depth' },
    },
    {
      name: 'trigger, empty queue: Skipped QueueEmpty',
      spec: { trigger: { sqs } },
      queueDepth: 0,
      want: { action: 'skip', reason: 'QueueEmpty', message: 'the trigger queue is empty', desiredCount: 0 },
    },
    {
      name: 'trigger, 250 messages at 100 per task: 3 tasks',
      spec: { trigger: { sqs } },
      queueDepth: 250,
      want: {
        action: 'launch',
        count: 3,
        desiredCount: 3,
        stop: [],
        supersede: false,
        message: 'launching 3 task(s)',
      },
    },
    {
      name: 'trigger, 5000 messages, maxCount 10: capped by maxCount',
      spec: { trigger: { sqs }, maxCount: 10 },
      queueDepth: 5000,
      want: {
        action: 'launch',
        count: 10,
        desiredCount: 10,
        stop: [],
        supersede: false,
        message: 'launching 10 task(s)',
      },
    },
    {
      name: 'trigger, 5000 messages, maxTasksPerRun 20: capped, and the message says by what',
      spec: { trigger: { sqs } },
      queueDepth: 5000,
      maxTasksPerRun: 20,
      want: {
        action: 'launch',
        count: 20,
        desiredCount: 20,
        stop: [],
        supersede: false,
        message: 'launching 20 task(s) (capped from 50 by maxTasksPerRun 20)',
      },
    },
    {
      name: 'trigger with TopUp: the shortfall against the depth',
      spec: { trigger: { sqs }, concurrencyPolicy: 'TopUp' },
      queueDepth: 500,
      runs: [twoRunning],
      want: {
        action: 'launch',
        count: 3,
        desiredCount: 5,
        stop: [],
        supersede: true,
        message: '2 task(s) running, topping up by 3 to 5',
      },
    },
    {
      name: 'without a trigger the queue is never asked for',
      spec: { taskCount: 2 },
      queueClient: false,
      want: {
        action: 'launch',
        count: 2,
        desiredCount: 2,
        stop: [],
        supersede: false,
        message: 'launching 2 task(s)',
      },
    },
    // Allow.
    {
      name: 'Allow (the default) launches beside running tasks and supersedes nothing',
      runs: [twoRunning],
      want: {
        action: 'launch',
        count: 1,
        desiredCount: 1,
        stop: [],
        supersede: false,
        message: 'launching 1 task(s)',
      },
    },
    {
      name: 'Allow launches while a run waits for its retry',
      spec: { concurrencyPolicy: 'Allow' },
      runs: [waitingForRetry],
      want: {
        action: 'launch',
        count: 1,
        desiredCount: 1,
        stop: [],
        supersede: false,
        message: 'launching 1 task(s)',
      },
    },
    // Forbid.
    {
      name: 'Forbid, nothing running: launches and supersedes',
      spec: { concurrencyPolicy: 'Forbid' },
      want: {
        action: 'launch',
        count: 1,
        desiredCount: 1,
        stop: [],
        supersede: true,
        message: 'launching 1 task(s)',
      },
    },
    {
      name: 'Forbid, tasks running: Skipped ConcurrencyForbid',
      spec: { concurrencyPolicy: 'Forbid' },
      runs: [twoRunning],
      want: {
        action: 'skip',
        reason: 'ConcurrencyForbid',
        message: '2 task(s) of an earlier run still running',
        desiredCount: 1,
      },
    },
    {
      name: 'Forbid, only stopped tasks: launches',
      spec: { concurrencyPolicy: 'Forbid' },
      runs: [
        {
          ...twoRunning,
          tasks: [
            { taskArn: 'arn:1', lastStatus: 'STOPPED' },
            { taskArn: 'arn:2', lastStatus: 'MISSING' },
          ],
        },
      ],
      want: {
        action: 'launch',
        count: 1,
        desiredCount: 1,
        stop: [],
        supersede: true,
        message: 'launching 1 task(s)',
      },
    },
    {
      name: 'Forbid, a run waiting for its retry: Skipped ConcurrencyForbid, naming the attempt',
      spec: { concurrencyPolicy: 'Forbid' },
      runs: [waitingForRetry],
      want: {
        action: 'skip',
        reason: 'ConcurrencyForbid',
        message: 'the run scheduled at 2026-03-01T09:00:00Z is waiting for attempt 2 at 2026-03-01T10:01:00Z',
        desiredCount: 1,
      },
    },
    {
      name: 'Forbid, a run waiting for its retry, empty queue: QueueEmpty comes first',
      spec: { concurrencyPolicy: 'Forbid', trigger: { sqs } },
      queueDepth: 0,
      runs: [waitingForRetry],
      want: { action: 'skip', reason: 'QueueEmpty', message: 'the trigger queue is empty', desiredCount: 0 },
    },
    // Replace.
    {
      name: 'Replace, tasks running: stops them, then launches',
      spec: { concurrencyPolicy: 'Replace' },
      runs: [twoRunning],
      want: {
        action: 'launch',
        count: 1,
        desiredCount: 1,
        stop: ['arn:1', 'arn:2'],
        supersede: true,
        message: 'replacing 2 running task(s)',
      },
    },
    {
      name: 'Replace, nothing running: launches',
      spec: { concurrencyPolicy: 'Replace', taskCount: 2 },
      want: {
        action: 'launch',
        count: 2,
        desiredCount: 2,
        stop: [],
        supersede: true,
        message: 'launching 2 task(s)',
      },
    },
    // TopUp.
    {
      name: 'TopUp, short of the desired count: launches the shortfall',
      spec: { concurrencyPolicy: 'TopUp', taskCount: 5 },
      runs: [twoRunning],
      want: {
        action: 'launch',
        count: 3,
        desiredCount: 5,
        stop: [],
        supersede: true,
        message: '2 task(s) running, topping up by 3 to 5',
      },
    },
    {
      name: 'TopUp, at the desired count: Skipped AlreadyRunning',
      spec: { concurrencyPolicy: 'TopUp', taskCount: 2 },
      runs: [twoRunning],
      want: {
        action: 'skip',
        reason: 'AlreadyRunning',
        message: '2 task(s) running, 2 desired',
        desiredCount: 2,
      },
    },
    {
      name: 'TopUp counts against the capped count: 2 running, maxTasksPerRun 2',
      spec: { concurrencyPolicy: 'TopUp', taskCount: 5 },
      maxTasksPerRun: 2,
      runs: [twoRunning],
      want: {
        action: 'skip',
        reason: 'AlreadyRunning',
        message: '2 task(s) running, 2 desired',
        desiredCount: 2,
      },
    },
    // maxRuns.
    {
      name: 'maxRuns used up within the pass (a waiting run took the last): Skipped MaxRunsReached',
      spec: { maxRuns: 2 },
      runsLeft: 0,
      want: {
        action: 'skip',
        reason: 'MaxRunsReached',
        message: 'maxRuns (2) scheduled runs were launched already',
      },
    },
    {
      name: 'maxRuns with runs left: launches',
      spec: { maxRuns: 2 },
      runsLeft: 1,
      want: {
        action: 'launch',
        count: 1,
        desiredCount: 1,
        stop: [],
        supersede: false,
        message: 'launching 1 task(s)',
      },
    },
    {
      name: 'maxRuns used up: a run-now still launches',
      spec: { maxRuns: 2 },
      runsLeft: 0,
      runNow: true,
      want: {
        action: 'launch',
        count: 1,
        desiredCount: 1,
        stop: [],
        supersede: false,
        message: 'launching 1 task(s)',
      },
    },
    // BufferOne.
    {
      name: 'BufferOne, nothing running: launches, and takes over as every policy but Allow',
      spec: { concurrencyPolicy: 'BufferOne' },
      want: {
        action: 'launch',
        count: 1,
        desiredCount: 1,
        stop: [],
        supersede: true,
        message: 'launching 1 task(s)',
      },
    },
    {
      name: 'BufferOne, tasks running, nothing waiting: the run waits',
      spec: { concurrencyPolicy: 'BufferOne' },
      runs: [twoRunning],
      want: { action: 'buffer', message: 'waiting: 2 task(s) of an earlier run still running' },
    },
    {
      name: 'BufferOne, a run between retry attempts: the run waits for it too',
      spec: { concurrencyPolicy: 'BufferOne' },
      runs: [waitingForRetry],
      want: {
        action: 'buffer',
        message: 'waiting: the run scheduled at 2026-03-01T09:00:00Z is waiting for attempt 2',
      },
    },
    {
      name: 'BufferOne, tasks running and a run already waiting: Skipped BufferFull',
      spec: { concurrencyPolicy: 'BufferOne' },
      runs: [twoRunning],
      buffered: '2026-03-01T09:30:00.000Z',
      want: {
        action: 'skip',
        reason: 'BufferFull',
        message:
          '2 task(s) of an earlier run still running, and the run scheduled at 2026-03-01T09:30:00.000Z already waits for it',
        desiredCount: 1,
      },
    },
    {
      name: 'BufferOne, a run-now while tasks run: Skipped, never made to wait',
      spec: { concurrencyPolicy: 'BufferOne' },
      runs: [twoRunning],
      runNow: true,
      want: {
        action: 'skip',
        reason: 'ConcurrencyForbid',
        message: '2 task(s) of an earlier run still running; BufferOne makes only scheduled runs wait',
        desiredCount: 1,
      },
    },
    {
      name: 'BufferOne, an empty trigger queue: Skipped QueueEmpty, nothing waits for nothing',
      spec: { concurrencyPolicy: 'BufferOne', trigger: { sqs }, maxCount: 5 },
      runs: [twoRunning],
      queueDepth: 0,
      want: { action: 'skip', reason: 'QueueEmpty', message: 'the trigger queue is empty', desiredCount: 0 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const input: DueRunInput = {
        spec: scheduledTask(c.spec ?? {}).spec,
        runs: c.runs ?? [],
        maxTasksPerRun: c.maxTasksPerRun ?? 100,
        queueClient: c.queueClient ?? true,
        ...(c.queueDepth !== undefined ? { queueDepth: c.queueDepth } : {}),
        ...(c.buffered !== undefined ? { buffered: c.buffered } : {}),
        ...(c.runNow ? { runNow: true } : {}),
        ...(c.runsLeft !== undefined ? { runsLeft: c.runsLeft } : {}),
      };
      expect(decideDueRun(input)).to.deep.equal(c.want);
    });
  }
});

const HOUR = 3_600_000;
/** Every whole hour, UTC; none after `end` when given (the schedule's endTime). */
const hourly = (end?: Date): FireTimes => ({
  next: (after) => {
    const t = new Date(Math.floor(after.getTime() / HOUR) * HOUR + HOUR);
    return end && t.getTime() > end.getTime() ? null : t;
  },
  previous: (t) => new Date(Math.floor(t.getTime() / HOUR) * HOUR),
});
const d = (iso: string) => new Date(iso);
const iso = (t: Date | undefined) => t?.toISOString();

describe('planSchedule: which scheduled time is due, which are missed', () => {
  const base: PlanInput = {
    fires: hourly(),
    now: d('2026-03-01T10:00:30Z'),
    after: d('2026-03-01T09:00:00Z'),
    suspend: false,
    jitterSeconds: () => 0,
  };
  const cases: {
    name: string;
    input: Partial<PlanInput>;
    want: {
      due?: string;
      tooLate?: string;
      missed?: string[];
      missedCount?: number;
      missedMore?: boolean;
      lastScheduleTime?: string;
      nextScheduleTime?: string;
      wakeAt?: string;
      catchup?: string[];
    };
  }[] = [
    {
      name: 'on time: the time is due, the next one is where to look again',
      input: {},
      want: {
        due: '2026-03-01T10:00:00.000Z',
        missed: [],
        missedCount: 0,
        missedMore: false,
        lastScheduleTime: '2026-03-01T10:00:00.000Z',
        nextScheduleTime: '2026-03-01T11:00:00.000Z',
        wakeAt: '2026-03-01T11:00:00.000Z',
      },
    },
    {
      name: 'missed within startingDeadlineSeconds: still due',
      input: { startingDeadlineSeconds: 60 },
      want: { due: '2026-03-01T10:00:00.000Z', lastScheduleTime: '2026-03-01T10:00:00.000Z' },
    },
    {
      name: 'after startingDeadlineSeconds: too late (recorded Missed), not due',
      input: { startingDeadlineSeconds: 10 },
      want: {
        tooLate: '2026-03-01T10:00:00.000Z',
        missed: [],
        lastScheduleTime: '2026-03-01T10:00:00.000Z',
      },
    },
    {
      name: 'coalesced: older times are passed over newest first, only the newest is due',
      input: { after: d('2026-03-01T07:00:00Z') },
      want: {
        due: '2026-03-01T10:00:00.000Z',
        missed: ['2026-03-01T09:00:00.000Z', '2026-03-01T08:00:00.000Z'],
        missedCount: 2,
        missedMore: false,
      },
    },
    {
      name: 'coalesced and too late: the newest is too late, the older ones are passed over',
      input: { after: d('2026-03-01T08:00:00Z'), startingDeadlineSeconds: 10 },
      want: { tooLate: '2026-03-01T10:00:00.000Z', missed: ['2026-03-01T09:00:00.000Z'], missedCount: 1 },
    },
    {
      name: 'a long outage: records are capped, the count stays whole',
      input: { after: d('2026-02-20T10:00:00Z') },
      want: { due: '2026-03-01T10:00:00.000Z', missedCount: 9 * 24 - 1, missedMore: false },
    },
    {
      name: 'jitter not yet over: nothing due, wake at the jittered moment',
      input: { jitterSeconds: () => 60 },
      want: {
        missed: [],
        missedCount: 0,
        nextScheduleTime: '2026-03-01T11:00:00.000Z',
        wakeAt: '2026-03-01T10:01:00.000Z',
      },
    },
    {
      name: 'lateness counts from the jittered moment',
      input: { jitterSeconds: () => 20, startingDeadlineSeconds: 15 },
      want: { due: '2026-03-01T10:00:00.000Z' },
    },
    {
      name: 'suspended: nothing due or missed, the watermark follows the clock',
      input: { suspend: true, after: d('2026-03-01T07:00:00Z') },
      want: {
        missed: [],
        missedCount: 0,
        missedMore: false,
        lastScheduleTime: '2026-03-01T10:00:00.000Z',
        wakeAt: '2026-03-01T11:00:00.000Z',
      },
    },
    {
      name: 'suspended with nothing new: the watermark stays',
      input: { suspend: true, after: d('2026-03-01T10:00:00Z') },
      want: { missedCount: 0, wakeAt: '2026-03-01T11:00:00.000Z' },
    },
    {
      name: 'catch-up: up to catchupRuns with the due one, oldest first; older ones passed over',
      input: { after: d('2026-03-01T03:00:00Z'), catchupRuns: 3 },
      want: {
        due: '2026-03-01T10:00:00.000Z',
        catchup: ['2026-03-01T08:00:00.000Z', '2026-03-01T09:00:00.000Z'],
        missed: [
          '2026-03-01T07:00:00.000Z',
          '2026-03-01T06:00:00.000Z',
          '2026-03-01T05:00:00.000Z',
          '2026-03-01T04:00:00.000Z',
        ],
        missedCount: 4,
        lastScheduleTime: '2026-03-01T10:00:00.000Z',
      },
    },
    {
      name: 'catch-up with fewer times passed over than allowed: all of them run',
      input: { after: d('2026-03-01T07:00:00Z'), catchupRuns: 5 },
      want: {
        due: '2026-03-01T10:00:00.000Z',
        catchup: ['2026-03-01T08:00:00.000Z', '2026-03-01T09:00:00.000Z'],
        missed: [],
        missedCount: 0,
      },
    },
    {
      name: 'catch-up of 1: as without it, only the newest runs',
      input: { after: d('2026-03-01T07:00:00Z'), catchupRuns: 1 },
      want: { due: '2026-03-01T10:00:00.000Z', catchup: [], missedCount: 2 },
    },
    {
      name: 'catch-up keeps to startingDeadlineSeconds: times past it are Missed',
      input: { after: d('2026-03-01T03:00:00Z'), catchupRuns: 5, startingDeadlineSeconds: 2 * 3600 },
      want: {
        due: '2026-03-01T10:00:00.000Z',
        catchup: ['2026-03-01T09:00:00.000Z'],
        missed: [
          '2026-03-01T08:00:00.000Z',
          '2026-03-01T07:00:00.000Z',
          '2026-03-01T06:00:00.000Z',
          '2026-03-01T05:00:00.000Z',
          '2026-03-01T04:00:00.000Z',
        ],
      },
    },
    {
      name: 'catch-up when even the newest is too late: nothing runs, as today',
      input: { after: d('2026-03-01T07:00:00Z'), catchupRuns: 5, startingDeadlineSeconds: 10 },
      want: { due: undefined, tooLate: '2026-03-01T10:00:00.000Z', catchup: [], missedCount: 2 },
    },
    {
      name: 'catch-up stops at what maxRuns leaves',
      input: { after: d('2026-03-01T03:00:00Z'), catchupRuns: 5, runsLeft: 2 },
      want: { due: '2026-03-01T10:00:00.000Z', catchup: ['2026-03-01T09:00:00.000Z'], missedCount: 5 },
    },
    {
      name: 'maxRuns reached: nothing due or missed, no next time, no timer, the watermark follows the clock',
      input: { exhausted: true, after: d('2026-03-01T07:00:00Z') },
      want: {
        due: undefined,
        tooLate: undefined,
        missed: [],
        missedCount: 0,
        missedMore: false,
        lastScheduleTime: '2026-03-01T10:00:00.000Z',
        nextScheduleTime: undefined,
        wakeAt: undefined,
      },
    },
    {
      name: 'maxRuns reached with nothing new: the watermark stays',
      input: { exhausted: true, after: d('2026-03-01T10:00:00Z') },
      want: { due: undefined, lastScheduleTime: undefined, wakeAt: undefined },
    },
    {
      name: 'the schedule has ended: its last time is still due',
      input: { fires: hourly(d('2026-03-01T10:00:00Z')) },
      want: { due: '2026-03-01T10:00:00.000Z' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planSchedule({ ...base, ...c.input });
      const got = {
        due: iso(plan.due),
        tooLate: iso(plan.tooLate),
        missed: plan.missed.map((t) => t.toISOString()),
        missedCount: plan.missedCount,
        missedMore: plan.missedMore,
        lastScheduleTime: iso(plan.lastScheduleTime),
        nextScheduleTime: iso(plan.nextScheduleTime),
        wakeAt: iso(plan.wakeAt),
        catchup: plan.catchup.map((t) => t.toISOString()),
      };
      const picked = Object.fromEntries(Object.keys(c.want).map((k) => [k, got[k as keyof typeof got]]));
      expect(picked).to.deep.equal(c.want);
    });
  }

  it('keeps at most MAX_MISSED_RECORDS records of a long outage', () => {
    const plan = planSchedule({ ...base, after: d('2026-02-20T10:00:00Z') });
    expect(plan.missed).to.have.length(MAX_MISSED_RECORDS);
    expect(plan.missedCount).to.be.greaterThan(MAX_MISSED_RECORDS);
  });

  it('an ended schedule has no next time and nothing to wake for', () => {
    const plan = planSchedule({ ...base, fires: hourly(d('2026-03-01T10:00:00Z')) });
    expect(plan.nextScheduleTime).to.equal(undefined);
    expect(plan.wakeAt).to.equal(undefined);
  });
});

describe('decideBuffered: the run BufferOne keeps waiting', () => {
  const buffered = { scheduledTime: '2026-03-01T10:00:00.000Z', since: '2026-03-01T10:00:00.000Z' };
  const now = d('2026-03-01T10:00:20Z');
  const finished: RunRecord = { scheduledTime: '2026-03-01T09:59:50Z', result: 'Succeeded' };
  const cases: {
    name: string;
    spec?: Partial<Spec>;
    runs?: RunRecord[];
    jitter?: number;
    runsLeft?: number;
    want: BufferedDecision;
  }[] = [
    {
      name: 'the running one still runs: it keeps waiting',
      spec: { concurrencyPolicy: 'BufferOne' },
      runs: [twoRunning],
      want: { action: 'wait' },
    },
    {
      name: 'the running one waits for a retry attempt: it keeps waiting',
      spec: { concurrencyPolicy: 'BufferOne' },
      runs: [waitingForRetry],
      want: { action: 'wait' },
    },
    {
      name: 'the running one ended: it starts',
      spec: { concurrencyPolicy: 'BufferOne' },
      runs: [finished],
      want: { action: 'start' },
    },
    {
      name: 'the policy is no longer BufferOne: it starts, under the policy now in force',
      spec: { concurrencyPolicy: 'Allow' },
      runs: [twoRunning],
      want: { action: 'start' },
    },
    {
      name: 'suspended: Skipped Suspended',
      spec: { concurrencyPolicy: 'BufferOne', suspend: true },
      runs: [finished],
      want: {
        action: 'drop',
        run: {
          scheduledTime: buffered.scheduledTime,
          result: 'Skipped',
          reason: 'Suspended',
          message: 'it waited for a running run (BufferOne), and the resource was suspended',
        },
      },
    },
    {
      name: 'past startingDeadlineSeconds: Missed StartingDeadlineExceeded, with a warning',
      spec: { concurrencyPolicy: 'BufferOne', startingDeadlineSeconds: 10 },
      runs: [finished],
      want: {
        action: 'drop',
        run: {
          scheduledTime: buffered.scheduledTime,
          result: 'Missed',
          reason: 'StartingDeadlineExceeded',
          message:
            'too late to start: it waited for a running run (BufferOne) for more than startingDeadlineSeconds (10s) after 2026-03-01T10:00:00.000Z',
        },
        warning:
          'too late to start: it waited for a running run (BufferOne) for more than startingDeadlineSeconds (10s) after 2026-03-01T10:00:00.000Z',
      },
    },
    {
      name: 'maxRuns reached while it waited: Skipped MaxRunsReached',
      spec: { concurrencyPolicy: 'BufferOne', maxRuns: 3 },
      runs: [finished],
      runsLeft: 0,
      want: {
        action: 'drop',
        run: {
          scheduledTime: buffered.scheduledTime,
          result: 'Skipped',
          reason: 'MaxRunsReached',
          message: 'it waited for a running run (BufferOne), and maxRuns (3) was reached meanwhile',
        },
      },
    },
    {
      name: 'inside startingDeadlineSeconds counted from the jittered moment: it starts',
      spec: { concurrencyPolicy: 'BufferOne', startingDeadlineSeconds: 10 },
      runs: [finished],
      jitter: 15,
      want: { action: 'start' },
    },
  ];
  for (const c of cases) {
    it(c.name, () =>
      expect(
        decideBuffered({
          spec: scheduledTask(c.spec ?? {}).spec,
          buffered,
          runs: c.runs ?? [],
          now,
          jitter: c.jitter ?? 0,
          ...(c.runsLeft !== undefined ? { runsLeft: c.runsLeft } : {}),
        }),
      ).to.deep.equal(c.want),
    );
  }
});

describe('maxRunsReached: spec.maxRuns against status.launchedRunsTotal', () => {
  const cases: { name: string; maxRuns?: number; launched: number; want: boolean }[] = [
    { name: 'no maxRuns: never', launched: 1_000_000, want: false },
    { name: 'fewer launched than maxRuns: not yet', maxRuns: 3, launched: 2, want: false },
    { name: 'as many launched as maxRuns: reached', maxRuns: 3, launched: 3, want: true },
    { name: 'more launched (maxRuns lowered since): reached', maxRuns: 3, launched: 5, want: true },
  ];
  for (const c of cases) it(c.name, () => expect(maxRunsReached(c.maxRuns, c.launched)).to.equal(c.want));
});

describe('launchWindowEnd: how long a short run retries for capacity', () => {
  const t = d('2026-03-01T10:00:00Z');
  const cases: { name: string; args: [number, number | undefined, number]; want: string }[] = [
    { name: 'startingDeadlineSeconds after the jittered moment', args: [30, 120, 300], want: '10:02:30' },
    { name: 'the default window without a deadline', args: [0, undefined, 300], want: '10:05:00' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(launchWindowEnd(t, ...c.args).toISOString()).to.equal(`2026-03-01T${c.want}.000Z`);
    });
  }
});

describe('wantsRunNow: a run-now value not acted on yet', () => {
  const cases: { name: string; annotation?: string; previous?: string; want: boolean }[] = [
    { name: 'no annotation', want: false },
    { name: 'an empty value', annotation: '', want: false },
    { name: 'the value already acted on', annotation: 'go-1', previous: 'go-1', want: false },
    { name: 'a new value', annotation: 'go-2', previous: 'go-1', want: true },
    { name: 'a first value', annotation: 'go-1', want: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const resource = scheduledTask(
        {},
        c.annotation !== undefined ? { annotations: { [RUN_NOW_ANNOTATION]: c.annotation } } : {},
      );
      expect(wantsRunNow(resource, c.previous)).to.equal(c.want);
    });
  }
});

describe('dueRetries: the retries a pass launches', () => {
  const now = d('2026-03-01T10:01:00Z');
  const cases: { name: string; run: RunRecord; want: boolean }[] = [
    { name: 'its time has come', run: waitingForRetry, want: true },
    { name: 'not yet', run: { ...waitingForRetry, retryAt: '2026-03-01T10:01:01Z' }, want: false },
    { name: 'a run without a retry', run: twoRunning, want: false },
    { name: 'a settled run', run: { ...waitingForRetry, result: 'Failed' }, want: false },
  ];
  for (const c of cases) {
    it(c.name, () => expect(dueRetries([c.run], now)).to.have.length(c.want ? 1 : 0));
  }
});

describe('isPendingRun: a run short of tasks still retries for capacity', () => {
  const short: RunRecord = {
    scheduledTime: '2026-03-01T10:00:00Z',
    result: 'Running',
    desiredCount: 3,
    launchCount: 3,
    tasks: [{ taskArn: 'arn:1', lastStatus: 'RUNNING' }],
    reason: 'CapacityUnavailable',
  };
  const window = {
    now: d('2026-03-01T10:04:59Z'),
    retryWindowSeconds: 300,
    jitterSeconds: () => 0,
  };
  const cases: {
    name: string;
    run: RunRecord;
    window?: Partial<typeof window>;
    deadline?: number;
    want: boolean;
  }[] = [
    { name: 'short, inside the default window', run: short, want: true },
    {
      name: 'short, the window is over',
      run: short,
      window: { now: d('2026-03-01T10:05:00Z') },
      want: false,
    },
    {
      name: 'short, the jitter moves the window',
      run: short,
      window: { now: d('2026-03-01T10:05:00Z'), jitterSeconds: () => 1 },
      want: true,
    },
    { name: 'startingDeadlineSeconds is the window when set', run: short, deadline: 60, want: false },
    { name: 'all tasks launched', run: { ...short, launchCount: 1 }, want: false },
    { name: 'a retry attempt does not retry for capacity', run: { ...short, attempt: 2 }, want: false },
    { name: 'a run waiting for its retry', run: { ...short, retryAt: '2026-03-01T10:06:00Z' }, want: false },
    { name: 'a run stopped at its deadline', run: { ...short, reason: 'DeadlineExceeded' }, want: false },
    { name: 'a replaced run', run: { ...short, reason: 'Replaced' }, want: false },
    { name: 'a settled run', run: { ...short, result: 'Failed' }, want: false },
    {
      name: 'unconfirmed batches: pending whatever the window',
      run: { ...short, launchCount: 1, unconfirmedLaunch: { launchAttempt: 0, fromBatch: 0, count: 1 } },
      window: { now: d('2026-03-02T00:00:00Z') },
      want: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const w = {
        ...window,
        ...c.window,
        ...(c.deadline !== undefined ? { startingDeadlineSeconds: c.deadline } : {}),
      };
      expect(isPendingRun(c.run, w)).to.equal(c.want);
    });
  }
});

describe('requeueAfterMs: when the pass looks again', () => {
  const now = d('2026-03-01T10:00:00Z');
  const p = REQUEUE_PADDING_MS;
  const cases: { name: string; input: Partial<RequeueInput>; want: number | undefined }[] = [
    { name: 'nothing to wait for: only a change brings it back', input: {}, want: undefined },
    { name: 'the next fire, padded', input: { wakeAt: d('2026-03-01T11:00:00Z') }, want: 3_600_000 + p },
    {
      name: 'tasks running without a shared tracker: the poll, if sooner',
      input: { wakeAt: d('2026-03-01T11:00:00Z'), pollMs: 10_000 },
      want: 10_000,
    },
    {
      name: 'an activeDeadlineSeconds expiry, padded',
      input: { wakeAt: d('2026-03-01T11:00:00Z'), deadline: d('2026-03-01T10:10:00Z') },
      want: 600_000 + p,
    },
    { name: 'a retry attempt, padded', input: { retryAt: d('2026-03-01T10:01:00Z') }, want: 60_000 + p },
    {
      name: 'a dead letter to send, padded',
      input: { letterAt: d('2026-03-01T10:00:30Z') },
      want: 30_000 + p,
    },
    { name: 'a time already past: at once', input: { letterAt: d('2026-03-01T09:00:00Z') }, want: 0 },
    { name: 'capacity retry: at least 5 s', input: { pending: [d('2026-03-01T09:59:58Z')] }, want: 5_000 },
    {
      name: 'capacity retry: the time already waited',
      input: { pending: [d('2026-03-01T09:59:40Z')] },
      want: 20_000,
    },
    { name: 'capacity retry: at most 60 s', input: { pending: [d('2026-03-01T09:50:00Z')] }, want: 60_000 },
    {
      name: 'the earliest of them all',
      input: {
        wakeAt: d('2026-03-01T11:00:00Z'),
        pollMs: 10_000,
        retryAt: d('2026-03-01T10:00:05Z'),
        pending: [d('2026-03-01T09:59:40Z')],
      },
      want: 5_000 + p,
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(requeueAfterMs({ now, pending: [], ...c.input })).to.equal(c.want));
  }
});

describe('decideRunNow: the run-now annotation', () => {
  const cases: { name: string; annotation?: string; previous?: string; suspend?: boolean; want: object }[] = [
    { name: 'no annotation: nothing', want: { action: 'none' } },
    {
      name: 'the value already acted on: nothing',
      annotation: 'go-1',
      previous: 'go-1',
      want: { action: 'none' },
    },
    {
      name: 'a new value: start a run',
      annotation: 'go-2',
      previous: 'go-1',
      want: { action: 'start', value: 'go-2' },
    },
    {
      name: 'a new value while suspended: Skipped Suspended, and acted on',
      annotation: 'go-2',
      previous: 'go-1',
      suspend: true,
      want: {
        action: 'skip',
        value: 'go-2',
        reason: 'Suspended',
        message: 'run-now "go-2" ignored: the resource is suspended',
      },
    },
    {
      name: 'suspended, no new value: nothing',
      annotation: 'go-1',
      previous: 'go-1',
      suspend: true,
      want: { action: 'none' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const resource = scheduledTask(
        {},
        c.annotation !== undefined ? { annotations: { [RUN_NOW_ANNOTATION]: c.annotation } } : {},
      );
      expect(decideRunNow(resource, c.previous, c.suspend ?? false)).to.deep.equal(c.want);
    });
  }
});

describe('decideMissed: the times passed over', () => {
  const base: PlanInput = {
    fires: hourly(),
    now: d('2026-03-01T10:00:30Z'),
    after: d('2026-03-01T07:00:00Z'),
    suspend: false,
    jitterSeconds: () => 0,
  };
  const coalesced = (scheduledTime: string): RunRecord => ({
    scheduledTime,
    result: 'Missed',
    reason: 'Coalesced',
    message: 'a later scheduled time was due at the same pass; only the most recent one runs',
  });

  it('nothing passed over: no records, no warning', () => {
    const plan = planSchedule({ ...base, after: d('2026-03-01T09:00:00Z') });
    expect(decideMissed(plan, new Map(), 'c')).to.deep.equal({ runs: [], uncounted: 0, missed: 0 });
  });

  it('passed over: Missed Coalesced, newest first, with one warning', () => {
    const plan = planSchedule(base);
    expect(decideMissed(plan, new Map(), 'c')).to.deep.equal({
      runs: [coalesced('2026-03-01T09:00:00.000Z'), coalesced('2026-03-01T08:00:00.000Z')],
      uncounted: 0,
      missed: 2,
      warning:
        'missed 2 scheduled time(s) before 2026-03-01T10:00:00.000Z; only the most recent is considered',
    });
  });

  it('a passed-over time an earlier pass launched is adopted, not Missed', () => {
    const plan = planSchedule(base);
    const adopted = new Map([[plan.missed[1]!, ['arn:a']]]);
    expect(decideMissed(plan, adopted, 'c')).to.deep.equal({
      runs: [
        coalesced('2026-03-01T09:00:00.000Z'),
        {
          scheduledTime: '2026-03-01T08:00:00.000Z',
          result: 'Running',
          cluster: 'c',
          desiredCount: 1,
          launchCount: 1,
          tasks: [{ taskArn: 'arn:a' }],
          message: '1 task(s) adopted from an earlier attempt',
        },
      ],
      uncounted: 0,
      missed: 1,
      warning:
        'missed 1 scheduled time(s) before 2026-03-01T10:00:00.000Z; only the most recent is considered',
    });
  });

  it('every passed-over time adopted: no warning', () => {
    const plan = planSchedule({ ...base, after: d('2026-03-01T08:00:00Z') });
    const decision = decideMissed(plan, new Map([[plan.missed[0]!, ['arn:a']]]), 'c');
    expect(decision.missed).to.equal(0);
    expect(decision).not.to.have.property('warning');
  });

  it('a long outage: records up to the cap, the rest counted', () => {
    const plan = planSchedule({ ...base, after: d('2026-02-20T10:00:00Z') });
    const decision = decideMissed(plan, new Map(), 'c');
    expect(decision.runs).to.have.length(MAX_MISSED_RECORDS);
    expect(decision.uncounted).to.equal(9 * 24 - 1 - MAX_MISSED_RECORDS);
    expect(decision.missed).to.equal(9 * 24 - 1);
  });

  it('a scan stopped early says "at least"', () => {
    const plan = { ...planSchedule(base), missedMore: true };
    expect(decideMissed(plan, new Map(), 'c').warning).to.match(/^missed at least 2 scheduled time/);
  });
});

describe('decideTooLate: the time past startingDeadlineSeconds', () => {
  const time = d('2026-03-01T10:00:00Z');
  it('nothing found: Missed StartingDeadlineExceeded, with a warning', () => {
    const message =
      'too late to start: more than startingDeadlineSeconds (10s) after 2026-03-01T10:00:00.000Z';
    expect(decideTooLate(time, [], 'c', 10)).to.deep.equal({
      run: {
        scheduledTime: '2026-03-01T10:00:00.000Z',
        result: 'Missed',
        reason: 'StartingDeadlineExceeded',
        message,
      },
      warning: message,
    });
  });
  it('tasks found: an earlier pass launched it, adopted', () => {
    expect(decideTooLate(time, ['arn:a', 'arn:b'], 'c', 10)).to.deep.equal({
      run: {
        scheduledTime: '2026-03-01T10:00:00.000Z',
        result: 'Running',
        cluster: 'c',
        desiredCount: 2,
        launchCount: 2,
        tasks: [{ taskArn: 'arn:a' }, { taskArn: 'arn:b' }],
        message: '2 task(s) adopted from an earlier attempt',
      },
    });
  });
});

describe('needsFreshTasks: whether a launch decision waits for DescribeTasks', () => {
  const now = d('2026-03-01T10:01:00Z');
  const cases: {
    name: string;
    policy?: Spec['concurrencyPolicy'];
    runs: RunRecord[];
    due: { scheduled: boolean; runNow: boolean };
    want: boolean;
  }[] = [
    { name: 'Allow never does', runs: [twoRunning], due: { scheduled: true, runNow: false }, want: false },
    {
      name: 'nothing on record running',
      policy: 'Forbid',
      runs: [],
      due: { scheduled: true, runNow: false },
      want: false,
    },
    {
      name: 'Forbid, tasks running, a time due',
      policy: 'Forbid',
      runs: [twoRunning],
      due: { scheduled: true, runNow: false },
      want: true,
    },
    {
      name: 'Replace, tasks running, a run-now',
      policy: 'Replace',
      runs: [twoRunning],
      due: { scheduled: false, runNow: true },
      want: true,
    },
    {
      name: 'TopUp, tasks running, a retry due',
      policy: 'TopUp',
      runs: [twoRunning, { ...waitingForRetry, scheduledTime: '2026-03-01T08:00:00Z' }],
      due: { scheduled: false, runNow: false },
      want: true,
    },
    {
      name: 'Forbid, tasks running, nothing to decide',
      policy: 'Forbid',
      runs: [twoRunning],
      due: { scheduled: false, runNow: false },
      want: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const spec = scheduledTask(c.policy ? { concurrencyPolicy: c.policy } : {}).spec;
      expect(needsFreshTasks(spec, c.runs, now, c.due)).to.equal(c.want);
    });
  }
});

describe('decideRetries: which retry attempts launch now', () => {
  const now = d('2026-03-01T10:01:00Z');
  const spec = scheduledTask({ retryPolicy: { maxRetries: 2 } }).spec;
  const due: RunRecord = { ...waitingForRetry, cluster: 'c', desiredCount: 3, launchCount: 2 };
  const cases: { name: string; runs: RunRecord[]; want: object }[] = [
    {
      name: 'a retry due: its planned count, the attempt named out of maxRetries + 1',
      runs: [due],
      want: {
        cancel: [],
        launch: [
          { run: due, attempt: 2, count: 2, desiredCount: 3, message: 'attempt 2 of 3: launching 2 task(s)' },
        ],
      },
    },
    {
      name: 'a retry not yet due: nothing',
      runs: [{ ...due, retryAt: '2026-03-01T10:01:01Z' }],
      want: { cancel: [], launch: [] },
    },
    {
      name: 'a waiting retry whose cluster the spec no longer names: closed, due or not',
      runs: [{ ...due, cluster: 'old' }],
      want: {
        cancel: [
          { run: { ...due, cluster: 'old' }, why: "spec.task.cluster is now c, and the run's was old" },
        ],
        launch: [],
      },
    },
    {
      name: 'a record from before clusters were recorded is not retargeted',
      runs: [{ ...waitingForRetry }],
      want: {
        cancel: [],
        launch: [
          {
            run: waitingForRetry,
            attempt: 2,
            count: 0,
            desiredCount: 0,
            message: 'attempt 2 of 3: launching 0 task(s)',
          },
        ],
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(decideRetries(spec, c.runs, 'c', now)).to.deep.equal(c.want));
  }
});

describe('decideSupersede: a new run takes over from older ones', () => {
  const now = d('2026-03-01T10:00:00Z');
  const shortNone: RunRecord = {
    scheduledTime: '2026-03-01T09:00:00Z',
    result: 'Running',
    desiredCount: 2,
    launchCount: 2,
    reason: 'CapacityUnavailable',
    message: 'launched 0 of 2',
  };
  const shortSome: RunRecord = {
    ...shortNone,
    scheduledTime: '2026-03-01T08:00:00Z',
    tasks: [{ taskArn: 'arn:1', lastStatus: 'RUNNING' }],
  };
  const retry: RunRecord = {
    ...waitingForRetry,
    scheduledTime: '2026-03-01T07:00:00Z',
    attempts: [{ attempt: 1, result: 'Failed', reason: 'NonZeroExit', message: 'exit 1' }],
  };
  const pendingOnes = new Set([shortNone, shortSome]);
  const decide = (runs: RunRecord[]) =>
    decideSupersede(runs, '2026-03-01T10:00:00Z', now, (r) => pendingOnes.has(r));

  it('a run waiting for its retry ends with its last attempt, never retried', () => {
    const [only, ...rest] = decide([retry]);
    expect(rest).to.deep.equal([]);
    expect(only!.settle).to.equal('final');
    expect(only!.updated).to.deep.include({
      result: 'Failed',
      reason: 'NonZeroExit',
      message: 'exit 1; no retry: the run scheduled at 2026-03-01T10:00:00Z took over',
    });
  });

  it('a run short of every task: LaunchFailed Superseded, settled and retryable', () => {
    expect(decide([shortNone])).to.deep.equal([
      {
        run: shortNone,
        updated: {
          scheduledTime: '2026-03-01T09:00:00Z',
          result: 'LaunchFailed',
          desiredCount: 2,
          launchCount: 2,
          reason: 'Superseded',
          message: 'a newer run started before capacity was found',
          finishedAt: '2026-03-01T10:00:00.000Z',
        },
        settle: 'retryable',
      },
    ]);
  });

  it('a run with some tasks keeps them and stops retrying for the rest', () => {
    const unexplained: RunRecord = { ...shortSome, reason: undefined, message: undefined };
    pendingOnes.add(unexplained);
    expect(decide([unexplained])).to.deep.equal([
      {
        run: unexplained,
        updated: {
          ...unexplained,
          launchCount: 1,
          reason: 'CapacityUnavailable',
          message: 'launched 1 of 2; a newer run took over',
        },
        settle: 'no',
      },
    ]);
  });

  it('a run with some tasks that already says CapacityUnavailable keeps its message', () => {
    expect(decide([shortSome])).to.deep.equal([
      { run: shortSome, updated: { ...shortSome, launchCount: 1 }, settle: 'no' },
    ]);
  });

  it('runs neither pending nor waiting are left alone; waiting retries come first', () => {
    const got = decide([shortSome, twoRunning, retry]);
    expect(got.map((s) => [s.run.scheduledTime, s.settle])).to.deep.equal([
      ['2026-03-01T07:00:00Z', 'final'],
      ['2026-03-01T08:00:00Z', 'no'],
    ]);
  });
});

describe('planSchedule with spec.excludeCalendars: excluded times are neither due, missed nor skipped', () => {
  const base: PlanInput = {
    fires: hourly(),
    now: d('2026-03-01T10:00:30Z'),
    after: d('2026-03-01T09:00:00Z'),
    suspend: false,
    jitterSeconds: () => 0,
  };
  /** Exclusions of [start, end) ranges, through the real calendar compiler. */
  const excluding = (...ranges: [string, string][]) =>
    exclusionsOf([compileCalendar({ ranges: ranges.map(([start, end]) => ({ start, end })) }, 'ns/freeze')]);
  const cases: {
    name: string;
    input: Partial<PlanInput>;
    want: Record<string, unknown>;
  }[] = [
    {
      name: 'the due time is excluded: nothing due or missed, the watermark moves, next is the next included time; look again at the next excluded one to deal with it as it passes',
      input: { exclusions: excluding(['2026-03-01T10:00:00Z', '2026-03-01T12:00:00Z']) },
      want: {
        due: undefined,
        tooLate: undefined,
        missed: [],
        excluded: ['2026-03-01T10:00:00.000Z'],
        lastScheduleTime: '2026-03-01T10:00:00.000Z',
        nextScheduleTime: '2026-03-01T12:00:00.000Z',
        wakeAt: '2026-03-01T11:00:00.000Z',
      },
    },
    {
      name: 'excluded times before the due one are not missed, and are dealt with whatever the launch does',
      input: {
        after: d('2026-03-01T07:00:00Z'),
        exclusions: excluding(['2026-03-01T08:00:00Z', '2026-03-01T10:00:00Z']),
      },
      want: {
        due: '2026-03-01T10:00:00.000Z',
        missed: [],
        missedCount: 0,
        excluded: ['2026-03-01T09:00:00.000Z', '2026-03-01T08:00:00.000Z'],
        excludedBeforeDue: '2026-03-01T09:00:00.000Z',
        lastScheduleTime: '2026-03-01T10:00:00.000Z',
      },
    },
    {
      name: 'an excluded time between missed ones: only the included older times are missed',
      input: {
        after: d('2026-03-01T07:00:00Z'),
        exclusions: excluding(['2026-03-01T09:00:00Z', '2026-03-01T09:30:00Z']),
      },
      want: {
        due: '2026-03-01T10:00:00.000Z',
        missed: ['2026-03-01T08:00:00.000Z'],
        missedCount: 1,
        excluded: ['2026-03-01T09:00:00.000Z'],
      },
    },
    {
      name: 'an excluded time newer than the due one: the due one launches, the watermark passes both',
      input: {
        after: d('2026-03-01T08:00:00Z'),
        exclusions: excluding(['2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z']),
      },
      want: {
        due: '2026-03-01T09:00:00.000Z',
        excluded: ['2026-03-01T10:00:00.000Z'],
        excludedBeforeDue: undefined,
        lastScheduleTime: '2026-03-01T10:00:00.000Z',
        nextScheduleTime: '2026-03-01T11:00:00.000Z',
      },
    },
    {
      name: 'an excluded time newer than one waiting for its jitter: not dealt with yet (the watermark must not pass the waiting one)',
      input: {
        after: d('2026-03-01T08:00:00Z'),
        jitterSeconds: (t) => (t.getTime() === d('2026-03-01T09:00:00Z').getTime() ? 3660 : 0),
        exclusions: excluding(['2026-03-01T10:00:00Z', '2026-03-01T10:30:00Z']),
      },
      want: {
        due: undefined,
        excluded: undefined,
        lastScheduleTime: undefined,
        wakeAt: '2026-03-01T10:01:00.000Z',
      },
    },
    {
      name: 'everything excluded as far as the search looks: no next time, look again at the next excluded time',
      input: { exclusions: excluding(['2026-01-01T00:00:00Z', '2030-01-01T00:00:00Z']) },
      want: {
        due: undefined,
        excluded: ['2026-03-01T10:00:00.000Z'],
        nextScheduleTime: undefined,
        wakeAt: '2026-03-01T11:00:00.000Z',
      },
    },
    {
      name: 'the next fire is included: no earlier look',
      input: { exclusions: excluding(['2026-03-01T10:00:00Z', '2026-03-01T10:30:00Z']) },
      want: {
        excluded: ['2026-03-01T10:00:00.000Z'],
        nextScheduleTime: '2026-03-01T11:00:00.000Z',
        wakeAt: '2026-03-01T11:00:00.000Z',
      },
    },
    {
      name: 'suspended: the calendar only moves the wake-up to the next included time',
      input: { suspend: true, exclusions: excluding(['2026-03-01T10:30:00Z', '2026-03-01T12:30:00Z']) },
      want: { due: undefined, excluded: undefined, wakeAt: '2026-03-01T13:00:00.000Z' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planSchedule({ ...base, ...c.input });
      const got: Record<string, unknown> = {
        due: iso(plan.due),
        tooLate: iso(plan.tooLate),
        missed: plan.missed.map((t) => t.toISOString()),
        missedCount: plan.missedCount,
        excluded: plan.excluded?.map((t) => t.toISOString()),
        excludedBeforeDue: iso(plan.excludedBeforeDue),
        lastScheduleTime: iso(plan.lastScheduleTime),
        nextScheduleTime: iso(plan.nextScheduleTime),
        wakeAt: iso(plan.wakeAt),
      };
      const picked = Object.fromEntries(Object.keys(c.want).map((k) => [k, got[k]]));
      expect(picked).to.deep.equal(c.want);
    });
  }
});
