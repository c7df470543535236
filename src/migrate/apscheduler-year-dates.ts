// A job whose year field is restricted runs on finitely many dates. When the other date fields
// cannot be written as cron (a day AND a weekday that must both match, an ISO week), those dates
// themselves may still be named exactly: 3 April 2028 is a Monday, so `day 3, month apr,
// day_of_week mon-fri, year 2028` is that one date. This lists the dates and tells whether one
// cron(...) day-month-year names exactly them.
import { apschedulerFiresOn, dateAt, type CycleDate, type DateRule } from './apscheduler-days.js';

const DAY_MS = 86_400_000;
const ALL_MONTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/**
 * The dates of `years` on which `rule` fires, in order; stops after `limit + 1`, so a result
 * longer than `limit` means "more than limit".
 */
export function datesInYears(rule: DateRule, years: readonly number[], limit: number): CycleDate[] {
  const out: CycleDate[] = [];
  const months = rule.months ? [...rule.months].sort((a, b) => a - b) : ALL_MONTHS;
  for (const year of [...years].sort((a, b) => a - b)) {
    for (const month of months) {
      const end = Date.UTC(year, month, 1);
      for (let t = Date.UTC(year, month - 1, 1); t < end; t += DAY_MS) {
        const date = dateAt(t);
        if (!apschedulerFiresOn(rule, date)) continue;
        out.push(date);
        if (out.length > limit) return out;
      }
    }
  }
  return out;
}

export interface NamedDates {
  readonly days: readonly number[];
  readonly months: readonly number[];
  readonly years: readonly number[];
}

/**
 * The days, months and years whose every valid combination is exactly `dates` (cron's
 * day-of-month, month and year fields), or undefined when they also name other dates.
 */
export function namedDates(dates: readonly CycleDate[]): NamedDates | undefined {
  const sorted = (values: Iterable<number>) => [...new Set(values)].sort((a, b) => a - b);
  const days = sorted(dates.map((d) => d.day));
  const months = sorted(dates.map((d) => d.month));
  const years = sorted(dates.map((d) => d.year));
  let combinations = 0;
  for (const year of years) {
    for (const month of months) {
      const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
      combinations += days.filter((day) => day <= daysInMonth).length;
    }
  }
  // `dates` is among the combinations, so as many combinations as dates means the same set.
  return combinations === dates.length ? { days, months, years } : undefined;
}

/** A cron list, runs of three or more written as ranges: 3-9,12. */
export function cronList(values: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < values.length) {
    let j = i;
    while (j + 1 < values.length && (values[j + 1] as number) === (values[j] as number) + 1) j++;
    if (j - i >= 2) out.push(`${values[i]}-${values[j]}`);
    else for (let k = i; k <= j; k++) out.push(String(values[k]));
    i = j + 1;
  }
  return out.join(',');
}
