// The run decision: one pure function, decideRun, from what the pass knows (spec, runs, the
// compiled schedule and calendars, queue depth, tasks observed or looked up, the ledger's word,
// and `now`) to a plain decision: ordered actions for the pass to carry out (launch which run with
// how many tasks, record which time as Missed or Skipped, look which times up first, requeue
// when). Every branch is a row of test/unit/controller/decide/run-decision.table.test.ts; the pass
// (../pass/) calls nothing else to decide and only executes the actions, in order.
//
// A pass is I/O between decisions (DescribeTasks, RunTask, ListTasks, the queue depth), and each
// decision reads what the I/O before it found, so the pass asks at each of those points (`at`),
// with the observation. The helpers that hold the branches live beside this file:
// schedule-plan.ts, passed-over.ts, due-run.ts, older-runs.ts and requeue.ts.
import type { EcsScheduledTaskResource, RunRecord, Spec } from '../../api/types.js';
import type { Exclusions } from '../../schedule/exclusion-calendar.js';
import { decideBuffered, decideDueRun, decideRunNow, needsFreshTasks, type SkipReason } from './due-run.js';
import {
  decideRetries,
  decideSupersede,
  isPendingRun,
  retargeted,
  decideResend,
  type Resend,
  type SupersededRun,
} from './older-runs.js';
import {
  addPendingRange,
  decideLookedUp,
  decideMissed,
  decideTooLate,
  plannedPassedOverTasks,
  splitPassedOver,
  type PendingLookup,
} from './passed-over.js';
import { requeueAfterMs } from './requeue.js';
import {
  launchWindowEnd,
  maxRunsReached,
  planSchedule,
  type FireTimes,
  type SchedulePlan,
} from './schedule-plan.js';
import { launchedTaskCount, plannedTasks } from './run-tracking.js';

/** Which runs still retry for capacity: the launch window of each scheduled time. */
export interface LaunchWindow {
  readonly startingDeadlineSeconds?: number;
  /** How long capacity failures are retried when startingDeadlineSeconds is unset. */
  readonly retryWindowSeconds: number;
  /** The stable jitter of a scheduled time of this resource. */
  readonly jitterSeconds: (scheduledTime: Date) => number;
}

interface Facts {
  readonly spec: Spec;
  readonly now: Date;
  /** The resource's runs as the pass knows them now (observed, earlier actions applied). */
  readonly runs: readonly RunRecord[];
}

/** The start of a pass, before anything is observed. */
export interface PassStart extends Facts {
  readonly at: 'start';
  readonly resource: EcsScheduledTaskResource;
  readonly fires: FireTimes;
  /** Times at or before this were dealt with: status.lastScheduleTime, else creationTimestamp. */
  readonly after: Date;
  readonly lastRunNow: string | undefined;
  readonly buffered: boolean;
  readonly launchedRunsTotal: number;
  readonly jitterSeconds: (scheduledTime: Date) => number;
  readonly exclusions?: Exclusions;
}

/** Runs short of tasks after capacity failures, their unanswered batches confirmed. */
export interface CapacityCheck extends Facts {
  readonly at: 'capacity';
  /** Where new tasks launch (spec.task.cluster, else the default). */
  readonly cluster: string;
  readonly window: LaunchWindow;
}

/** Failed runs waiting for their next attempt (spec.retryPolicy). */
export interface RetryCheck extends Facts {
  readonly at: 'retries';
  readonly cluster: string;
}

/** BufferOne's waiting run (status.bufferedRun). */
export interface BufferedCheck extends Facts {
  readonly at: 'buffered';
  readonly buffered: { readonly scheduledTime: string; readonly since: string };
  readonly launchedRunsTotal: number;
  readonly jitterSeconds: (scheduledTime: Date) => number;
}

/** The schedule's times: passed over, caught up, too late, due. */
export interface ScheduleCheck {
  readonly at: 'schedule';
  readonly plan: SchedulePlan;
  /** The schedule's fires, calendar-excluded ones left out: passed-over times are walked on them. */
  readonly fires: FireTimes;
  readonly after: Date;
  /** The ledger: whether an earlier owner (or a launch of ours not recorded) may have launched it. */
  readonly mayHaveLaunched: (time: Date) => boolean;
  /** Passed-over times still to look up (status.pendingLookups), oldest first. */
  readonly pendingLookups: readonly PendingLookup[];
}

/** A passed-over or too-late time after ECS was asked for its tasks (by startedBy). */
export interface LookedUp {
  readonly at: 'looked-up';
  readonly why: 'passed-over' | 'too-late';
  readonly spec: Spec;
  readonly now: Date;
  readonly time: Date;
  readonly found: readonly string[];
  readonly cluster: string;
  readonly maxTasksPerRun: number;
  readonly window: LaunchWindow;
}

/** One due run (a scheduled, caught-up or waiting time, or a run-now), and the queue if read. */
export interface DueRunCheck extends Facts {
  readonly at: 'due';
  readonly kind: StartKind;
  readonly maxTasksPerRun: number;
  readonly queueClient: boolean;
  readonly queueDepth?: number;
  /** status.bufferedRun's time, unless that is the run asked about. */
  readonly buffered?: string;
  readonly launchedRunsTotal: number;
}

/** The run-now annotation. */
export interface RunNowCheck {
  readonly at: 'run-now';
  readonly spec: Spec;
  readonly now: Date;
  readonly resource: EcsScheduledTaskResource;
  readonly lastRunNow: string | undefined;
}

/** A run just launched under Forbid, Replace or TopUp: what it does to older ones. */
export interface LaunchedCheck extends Facts {
  readonly at: 'launched';
  readonly scheduledTime: string;
  readonly window: LaunchWindow;
}

/** A run whose RunTask batches got no answer, its tasks looked up by startedBy. */
export interface UnansweredCheck {
  readonly at: 'unanswered';
  /** The run, with its unconfirmedLaunch. */
  readonly run: RunRecord;
  /** Tasks found under its startedBy that its record does not hold yet. */
  readonly found: number;
  readonly cluster: string;
}

/** The end of a pass: when to look again. */
export interface PassEnd extends Facts {
  readonly at: 'end';
  readonly launchedRunsTotal: number;
  readonly window: LaunchWindow;
  /** The schedule's next moment (the plan's wakeAt). */
  readonly wakeAt?: Date;
  /** Inline tracking (no shared tracker) polls this often while tasks run. */
  readonly pollMs?: number;
  readonly deadline?: Date;
  readonly retryAt?: Date;
  readonly letterAt?: Date;
}

export type RunDecisionInput =
  | PassStart
  | CapacityCheck
  | RetryCheck
  | BufferedCheck
  | ScheduleCheck
  | LookedUp
  | DueRunCheck
  | RunNowCheck
  | LaunchedCheck
  | UnansweredCheck
  | PassEnd;

/** How a run came due: its kind decides maxRuns, BufferOne waiting and its record. */
export type StartKind = 'buffered' | 'catch-up' | 'scheduled' | 'run-now';

export type RunAction =
  /** Ask ECS which tasks still run before deciding (`fresh`), or fold in the tracker's view. */
  | { readonly do: 'observe-tasks'; readonly fresh: boolean }
  /** A run short of tasks launches `count` more under its next token. */
  | { readonly do: 'relaunch-remainder'; readonly run: RunRecord; readonly count: number }
  /** A run short of tasks in a cluster the spec no longer names keeps what it launched. */
  | { readonly do: 'end-short-run'; readonly run: RunRecord }
  /** A waiting retry in a cluster the spec no longer names ends, saying why. */
  | { readonly do: 'close-retry'; readonly run: RunRecord; readonly why: string }
  /** The next attempt of a failed run: its planned count, under the attempt's own identity. */
  | {
      readonly do: 'launch-attempt';
      readonly run: RunRecord;
      readonly attempt: number;
      readonly count: number;
      readonly desiredCount: number;
      readonly message: string;
    }
  /** BufferOne's waiting run keeps waiting. */
  | { readonly do: 'keep-waiting' }
  /** BufferOne's waiting run will not run: recorded so, and the buffer emptied. */
  | { readonly do: 'drop-buffered'; readonly run: RunRecord; readonly warning?: string }
  /**
   * A run is due: the pass asks decideRun (`at: 'due'`) how. A failure to start stops the rest of
   * the schedule's actions (the time stays due).
   */
  | {
      readonly do: 'start-run';
      readonly kind: StartKind;
      readonly time: Date;
      /** BufferOne: waiting since (status.bufferedRun.since). */
      readonly since?: string;
      /** Run-now: the annotation's value. */
      readonly value?: string;
    }
  /**
   * Passed-over times that may have been launched (these ranges, the new one appended): kept in
   * pendingLookups, and looked up oldest first while the shared budget allows, each asked about
   * (`at: 'looked-up'`) once found or not.
   */
  | { readonly do: 'look-up-passed-over'; readonly pending: readonly PendingLookup[] }
  /** The time too late to start: look its tasks up, then ask (`at: 'looked-up'`). */
  | { readonly do: 'look-up-too-late'; readonly time: Date }
  /** Passed-over times nobody launched, coalesced. */
  | {
      readonly do: 'record-missed';
      readonly runs: readonly RunRecord[];
      /** Missed past the records kept: counted all the same. */
      readonly uncounted: number;
      readonly missed: number;
      readonly warning?: string;
    }
  /** A record for a time looked up: adopted, or Missed. */
  | {
      readonly do: 'record';
      readonly run: RunRecord;
      readonly missed: boolean;
      readonly adopted: boolean;
      readonly warning?: string;
    }
  /** lastScheduleTime moves to at least this: times up to it are dealt with. */
  | { readonly do: 'advance-watermark'; readonly to: Date }
  /** A run-now value recorded Skipped; it counts as acted on. */
  | { readonly do: 'skip-run-now'; readonly value: string; readonly run: RunRecord }
  /** Batches of an earlier launch got no answer: nothing new launches until they are known. */
  | { readonly do: 'wait' }
  /** The trigger's queue depth is needed: read it, then ask again with `queueDepth`. */
  | { readonly do: 'read-queue-depth' }
  /** BufferOne: the run waits for the running one (status.bufferedRun). */
  | { readonly do: 'buffer'; readonly message: string }
  /** Recorded Skipped; `desiredCount` is absent when no count was reached (no SQS client). */
  | {
      readonly do: 'skip';
      readonly reason: SkipReason;
      readonly message: string;
      readonly desiredCount?: number;
    }
  /** Launch `count` tasks, after stopping `stop` (Replace); `supersede`: older runs give way. */
  | {
      readonly do: 'launch';
      readonly count: number;
      readonly desiredCount: number;
      readonly stop: readonly string[];
      readonly supersede: boolean;
      readonly message: string;
    }
  /** An older run gives way to the new one (see SupersededRun). */
  | ({ readonly do: 'supersede' } & SupersededRun)
  /** The batches of an unanswered launch to send again (count 0: adopt what was found). */
  | ({ readonly do: 'resend-batches' } & Resend)
  | { readonly do: 'requeue-after'; readonly ms: number };

type Act<K extends RunAction['do']> = Extract<RunAction, { do: K }>;
/** A due run to start: the pass asks `at: 'due'` how. */
export type StartRunAction = Act<'start-run'>;

export interface StartDecision {
  readonly plan: SchedulePlan;
  readonly actions: readonly [Act<'observe-tasks'>];
}
export interface CapacityDecision {
  readonly actions: readonly Act<'relaunch-remainder' | 'end-short-run'>[];
}
export interface RetriesDecision {
  readonly actions: readonly Act<'close-retry' | 'launch-attempt'>[];
}
export interface BufferedRunDecision {
  readonly actions: readonly [Act<'keep-waiting' | 'drop-buffered' | 'start-run'>];
}
export interface ScheduleDecision {
  readonly actions: readonly Act<
    'look-up-passed-over' | 'record-missed' | 'start-run' | 'look-up-too-late' | 'advance-watermark'
  >[];
}
export interface LookedUpDecision {
  readonly actions: readonly [Act<'record'>];
}
export interface DueDecision {
  readonly actions: readonly [Act<'wait' | 'read-queue-depth' | 'buffer' | 'skip' | 'launch'>];
}
export interface RunNowDecision {
  readonly actions: readonly Act<'skip-run-now' | 'start-run'>[];
}
export interface LaunchedDecision {
  readonly actions: readonly Act<'supersede'>[];
}
export interface UnansweredDecision {
  readonly actions: readonly [Act<'resend-batches'>];
}
export interface EndDecision {
  /** Some run still retries for capacity (the status shows Progressing). */
  readonly pending: boolean;
  /** spec.maxRuns was reached: nothing more is scheduled. */
  readonly exhausted: boolean;
  readonly actions: readonly Act<'requeue-after'>[];
}

export type RunDecision =
  | StartDecision
  | CapacityDecision
  | RetriesDecision
  | BufferedRunDecision
  | ScheduleDecision
  | LookedUpDecision
  | DueDecision
  | RunNowDecision
  | LaunchedDecision
  | UnansweredDecision
  | EndDecision;

export function decideRun(input: PassStart): StartDecision;
export function decideRun(input: CapacityCheck): CapacityDecision;
export function decideRun(input: RetryCheck): RetriesDecision;
export function decideRun(input: BufferedCheck): BufferedRunDecision;
export function decideRun(input: ScheduleCheck): ScheduleDecision;
export function decideRun(input: LookedUp): LookedUpDecision;
export function decideRun(input: DueRunCheck): DueDecision;
export function decideRun(input: RunNowCheck): RunNowDecision;
export function decideRun(input: LaunchedCheck): LaunchedDecision;
export function decideRun(input: UnansweredCheck): UnansweredDecision;
export function decideRun(input: PassEnd): EndDecision;
export function decideRun(input: RunDecisionInput): RunDecision {
  switch (input.at) {
    case 'start':
      return start(input);
    case 'capacity':
      return capacity(input);
    case 'retries':
      return retries(input);
    case 'buffered':
      return buffered(input);
    case 'schedule':
      return schedule(input);
    case 'looked-up':
      return lookedUp(input);
    case 'due':
      return due(input);
    case 'run-now':
      return runNow(input);
    case 'launched':
      return launched(input);
    case 'unanswered':
      return { actions: [{ do: 'resend-batches', ...decideResend(input.run, input.found, input.cluster) }] };
    case 'end':
      return end(input);
  }
}

const runsLeft = (spec: Spec, launchedRunsTotal: number) =>
  spec.maxRuns !== undefined ? { runsLeft: spec.maxRuns - launchedRunsTotal } : {};

const pendingIn = (window: LaunchWindow, now: Date) => (run: RunRecord) =>
  isPendingRun(run, { now, ...window });

function start(input: PassStart): StartDecision {
  const { spec, now, runs } = input;
  const suspend = spec.suspend ?? false;
  const plan = planSchedule({
    fires: input.fires,
    now,
    after: input.after,
    suspend,
    exhausted: maxRunsReached(spec.maxRuns, input.launchedRunsTotal),
    ...(spec.catchup ? { catchupRuns: spec.catchup.maxRuns } : {}),
    ...runsLeft(spec, input.launchedRunsTotal),
    startingDeadlineSeconds: spec.startingDeadlineSeconds,
    jitterSeconds: input.jitterSeconds,
    ...(input.exclusions ? { exclusions: input.exclusions } : {}),
  });
  const fresh = needsFreshTasks(spec, runs, now, {
    scheduled: plan.due !== undefined,
    runNow: decideRunNow(input.resource, input.lastRunNow, suspend).action === 'start',
    buffered: input.buffered,
  });
  return { plan, actions: [{ do: 'observe-tasks', fresh }] };
}

function capacity(input: CapacityCheck): CapacityDecision {
  const pending = pendingIn(input.window, input.now);
  return {
    actions: input.runs
      .filter((r) => pending(r) && !r.unconfirmedLaunch)
      .map((run) =>
        retargeted(run, input.cluster)
          ? { do: 'end-short-run', run }
          : { do: 'relaunch-remainder', run, count: plannedTasks(run) - launchedTaskCount(run) },
      ),
  };
}

function retries(input: RetryCheck): RetriesDecision {
  const decision = decideRetries(input.spec, input.runs, input.cluster, input.now);
  return {
    actions: [
      ...decision.cancel.map(({ run, why }) => ({ do: 'close-retry' as const, run, why })),
      ...decision.launch.map((attempt) => ({ do: 'launch-attempt' as const, ...attempt })),
    ],
  };
}

function buffered(input: BufferedCheck): BufferedRunDecision {
  const { buffered: waiting } = input;
  const time = new Date(waiting.scheduledTime);
  const decision = decideBuffered({
    spec: input.spec,
    buffered: waiting,
    runs: input.runs,
    now: input.now,
    jitter: input.jitterSeconds(time),
    ...runsLeft(input.spec, input.launchedRunsTotal),
  });
  switch (decision.action) {
    case 'wait':
      return { actions: [{ do: 'keep-waiting' }] };
    case 'drop':
      return {
        actions: [
          {
            do: 'drop-buffered',
            run: decision.run,
            ...(decision.warning ? { warning: decision.warning } : {}),
          },
        ],
      };
    case 'start':
      return { actions: [{ do: 'start-run', kind: 'buffered', time, since: waiting.since }] };
  }
}

/**
 * In order: passed-over times to look up (a crash may have launched them), the rest recorded
 * Missed, catch-up times oldest first, the too-late time (looked up first) or the due time. Each
 * watermark step follows what it covers, so a start that fails leaves its time due.
 */
function schedule(input: ScheduleCheck): ScheduleDecision {
  const { plan } = input;
  const actions: Act<
    'look-up-passed-over' | 'record-missed' | 'start-run' | 'look-up-too-late' | 'advance-watermark'
  >[] = [];
  const split = splitPassedOver(plan, input.fires, input.after, input.mayHaveLaunched);
  const pending = split.range ? addPendingRange(input.pendingLookups, split.range) : input.pendingLookups;
  if (pending.length > 0) actions.push({ do: 'look-up-passed-over', pending });
  // The cluster only names adopted records, and none is adopted without a lookup.
  const missed = decideMissed(split.plan, new Map(), '');
  if (missed.runs.length > 0 || missed.missed > 0) {
    actions.push({
      do: 'record-missed',
      runs: missed.runs,
      uncounted: missed.uncounted,
      missed: missed.missed,
      ...(missed.warning ? { warning: missed.warning } : {}),
    });
  }
  // Times excluded before the first launch are dealt with whatever becomes of it.
  const handled = [plan.missed[0], plan.excludedBeforeDue].filter((t): t is Date => t !== undefined);
  const newest = handled.reduce<Date | undefined>(
    (a, b) => (a && a.getTime() >= b.getTime() ? a : b),
    undefined,
  );
  if (newest) actions.push({ do: 'advance-watermark', to: newest });
  for (const time of plan.catchup) {
    actions.push({ do: 'start-run', kind: 'catch-up', time });
    actions.push({ do: 'advance-watermark', to: time });
  }
  if (plan.tooLate) actions.push({ do: 'look-up-too-late', time: plan.tooLate });
  if (plan.due) actions.push({ do: 'start-run', kind: 'scheduled', time: plan.due });
  if (plan.lastScheduleTime) actions.push({ do: 'advance-watermark', to: plan.lastScheduleTime });
  return { actions };
}

function lookedUp(input: LookedUp): LookedUpDecision {
  const { time, found, cluster } = input;
  if (input.why === 'too-late') {
    const decision = decideTooLate(time, found, cluster, input.spec.startingDeadlineSeconds);
    const adopted = found.length > 0;
    return {
      actions: [
        {
          do: 'record',
          run: decision.run,
          missed: !adopted,
          adopted,
          ...(decision.warning ? { warning: decision.warning } : {}),
        },
      ],
    };
  }
  const end = launchWindowEnd(
    time,
    input.window.jitterSeconds(time),
    input.spec.startingDeadlineSeconds,
    input.window.retryWindowSeconds,
  );
  const decision = decideLookedUp({
    time,
    found,
    cluster,
    planned: plannedPassedOverTasks(input.spec, input.maxTasksPerRun),
    inWindow: input.now.getTime() < end.getTime(),
  });
  return {
    actions: [{ do: 'record', run: decision.run, missed: decision.missed, adopted: !decision.missed }],
  };
}

function due(input: DueRunCheck): DueDecision {
  const decision = decideDueRun({
    spec: input.spec,
    runs: input.runs,
    maxTasksPerRun: input.maxTasksPerRun,
    queueClient: input.queueClient,
    ...(input.queueDepth !== undefined ? { queueDepth: input.queueDepth } : {}),
    ...(input.buffered !== undefined ? { buffered: input.buffered } : {}),
    ...(input.kind === 'run-now' ? { runNow: true } : {}),
    ...runsLeft(input.spec, input.launchedRunsTotal),
  });
  const { action, ...rest } = decision;
  return {
    actions: [{ do: action, ...rest } as Act<'wait' | 'read-queue-depth' | 'buffer' | 'skip' | 'launch'>],
  };
}

function runNow(input: RunNowCheck): RunNowDecision {
  const decision = decideRunNow(input.resource, input.lastRunNow, input.spec.suspend ?? false);
  switch (decision.action) {
    case 'none':
      return { actions: [] };
    case 'skip':
      return {
        actions: [
          {
            do: 'skip-run-now',
            value: decision.value,
            run: {
              scheduledTime: input.now.toISOString(),
              result: 'Skipped',
              reason: decision.reason,
              message: decision.message,
            },
          },
        ],
      };
    case 'start':
      return { actions: [{ do: 'start-run', kind: 'run-now', time: input.now, value: decision.value }] };
  }
}

function launched(input: LaunchedCheck): LaunchedDecision {
  const pending = pendingIn(input.window, input.now);
  return {
    actions: decideSupersede(input.runs, input.scheduledTime, input.now, pending).map((s) => ({
      do: 'supersede',
      ...s,
    })),
  };
}

function end(input: PassEnd): EndDecision {
  const pending = input.runs.filter(pendingIn(input.window, input.now));
  const exhausted = maxRunsReached(input.spec.maxRuns, input.launchedRunsTotal);
  const ms = requeueAfterMs({
    now: input.now,
    ...(input.wakeAt && !exhausted ? { wakeAt: input.wakeAt } : {}),
    ...(input.pollMs !== undefined ? { pollMs: input.pollMs } : {}),
    ...(input.deadline ? { deadline: input.deadline } : {}),
    ...(input.retryAt ? { retryAt: input.retryAt } : {}),
    ...(input.letterAt ? { letterAt: input.letterAt } : {}),
    pending: pending.map((r) => new Date(r.scheduledTime)),
  });
  return {
    pending: pending.length > 0,
    exhausted,
    actions: ms === undefined ? [] : [{ do: 'requeue-after', ms }],
  };
}
