/**
 * The schedule engine: pure functions of an expression, a time zone and an instant. Nothing here
 * reads the clock; callers pass the instant to search from.
 *
 * Why our own matcher instead of cron-parser's next()/prev(): cron-parser 5 lacks W, @midnight,
 * H and EventBridge's cron(); its prev() skips a day across spring-forward (its issue #378); it
 * fires twice in a fall-back overlap where our contract says once; and its errors ("unhandled
 * timestamp") would leak into user-facing status. The contract's wall-clock semantics (RFC 5545 /
 * Temporal "compatible") are easiest to get right by walking wall-clock fields and mapping each
 * wall time to an instant in one place (time-zone.ts). So we parse and match ourselves and keep
 * cron-parser as an independent oracle in the tests, where its semantics and ours coincide (UTC).
 */
import { CronCalendar } from './cron-calendar.js';
import { isCronFamily, parseCron } from './cron-expression.js';
import { nextCronInstant, previousCronInstant } from './cron-occurrences.js';
import { LruCache } from './lru-cache.js';
import { parseAt } from './at-expression.js';
import { parseRate } from './rate-expression.js';
import { ScheduleError } from './schedule-error.js';
import { TimeZone } from './time-zone.js';

export { ScheduleError } from './schedule-error.js';

export interface ScheduleOptions {
  /** IANA time zone the expression's wall times are read in. Default 'UTC'. */
  readonly timeZone?: string;
  /** No fire before this instant (inclusive). Also the anchor of rate(). */
  readonly startTime?: Date;
  /** No fire at or after this instant. */
  readonly endTime?: Date;
  /** 'namespace/name': seeds H and ?, so resolved values survive restarts and re-creation. */
  readonly hashKey: string;
}

export interface CompiledSchedule {
  /** As written. */
  readonly expression: string;
  /** H and ? replaced by concrete values (for status.resolvedSchedule). */
  readonly resolved: string;
  readonly timeZone: string;
  /** First fire strictly after `after`, inside the window; null if none. */
  next(after: Date): Date | null;
  /** Most recent fire <= `atOrBefore`, inside the window; null if none. */
  previous(atOrBefore: Date): Date | null;
}

/** Everything about an expression that does not depend on the window; this is what is cached. */
type Parsed =
  | {
      readonly kind: 'cron';
      readonly resolved: string;
      readonly calendar: CronCalendar;
      readonly years: readonly number[] | null;
    }
  | { readonly kind: 'rate'; readonly resolved: string; readonly period: number }
  | { readonly kind: 'at'; readonly resolved: string; readonly instant: number };

// A controller compiles every resource's schedule on every pass, and the hash key makes each
// resource's entry its own: a cache smaller than the resources is missed on every pass (1,000
// entries against 5,000 resources re-parsed every expression, every run). Sized for 10,000
// resources with two expressions each; an entry is small, as the calendars below are shared.
const PARSED_CACHE_SIZE = 20_000;
const cache = new LruCache<string, Parsed>(PARSED_CACHE_SIZE);

/**
 * Cron calendars by resolved text, which fixes the calendar (the same text parses to the same
 * fields): `H * * * * *` resolves to one of 60, so 5,000 resources share 60 calendars and their
 * day-mask caches, whose memory this bounds.
 */
const CALENDAR_CACHE_SIZE = 1000;
const calendars = new LruCache<string, CronCalendar>(CALENDAR_CACHE_SIZE);

/** Parsed expressions held now (for tests: a cache smaller than the resources is a miss per pass). */
export function cachedScheduleCount(): number {
  return cache.size;
}

/**
 * How far a search goes. Weekdays and leap years repeat every 28 years between skipped century
 * leap years, so an expression that matches at all matches within any 40-year span.
 */
const SEARCH_YEARS = 40;
// The span checked at compile time: one full 28-year cycle starting at a leap year.
const CYCLE_START = 2000;
const CYCLE_YEARS = 28;

export function compileSchedule(expression: string, options: ScheduleOptions): CompiledSchedule {
  const timeZone = options.timeZone ?? 'UTC';
  const zone = TimeZone.load(timeZone);
  const parsed = parse(expression, zone, options.hashKey);
  const start = options.startTime?.getTime();
  const end = options.endTime?.getTime();
  if (start !== undefined && Number.isNaN(start))
    throw new ScheduleError('schedule', 'startTime is not a valid time');
  if (end !== undefined && Number.isNaN(end))
    throw new ScheduleError('schedule', 'endTime is not a valid time');

  const nextRaw = nextFunction(parsed, zone, start, end);
  const previousRaw = previousFunction(parsed, zone, start);
  return {
    expression,
    resolved: parsed.resolved,
    timeZone,
    next(after) {
      // Strictly after `after` and at or after startTime: instants are whole seconds, so a
      // millisecond before startTime is the same bound.
      const from = start === undefined ? after.getTime() : Math.max(after.getTime(), start - 1);
      const fire = nextRaw(from);
      return fire === null || (end !== undefined && fire >= end) ? null : new Date(fire);
    },
    previous(atOrBefore) {
      const until = end === undefined ? atOrBefore.getTime() : Math.min(atOrBefore.getTime(), end - 1);
      const fire = previousRaw(until);
      return fire === null || (start !== undefined && fire < start) ? null : new Date(fire);
    },
  };
}

function parse(expression: string, zone: TimeZone, hashKey: string): Parsed {
  const key = `${expression}\u0000${zone.name}\u0000${hashKey}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const parsed = parseUncached(expression, zone, hashKey);
  cache.set(key, parsed);
  return parsed;
}

function parseUncached(expression: string, zone: TimeZone, hashKey: string): Parsed {
  const text = expression.trim();
  if (text === '') throw new ScheduleError('schedule', 'expression is empty');
  if (/^rate\s*\(/i.test(text)) return { kind: 'rate', resolved: text, period: parseRate(text) };
  if (/^at\s*\(/i.test(text)) return { kind: 'at', resolved: text, instant: zone.toInstant(parseAt(text)) };
  if (!isCronFamily(text)) throw new ScheduleError('schedule', `unrecognised expression "${text}"`);
  const spec = parseCron(text, hashKey);
  const shared = calendars.get(spec.resolved);
  if (shared) return { kind: 'cron', resolved: spec.resolved, calendar: shared, years: spec.years };
  const calendar = new CronCalendar(spec);
  const years = spec.years ?? range(CYCLE_START, CYCLE_START + CYCLE_YEARS - 1);
  if (!calendar.anyDayIn(years)) {
    const where = spec.years ? 'in any year of the year field' : `in a ${CYCLE_YEARS}-year calendar cycle`;
    throw new ScheduleError(
      'schedule',
      `"${text}" never fires: no date matches ${spec.dayFieldsText} ${where}`,
    );
  }
  calendars.set(spec.resolved, calendar);
  return { kind: 'cron', resolved: spec.resolved, calendar, years: spec.years };
}

function nextFunction(
  parsed: Parsed,
  zone: TimeZone,
  start?: number,
  end?: number,
): (after: number) => number | null {
  switch (parsed.kind) {
    case 'rate': {
      // Anchored at startTime, else at the Unix epoch, so the grid survives restarts.
      const anchor = start ?? 0;
      return (after) => anchor + (Math.floor((after - anchor) / parsed.period) + 1) * parsed.period;
    }
    case 'at':
      return (after) => (parsed.instant > after ? parsed.instant : null);
    case 'cron':
      return (after) => {
        const fromYear = yearOf(zone.wallOf(after));
        let maxYear = parsed.years ? (parsed.years.at(-1) ?? fromYear) : fromYear + SEARCH_YEARS;
        if (end !== undefined) maxYear = Math.min(maxYear, yearOf(zone.wallOf(end)) + 1);
        return nextCronInstant(parsed.calendar, zone, after, maxYear);
      };
  }
}

function previousFunction(
  parsed: Parsed,
  zone: TimeZone,
  start?: number,
): (atOrBefore: number) => number | null {
  switch (parsed.kind) {
    case 'rate': {
      const anchor = start ?? 0;
      return (until) => {
        const fire = anchor + Math.floor((until - anchor) / parsed.period) * parsed.period;
        return start !== undefined && fire < start ? null : fire;
      };
    }
    case 'at':
      return (until) => (parsed.instant <= until ? parsed.instant : null);
    case 'cron':
      return (until) => {
        const fromYear = yearOf(zone.wallOf(until));
        let minYear = parsed.years ? (parsed.years[0] ?? fromYear) : fromYear - SEARCH_YEARS;
        if (start !== undefined) minYear = Math.max(minYear, yearOf(zone.wallOf(start)) - 1);
        return previousCronInstant(parsed.calendar, zone, until, minYear);
      };
  }
}

function yearOf(wall: number): number {
  return new Date(wall).getUTCFullYear();
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
