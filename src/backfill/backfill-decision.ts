// What a backfill does, decided without I/O: which schedule times the range holds, which of them
// to run (rerun mode), how many may start now (the concurrency window), how its running runs
// stand, and when it is finished. The reconciler (backfill-reconciler.ts) only carries this out.
import type { BackfillActiveRun, BackfillStatus, RerunMode } from '../api/backfill-types.js';
import type { Condition, RunResult } from '../api/types.js';
import { setConditions, type ConditionUpdate } from '../controller/decide/conditions.js';
import { stoppedVerdict } from '../controller/decide/run-tracking.js';
import type { TaskObservation } from '../controller/ports.js';

/** The slice of a compiled schedule the range needs. */
export interface Fires {
  /** First fire strictly after `after`, or null. */
  next(after: Date): Date | null;
}

export interface BackfillRange {
  readonly start: Date;
  readonly end: Date;
  /**
   * When the backfill was created: later times are the schedule's to launch, so a backfill whose
   * end lies in the future does not race the controller for them.
   */
  readonly createdAt: Date;
}

export type TimesResult =
  { readonly ok: true; readonly times: readonly Date[] } | { readonly ok: false; readonly limit: number };

/** The schedule's times in [start, min(end, createdAt)), in order; more than `limit` is refused. */
export function backfillTimes(fires: Fires, range: BackfillRange, limit: number): TimesResult {
  const until = Math.min(range.end.getTime(), range.createdAt.getTime());
  const times: Date[] = [];
  let t = fires.next(new Date(range.start.getTime() - 1));
  while (t !== null && t.getTime() < until) {
    if (times.length === limit) return { ok: false, limit };
    times.push(t);
    t = fires.next(t);
  }
  return { ok: true, times };
}

/**
 * What to do with one time before ECS is asked:
 * - `skip`: the task's status says it ran (MissedAndFailed only);
 * - `scheduled`: look its scheduled identity up; launch under it when nothing was launched, or
 *   (All) rerun when something was;
 * - `rerun`: it ran already: launch under this backfill's own identity for the time.
 */
export type TimeAction =
  | {
      readonly action: 'skip';
      readonly reason: 'AlreadySucceeded' | 'AlreadyRunning' | 'AlreadyLaunched';
    }
  | { readonly action: 'scheduled' }
  | { readonly action: 'rerun' };

/** `recorded` is the time's result in the task's status.runs, when that still holds it. */
export function classifyTime(rerun: RerunMode, recorded: RunResult | undefined): TimeAction {
  switch (recorded) {
    case undefined:
    case 'Missed':
    case 'Skipped':
    case 'DryRun':
      // Never launched (as far as the status knows): ECS is asked before anything is launched.
      return { action: 'scheduled' };
    case 'Failed':
    case 'LaunchFailed':
      return { action: 'rerun' };
    case 'Succeeded':
      return rerun === 'All' ? { action: 'rerun' } : { action: 'skip', reason: 'AlreadySucceeded' };
    case 'Running':
      return rerun === 'All' ? { action: 'rerun' } : { action: 'skip', reason: 'AlreadyRunning' };
  }
}

/**
 * After the ECS lookup of a `scheduled` time. `unknownOutcome`: the schedule handled the time (it
 * lies between the task's creation and its status.lastScheduleTime) but its record has left
 * status.runs, and ECS no longer lists its tasks (it forgets stopped tasks after about an hour).
 * It may well have run: MissedAndFailed leaves it alone rather than risk a second run, and All
 * reruns it under this backfill's identity.
 */
export function afterScheduledLookup(
  rerun: RerunMode,
  found: boolean,
  unknownOutcome = false,
): 'launch' | 'skip' | 'rerun' {
  if (!found && !unknownOutcome) return 'launch';
  return rerun === 'All' ? 'rerun' : 'skip';
}

/** Whether the task's schedule was in charge of `time`: after its creation, up to its watermark. */
export function handledBySchedule(
  time: Date,
  task: { readonly createdAt?: string; readonly lastScheduleTime?: string },
): boolean {
  if (task.createdAt === undefined || task.lastScheduleTime === undefined) return false;
  const t = time.getTime();
  return t > Date.parse(task.createdAt) && t <= Date.parse(task.lastScheduleTime);
}

/** Runs that may start now: the window is maxConcurrent minus those chosen or running. */
export function freeSlots(maxConcurrent: number, active: readonly BackfillActiveRun[]): number {
  return Math.max(0, maxConcurrent - active.length);
}

/** The times after the last one decided, in order. */
export function undecidedTimes(times: readonly Date[], lastDecidedTime: string | undefined): Date[] {
  if (lastDecidedTime === undefined) return [...times];
  const after = Date.parse(lastDecidedTime);
  return times.filter((t) => t.getTime() > after);
}

export type RunState = 'pending' | 'running' | 'succeeded' | 'failed';

export interface RunVerdict {
  readonly state: RunState;
  /** Why it failed, for the event. */
  readonly message?: string;
}

/**
 * How one active run stands, from the latest observation of each of its tasks. A task ECS does
 * not know may be fresh (DescribeTasks is eventually consistent): lost only after `missingGraceMs`.
 */
export function runVerdict(
  run: BackfillActiveRun,
  observations: ReadonlyMap<string, TaskObservation>,
  now: Date,
  missingGraceMs: number,
): RunVerdict {
  const arns = run.taskArns;
  if (arns === undefined) return { state: 'pending' };
  let running = false;
  for (const arn of arns) {
    const obs = observations.get(arn);
    if (obs === undefined) {
      running = true;
      continue;
    }
    if (obs.lastStatus === 'MISSING') {
      const since = run.launchedAt === undefined ? 0 : now.getTime() - Date.parse(run.launchedAt);
      if (since < missingGraceMs) running = true;
      else return { state: 'failed', message: `task ${arn} vanished from ECS` };
      continue;
    }
    if (obs.lastStatus !== 'STOPPED') {
      running = true;
      continue;
    }
    const verdict = stoppedVerdict({ taskArn: arn }, obs);
    // One failed task fails the run; the others are not waited for.
    if (verdict.failure) return { state: 'failed', message: verdict.failure.message };
  }
  return { state: running ? 'running' : 'succeeded' };
}

export interface Counts {
  readonly total: number;
  readonly launched: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
}

/** `done/total` for the DONE column: a time is done once it succeeded, failed or was skipped. */
export function progressOf(counts: Counts): string {
  return `${counts.succeeded + counts.failed + counts.skipped}/${counts.total}`;
}

export const BackfillCondition = {
  Complete: 'Complete',
  Failed: 'Failed',
  Stalled: 'Stalled',
} as const;

/** True once a Complete or Failed condition is True: a finished backfill is never acted on again. */
export function isFinished(conditions: readonly Condition[] | undefined): boolean {
  return (conditions ?? []).some(
    (c) =>
      (c.type === BackfillCondition.Complete || c.type === BackfillCondition.Failed) && c.status === 'True',
  );
}

/**
 * The conditions once every time is decided and no run is active: Complete when none failed,
 * else Failed (as a Job ends one way or the other). Before that, both are False (in progress).
 */
export function progressConditions(
  counts: Counts,
  finished: boolean,
  /** With dryRun: how many times it would launch. */
  wouldLaunch: number | undefined,
  generation: number | undefined,
): ConditionUpdate[] {
  const dryRun = wouldLaunch !== undefined;
  const g = generation === undefined ? {} : { observedGeneration: generation };
  const notStalled: ConditionUpdate = {
    type: BackfillCondition.Stalled,
    status: 'False',
    reason: 'Progressing',
    message: 'the task and the policy allow the backfill',
    ...g,
  };
  if (!finished) {
    const message = `${progressOf(counts)} times done`;
    return [
      { type: BackfillCondition.Complete, status: 'False', reason: 'InProgress', message, ...g },
      { type: BackfillCondition.Failed, status: 'False', reason: 'InProgress', message, ...g },
      notStalled,
    ];
  }
  const summary = dryRun
    ? `dry run: ${wouldLaunch} of ${counts.total} times would be launched`
    : `${counts.launched} launched, ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.skipped} skipped of ${counts.total}`;
  const failed = counts.failed > 0;
  return [
    {
      type: BackfillCondition.Complete,
      status: failed ? 'False' : 'True',
      reason: failed ? 'RunsFailed' : dryRun ? 'DryRun' : 'AllTimesDone',
      message: summary,
      ...g,
    },
    {
      type: BackfillCondition.Failed,
      status: failed ? 'True' : 'False',
      reason: failed ? 'RunsFailed' : 'NoneFailed',
      message: summary,
      ...g,
    },
    notStalled,
  ];
}

/**
 * A backfill that cannot go on until something outside it changes (the task is missing, the
 * policy denies it, its schedule does not parse): Stalled, with the reason.
 */
export function stalledConditions(
  reason: string,
  message: string,
  generation: number | undefined,
): ConditionUpdate[] {
  const g = generation === undefined ? {} : { observedGeneration: generation };
  return [{ type: BackfillCondition.Stalled, status: 'True', reason, message, ...g }];
}

/** A backfill that can never run as written (too many times): Failed for good. */
export function refusedConditions(
  reason: string,
  message: string,
  generation: number | undefined,
): ConditionUpdate[] {
  const g = generation === undefined ? {} : { observedGeneration: generation };
  return [
    { type: BackfillCondition.Complete, status: 'False', reason, message, ...g },
    { type: BackfillCondition.Failed, status: 'True', reason, message, ...g },
    { type: BackfillCondition.Stalled, status: 'False', reason, message, ...g },
  ];
}

/** The status with the counts, progress and conditions set together, so they cannot disagree. */
export function withProgress(
  status: BackfillStatus,
  counts: Counts,
  updates: readonly ConditionUpdate[],
  now: Date,
): BackfillStatus {
  return {
    ...status,
    ...counts,
    running: status.active?.length ?? 0,
    progress: progressOf(counts),
    conditions: setConditions(status.conditions, updates, now),
  };
}

/**
 * When to look again: soon after choosing times (they launch in the next pass, after the choice is
 * written), often while runs are young, rarely while they are old, never when finished.
 */
export function requeueAfterMs(
  active: readonly BackfillActiveRun[],
  now: Date,
  bounds: { readonly minMs: number; readonly maxMs: number },
): number | undefined {
  if (active.length === 0) return undefined;
  if (active.some((r) => r.taskArns === undefined)) return 0;
  // A quarter of the youngest run's age: a job that ran an hour is unlikely to end in a second.
  const youngest = Math.min(
    ...active.map((r) => now.getTime() - Date.parse(r.launchedAt ?? now.toISOString())),
  );
  return Math.min(bounds.maxMs, Math.max(bounds.minMs, Math.floor(youngest / 4)));
}
