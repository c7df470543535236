// The run decision, in one place and pure: the caller passes `now`, the fire times, the runs and
// what it observed, and gets a plain decision back, so every branch is a row of a table test
// (test/unit/controller/decide/run-decision.test.ts). The pass (../pass/) only carries it out.
//
// It is taken in the steps a pass takes, because I/O lies between them and each step reads what
// the I/O before it found:
// - planSchedule: which scheduled time is due now, which were passed over (coalesced) or are too
//   late to start (startingDeadlineSeconds), suspension, and when to look again;
// - needsFreshTasks: whether what is due depends on which tasks still run (ask ECS first);
// - decideMissed, decideTooLate: the passed-over and too-late times become Missed records, or are
//   adopted where an earlier pass's tasks were found for them;
// - decideDueRun: what one due run (a scheduled time or a run-now) does, given the runs as
//   observed, the trigger's queue depth and the concurrency policy: launch how many tasks and
//   stop which, be Skipped and why, or wait. It is asked once per due run, after the runs before
//   it were launched, so a run-now sees the scheduled run of the same pass; decideRunNow says
//   whether a run-now is due at all;
// - decideSupersede, decideRetries: what a new run does to older ones under Forbid, Replace and
//   TopUp, and which retry attempts launch now (or are closed: their cluster changed);
// - isPendingRun and requeueAfterMs: whether a run short of tasks still retries for capacity, and
//   when the pass looks again, read after the pass has acted.
import { RUN_NOW_ANNOTATION } from '../../api/constants.js';
import type { ConcurrencyPolicy, EcsScheduledTaskResource, RunRecord, Spec } from '../../api/types.js';
import { attemptOf, awaitingRetry, cancelledRetry, dueRetries, retryPolicyOf } from './run-retry.js';
import {
  launchedTaskCount,
  plannedTasks,
  RunReason,
  unfinishedTaskArns,
  withReason,
} from './run-tracking.js';

// ---- Which scheduled time is due, which were missed, and when to look again ----

/** The part of a compiled schedule the plan needs (window and time zone already applied). */
export interface FireTimes {
  /** The first fire strictly after `after`, or null when there is none. */
  next(after: Date): Date | null;
  /** The most recent fire at or before `atOrBefore`, or null. */
  previous(atOrBefore: Date): Date | null;
}

export interface PlanInput {
  readonly fires: FireTimes;
  readonly now: Date;
  /** Times at or before this were dealt with: status.lastScheduleTime, else creationTimestamp. */
  readonly after: Date;
  readonly suspend: boolean;
  /** spec.maxRuns was reached (maxRunsReached): nothing more is scheduled, nothing is Missed. */
  readonly exhausted?: boolean;
  readonly startingDeadlineSeconds?: number;
  /** Seconds the run for a scheduled time waits after it (stable per resource and time). */
  readonly jitterSeconds: (scheduledTime: Date) => number;
  /**
   * spec.catchup.maxRuns: up to this many of the times passed over (the due one included) are
   * launched rather than coalesced. Absent: only the newest (CronJob's behaviour).
   */
  readonly catchupRuns?: number;
  /** Scheduled runs still allowed by spec.maxRuns (maxRuns - launchedRunsTotal); absent: no limit. */
  readonly runsLeft?: number;
}

export interface SchedulePlan {
  /** The scheduled time to launch now. */
  readonly due?: Date;
  /**
   * Older times to launch as well (spec.catchup), oldest first, each as its own run, before `due`.
   * Empty without catch-up.
   */
  readonly catchup: readonly Date[];
  /** The most recent time, too late to start: recorded Missed with a MissedSchedule event. */
  readonly tooLate?: Date;
  /** Older times passed over (coalesced), newest first, at most MAX_MISSED_RECORDS. */
  readonly missed: readonly Date[];
  /** How many older times were passed over; a lower bound when `missedMore` is set. */
  readonly missedCount: number;
  readonly missedMore: boolean;
  /** The newest scheduled time dealt with by this plan (the new watermark), if it moved. */
  readonly lastScheduleTime?: Date;
  /** The next fire strictly after now (undefined when suspended or the schedule has ended). */
  readonly nextScheduleTime?: Date;
  /** When a pass should look again: a pending jitter, or the next fire plus its jitter. */
  readonly wakeAt?: Date;
}

/**
 * Scanning stops after this many fire times. An every-second schedule after a day of downtime has
 * 86,400 of them; walking them all would stall the worker for nothing, since only the newest is
 * launched. CronJob stops at 100 for the same reason; we go further so the count stays honest.
 */
export const MAX_FIRES_SCANNED = 1000;

/** Missed times kept as run records per pass; the history limit trims them further anyway. */
export const MAX_MISSED_RECORDS = 100;

const at = (d: Date, seconds: number) => new Date(d.getTime() + seconds * 1000);

/** Fire times in (after, now], newest first, and whether the scan stopped early. */
function firesSince(fires: FireTimes, after: Date, now: Date): { times: Date[]; more: boolean } {
  const times: Date[] = [];
  let t = fires.previous(now);
  while (t && t.getTime() > after.getTime()) {
    if (times.length === MAX_FIRES_SCANNED) return { times, more: true };
    times.push(t);
    t = fires.previous(new Date(t.getTime() - 1));
  }
  return { times, more: false };
}

export function planSchedule(input: PlanInput): SchedulePlan {
  const { fires, now, after, jitterSeconds } = input;
  const next = fires.next(now) ?? undefined;
  const nextWake = next ? at(next, jitterSeconds(next)) : undefined;

  if (input.suspend || input.exhausted) {
    // Times passing while suspended are neither launched nor Missed: the watermark just follows
    // the clock, so resuming does not launch or report what fell inside the suspension. The same
    // after maxRuns, which only a spec change (a higher maxRuns) lifts: that wakes the resource,
    // so no timer is kept.
    const latest = fires.previous(now);
    return {
      catchup: [],
      missed: [],
      missedCount: 0,
      missedMore: false,
      ...(latest && latest.getTime() > after.getTime() ? { lastScheduleTime: latest } : {}),
      ...(next && !input.exhausted ? { wakeAt: next } : {}),
    };
  }

  const { times, more } = firesSince(fires, after, now);
  // The newest time whose jittered launch moment has come; newer ones still wait for their jitter.
  const dueIndex = times.findIndex((t) => at(t, jitterSeconds(t)).getTime() <= now.getTime());
  const waiting = dueIndex < 0 ? times : times.slice(0, dueIndex);
  const wakeAt = [...waiting.map((t) => at(t, jitterSeconds(t))), ...(nextWake ? [nextWake] : [])].reduce<
    Date | undefined
  >((a, b) => (a && a.getTime() <= b.getTime() ? a : b), undefined);
  const base = { ...(next ? { nextScheduleTime: next } : {}), ...(wakeAt ? { wakeAt } : {}) };

  const candidate = dueIndex < 0 ? undefined : times[dueIndex];
  if (!candidate) return { catchup: [], missed: [], missedCount: 0, missedMore: false, ...base };

  // Lateness counts from the jittered launch moment: a run jittered by 10 minutes is not late at 5.
  const late = (t: Date) =>
    input.startingDeadlineSeconds !== undefined &&
    now.getTime() - at(t, jitterSeconds(t)).getTime() > input.startingDeadlineSeconds * 1000;
  const tooLate = late(candidate);
  // Catch-up takes the newest of the older times, still inside startingDeadlineSeconds (the
  // catch-up window), up to catchup.maxRuns with the due one and no more than maxRuns allows.
  // Lateness grows with age, so those are a prefix of `older`, and the rest is Missed as ever.
  const allowed = Math.min(input.catchupRuns ?? 1, input.runsLeft ?? Number.POSITIVE_INFINITY) - 1;
  let older = times.slice(dueIndex + 1);
  let catchup: Date[] = [];
  if (!tooLate && allowed > 0) {
    const inWindow = older.findIndex(late);
    const eligible = inWindow < 0 ? older.length : inWindow;
    catchup = older.slice(0, Math.min(allowed, eligible)).reverse();
    older = older.slice(catchup.length);
  }
  return {
    ...(tooLate ? { tooLate: candidate } : { due: candidate }),
    catchup,
    missed: older.slice(0, MAX_MISSED_RECORDS),
    missedCount: older.length,
    missedMore: more,
    lastScheduleTime: candidate,
    ...base,
  };
}

/**
 * spec.maxRuns against status.launchedRunsTotal: once reached, the resource schedules nothing
 * more (Temporal's limited actions). Run-now is not counted and still works.
 */
export function maxRunsReached(maxRuns: number | undefined, launchedRunsTotal: number): boolean {
  return maxRuns !== undefined && launchedRunsTotal >= maxRuns;
}

/**
 * Until when a run for `scheduledTime` may still (re)try to launch after capacity failures:
 * startingDeadlineSeconds after its jittered launch moment, or `defaultWindowSeconds` when unset.
 */
export function launchWindowEnd(
  scheduledTime: Date,
  jitter: number,
  startingDeadlineSeconds: number | undefined,
  defaultWindowSeconds: number,
): Date {
  return at(scheduledTime, jitter + (startingDeadlineSeconds ?? defaultWindowSeconds));
}

// ---- What becomes of the times not launched ----

/** A scheduled time whose tasks an earlier pass launched but never recorded. */
export function adoptedRun(time: Date, taskArns: readonly string[], cluster: string): RunRecord {
  return {
    scheduledTime: time.toISOString(),
    result: 'Running',
    cluster,
    desiredCount: taskArns.length,
    launchCount: taskArns.length,
    tasks: taskArns.map((taskArn) => ({ taskArn })),
    message: `${taskArns.length} task(s) adopted from an earlier attempt`,
  };
}

export interface MissedDecision {
  /** One record per passed-over time kept (plan.missed, newest first): adopted, else Missed. */
  readonly runs: readonly RunRecord[];
  /** Missed times past the records kept: counted all the same, so the metrics stay true. */
  readonly uncounted: number;
  /** Times passed over that nobody launched (missedRunsTotal grows by this). */
  readonly missed: number;
  /** The MissedSchedule Warning, when something was missed. */
  readonly warning?: string;
}

/**
 * The times planSchedule passed over (coalesced). `adopted` holds those whose tasks were found
 * launched by an earlier pass that never recorded them: they are adopted, not Missed.
 */
export function decideMissed(
  plan: SchedulePlan,
  adopted: ReadonlyMap<Date, readonly string[]>,
  cluster: string,
): MissedDecision {
  const kept = plan.catchup.length + 1;
  const runs = plan.missed.map((time): RunRecord => {
    const found = adopted.get(time);
    return found
      ? adoptedRun(time, found, cluster)
      : {
          scheduledTime: time.toISOString(),
          result: 'Missed',
          reason: RunReason.Coalesced,
          message:
            kept > 1
              ? `later scheduled times were due at the same pass; only the ${kept} most recent run (spec.catchup)`
              : 'a later scheduled time was due at the same pass; only the most recent one runs',
        };
  });
  const missed = plan.missedCount - adopted.size;
  const count = plan.missedMore ? `at least ${missed}` : String(missed);
  const considered = kept > 1 ? `the ${kept} most recent are` : 'only the most recent is';
  return {
    runs,
    uncounted: Math.max(0, plan.missedCount - plan.missed.length),
    missed,
    ...(missed > 0
      ? {
          warning: `missed ${count} scheduled time(s) before ${(plan.catchup[0] ?? plan.lastScheduleTime)?.toISOString()}; ${considered} considered`,
        }
      : {}),
  };
}

/**
 * The time too late to start (plan.tooLate): adopted when an earlier pass launched it and crashed
 * before writing (`found` its tasks), else Missed with a MissedSchedule Warning.
 */
export function decideTooLate(
  time: Date,
  found: readonly string[],
  cluster: string,
  startingDeadlineSeconds: number | undefined,
): { readonly run: RunRecord; readonly warning?: string } {
  if (found.length > 0) return { run: adoptedRun(time, found, cluster) };
  const message = `too late to start: more than startingDeadlineSeconds (${startingDeadlineSeconds ?? 0}s) after ${time.toISOString()}`;
  return {
    run: {
      scheduledTime: time.toISOString(),
      result: 'Missed',
      reason: RunReason.StartingDeadlineExceeded,
      message,
    },
    warning: message,
  };
}

// ---- What a due run does ----

/**
 * True when this pass is about to decide a launch (a scheduled time due now, a new run-now value,
 * a retry attempt due) and the decision depends on which tasks still run: Forbid, Replace or TopUp
 * with unfinished tasks on record. Only then is the cost of a DescribeTasks worth it; passes that
 * decide nothing keep to the tracker's batched polls.
 */
export function needsFreshTasks(
  spec: Spec,
  runs: readonly RunRecord[],
  now: Date,
  due: { readonly scheduled: boolean; readonly runNow: boolean; readonly buffered?: boolean },
): boolean {
  const policy = spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Allow' || unfinishedTaskArns(runs).length === 0) return false;
  return due.scheduled || due.runNow || due.buffered === true || dueRetries(runs, now).length > 0;
}

/** The reasons a due run is Skipped for (RunReason values). */
export type SkipReason =
  | 'ConcurrencyForbid'
  | 'AlreadyRunning'
  | 'QueueEmpty'
  | 'TriggerUnavailable'
  | 'BufferFull'
  | 'MaxRunsReached';

export type LaunchDecision =
  | {
      readonly action: 'launch';
      readonly count: number;
      /** Tasks to stop first (Replace). */
      readonly stop: readonly string[];
      readonly message: string;
    }
  | { readonly action: 'skip'; readonly reason: SkipReason; readonly message: string };

/** The concurrency policy: what a due run does, given how many tasks it wants and which still run. */
export function decideLaunch(
  policy: ConcurrencyPolicy | undefined,
  desired: number,
  runningTaskArns: readonly string[],
): LaunchDecision {
  const running = runningTaskArns.length;
  if (desired <= 0) return { action: 'skip', reason: 'QueueEmpty', message: 'the trigger queue is empty' };
  switch (policy ?? 'Allow') {
    case 'Forbid':
      if (running > 0) {
        return {
          action: 'skip',
          reason: 'ConcurrencyForbid',
          message: `${running} task(s) of an earlier run still running`,
        };
      }
      break;
    case 'Replace':
      return {
        action: 'launch',
        count: desired,
        stop: runningTaskArns,
        message: running > 0 ? `replacing ${running} running task(s)` : `launching ${desired} task(s)`,
      };
    case 'TopUp': {
      const shortfall = desired - running;
      if (shortfall <= 0) {
        return {
          action: 'skip',
          reason: 'AlreadyRunning',
          message: `${running} task(s) running, ${desired} desired`,
        };
      }
      return {
        action: 'launch',
        count: shortfall,
        stop: [],
        message: `${running} task(s) running, topping up by ${shortfall} to ${desired}`,
      };
    }
    // BufferOne with nothing running launches as Allow does (decideDueRun makes it wait otherwise).
    case 'BufferOne':
    case 'Allow':
      break;
  }
  return { action: 'launch', count: desired, stop: [], message: `launching ${desired} task(s)` };
}

/**
 * How many tasks a run wants. A trigger plugs in here as "desired task count", so the rest of the
 * decision (concurrency policy, launching) does not know triggers exist.
 *
 * `taskCount` (default 1) capped by `maxCount`. With an SQS trigger: 0 when the queue is empty,
 * else `min(maxCount, max(taskCount, ceil(depth / messagesPerTask)))`, the old ECS Scheduler's
 * formula. Defaults are applied here, never assumed from the API server (standalone mode has none).
 */
export function desiredTaskCount(spec: Spec, queueDepth?: number): number {
  const taskCount = spec.taskCount ?? 1;
  const cap = spec.maxCount ?? Number.POSITIVE_INFINITY;
  const sqs = spec.trigger?.sqs;
  if (!sqs || queueDepth === undefined) return Math.min(cap, taskCount);
  if (queueDepth <= 0) return 0;
  const perTask = Math.max(1, sqs.messagesPerTask);
  return Math.min(cap, Math.max(taskCount, Math.ceil(queueDepth / perTask)));
}

export interface DueRunInput {
  readonly spec: Spec;
  /** The resource's runs as this pass knows them now (observed, retried, earlier launches added). */
  readonly runs: readonly RunRecord[];
  /** Tasks one run may launch: the controller's and the policy's caps. */
  readonly maxTasksPerRun: number;
  /** Whether this controller can read a trigger queue at all (it has an SQS client). */
  readonly queueClient: boolean;
  /** The trigger queue's depth, once read; undefined before (or without a trigger). */
  readonly queueDepth?: number;
  /**
   * BufferOne: the scheduled time already waiting (status.bufferedRun), if any. Absent when the
   * waiting run itself is asked: it takes its own place again if it still has to wait.
   */
  readonly buffered?: string;
  /** A run-now: BufferOne does not make it wait (it would outlive its annotation value). */
  readonly runNow?: boolean;
  /**
   * Scheduled runs spec.maxRuns still allows, now (maxRuns - launchedRunsTotal). The plan keeps
   * within it, but a waiting run launched earlier in the same pass may have used the last one.
   */
  readonly runsLeft?: number;
}

export type DueRunDecision =
  /**
   * Not now, and the time stays due: batches of an earlier launch got no answer, so their tasks
   * may run, and nothing new launches until they are known.
   */
  | { readonly action: 'wait' }
  /** The trigger's queue depth is needed: read it, then ask again with `queueDepth`. */
  | { readonly action: 'read-queue-depth' }
  /** BufferOne: the run waits for the running one (status.bufferedRun) and starts when it ends. */
  | { readonly action: 'buffer'; readonly message: string }
  /**
   * Recorded Skipped. `desiredCount` is absent when no count was reached (no SQS client): that
   * record carries nothing but the reason.
   */
  | {
      readonly action: 'skip';
      readonly reason: SkipReason;
      readonly message: string;
      readonly desiredCount?: number;
    }
  | {
      readonly action: 'launch';
      /** Tasks to launch now (TopUp: the shortfall). */
      readonly count: number;
      /** The run's desired task count, after maxTasksPerRun. */
      readonly desiredCount: number;
      /** Tasks to stop before launching (Replace). */
      readonly stop: readonly string[];
      /** The new run takes over: older runs stop retrying (every policy but Allow). */
      readonly supersede: boolean;
      readonly message: string;
    };

/** What one due run does. See DueRunDecision for the branches. */
export function decideDueRun(input: DueRunInput): DueRunDecision {
  const { spec, runs } = input;
  if (runs.some((r) => r.unconfirmedLaunch !== undefined)) return { action: 'wait' };
  if (!input.runNow && input.runsLeft !== undefined && input.runsLeft <= 0) {
    return {
      action: 'skip',
      reason: RunReason.MaxRunsReached,
      message: `maxRuns (${spec.maxRuns ?? 0}) scheduled runs were launched already`,
    };
  }
  if (spec.trigger?.sqs) {
    if (!input.queueClient) {
      return {
        action: 'skip',
        reason: RunReason.TriggerUnavailable,
        message: 'this controller has no SQS client configured',
      };
    }
    if (input.queueDepth === undefined) return { action: 'read-queue-depth' };
  }
  const wanted = desiredTaskCount(spec, input.queueDepth);
  const desired = Math.min(wanted, input.maxTasksPerRun);
  const policy = (spec.concurrencyPolicy ?? 'Allow') as ConcurrencyPolicy;
  const retrying = runs.filter(awaitingRetry);
  const running = unfinishedTaskArns(runs);
  if (policy === 'BufferOne' && desired > 0 && (running.length > 0 || retrying.length > 0)) {
    const busy =
      running.length > 0
        ? `${running.length} task(s) of an earlier run still running`
        : `the run scheduled at ${retrying[0]!.scheduledTime} is waiting for attempt ${attemptOf(retrying[0]!)}`;
    if (input.runNow) {
      return {
        action: 'skip',
        reason: RunReason.ConcurrencyForbid,
        message: `${busy}; BufferOne makes only scheduled runs wait`,
        desiredCount: desired,
      };
    }
    if (input.buffered !== undefined) {
      return {
        action: 'skip',
        reason: RunReason.BufferFull,
        message: `${busy}, and the run scheduled at ${input.buffered} already waits for it`,
        desiredCount: desired,
      };
    }
    return { action: 'buffer', message: `waiting: ${busy}` };
  }
  if (policy === 'Forbid' && retrying.length > 0 && desired > 0) {
    // A run between attempts is still in progress: Forbid waits for it as for running tasks.
    const waiting = retrying[0]!;
    return {
      action: 'skip',
      reason: RunReason.ConcurrencyForbid,
      message: `the run scheduled at ${waiting.scheduledTime} is waiting for attempt ${attemptOf(waiting)} at ${waiting.retryAt}`,
      desiredCount: desired,
    };
  }
  const decision = decideLaunch(
    spec.concurrencyPolicy as ConcurrencyPolicy | undefined,
    desired,
    unfinishedTaskArns(runs),
  );
  if (decision.action === 'skip') return { ...decision, desiredCount: desired };
  const capped = wanted > desired ? ` (capped from ${wanted} by maxTasksPerRun ${input.maxTasksPerRun})` : '';
  return {
    action: 'launch',
    count: decision.count,
    desiredCount: desired,
    stop: decision.stop,
    supersede: policy !== 'Allow',
    message: `${decision.message}${capped}`,
  };
}

// ---- BufferOne: the run that waits ----

export interface BufferedInput {
  readonly spec: Spec;
  /** status.bufferedRun */
  readonly buffered: { readonly scheduledTime: string; readonly since: string };
  readonly runs: readonly RunRecord[];
  readonly now: Date;
  /** The stable jitter of the buffered time, in seconds. */
  readonly jitter: number;
  /** Scheduled runs spec.maxRuns still allows (maxRuns - launchedRunsTotal); absent: no limit. */
  readonly runsLeft?: number;
}

export type BufferedDecision =
  /** The running one has not ended: it keeps waiting. */
  | { readonly action: 'wait' }
  /** Start it now, as a due run of its own scheduled time (decideDueRun decides how). */
  | { readonly action: 'start' }
  /** It will not run: recorded with this record, and the buffer is emptied. */
  | { readonly action: 'drop'; readonly run: RunRecord; readonly warning?: string };

/**
 * The run BufferOne keeps waiting: it starts once the running one ended (no unfinished tasks, no
 * attempt to come), or at once if the policy is no longer BufferOne. It is dropped when the resource
 * is suspended, and Missed past startingDeadlineSeconds as a late scheduled time is.
 */
export function decideBuffered(input: BufferedInput): BufferedDecision {
  const { spec, buffered, runs, now } = input;
  const time = new Date(buffered.scheduledTime);
  if (spec.suspend) {
    return {
      action: 'drop',
      run: {
        scheduledTime: buffered.scheduledTime,
        result: 'Skipped',
        reason: RunReason.Suspended,
        message: 'it waited for a running run (BufferOne), and the resource was suspended',
      },
    };
  }
  if (input.runsLeft !== undefined && input.runsLeft <= 0) {
    return {
      action: 'drop',
      run: {
        scheduledTime: buffered.scheduledTime,
        result: 'Skipped',
        reason: RunReason.MaxRunsReached,
        message: `it waited for a running run (BufferOne), and maxRuns (${spec.maxRuns ?? 0}) was reached meanwhile`,
      },
    };
  }
  const deadline = spec.startingDeadlineSeconds;
  if (deadline !== undefined && now.getTime() > at(time, input.jitter + deadline).getTime()) {
    const message = `too late to start: it waited for a running run (BufferOne) for more than startingDeadlineSeconds (${deadline}s) after ${buffered.scheduledTime}`;
    return {
      action: 'drop',
      run: {
        scheduledTime: buffered.scheduledTime,
        result: 'Missed',
        reason: RunReason.StartingDeadlineExceeded,
        message,
      },
      warning: message,
    };
  }
  if ((spec.concurrencyPolicy ?? 'Allow') !== 'BufferOne') return { action: 'start' };
  const busy = unfinishedTaskArns(runs).length > 0 || runs.some(awaitingRetry);
  return busy ? { action: 'wait' } : { action: 'start' };
}

// ---- What a new run does to older ones; retry attempts ----

/**
 * A further launch of `run` sends the current spec.task, which this pass's policy verdict judged
 * with the current cluster. In the cluster the run was recorded in it would be a request no
 * policy judged (the task definition of one, the cluster of the other), so it is not made.
 */
export function retargeted(run: RunRecord, cluster: string): boolean {
  return run.cluster !== undefined && run.cluster !== cluster;
}

export interface RetryDecision {
  /** Runs waiting for a retry in a cluster the spec no longer names: closed, saying why. */
  readonly cancel: readonly { readonly run: RunRecord; readonly why: string }[];
  /**
   * Attempts due now: the run's planned task count, under the attempt's own identity. The
   * concurrency policy is not asked again: a retry is the run it belongs to, not a new one.
   */
  readonly launch: readonly {
    readonly run: RunRecord;
    readonly attempt: number;
    readonly count: number;
    readonly desiredCount: number;
    readonly message: string;
  }[];
}

export function decideRetries(
  spec: Spec,
  runs: readonly RunRecord[],
  cluster: string,
  now: Date,
): RetryDecision {
  const policy = retryPolicyOf(spec);
  const cancel = runs
    .filter((r) => awaitingRetry(r) && retargeted(r, cluster))
    .map((run) => ({ run, why: `spec.task.cluster is now ${cluster}, and the run's was ${run.cluster}` }));
  const launch = dueRetries(runs, now)
    .filter((r) => !retargeted(r, cluster))
    .map((run) => {
      const attempt = attemptOf(run);
      const count = plannedTasks(run);
      return {
        run,
        attempt,
        count,
        desiredCount: run.desiredCount ?? count,
        message: `attempt ${attempt} of ${policy.maxRetries + 1}: launching ${count} task(s)`,
      };
    });
  return { cancel, launch };
}

export interface SupersededRun {
  readonly run: RunRecord;
  readonly updated: RunRecord;
  /**
   * `final`: settled, never retried (a waiting retry ends with its last attempt's result);
   * `retryable`: settled, and retried if spec.retryPolicy says so; `no`: it keeps running.
   */
  readonly settle: 'final' | 'retryable' | 'no';
}

/**
 * Under Forbid, Replace and TopUp (decideDueRun's `supersede`) a new run takes over: older runs
 * stop retrying for capacity, and a run waiting for its next attempt ends with its last attempt's
 * result. `isPending` is isPendingRun with the pass's launch window.
 */
export function decideSupersede(
  runs: readonly RunRecord[],
  scheduledTime: string,
  now: Date,
  isPending: (run: RunRecord) => boolean,
): SupersededRun[] {
  const cancelled = runs.filter(awaitingRetry).map((run): SupersededRun => ({
    run,
    updated: cancelledRetry(run, `the run scheduled at ${scheduledTime} took over`, now),
    settle: 'final',
  }));
  const pending = runs
    .filter((r) => !awaitingRetry(r) && isPending(r))
    .map((run): SupersededRun => {
      const launched = launchedTaskCount(run);
      if (launched === 0) {
        const { tasks: _tasks, ...rest } = run;
        return {
          run,
          updated: {
            ...rest,
            result: 'LaunchFailed',
            reason: RunReason.Superseded,
            message: 'a newer run started before capacity was found',
            finishedAt: now.toISOString(),
          },
          settle: 'retryable',
        };
      }
      return {
        run,
        updated: withReason(
          { ...run, launchCount: launched },
          RunReason.CapacityUnavailable,
          `launched ${launched} of ${plannedTasks(run)}; a newer run took over`,
        ),
        settle: 'no',
      };
    });
  return [...cancelled, ...pending];
}

// ---- Run-now ----

/** A run-now value this resource has not acted on yet (whether it launches or is Skipped). */
export function wantsRunNow(resource: EcsScheduledTaskResource, previous: string | undefined): boolean {
  const value = resource.metadata.annotations?.[RUN_NOW_ANNOTATION];
  return value !== undefined && value !== '' && value !== previous;
}

export type RunNowDecision =
  /** No new value: status.lastRunNow stays. */
  | { readonly action: 'none' }
  /** Recorded Skipped Suspended; the value counts as acted on. */
  | {
      readonly action: 'skip';
      readonly value: string;
      readonly reason: 'Suspended';
      readonly message: string;
    }
  /** A due run (decideDueRun decides how); the value counts as acted on once it started. */
  | { readonly action: 'start'; readonly value: string };

/** Run-now by annotation: once per distinct value, never while suspended. */
export function decideRunNow(
  resource: EcsScheduledTaskResource,
  previous: string | undefined,
  suspend: boolean,
): RunNowDecision {
  if (!wantsRunNow(resource, previous)) return { action: 'none' };
  const value = resource.metadata.annotations![RUN_NOW_ANNOTATION]!;
  if (suspend) {
    return {
      action: 'skip',
      value,
      reason: RunReason.Suspended,
      message: `run-now "${value}" ignored: the resource is suspended`,
    };
  }
  return { action: 'start', value };
}

// ---- Capacity retries, and when to look again ----

export interface LaunchWindowInput {
  readonly now: Date;
  readonly startingDeadlineSeconds?: number;
  /** How long capacity failures are retried when startingDeadlineSeconds is unset. */
  readonly retryWindowSeconds: number;
  /** The stable jitter of a scheduled time of this resource. */
  readonly jitterSeconds: (scheduledTime: Date) => number;
}

/** A scheduled run short of tasks after capacity failures, still inside its launch window. */
export function isPendingRun(run: RunRecord, window: LaunchWindowInput): boolean {
  // Batches without an answer are confirmed whatever the window: their tasks may already run.
  if (run.result === 'Running' && run.unconfirmedLaunch !== undefined) return true;
  if (run.result !== 'Running' || launchedTaskCount(run) >= plannedTasks(run)) return false;
  // A retry launches once, at its time; a capacity shortfall there fails the attempt instead.
  if (run.retryAt !== undefined || attemptOf(run) > 1) return false;
  if (run.reason === RunReason.DeadlineExceeded || run.reason === RunReason.Replaced) return false;
  const scheduled = new Date(run.scheduledTime);
  const end = launchWindowEnd(
    scheduled,
    window.jitterSeconds(scheduled),
    window.startingDeadlineSeconds,
    window.retryWindowSeconds,
  );
  return window.now.getTime() < end.getTime();
}

/**
 * Requeue a little after the fire time, so a timer that fires a hair early by the wall clock (NTP
 * slewing it against the monotonic one) does not find the time not yet due. The pass reads the
 * only clock that decides, so a few milliseconds cover it; every run's launch waits this long.
 */
export const REQUEUE_PADDING_MS = 25;
// Capacity retries back off with the time already spent, between these bounds: roughly doubling,
// without keeping an attempt counter anywhere (the run's scheduled time is the only state).
const MIN_CAPACITY_RETRY_MS = 5_000;
const MAX_CAPACITY_RETRY_MS = 60_000;

export interface RequeueInput {
  readonly now: Date;
  /** The schedule's next moment (planSchedule's wakeAt). */
  readonly wakeAt?: Date;
  /** Set when nobody else wakes the resource while its tasks run (no shared tracker): poll this often. */
  readonly pollMs?: number;
  /** The earliest activeDeadlineSeconds expiry of a running run. */
  readonly deadline?: Date;
  /** The earliest retry attempt still to come. */
  readonly retryAt?: Date;
  /** The next dead-letter attempt (only where there is a sink to send to). */
  readonly letterAt?: Date;
  /** Scheduled times of the runs still retrying for capacity (isPendingRun). */
  readonly pending: readonly Date[];
}

/** How long after `now` the pass looks at the resource again; undefined: only when something changes. */
export function requeueAfterMs(input: RequeueInput): number | undefined {
  const { now } = input;
  const candidates: number[] = [];
  const at = (t: Date) => t.getTime() - now.getTime() + REQUEUE_PADDING_MS;
  if (input.wakeAt) candidates.push(at(input.wakeAt));
  if (input.pollMs !== undefined) candidates.push(input.pollMs);
  if (input.deadline) candidates.push(at(input.deadline));
  if (input.retryAt) candidates.push(at(input.retryAt));
  if (input.letterAt) candidates.push(at(input.letterAt));
  for (const scheduled of input.pending) {
    const waited = now.getTime() - scheduled.getTime();
    candidates.push(Math.min(MAX_CAPACITY_RETRY_MS, Math.max(MIN_CAPACITY_RETRY_MS, waited)));
  }
  if (candidates.length === 0) return undefined;
  return Math.max(0, Math.min(...candidates));
}
