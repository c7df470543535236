// Which scheduled time is due now, which were missed, and when to look again. Pure: the caller
// passes `now`, the fire times and the jitter, so every case is a table row in a unit test.

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
  readonly startingDeadlineSeconds?: number;
  /** Seconds the run for a scheduled time waits after it (stable per resource and time). */
  readonly jitterSeconds: (scheduledTime: Date) => number;
}

export interface SchedulePlan {
  /** The scheduled time to launch now. */
  readonly due?: Date;
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

  if (input.suspend) {
    // Times passing while suspended are neither launched nor Missed: the watermark just follows
    // the clock, so resuming does not launch or report what fell inside the suspension.
    const latest = fires.previous(now);
    return {
      missed: [],
      missedCount: 0,
      missedMore: false,
      ...(latest && latest.getTime() > after.getTime() ? { lastScheduleTime: latest } : {}),
      ...(next ? { wakeAt: next } : {}),
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
  if (!candidate) return { missed: [], missedCount: 0, missedMore: false, ...base };

  const older = times.slice(dueIndex + 1);
  // Lateness counts from the jittered launch moment: a run jittered by 10 minutes is not late at 5.
  const lateMs = now.getTime() - at(candidate, jitterSeconds(candidate)).getTime();
  const tooLate =
    input.startingDeadlineSeconds !== undefined && lateMs > input.startingDeadlineSeconds * 1000;
  return {
    ...(tooLate ? { tooLate: candidate } : { due: candidate }),
    missed: older.slice(0, MAX_MISSED_RECORDS),
    missedCount: older.length,
    missedMore: more,
    lastScheduleTime: candidate,
    ...base,
  };
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
