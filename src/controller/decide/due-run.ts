// What one due run does (a scheduled time, a waiting BufferOne run, or a run-now): the trigger's
// count, the concurrency policy, Skipped and why, or wait. Pure: branch helpers of decideRun
// (./run-decision.ts); the pass never calls them directly.
import { RUN_NOW_ANNOTATION } from '../../api/constants.js';
import type { ConcurrencyPolicy, EcsScheduledTaskResource, RunRecord, Spec } from '../../api/types.js';
import { attemptOf, awaitingRetry, dueRetries } from './run-retry.js';
import { RunReason, unfinishedTaskArns } from './run-tracking.js';

const at = (d: Date, seconds: number) => new Date(d.getTime() + seconds * 1000);

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
