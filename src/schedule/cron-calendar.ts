import type { CronSpec, DayRule, FieldValues } from './cron-expression.js';

/**
 * Walks the wall-clock calendar (no time zone here) to the nearest date-time a cron spec allows.
 * It jumps field by field (year, month, day, hour, minute, second) instead of stepping through
 * seconds, so sparse expressions such as a leap day cost a few dozen steps, not millions.
 * Wall times are "local as UTC" milliseconds.
 */
export class CronCalendar {
  // Day masks per (year, month); bounded because a controller runs for months.
  private readonly dayMasks = new Map<number, number>();

  constructor(private readonly spec: CronSpec) {}

  /** The earliest allowed wall time >= `wall`, or null if none up to the end of `maxYear`. */
  nextWall(wall: number, maxYear: number): number | null {
    const { spec } = this;
    const date = new Date(Math.ceil(wall / SECOND) * SECOND);
    let y = date.getUTCFullYear();
    let mo = date.getUTCMonth() + 1;
    let d = date.getUTCDate();
    let h = date.getUTCHours();
    let mi = date.getUTCMinutes();
    let s = date.getUTCSeconds();
    for (;;) {
      if (y > maxYear) return null;
      if (spec.years !== null && !spec.years.includes(y)) {
        const year = spec.years.find((candidate) => candidate > y);
        if (year === undefined || year > maxYear) return null;
        [y, mo, d, h, mi, s] = [year, 1, 1, 0, 0, 0];
      }
      const month = nextIn(spec.month, mo);
      if (month < 0) {
        [y, mo, d, h, mi, s] = [y + 1, 1, 1, 0, 0, 0];
        continue;
      }
      if (month !== mo) [mo, d, h, mi, s] = [month, 1, 0, 0, 0];
      const day = this.nextDay(y, mo, d);
      if (day < 0) {
        [mo, d, h, mi, s] = [mo + 1, 1, 0, 0, 0];
        if (mo > 12) [y, mo] = [y + 1, 1];
        continue;
      }
      if (day !== d) [d, h, mi, s] = [day, 0, 0, 0];
      const hour = nextIn(spec.hour, h);
      if (hour < 0) {
        [d, h, mi, s] = [d + 1, 0, 0, 0];
        continue;
      }
      if (hour !== h) [h, mi, s] = [hour, 0, 0];
      const minute = nextIn(spec.minute, mi);
      if (minute < 0) {
        [h, mi, s] = [h + 1, 0, 0];
        continue;
      }
      if (minute !== mi) [mi, s] = [minute, 0];
      const second = nextIn(spec.second, s);
      if (second < 0) {
        [mi, s] = [mi + 1, 0];
        continue;
      }
      return Date.UTC(y, mo - 1, d, h, mi, second);
    }
  }

  /** The latest allowed wall time <= `wall`, or null if none back to the start of `minYear`. */
  prevWall(wall: number, minYear: number): number | null {
    const { spec } = this;
    const date = new Date(wall);
    let y = date.getUTCFullYear();
    let mo = date.getUTCMonth() + 1;
    let d = date.getUTCDate();
    let h = date.getUTCHours();
    let mi = date.getUTCMinutes();
    let s = date.getUTCSeconds();
    for (;;) {
      if (y < minYear) return null;
      if (spec.years !== null && !spec.years.includes(y)) {
        const year = spec.years.findLast((candidate) => candidate < y);
        if (year === undefined || year < minYear) return null;
        [y, mo, d, h, mi, s] = [year, 12, 31, 23, 59, 59];
      }
      const month = prevIn(spec.month, mo);
      if (month < 0) {
        [y, mo, d, h, mi, s] = [y - 1, 12, 31, 23, 59, 59];
        continue;
      }
      if (month !== mo) [mo, d, h, mi, s] = [month, 31, 23, 59, 59];
      const day = this.prevDay(y, mo, d);
      if (day < 0) {
        [mo, d, h, mi, s] = [mo - 1, 31, 23, 59, 59];
        if (mo < 1) [y, mo] = [y - 1, 12];
        continue;
      }
      if (day !== d) [d, h, mi, s] = [day, 23, 59, 59];
      const hour = prevIn(spec.hour, h);
      if (hour < 0) {
        [d, h, mi, s] = [d - 1, 23, 59, 59];
        continue;
      }
      if (hour !== h) [h, mi, s] = [hour, 59, 59];
      const minute = prevIn(spec.minute, mi);
      if (minute < 0) {
        [h, mi, s] = [h - 1, 59, 59];
        continue;
      }
      if (minute !== mi) [mi, s] = [minute, 59];
      const second = prevIn(spec.second, s);
      if (second < 0) {
        [mi, s] = [mi - 1, 59];
        continue;
      }
      return Date.UTC(y, mo - 1, d, h, mi, second);
    }
  }

  /** Whether the wall time is one the spec allows (the tests' brute-force oracle uses this). */
  matches(wall: number): boolean {
    const date = new Date(wall);
    const y = date.getUTCFullYear();
    const mo = date.getUTCMonth() + 1;
    return (
      mod(wall, SECOND) === 0 &&
      (this.spec.years === null || this.spec.years.includes(y)) &&
      nextIn(this.spec.month, mo) === mo &&
      (this.dayMask(y, mo) & (1 << date.getUTCDate())) !== 0 &&
      nextIn(this.spec.hour, date.getUTCHours()) === date.getUTCHours() &&
      nextIn(this.spec.minute, date.getUTCMinutes()) === date.getUTCMinutes() &&
      nextIn(this.spec.second, date.getUTCSeconds()) === date.getUTCSeconds()
    );
  }

  /** Whether any day of the given years, in an allowed month, matches the day fields. */
  anyDayIn(years: Iterable<number>): boolean {
    for (const y of years) {
      for (const mo of this.spec.month.values) if (this.dayMask(y, mo) !== 0) return true;
    }
    return false;
  }

  private nextDay(y: number, mo: number, d: number): number {
    if (d > 31) return -1;
    const remaining = this.dayMask(y, mo) & ~((1 << d) - 1);
    return remaining === 0 ? -1 : 31 - Math.clz32(remaining & -remaining);
  }

  private prevDay(y: number, mo: number, d: number): number {
    if (d < 1) return -1;
    // 2 << 31 is 0 in int32 arithmetic, so d = 31 keeps every bit.
    const remaining = this.dayMask(y, mo) & ((2 << d) - 1);
    return remaining === 0 ? -1 : 31 - Math.clz32(remaining);
  }

  private dayMask(y: number, mo: number): number {
    const key = y * 16 + mo;
    const cached = this.dayMasks.get(key);
    if (cached !== undefined) return cached;
    const mask = computeDayMask(this.spec.days, y, mo);
    if (this.dayMasks.size >= DAY_MASK_CACHE_LIMIT) this.dayMasks.clear();
    this.dayMasks.set(key, mask);
    return mask;
  }
}

const SECOND = 1000;
const DAY_MASK_CACHE_LIMIT = 4096;

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function nextIn(field: FieldValues, value: number): number {
  return field.next[value] ?? -1;
}

function prevIn(field: FieldValues, value: number): number {
  return value < 0 ? -1 : (field.prev[value] ?? field.prev[field.prev.length - 1] ?? -1);
}

export function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** Bit d (1..31) set when day d of the month matches the day-of-month/day-of-week rule. */
export function computeDayMask(rule: DayRule, y: number, mo: number): number {
  const length = daysInMonth(y, mo);
  const firstWeekday = new Date(Date.UTC(y, mo - 1, 1)).getUTCDay();
  const weekdayOf = (d: number): number => (firstWeekday + d - 1) % 7;
  let dom = rule.domDays;
  if (rule.domLast) dom |= 1 << length;
  if (rule.domLastWeekday) dom |= 1 << nearestWeekday(length, length, weekdayOf);
  for (const target of rule.domNearestWeekday) {
    // Day N that the month does not have never matches, as plain `31` does not in April.
    if (target <= length) dom |= 1 << nearestWeekday(target, length, weekdayOf);
  }
  let dow = 0;
  for (let d = 1; d <= length; d++) {
    const weekday = weekdayOf(d);
    if (
      (rule.dowDays & (1 << weekday)) !== 0 ||
      (d + 7 > length && rule.dowLast.includes(weekday)) ||
      rule.dowNth.some(([w, k]) => w === weekday && Math.ceil(d / 7) === k)
    ) {
      dow |= 1 << d;
    }
  }
  const inMonth = (length === 31 ? -1 : (1 << (length + 1)) - 1) & ~1;
  // Vixie cron: either half may match only when both are restricted; otherwise both must.
  const mask = rule.domRestricted && rule.dowRestricted ? dom | dow : dom & dow;
  return mask & inMonth;
}

function nearestWeekday(target: number, length: number, weekdayOf: (d: number) => number): number {
  const weekday = weekdayOf(target);
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === length ? target - 2 : target + 1;
  return target;
}
