/**
 * EcsScheduleCalendar as a pure function of an instant: whether it is excluded, and where the
 * excluded stretch around it ends. Nothing here reads the clock.
 *
 * Each rule (a date, a weekday, a range, a daily range, a cron expression) answers for an instant
 * either "not mine" or "excluded until E", with E the end of the stretch that rule covers. The
 * next included instant is then found by jumping from end to end, never by stepping through
 * minutes: a year excluded by a range is one jump, a year of excluded days one jump a day, and a
 * cron expression covering whole days or hours is walked a day or an hour at a time. Every search
 * is bounded (SEARCH_HORIZON_MS, MAX_JUMPS), since a calendar may exclude everything.
 */
import { CronCalendar } from './cron-calendar.js';
import { parseCron, type CronSpec } from './cron-expression.js';
import { ScheduleError } from './schedule-error.js';
import { TimeZone } from './time-zone.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How far ahead an included instant is looked for. Beyond it the answer is "not within the
 * horizon", and the caller looks again later: a calendar excluding more than a year is a
 * deliberate stop, and no controller should spend a pass proving it ends in 2031.
 */
export const SEARCH_HORIZON_MS = 400 * DAY;
/** Jumps per search: about two rules' ends per day of the horizon, with room to spare. */
const MAX_JUMPS = 5_000;
/** Steps one cron rule takes to find the end of its run of matching days, hours or minutes. */
const MAX_CRON_STEPS = 400;

/** A calendar field that can never work; `field` is its path, e.g. `spec.dates[2]`. */
export class CalendarError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'CalendarError';
  }
}

/** One rule: the end of the excluded stretch it covers at `instant`, or null when it does not. */
type Rule = (instant: number, wall: number) => number | null;

export interface ExclusionCalendar {
  /** `namespace/name`, for messages. */
  readonly name: string;
  excludes(instant: Date): boolean;
  /**
   * When `instant` is excluded: the latest end (an instant after it) of the stretches its rules
   * cover there. Further rules may continue the exclusion from that end. Null when not excluded.
   */
  coverEnd(instant: number): number | null;
}

const WEEKDAY_INDEX: Readonly<Record<string, number>> = {
  SUN: 0,
  MON: 1,
  TUE: 2,
  WED: 3,
  THU: 4,
  FRI: 5,
  SAT: 6,
};

/**
 * The instant wall time `wall` maps to, taken after `instant`. Across a fall-back overlap the
 * first occurrence of a wall time may lie before `instant` (its second occurrence is the end we
 * are in); a wall time that cannot end after `instant` at all still moves the search on a minute.
 */
function instantAfter(zone: TimeZone, wall: number, instant: number): number {
  const first = zone.toInstant(wall);
  if (first > instant) return first;
  const second = wall - zone.offsetAt(instant);
  return second > instant ? second : instant + MINUTE;
}

function dayOf(wall: number): number {
  return Math.floor(wall / DAY) * DAY;
}

function clockMs(text: string): number {
  return (Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5))) * MINUTE;
}

function cronRule(spec: CronSpec, zone: TimeZone): Rule {
  const calendar = new CronCalendar(spec);
  const matches = (wallMinute: number) => {
    const next = calendar.nextWall(wallMinute, new Date(wallMinute).getUTCFullYear());
    return next !== null && next < wallMinute + MINUTE;
  };
  // With every minute allowed, a matching hour matches throughout; with every hour too, a day.
  // The run of matches is then walked an hour or a day at a time.
  const minuteFull = spec.minute.values.length === 60;
  const step = minuteFull && spec.hour.values.length === 24 ? DAY : minuteFull ? HOUR : MINUTE;
  return (instant, wall) => {
    if (!matches(Math.floor(wall / MINUTE) * MINUTE)) return null;
    let end = Math.floor(wall / step) * step + step;
    for (let i = 0; i < MAX_CRON_STEPS && matches(end); i++) end += step;
    return instantAfter(zone, end, instant);
  };
}

/**
 * The calendar fields compileCalendar reads: EcsScheduleCalendar's spec, structural so that the
 * API types stay out of the schedule math (the api layer stands above it).
 */
export interface CalendarFields {
  readonly timeZone?: string;
  readonly dates?: readonly string[];
  readonly ranges?: readonly { readonly start: string; readonly end: string }[];
  readonly daysOfWeek?: readonly string[];
  readonly dailyRanges?: readonly { readonly start: string; readonly end: string }[];
  readonly expressions?: readonly string[];
}

/** Compiles a calendar spec; throws CalendarError naming the field that can never work. */
export function compileCalendar(spec: CalendarFields, name: string): ExclusionCalendar {
  let zone: TimeZone;
  try {
    zone = TimeZone.load(spec.timeZone ?? 'UTC');
  } catch (error) {
    if (error instanceof ScheduleError)
      throw new CalendarError('spec.timeZone', `unknown time zone "${spec.timeZone}"`);
    throw error;
  }
  const rules: Rule[] = [];

  const exact = new Set<string>();
  const yearly = new Set<string>();
  for (const [i, date] of (spec.dates ?? []).entries()) {
    if (!/^(\d{4}-\d{2}-\d{2}|--\d{2}-\d{2})$/.test(date) || !dateExists(date))
      throw new CalendarError(
        `spec.dates[${i}]`,
        `"${date}" is not a day of the calendar (YYYY-MM-DD or --MM-DD)`,
      );
    if (date.startsWith('--')) yearly.add(date.slice(2));
    else exact.add(date);
  }
  if (exact.size + yearly.size > 0) {
    rules.push((instant, wall) => {
      const day = dayOf(wall);
      const text = new Date(day).toISOString().slice(0, 10);
      if (!exact.has(text) && !yearly.has(text.slice(5))) return null;
      return instantAfter(zone, day + DAY, instant);
    });
  }

  const weekdays = new Set<number>();
  for (const [i, day] of (spec.daysOfWeek ?? []).entries()) {
    const index = WEEKDAY_INDEX[day];
    if (index === undefined) throw new CalendarError(`spec.daysOfWeek[${i}]`, `"${day}" is not SUN..SAT`);
    weekdays.add(index);
  }
  if (weekdays.size > 0) {
    rules.push((instant, wall) => {
      const day = dayOf(wall);
      return weekdays.has(new Date(day).getUTCDay()) ? instantAfter(zone, day + DAY, instant) : null;
    });
  }

  for (const [i, range] of (spec.ranges ?? []).entries()) {
    const start = Date.parse(range.start);
    const end = Date.parse(range.end);
    if (Number.isNaN(start)) throw new CalendarError(`spec.ranges[${i}].start`, 'not an RFC 3339 time');
    if (Number.isNaN(end)) throw new CalendarError(`spec.ranges[${i}].end`, 'not an RFC 3339 time');
    if (end <= start) throw new CalendarError(`spec.ranges[${i}].end`, 'end must be after start');
    rules.push((instant) => (instant >= start && instant < end ? end : null));
  }

  for (const [i, range] of (spec.dailyRanges ?? []).entries()) {
    const clock = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
    if (!clock.test(range.start)) throw new CalendarError(`spec.dailyRanges[${i}].start`, 'not HH:MM');
    if (!clock.test(range.end)) throw new CalendarError(`spec.dailyRanges[${i}].end`, 'not HH:MM');
    const start = clockMs(range.start);
    const end = clockMs(range.end);
    if (start === end) throw new CalendarError(`spec.dailyRanges[${i}].end`, 'end must differ from start');
    rules.push((instant, wall) => {
      const day = dayOf(wall);
      const at = wall - day;
      if (start < end) return at >= start && at < end ? instantAfter(zone, day + end, instant) : null;
      // Wraps midnight: the evening part runs into tomorrow's morning part.
      if (at >= start) return instantAfter(zone, day + DAY + end, instant);
      return at < end ? instantAfter(zone, day + end, instant) : null;
    });
  }

  for (const [i, expression] of (spec.expressions ?? []).entries()) {
    if (/^\s*(rate|at)\s*\(/i.test(expression))
      throw new CalendarError(`spec.expressions[${i}]`, 'must be a cron expression, not rate() or at()');
    let cron: CronSpec;
    try {
      cron = parseCron(expression.trim(), `calendar:${name}`);
    } catch (error) {
      if (error instanceof ScheduleError)
        throw new CalendarError(`spec.expressions[${i}]`, error.message.replace(/^schedule: /, ''));
      throw error;
    }
    rules.push(cronRule(cron, zone));
  }

  const coverEnd = (instant: number): number | null => {
    const wall = zone.wallOf(instant);
    let end: number | null = null;
    for (const rule of rules) {
      const e = rule(instant, wall);
      if (e !== null && (end === null || e > end)) end = e;
    }
    return end;
  };
  return {
    name,
    excludes: (instant) => coverEnd(instant.getTime()) !== null,
    coverEnd,
  };
}

/** A date that exists: 2026-02-30 and 2027-02-29 do not; --02-29 is every leap day. */
export function dateExists(text: string): boolean {
  const yearly = text.startsWith('--');
  const [year, month, day] = yearly
    ? [2000, Number(text.slice(2, 4)), Number(text.slice(5, 7))]
    : [Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10))];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Several calendars together: an instant is excluded when any of them excludes it. */
export interface Exclusions {
  /** The calendars' names, for messages. */
  readonly names: readonly string[];
  excludes(instant: Date): boolean;
  /**
   * The first instant at or after `from` that no calendar excludes, or null when there is none
   * within SEARCH_HORIZON_MS.
   */
  nextIncluded(from: Date): Date | null;
}

export function exclusionsOf(calendars: readonly ExclusionCalendar[]): Exclusions {
  const coverEnd = (instant: number) => {
    let end: number | null = null;
    for (const calendar of calendars) {
      const e = calendar.coverEnd(instant);
      if (e !== null && (end === null || e > end)) end = e;
    }
    return end;
  };
  return {
    names: calendars.map((c) => c.name),
    excludes: (instant) => coverEnd(instant.getTime()) !== null,
    nextIncluded(from) {
      const limit = from.getTime() + SEARCH_HORIZON_MS;
      let at = from.getTime();
      for (let jump = 0; jump < MAX_JUMPS && at <= limit; jump++) {
        const end = coverEnd(at);
        if (end === null) return new Date(at);
        at = end;
      }
      return null;
    },
  };
}

/** The part of a compiled schedule the search needs. */
export interface FireSource {
  next(after: Date): Date | null;
}

/**
 * Exclusion stretches skipped per search; each skip is one exclusion run, not one fire time. It
 * bounds a pass's cost when every fire lands in a stretch of its own (an hourly job and a calendar
 * excluding minute 0 of every hour): the plan then names no next time and looks again later.
 */
export const MAX_SKIPS = 256;

export type IncludedFire =
  /** The first fire after `after` that no calendar excludes; null when the schedule has ended. */
  | { readonly fire: Date | null }
  /** Every fire looked at was excluded: look again from here. */
  | { readonly lookAgainAt: Date };

/**
 * The first fire strictly after `after` that no calendar excludes, found a stretch at a time, and
 * at most SEARCH_HORIZON_MS ahead: a daily job whose every time is excluded costs one skip a day.
 */
export function nextIncludedFire(fires: FireSource, exclusions: Exclusions, after: Date): IncludedFire {
  const horizon = after.getTime() + SEARCH_HORIZON_MS;
  let fire = fires.next(after);
  for (let skip = 0; skip < MAX_SKIPS; skip++) {
    if (fire === null) return { fire: null };
    if (fire.getTime() > horizon) return { lookAgainAt: fire };
    const included = exclusions.nextIncluded(fire);
    if (included === null) return { lookAgainAt: new Date(fire.getTime() + SEARCH_HORIZON_MS) };
    if (included.getTime() === fire.getTime()) return { fire };
    // The first fire at or after the included instant.
    fire = fires.next(new Date(included.getTime() - 1));
  }
  return fire === null ? { fire: null } : { lookAgainAt: fire };
}

/** Steps back over excluded fires, one at a time; a walk back is only ever a short one. */
const MAX_BACKWARD_STEPS = 1_000;

/**
 * The fires no calendar excludes, as a FireTimes: for the walks over passed-over times (their
 * lookups), which must no more record an excluded time Missed than the plan does.
 */
export function includedFires<T extends FireSource & { previous(atOrBefore: Date): Date | null }>(
  fires: T,
  exclusions: Exclusions,
): FireSource & { previous(atOrBefore: Date): Date | null } {
  return {
    next(after) {
      const found = nextIncludedFire(fires, exclusions, after);
      return 'fire' in found ? found.fire : null;
    },
    previous(atOrBefore) {
      let fire = fires.previous(atOrBefore);
      for (let i = 0; fire && exclusions.excludes(fire) && i < MAX_BACKWARD_STEPS; i++)
        fire = fires.previous(new Date(fire.getTime() - 1));
      return fire && !exclusions.excludes(fire) ? fire : null;
    },
  };
}
