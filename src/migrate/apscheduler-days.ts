// APScheduler 3's CronTrigger day semantics, as a predicate over calendar dates, and a scan over
// the 400-year Gregorian cycle to compare two predicates. The import uses it to prove a rewrite
// exact before it uses it: the calendar repeats every 400 years (146,097 days, exactly 20,871
// weeks, so weekdays and ISO week numbers repeat too), so agreeing on one cycle is agreeing on
// every date.

/** One calendar date of the cycle with what APScheduler's fields look at. */
export interface CycleDate {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number; // 1-31
  /** APScheduler's weekday: 0 = Monday ... 6 = Sunday. */
  readonly weekday: number;
  readonly isoWeek: number;
  readonly daysInMonth: number;
}

export const CYCLE_FIRST_YEAR = 2000;
export const CYCLE_YEARS = 400;

let cycle: CycleDate[] | undefined;

/** Every date from 2000-01-01 to 2399-12-31, computed once (146,097 entries). */
export function gregorianCycle(): readonly CycleDate[] {
  if (cycle) return cycle;
  const out: CycleDate[] = [];
  const start = Date.UTC(CYCLE_FIRST_YEAR, 0, 1);
  const end = Date.UTC(CYCLE_FIRST_YEAR + CYCLE_YEARS, 0, 1);
  for (let t = start; t < end; t += 86_400_000) out.push(dateAt(t));
  cycle = out;
  return out;
}

/** The date at UTC midnight `t` (epoch milliseconds), with what APScheduler's fields look at. */
export function dateAt(t: number): CycleDate {
  const d = new Date(t);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const weekday = (d.getUTCDay() + 6) % 7;
  return {
    year,
    month,
    day: d.getUTCDate(),
    weekday,
    isoWeek: isoWeek(t, weekday),
    daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}

/** ISO 8601 week number: the week (Monday first) that holds the date's Thursday, counted in its year. */
function isoWeek(t: number, weekday: number): number {
  const thursday = new Date(t + (3 - weekday) * 86_400_000);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.floor((thursday.getTime() - yearStart) / 86_400_000 / 7) + 1;
}

export type WeekdayPosition = { readonly nth: number | 'last'; readonly weekday: number };

/** The `day` field: plain days, weekday positions (`3rd wed`, `last fri`) and `last`, any of which matches. */
export interface DayField {
  readonly days: ReadonlySet<number>;
  readonly positions: readonly WeekdayPosition[];
  readonly lastDay: boolean;
}

/** What an APScheduler job restricts about the date; undefined means the field matches every value. */
export interface DateRule {
  readonly day?: DayField;
  readonly weekdays?: ReadonlySet<number>;
  readonly weeks?: ReadonlySet<number>;
  readonly months?: ReadonlySet<number>;
}

export function positionMatches(p: WeekdayPosition, date: CycleDate): boolean {
  if (date.weekday !== p.weekday) return false;
  return p.nth === 'last' ? date.day + 7 > date.daysInMonth : Math.ceil(date.day / 7) === p.nth;
}

/** APScheduler: every restricted field must match (day, day_of_week and week are ANDed, unlike cron). */
export function apschedulerFiresOn(rule: DateRule, date: CycleDate): boolean {
  if (rule.months && !rule.months.has(date.month)) return false;
  if (rule.weeks && !rule.weeks.has(date.isoWeek)) return false;
  if (rule.weekdays && !rule.weekdays.has(date.weekday)) return false;
  if (rule.day) {
    const { days, positions, lastDay } = rule.day;
    const matches =
      days.has(date.day) ||
      (lastDay && date.day === date.daysInMonth) ||
      positions.some((p) => positionMatches(p, date));
    if (!matches) return false;
  }
  return true;
}

/** The first date of the cycle on which the two disagree, or undefined when they agree on every date. */
export function firstDisagreement(
  a: (date: CycleDate) => boolean,
  b: (date: CycleDate) => boolean,
): CycleDate | undefined {
  return gregorianCycle().find((date) => a(date) !== b(date));
}

export function formatDate(date: CycleDate): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
}
