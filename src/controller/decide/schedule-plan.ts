// Which scheduled time is due now, which were passed over (coalesced) or are too late to start
// (startingDeadlineSeconds), suspension, maxRuns and calendars, and when to look again. Pure: a
// branch helper of decideRun (./run-decision.ts); the pass never calls it directly.
import { nextIncludedFire, type Exclusions } from '../../schedule/exclusion-calendar.js';

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
  /**
   * spec.excludeCalendars, compiled: an excluded time is not launched, not Missed, not Skipped;
   * it moves the watermark on and is reported in `excluded`.
   */
  readonly exclusions?: Exclusions;
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
  /**
   * Scheduled times a calendar excluded that this plan deals with (newest first): neither
   * launched nor recorded; the watermark moves past them, and they are counted once.
   */
  readonly excluded?: readonly Date[];
  /**
   * The newest of `excluded` older than the first launch (`catchup[0]`, else `due` or `tooLate`):
   * dealt with even if that launch fails.
   */
  readonly excludedBeforeDue?: Date;
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

/**
 * The next fire after `now` that no calendar excludes, and when to look again before it: at the
 * next excluded fire, so that each excluded time is dealt with (counted, the watermark moved past
 * it) as it passes. Otherwise a calendar lifted later would turn the times it excluded into
 * Missed runs, or launch the newest of them late. A pass for an excluded time makes no AWS call.
 */
function nextIncluded(input: PlanInput): { next?: Date; lookAgainAt?: Date } {
  const raw = input.fires.next(input.now);
  if (!input.exclusions) return raw ? { next: raw } : {};
  const found = nextIncludedFire(input.fires, input.exclusions, input.now);
  const next = 'fire' in found && found.fire ? found.fire : undefined;
  const later = 'lookAgainAt' in found ? found.lookAgainAt : undefined;
  const sweep = raw && raw.getTime() !== next?.getTime() ? raw : undefined;
  const lookAgainAt = sweep && (!later || sweep.getTime() < later.getTime()) ? sweep : later;
  return { ...(next ? { next } : {}), ...(lookAgainAt ? { lookAgainAt } : {}) };
}

export function planSchedule(input: PlanInput): SchedulePlan {
  const { fires, now, after, jitterSeconds, exclusions } = input;
  const { next, lookAgainAt } = nextIncluded(input);
  const nextWake = [next ? at(next, jitterSeconds(next)) : undefined, lookAgainAt]
    .filter((t): t is Date => t !== undefined)
    .reduce<Date | undefined>((a, b) => (a && a.getTime() <= b.getTime() ? a : b), undefined);

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

  const scanned = firesSince(fires, after, now);
  const { more } = scanned;
  // Excluded times leave the scan before anything is decided: they are never due, late or missed.
  const times = exclusions ? scanned.times.filter((t) => !exclusions.excludes(t)) : scanned.times;
  const excludedTimes = exclusions ? scanned.times.filter((t) => exclusions.excludes(t)) : [];
  // The newest time whose jittered launch moment has come; newer ones still wait for their jitter.
  const dueIndex = times.findIndex((t) => at(t, jitterSeconds(t)).getTime() <= now.getTime());
  const waiting = dueIndex < 0 ? times : times.slice(0, dueIndex);
  const wakeAt = [...waiting.map((t) => at(t, jitterSeconds(t))), ...(nextWake ? [nextWake] : [])].reduce<
    Date | undefined
  >((a, b) => (a && a.getTime() <= b.getTime() ? a : b), undefined);
  const base = { ...(next ? { nextScheduleTime: next } : {}), ...(wakeAt ? { wakeAt } : {}) };
  // Excluded times are dealt with as soon as they pass, but the watermark must not pass a time
  // still waiting for its jitter.
  const oldestWaiting = waiting.at(-1);
  const excluded = oldestWaiting
    ? excludedTimes.filter((t) => t.getTime() < oldestWaiting.getTime())
    : excludedTimes;
  const excludedPart = excluded.length > 0 ? { excluded } : {};

  const candidate = dueIndex < 0 ? undefined : times[dueIndex];
  if (!candidate) {
    return {
      catchup: [],
      missed: [],
      missedCount: 0,
      missedMore: false,
      ...(excluded[0] ? { lastScheduleTime: excluded[0] } : {}),
      ...excludedPart,
      ...base,
    };
  }

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
  const newestExcluded = excluded[0];
  // Dealt with whatever becomes of the launches: the excluded times older than the first of them.
  const firstLaunch = catchup[0] ?? candidate;
  const excludedBeforeDue = excluded.find((t) => t.getTime() < firstLaunch.getTime());
  return {
    ...(tooLate ? { tooLate: candidate } : { due: candidate }),
    catchup,
    missed: older.slice(0, MAX_MISSED_RECORDS),
    missedCount: older.length,
    missedMore: more,
    lastScheduleTime:
      newestExcluded && newestExcluded.getTime() > candidate.getTime() ? newestExcluded : candidate,
    ...excludedPart,
    ...(excludedBeforeDue ? { excludedBeforeDue } : {}),
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
