import { ScheduleError } from './schedule-error.js';

/**
 * An IANA zone seen as a function from instants to wall-clock times and back. Wall-clock times are
 * "local as UTC" milliseconds: the wall time 2026-03-29 02:30 is Date.UTC(2026, 2, 29, 2, 30).
 * Offsets come from Intl (the only source of tz data in Node without a dependency) and are cached
 * per minute, because formatToParts costs microseconds and a next() asks for a handful of them.
 */
export class TimeZone {
  private readonly offsets = new Map<number, number>();

  private constructor(
    readonly name: string,
    private readonly format: Intl.DateTimeFormat | null,
  ) {}

  static load(name: string): TimeZone {
    const cached = zones.get(name);
    if (cached) return cached;
    const zone = isUtc(name) ? new TimeZone(name, null) : new TimeZone(name, formatterFor(name));
    zones.set(name, zone);
    return zone;
  }

  /** UTC offset in milliseconds in force at `instant` (wall = instant + offset). */
  offsetAt(instant: number): number {
    if (this.format === null) return 0;
    // Transitions fall on whole minutes in every zone since 1970; a minute bucket is exact there.
    const bucket = Math.floor(instant / MINUTE);
    const cached = this.offsets.get(bucket);
    if (cached !== undefined) return cached;
    const offset = this.computeOffset(bucket * MINUTE);
    // Bounded so a long-running controller cannot grow it without limit.
    if (this.offsets.size >= OFFSET_CACHE_LIMIT) this.offsets.clear();
    this.offsets.set(bucket, offset);
    return offset;
  }

  wallOf(instant: number): number {
    return instant + this.offsetAt(instant);
  }

  /**
   * The instant a wall time fires at, with Temporal's "compatible" disambiguation: the earlier of
   * two occurrences in a fall-back overlap, and in a spring-forward gap the offset in force before
   * the gap (so 02:30 in a 02:00→03:00 gap becomes 03:30). Assumes at most one transition within a
   * day of the wall time, as every zone has had since 1970.
   */
  toInstant(wall: number): number {
    if (this.format === null) return wall;
    const before = this.offsetAt(wall - DAY);
    const after = this.offsetAt(wall + DAY);
    const early = wall - before;
    if (this.offsetAt(early) === before) return early;
    const late = wall - after;
    if (this.offsetAt(late) === after) return late;
    return early;
  }

  /**
   * The length of a spring-forward gap whose transition lies less than that length before
   * `instant`, else 0. Only then can a wall time in the gap still fire after `instant`.
   */
  recentGap(instant: number): number {
    const gap = this.offsetAt(instant) - this.offsetAt(instant - DAY - HOUR);
    return gap > 0 && this.offsetAt(instant - gap) < this.offsetAt(instant) ? gap : 0;
  }

  /**
   * The length of a fall-back overlap if `instant` is in its second pass, else 0. Only then have
   * wall times later than the current one already fired.
   */
  recentOverlap(instant: number): number {
    const overlap = this.offsetAt(instant - DAY - HOUR) - this.offsetAt(instant);
    return overlap > 0 && this.offsetAt(instant - overlap) > this.offsetAt(instant) ? overlap : 0;
  }

  private computeOffset(instant: number): number {
    const parts = this.format!.formatToParts(new Date(instant));
    const field = (type: Intl.DateTimeFormatPartTypes): number =>
      Number(parts.find((part) => part.type === type)?.value ?? 0);
    let year = field('year');
    if (parts.find((part) => part.type === 'era')?.value === 'B') year = 1 - year;
    const date = new Date(0);
    date.setUTCFullYear(year, field('month') - 1, field('day'));
    date.setUTCHours(field('hour'), field('minute'), field('second'), 0);
    return date.getTime() - instant;
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const OFFSET_CACHE_LIMIT = 100_000;
const zones = new Map<string, TimeZone>();

function isUtc(name: string): boolean {
  return name === 'UTC' || name === 'Etc/UTC' || name === 'GMT' || name === 'Etc/GMT';
}

function formatterFor(name: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'narrow',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new ScheduleError('timeZone', `unknown time zone "${name}"`);
  }
}
