/**
 * Translates a schedule of the old ECS Scheduler service into our cron grammar, exactly or not at
 * all. The old service split its schedule on whitespace into up to 8 positional APScheduler 3
 * CronTrigger fields, `second minute hour day_of_week week day month year`. It always passes
 * `second`, the least significant field, so CronTrigger fills every omitted field with `*`.
 *
 * Where APScheduler and cron differ, the translation first looks for an exact rewrite, proved on
 * every date of the 400-year Gregorian cycle (apscheduler-days.ts), and otherwise fails with the
 * reason; nothing is approximated:
 * - `week` (ISO week number) has no cron field: it is dropped only when the other fields already
 *   imply it;
 * - a `day` and a `day_of_week` that are both restricted must both match in APScheduler, while
 *   cron (Vixie) fires when either matches: one of them may be redundant given the other
 *   (`last fri` with `fri`), or the pair may be weekday positions (`mon` on days 1-7 is `1#1`);
 * - a restricted `year` needs EventBridge `cron(...)`, which has no seconds field;
 * - within a restricted `year` a job runs on finitely many dates: when the fields cannot be
 *   rewritten, a job on one date with one time becomes `at(...)`, and a few dates that one
 *   `cron(...)` names exactly (day, month and year lists) become that cron (apscheduler-year-dates.ts).
 */
import {
  apschedulerFiresOn,
  firstDisagreement,
  formatDate,
  type DateRule,
  type CycleDate,
  type WeekdayPosition,
} from './apscheduler-days.js';
import { cronList, datesInYears, namedDates } from './apscheduler-year-dates.js';

export type ScheduleTranslation =
  | { readonly ok: true; readonly schedule: string; readonly notes: readonly string[] }
  | { readonly ok: false; readonly reason: string };

const FIELD_NAMES = ['second', 'minute', 'hour', 'day_of_week', 'week', 'day', 'month', 'year'] as const;
type FieldName = (typeof FIELD_NAMES)[number];

// APScheduler 3: day_of_week 0 = Monday, names mon..sun; months 1 = January.
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const POSITIONS = ['1st', '2nd', '3rd', '4th', '5th', 'last'];

// APScheduler's MIN_VALUES / MAX_VALUES.
const LIMITS: Readonly<Record<FieldName, readonly [number, number]>> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  day_of_week: [0, 6],
  week: [1, 53],
  day: [1, 31],
  month: [1, 12],
  year: [1970, 9999],
};

/** EventBridge's (and so our cron()'s) year range. */
const LAST_CRON_YEAR = 2199;
/** The most dates a job in a restricted year may be mapped to by naming them (about a month's worth). */
const MAX_NAMED_DATES = 31;
const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

type Item =
  | { readonly kind: 'wildcard' }
  | {
      readonly kind: 'range';
      readonly first: number;
      readonly last: number;
      readonly step: number;
      readonly text: string;
    }
  | { readonly kind: 'position'; readonly nth: number | 'last'; readonly weekday: number }
  | { readonly kind: 'lastDay' };

interface Field {
  readonly name: FieldName;
  readonly text: string;
  readonly items: readonly Item[];
  /** Values matched by the plain (range) items, within the field's limits. */
  readonly values: ReadonlySet<number>;
}

class Untranslatable extends Error {}

function fail(message: string): never {
  throw new Untranslatable(message);
}

export function translateApschedulerSchedule(expression: string): ScheduleTranslation {
  try {
    return translate(expression);
  } catch (error) {
    if (error instanceof Untranslatable) return { ok: false, reason: error.message };
    throw error;
  }
}

function translate(expression: string): ScheduleTranslation {
  const parts = expression.trim() === '' ? [] : expression.trim().split(/\s+/);
  if (parts.length === 0) fail('is empty');
  if (parts.length > FIELD_NAMES.length) {
    fail(
      `has ${parts.length} fields; the old format has at most 8 (second minute hour day_of_week week day month year)`,
    );
  }
  const fields = new Map<FieldName, Field>();
  FIELD_NAMES.forEach((name, i) => fields.set(name, parseField(name, parts[i] ?? '*')));
  const year = fields.get('year') as Field;
  return isFull(year) ? translateFields(fields) : translateWithinYears(fields);
}

/**
 * A restricted year: the dates it leaves are finite, so a job that never runs in them is refused,
 * and a job whose fields have no cron form is still mapped when its dates can be named exactly.
 */
function translateWithinYears(fields: ReadonlyMap<FieldName, Field>): ScheduleTranslation {
  const get = (name: FieldName): Field => fields.get(name) as Field;
  const year = get('year');
  const rule = dateRule(get);
  const dates = datesInYears(rule, [...year.values], MAX_NAMED_DATES);
  if (dates.length === 0) {
    fail(
      `never runs: no date in year "${year.text}" matches ${describeDates(get)}${weekdayHint(rule, year)}`,
    );
  }
  try {
    return translateFields(new Map(fields));
  } catch (error) {
    if (!(error instanceof Untranslatable)) throw error;
    return translateNamedDates(get, dates, error.message);
  }
}

/** When the weekday alone rules out the dates: what weekdays the dates otherwise allowed fall on. */
function weekdayHint(rule: DateRule, year: Field): string {
  if (rule.weekdays === undefined) return '';
  const dates = datesInYears({ ...rule, weekdays: undefined }, [...year.values], 3);
  if (dates.length === 0 || dates.length > 3) return '';
  return ` (${dates.map((d) => `${formatDate(d)} is a ${WEEKDAY_NAMES[d.weekday]}`).join(', ')})`;
}

/**
 * Inside the restricted year the job runs on `dates` (at most MAX_NAMED_DATES + 1 of them): one
 * date at one time of day is at(...); dates that are every combination of their days, months and
 * years are cron(...) naming them. Otherwise the job is refused with `reason` and why.
 */
function translateNamedDates(
  get: (name: FieldName) => Field,
  dates: readonly CycleDate[],
  reason: string,
): ScheduleTranslation {
  const year = get('year');
  const [second, minute, hour] = (['second', 'minute', 'hour'] as const).map(get) as [Field, Field, Field];
  const refuse: (why: string) => never = (why) =>
    fail(`${reason}; and within year "${year.text}" the job runs on ${why}`);
  if (dates.length > MAX_NAMED_DATES)
    refuse(`more than ${MAX_NAMED_DATES} dates, too many to name one by one`);
  const listed = dates.map(formatDate).join(', ');
  const single = (field: Field) => field.items[0]?.kind !== 'wildcard' && field.values.size === 1;
  const [date] = dates;
  if (dates.length === 1 && date && single(second) && single(minute) && single(hour)) {
    const pad = (n: number | undefined) => String(n).padStart(2, '0');
    const time = [hour, minute, second].map((f) => pad([...f.values][0])).join(':');
    return {
      ok: true,
      schedule: `at(${formatDate(date)}T${time})`,
      notes: [
        `within year "${year.text}" the date fields (${describeDates(get)}) name one date, ${listed}, ` +
          'and the time fields one time, so the job is one run, written as at(...)',
      ],
    };
  }
  if (second.items[0]?.kind === 'wildcard' || second.values.size !== 1 || !second.values.has(0)) {
    refuse(
      `${listed} at more than one time of day (or a "?" one), which needs cron(...), and that has no seconds ` +
        `field; second "${second.text}" would have to be 0`,
    );
  }
  const named = namedDates(dates);
  if (named === undefined) {
    refuse(
      `${dates.length} dates (${listed}), and no one cron(...) names them without naming other dates too`,
    );
  }
  const notes = [
    `within year "${year.text}" the date fields (${describeDates(get)}) name ${
      dates.length === 1 ? `one date, ${listed}` : `exactly the dates ${listed}`
    }, so the schedule is a cron(...) naming ${dates.length === 1 ? 'it' : 'them'}`,
  ];
  const hashed = (field: Field, name: string): string => {
    if (field.items[0]?.kind !== 'wildcard') return fieldText(field);
    notes.push(`"?" in ${name} became "H", a stable value from the resource's namespace/name`);
    return 'H';
  };
  const body = [
    hashed(minute, 'minute'),
    hashed(hour, 'hour'),
    cronList(named.days),
    cronList(named.months),
    '?',
    cronList(named.years),
  ];
  return { ok: true, schedule: `cron(${body.join(' ')})`, notes };
}

/** Every field but a restricted year (or, given one, its cron(...) form): exact or refused. */
function translateFields(fields: Map<FieldName, Field>): ScheduleTranslation {
  const get = (name: FieldName): Field => fields.get(name) as Field;
  const notes: string[] = [];
  rewriteDates(fields, notes);

  const day = get('day');
  const dayOfWeek = get('day_of_week');
  const positions = day.items.filter((i) => i.kind === 'position');
  const plainDays = day.items.filter((i) => i.kind !== 'position');
  const dayRestricted = !isFull(day);
  const dowRestricted = !isFull(dayOfWeek);

  const year = get('year');
  const wildcards = (['second', 'minute', 'hour'] as const).filter(
    (n) => get(n).items[0]?.kind === 'wildcard',
  );
  if (!isFull(year)) {
    return translateWithYear(get, { dayRestricted, dowRestricted, positions, plainDays }, wildcards, notes);
  }

  let domText = '*';
  let dowText = '*';
  if (dayRestricted) {
    if (plainDays.length > 0) domText = plainDays.map((i) => itemText(i, 'vixie')).join(',');
    if (positions.length > 0) {
      dowText = positions.map((i) => itemText(i, 'vixie')).join(',');
      notes.push(
        `day "${day.text}" became day-of-week "${dowText}"${plainDays.length > 0 ? ` (or day-of-month "${domText}")` : ''}`,
      );
    }
  } else if (dowRestricted) {
    dowText = weekdayList(dayOfWeek.values, 'vixie');
    notes.push(`day_of_week "${dayOfWeek.text}" (0 = Monday) became "${dowText}" (cron: 0 = Sunday)`);
  }
  for (const name of wildcards) {
    notes.push(`"?" in ${name} now picks a stable value from the resource's namespace/name`);
  }
  const schedule = [
    fieldText(get('second')),
    fieldText(get('minute')),
    fieldText(get('hour')),
    domText,
    fieldText(get('month')),
    dowText,
  ].join(' ');
  return { ok: true, schedule, notes };
}

const BLOCKS = [1, 2, 3, 4, 5] as const;
const blockOf = (day: number): number => Math.ceil(day / 7);

function dateRule(get: (name: FieldName) => Field): DateRule {
  const restricted = (name: FieldName) => !isFull(get(name));
  const day = get('day');
  return {
    ...(restricted('month') ? { months: get('month').values } : {}),
    ...(restricted('week') ? { weeks: get('week').values } : {}),
    ...(restricted('day_of_week') ? { weekdays: get('day_of_week').values } : {}),
    ...(restricted('day')
      ? {
          day: {
            days: day.values,
            positions: day.items.flatMap((i) =>
              i.kind === 'position' ? [{ nth: i.nth, weekday: i.weekday }] : [],
            ),
            lastDay: day.items.some((i) => i.kind === 'lastDay'),
          },
        }
      : {}),
  };
}

const positionText = (p: WeekdayPosition): string =>
  `${p.nth === 'last' ? 'last' : POSITIONS[p.nth - 1]} ${WEEKDAYS[p.weekday]}`;

/**
 * Week and day/day_of_week combinations have no direct cron form. Before refusing, look for an
 * exact rewrite: a field that excludes no date given the others is dropped; a day_of_week that
 * must match together with days made of whole weeks of the month, or with weekday positions,
 * becomes weekday positions (`mon` on days 1-7 is `1st mon`, cron `1#1`). Every rewrite is
 * checked on each date of the 400-year cycle before it is used.
 */
function rewriteDates(fields: Map<FieldName, Field>, notes: string[]): void {
  const get = (name: FieldName): Field => fields.get(name) as Field;
  const restricted = (name: FieldName) => !isFull(get(name));
  if (!restricted('week') && !(restricted('day') && restricted('day_of_week'))) return;

  const before = dateRule(get);
  if (
    !firstDisagreement(
      (d) => apschedulerFiresOn(before, d),
      () => false,
    ) &&
    !restricted('year')
  ) {
    fail(`never runs: no date in the 400-year calendar cycle matches ${describeDates(get)}`);
  }
  for (const name of ['week', 'day_of_week', 'day'] as const) {
    if (!restricted(name)) continue;
    const rule = dateRule(get);
    const without = {
      ...rule,
      ...{ week: { weeks: undefined }, day_of_week: { weekdays: undefined }, day: { day: undefined } }[name],
    };
    if (
      !firstDisagreement(
        (d) => apschedulerFiresOn(rule, d),
        (d) => apschedulerFiresOn(without, d),
      )
    ) {
      notes.push(
        `${name} "${get(name).text}" is redundant given the other fields (it excludes no date they allow), so it was dropped`,
      );
      fields.set(name, parseField(name, '*'));
    }
  }

  if (restricted('day') && restricted('day_of_week')) {
    const day = get('day');
    const dayOfWeek = get('day_of_week');
    const rule = dateRule(get);
    const weekdays = [...dayOfWeek.values].sort((a, b) => a - b);
    const positions: WeekdayPosition[] = [
      ...(rule.day?.positions ?? []).filter((p) => dayOfWeek.values.has(p.weekday)),
      ...BLOCKS.filter((b) => [...day.values].some((d) => blockOf(d) === b)).flatMap((nth) =>
        weekdays.map((weekday) => ({ nth, weekday })),
      ),
    ];
    const candidate: DateRule = {
      ...rule,
      weekdays: undefined,
      day: { days: new Set(), positions, lastDay: false },
    };
    const counter = firstDisagreement(
      (d) => apschedulerFiresOn(rule, d),
      (d) => apschedulerFiresOn(candidate, d),
    );
    if (counter) {
      const why = rule.day?.lastDay
        ? "the last day of the month only when it falls on one of those weekdays has no cron form (cron's L is the last day whatever its weekday, 5L the last Friday whatever its day)"
        : 'cron can say "these weekdays on these days" only for whole weeks of the month (days 1-7, 8-14, 15-21, 22-28, 29-31, as 1#1 ... 1#5) or for weekday positions (1st ... 5th, last)';
      fail(
        `day "${day.text}" and day_of_week "${dayOfWeek.text}" are both restricted: the old service ran only on days ` +
          `matching both, while cron runs on days matching either, and ${why} ` +
          `(a rewrite would ${apschedulerFiresOn(rule, counter) ? 'miss' : 'add'} ${formatDate(counter)})`,
      );
    }
    const text = positions.map(positionText).join(',');
    notes.push(
      `day "${day.text}" with day_of_week "${dayOfWeek.text}" are the same dates as day "${text}" (checked over a 400-year cycle)`,
    );
    fields.set('day', {
      name: 'day',
      text,
      items: positions.map((p) => ({ kind: 'position', nth: p.nth, weekday: p.weekday })),
      values: new Set(),
    });
    fields.set('day_of_week', parseField('day_of_week', '*'));
  }

  if (restricted('week')) {
    const week = get('week');
    const rule = dateRule(get);
    const counter = firstDisagreement(
      (d) => apschedulerFiresOn(rule, d),
      (d) => apschedulerFiresOn({ ...rule, weeks: undefined }, d),
    );
    fail(
      `week "${week.text}" (ISO week number) has no cron field, and the other fields do not imply it ` +
        `(without it the job would also run on ${counter ? formatDate(counter) : 'other dates'})`,
    );
  }
}

function describeDates(get: (name: FieldName) => Field): string {
  return (['day', 'day_of_week', 'week', 'month'] as const)
    .filter((n) => !isFull(get(n)))
    .map((n) => `${n} "${get(n).text}"`)
    .join(' with ');
}

interface DayParts {
  readonly dayRestricted: boolean;
  readonly dowRestricted: boolean;
  readonly positions: readonly Item[];
  readonly plainDays: readonly Item[];
}

/** A restricted year: EventBridge `cron(min hour dom mon dow year)`, which fires at second 0. */
function translateWithYear(
  get: (name: FieldName) => Field,
  days: DayParts,
  wildcards: readonly string[],
  notes: string[],
): ScheduleTranslation {
  const year = get('year');
  const second = get('second');
  if (second.items[0]?.kind === 'wildcard' || second.values.size !== 1 || !second.values.has(0)) {
    fail(
      `year "${year.text}" is restricted, which needs cron(minute hour day month day-of-week year), and that has ` +
        `no seconds field; second "${second.text}" would have to be 0`,
    );
  }
  if ([...year.values].some((y) => y > LAST_CRON_YEAR)) {
    fail(`year "${year.text}" reaches past ${LAST_CRON_YEAR}, the last year cron(...) can express`);
  }
  const dayField = get('day');
  const dayOfWeek = get('day_of_week');
  let domText = '*';
  let dowText = '?';
  if (days.dayRestricted) {
    if (days.positions.length > 0 && days.plainDays.length > 0) {
      fail(
        `day "${dayField.text}" mixes days of the month and weekday positions, and cron(...) allows only one of ` +
          'day-of-month and day-of-week (needed for the restricted year)',
      );
    }
    if (days.positions.length > 0) {
      domText = '?';
      dowText = days.positions.map((i) => itemText(i, 'eventbridge')).join(',');
    } else {
      domText = days.plainDays.map((i) => itemText(i, 'eventbridge')).join(',');
    }
  } else if (days.dowRestricted) {
    domText = '?';
    dowText = weekdayList(dayOfWeek.values, 'eventbridge');
    notes.push(`day_of_week "${dayOfWeek.text}" (0 = Monday) became "${dowText}" (cron(): 1 = Sunday)`);
  }
  notes.push(
    `year "${year.text}" is restricted, so the schedule is written as cron(...) (minute first, no seconds)`,
  );
  for (const name of wildcards) {
    notes.push(`"?" in ${name} became "H", a stable value from the resource's namespace/name`);
  }
  const hashed = (field: Field): string => (field.items[0]?.kind === 'wildcard' ? 'H' : fieldText(field));
  const body = [
    hashed(get('minute')),
    hashed(get('hour')),
    domText,
    fieldText(get('month')),
    dowText,
    fieldText(year),
  ];
  return { ok: true, schedule: `cron(${body.join(' ')})`, notes };
}

function parseField(name: FieldName, text: string): Field {
  if (text === '?') {
    if (name === 'second' || name === 'minute' || name === 'hour') {
      return { name, text, items: [{ kind: 'wildcard' }], values: new Set() };
    }
    fail(`"?" is allowed only in second, minute and hour, not in ${name}`);
  }
  // The old service turned `_` into a space in the day field only (`last_fri` -> `last fri`).
  const source = name === 'day' ? text.replace(/_/g, ' ') : text;
  const items = source.split(',').map((expr) => parseItem(name, expr, text));
  const [min, max] = LIMITS[name];
  const values = new Set<number>();
  for (const item of items) {
    if (item.kind !== 'range') continue;
    for (let v = Math.max(item.first, min); v <= Math.min(item.last, max); v += item.step) values.add(v);
  }
  return { name, text, items, values };
}

function parseItem(name: FieldName, expr: string, fieldText: string): Item {
  const [min, max] = LIMITS[name];
  const where = `${name} "${fieldText}"`;
  const all = /^\*(?:\/(\d+))?$/.exec(expr);
  if (all) {
    const step = checkStep(all[1], max - min, where);
    return { kind: 'range', first: min, last: max, step, text: step === 1 ? '*' : `*/${step}` };
  }
  const range = /^(\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(expr);
  if (range) {
    const first = Number(range[1]);
    const open = range[2] === undefined && range[3] !== undefined;
    const last = range[2] === undefined ? (open ? max : first) : Number(range[2]);
    if (first > last) fail(`${where}: range "${expr}" runs backwards`);
    if (first < min) fail(`${where}: ${first} is below the minimum ${min}`);
    if (last > max) fail(`${where}: ${last} is above the maximum ${max}`);
    const step = checkStep(range[3], last - first, where);
    let text = first === last ? String(first) : `${first}-${last}`;
    if (open) text = `${first}/${step}`;
    else if (step > 1) text += `/${step}`;
    return { kind: 'range', first, last, step, text };
  }
  const names = name === 'month' ? MONTHS : name === 'day_of_week' ? WEEKDAYS : undefined;
  const named = /^([a-z]+)(?:-([a-z]+))?$/i.exec(expr);
  if (names && named) {
    // Months are numbered from 1, weekdays (APScheduler) from 0 = Monday.
    const offset = name === 'month' ? 1 : 0;
    const lookup = (n: string): number => {
      const index = names.indexOf(n.toLowerCase());
      if (index < 0) fail(`${where}: unknown ${name === 'month' ? 'month' : 'weekday'} name "${n}"`);
      return index + offset;
    };
    const first = lookup(named[1] ?? '');
    const last = named[2] === undefined ? first : lookup(named[2]);
    if (first > last) fail(`${where}: range "${expr}" runs backwards`);
    return { kind: 'range', first, last, step: 1, text: first === last ? String(first) : `${first}-${last}` };
  }
  if (name === 'day') {
    const position = /^([a-z0-9]+) +([a-z]+)$/i.exec(expr);
    if (position) {
      const nth = POSITIONS.indexOf((position[1] ?? '').toLowerCase());
      const weekday = WEEKDAYS.indexOf((position[2] ?? '').toLowerCase());
      if (nth < 0) fail(`${where}: unknown weekday position "${position[1]}" (expected 1st..5th or last)`);
      if (weekday < 0) fail(`${where}: unknown weekday name "${position[2]}"`);
      return { kind: 'position', nth: nth === 5 ? 'last' : nth + 1, weekday };
    }
    if (/^last$/i.test(expr)) return { kind: 'lastDay' };
  }
  if (expr.includes('_')) fail(`${where}: "_" stands for a space only in the day field`);
  // APScheduler matched some forms by prefix and ignored the rest (`mon-fri/2` ran as `mon-fri`).
  // Guessing what such a job meant would be an approximation, so it is refused.
  fail(`${where}: unrecognised expression "${expr}"`);
}

function checkStep(text: string | undefined, span: number, where: string): number {
  if (text === undefined) return 1;
  const step = Number(text);
  if (step === 0) fail(`${where}: step must be at least 1`);
  if (step > span) fail(`${where}: step ${step} is larger than the range it steps through (${span})`);
  return step;
}

/** Matches every value, so it restricts nothing: `*`, a step of 1, `0-6`, or `*,last`. */
function isFull(field: Field): boolean {
  const [min, max] = LIMITS[field.name];
  return field.values.size === max - min + 1;
}

/** The field as written, names replaced by numbers; day_of_week never goes through here. */
function fieldText(field: Field): string {
  if (field.items[0]?.kind === 'wildcard') return '?';
  return field.items.map((i) => itemText(i, 'vixie')).join(',');
}

type Dialect = 'vixie' | 'eventbridge';

/** APScheduler weekday (0 = Monday) to cron: Vixie 0 = Sunday, EventBridge 1 = Sunday. */
function cronWeekday(weekday: number, dialect: Dialect): number {
  const sundayZero = (weekday + 1) % 7;
  return dialect === 'vixie' ? sundayZero : sundayZero + 1;
}

function itemText(item: Item, dialect: Dialect): string {
  switch (item.kind) {
    case 'wildcard':
      return '?';
    case 'range':
      return item.text;
    case 'lastDay':
      return 'L';
    case 'position': {
      const weekday = cronWeekday(item.weekday, dialect);
      return item.nth === 'last' ? `${weekday}L` : `${weekday}#${item.nth}`;
    }
  }
}

/** A set of APScheduler weekdays as a cron list, runs of three or more written as ranges. */
function weekdayList(weekdays: ReadonlySet<number>, dialect: Dialect): string {
  return cronList([...weekdays].map((w) => cronWeekday(w, dialect)).sort((a, b) => a - b));
}
