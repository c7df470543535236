// Times passed over while nobody recorded them, which an earlier leader may have launched (it died,
// or lost its Lease, between RunTask and its status write). Each is looked up in ECS before it is
// recorded, adopted with its tasks or Missed; none is recorded Missed unseen. Lookups come out of
// a shared, paced budget, so the times not looked up yet wait in status.pendingLookups, oldest
// first, while lastScheduleTime (the watermark of what launches) moves on as before: the due time
// launches on time and once, whatever still waits. Pure: the pass does the lookups.
import type { RunRecord, Spec, Status } from '../../api/types.js';
import { TASKS_PER_BATCH } from '../ports.js';
import { desiredTaskCount } from './due-run.js';
import type { FireTimes, SchedulePlan } from './schedule-plan.js';
import { RunReason } from './run-tracking.js';

export type PendingLookup = NonNullable<Status['pendingLookups']>[number];

/** Ranges kept in status (the schema's maxItems); see addPendingRange. */
export const MAX_PENDING_RANGES = 64;

export interface PassedOverSplit {
  /** The plan without the times to look up: what is left is recorded Missed without a lookup. */
  readonly plan: SchedulePlan;
  /** The passed-over times to look up, oldest to newest, inclusive. */
  readonly range?: PendingLookup;
}

/**
 * The passed-over times of `plan` (after the watermark `after`) that `needsLookup` says may have
 * been launched become one range to look up: from the oldest passed-over time to the newest that
 * needs it. A crash leaves its launches right after the watermark, so the range starts there, even
 * before the times the plan keeps records for (MAX_MISSED_RECORDS) or scanned (MAX_FIRES_SCANNED).
 */
export function splitPassedOver(
  plan: SchedulePlan,
  fires: FireTimes,
  after: Date,
  needsLookup: (time: Date) => boolean,
): PassedOverSplit {
  if (plan.missedCount === 0) return { plan };
  const kept = plan.missed; // newest first
  const oldestKept = kept.at(-1);
  let to = kept.find(needsLookup);
  if (!to && (plan.missedMore || plan.missedCount > kept.length)) {
    // Older times than the plan kept: the oldest decides (a term started after it needs none).
    const oldest = fires.next(after);
    if (oldest && needsLookup(oldest)) {
      to = oldestKept ? (fires.previous(new Date(oldestKept.getTime() - 1)) ?? oldest) : oldest;
    }
  }
  const from = fires.next(after);
  if (!to || !from || from.getTime() > to.getTime()) return { plan };
  const rest = kept.filter((t) => t.getTime() > to.getTime());
  return {
    plan: { ...plan, missed: rest, missedCount: rest.length, missedMore: false },
    range: { from: from.toISOString(), to: to.toISOString() },
  };
}

/**
 * Appends a new range (newer than every pending one, since it lies after the watermark). Past
 * MAX_PENDING_RANGES the two newest merge: the times between them were dealt with already, so a
 * lookup there finds a recorded run's tasks again (an extra record, never an extra launch). That
 * takes 64 failovers while the budget is behind.
 */
export function addPendingRange(ranges: readonly PendingLookup[], range: PendingLookup): PendingLookup[] {
  const all = [...ranges, range];
  while (all.length > MAX_PENDING_RANGES) {
    const newest = all.pop()!;
    const previous = all.pop()!;
    all.push({ from: previous.from, to: newest.to });
  }
  return all;
}

/**
 * Tasks the run for a passed-over time set out to launch, when the spec alone tells: not with a
 * trigger (the count followed a queue depth nobody recorded) nor TopUp (a shortfall of what ran).
 */
export function plannedPassedOverTasks(spec: Spec, maxTasksPerRun: number): number | undefined {
  if (spec.trigger?.sqs || spec.concurrencyPolicy === 'TopUp') return undefined;
  return Math.min(desiredTaskCount(spec), maxTasksPerRun);
}

export interface LookedUpInput {
  readonly time: Date;
  /** Tasks ListTasks found under the time's startedBy. */
  readonly found: readonly string[];
  readonly cluster: string;
  /** plannedPassedOverTasks. */
  readonly planned: number | undefined;
  /** The time is still inside its launch window (startingDeadlineSeconds, else the retry window). */
  readonly inWindow: boolean;
}

export interface LookedUpDecision {
  readonly run: RunRecord;
  /** Nobody launched it: recorded Missed. */
  readonly missed: boolean;
}

/**
 * A passed-over time after its lookup. No tasks: Missed. Tasks: adopted. Fewer than the run set
 * out to launch (the earlier leader died between its RunTask batches): inside the launch window,
 * adopted with the batches not seen as unconfirmedLaunch, so the launch step resends them under
 * their original per-batch tokens (ECS answers a batch that did go out with its tasks, and starts
 * the rest); past the window, adopted as found, saying why no more are launched.
 */
export function decideLookedUp(input: LookedUpInput): LookedUpDecision {
  const { time, found, cluster, planned } = input;
  if (found.length === 0) {
    return {
      missed: true,
      run: {
        scheduledTime: time.toISOString(),
        result: 'Missed',
        reason: RunReason.Coalesced,
        message:
          'passed over while nobody recorded it, and no task was found for it in ECS; a later scheduled time was due',
      },
    };
  }
  const adopted = adoptedRun(time, found, cluster);
  if (planned === undefined || found.length >= planned) return { missed: false, run: adopted };
  if (!input.inWindow) {
    return {
      missed: false,
      run: {
        ...adopted,
        desiredCount: planned,
        message: `${found.length} of ${planned} task(s) adopted from an earlier attempt; the rest are not launched: past startingDeadlineSeconds (or the launch retry window)`,
      },
    };
  }
  // Batches go out in order, TASKS_PER_BATCH tasks each: the full ones found went out; the rest
  // are resent from the first batch not seen whole, under their tokens.
  const fromBatch = Math.floor(found.length / TASKS_PER_BATCH);
  return {
    missed: false,
    run: {
      ...adopted,
      desiredCount: planned,
      launchCount: planned,
      launchAttempts: 1,
      unconfirmedLaunch: { launchAttempt: 0, fromBatch, count: planned - fromBatch * TASKS_PER_BATCH },
      reason: RunReason.LaunchUnconfirmed,
      message: `${found.length} of ${planned} task(s) adopted from an earlier attempt; the batches not seen are resent under their original tokens`,
    },
  };
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
