import { ScheduleError } from './schedule-error.js';
import { stableHash } from './stable-hash.js';

/**
 * Parses the cron family (5/6-field cron, @macros, EventBridge `cron(...)`) into plain sets of
 * allowed values. `H` and `?` are resolved here, from the hash key, so everything downstream sees a
 * concrete expression and `resolved` can be shown to users as status.resolvedSchedule.
 */

/** Allowed values of one field, with lookup tables for the nearest allowed value either way. */
export interface FieldValues {
  readonly values: readonly number[];
  /** next[v]: smallest allowed value >= v, or -1. */
  readonly next: readonly number[];
  /** prev[v]: largest allowed value <= v, or -1. */
  readonly prev: readonly number[];
}

/** Which days of a month match; combined per Vixie cron when both halves are restricted. */
export interface DayRule {
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
  /** Bit d set: day-of-month d (1..31) matches. */
  readonly domDays: number;
  readonly domLast: boolean;
  readonly domLastWeekday: boolean;
  /** `NW`: the weekday nearest day N, never leaving the month. */
  readonly domNearestWeekday: readonly number[];
  /** Bit w set: weekday w (0 = Sunday .. 6) matches. */
  readonly dowDays: number;
  /** `NL`: the last weekday N of the month. */
  readonly dowLast: readonly number[];
  /** `N#k`: the k-th weekday N of the month. */
  readonly dowNth: readonly (readonly [weekday: number, nth: number])[];
}

export interface CronSpec {
  readonly resolved: string;
  readonly second: FieldValues;
  readonly minute: FieldValues;
  readonly hour: FieldValues;
  readonly month: FieldValues;
  readonly days: DayRule;
  /** Sorted allowed years, or null for every year (only `cron(...)` has a year field). */
  readonly years: readonly number[] | null;
  /** A human-readable rendering of the day fields, for "never fires" errors. */
  readonly dayFieldsText: string;
}

type Dialect = 'vixie' | 'eventbridge';

interface FieldDef {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
  /** H picks from this range; day-of-month stops at 28 so every month has the day (Jenkins). */
  readonly hashMin?: number;
  readonly hashMax?: number;
}

const MONTH_NAMES = {
  JAN: 1,
  FEB: 2,
  MAR: 3,
  APR: 4,
  MAY: 5,
  JUN: 6,
  JUL: 7,
  AUG: 8,
  SEP: 9,
  OCT: 10,
  NOV: 11,
  DEC: 12,
};
const VIXIE_DAY_NAMES = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };
const EVENTBRIDGE_DAY_NAMES = { SUN: 1, MON: 2, TUE: 3, WED: 4, THU: 5, FRI: 6, SAT: 7 };

const SECOND: FieldDef = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldDef = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldDef = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldDef = { name: 'day-of-month', min: 1, max: 31, hashMax: 28 };
const MONTH: FieldDef = { name: 'month', min: 1, max: 12, names: MONTH_NAMES };
const VIXIE_DAY_OF_WEEK: FieldDef = {
  name: 'day-of-week',
  min: 0,
  max: 7,
  names: VIXIE_DAY_NAMES,
  hashMax: 6,
};
const EVENTBRIDGE_DAY_OF_WEEK: FieldDef = {
  name: 'day-of-week',
  min: 1,
  max: 7,
  names: EVENTBRIDGE_DAY_NAMES,
};
// EventBridge's own limits for the year field.
const YEAR: FieldDef = { name: 'year', min: 1970, max: 2199 };

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export function isCronFamily(expression: string): boolean {
  return !/^(rate|at)\s*\(/i.test(expression.trim());
}

export function parseCron(expression: string, hashKey: string): CronSpec {
  const text = expression.trim();
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (macro === undefined) {
      throw new ScheduleError(
        'schedule',
        `unknown macro "${text}" (expected one of ${Object.keys(MACROS).join(' ')})`,
      );
    }
    return parseFields(macro.split(' '), 'vixie', hashKey);
  }
  const wrapped = /^cron\s*\((.*)\)$/is.exec(text);
  if (wrapped) {
    const fields = splitFields(wrapped[1] ?? '');
    if (fields.length !== 6) {
      throw new ScheduleError(
        'schedule',
        `cron() expects 6 fields (minute hour day-of-month month day-of-week year), got ${fields.length}`,
      );
    }
    return parseFields(fields, 'eventbridge', hashKey);
  }
  // A word before "(" is a function form such as rate(...), except the hash field H(a-b), which
  // may open a plain cron expression (`H(0-29)/10 * * * *`).
  if (/^[a-z]+\s*\(/i.test(text) && !/^H\(/i.test(text)) {
    throw new ScheduleError(
      'schedule',
      `unknown expression "${text}" (expected cron(...), rate(...) or at(...))`,
    );
  }
  const fields = splitFields(text);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new ScheduleError('schedule', `expected 5 or 6 fields, got ${fields.length}`);
  }
  return parseFields(fields, 'vixie', hashKey);
}

function splitFields(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

function parseFields(fields: readonly string[], dialect: Dialect, hashKey: string): CronSpec {
  let texts: readonly string[];
  if (dialect === 'eventbridge') texts = ['0', ...fields.slice(0, 5)];
  else texts = fields.length === 5 ? ['0', ...fields] : fields;
  const [secText, minText, hourText, domText, monText, dowText] = texts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const yearText = dialect === 'eventbridge' ? (fields[5] ?? '*') : '*';

  const hasSeconds = dialect === 'vixie' && fields.length === 6;
  const second = parseSimpleField(secText, SECOND, hashKey);
  const minute = parseSimpleField(minText, MINUTE, hashKey);
  const hour = parseSimpleField(hourText, HOUR, hashKey);
  const month = parseSimpleField(monText, MONTH, hashKey);
  const dom = parseDayOfMonth(domText, dialect, hashKey);
  const dow = parseDayOfWeek(dowText, dialect, hashKey);

  let years: number[] | null = null;
  let yearResolved = yearText;
  if (dialect === 'eventbridge') {
    if (dom.noSpecificValue === dow.noSpecificValue) {
      throw new ScheduleError('schedule', 'cron(): exactly one of day-of-month and day-of-week must be "?"');
    }
    if (yearText === '?' || /h/i.test(yearText)) {
      throw new ScheduleError('schedule', `field "year" does not accept "${yearText}"`);
    }
    const year = parseSimpleField(yearText, YEAR, hashKey);
    yearResolved = year.resolved;
    years = yearText === '*' ? null : year.values;
  }

  const days: DayRule = {
    domRestricted: dom.restricted,
    dowRestricted: dow.restricted,
    domDays: dom.days,
    domLast: dom.last,
    domLastWeekday: dom.lastWeekday,
    domNearestWeekday: dom.nearestWeekday,
    dowDays: dow.days,
    dowLast: dow.last,
    dowNth: dow.nth,
  };
  const resolvedFields =
    dialect === 'eventbridge'
      ? [minute.resolved, hour.resolved, dom.resolved, month.resolved, dow.resolved, yearResolved]
      : [
          ...(hasSeconds ? [second.resolved] : []),
          minute.resolved,
          hour.resolved,
          dom.resolved,
          month.resolved,
          dow.resolved,
        ];
  const resolvedBody = resolvedFields.join(' ');
  return {
    resolved: dialect === 'eventbridge' ? `cron(${resolvedBody})` : resolvedBody,
    second: toFieldValues(second.values, SECOND),
    minute: toFieldValues(minute.values, MINUTE),
    hour: toFieldValues(hour.values, HOUR),
    month: toFieldValues(month.values, MONTH),
    days,
    years,
    dayFieldsText: `day-of-month "${domText}", month "${monText}", day-of-week "${dowText}"`,
  };
}

interface ParsedField {
  readonly values: number[];
  readonly resolved: string;
}

/** second, minute, hour, month, year: lists of values, ranges, steps, names and H. */
function parseSimpleField(text: string, def: FieldDef, hashKey: string): ParsedField {
  const values = new Set<number>();
  const resolved: string[] = [];
  for (const item of splitItems(text, def)) {
    // `?` is the old service's "random but stable" wildcard in the time-of-day fields.
    const effective = item === '?' && (def === SECOND || def === MINUTE || def === HOUR) ? 'H' : item;
    if (effective === '?') throw new ScheduleError('schedule', `field "${def.name}" does not accept "?"`);
    const range = parseRangeItem(effective, def, hashKey);
    for (const value of range.values) values.add(value);
    resolved.push(range.resolved);
  }
  return { values: [...values].sort((a, b) => a - b), resolved: resolved.join(',') };
}

function splitItems(text: string, def: FieldDef): string[] {
  const items = text.split(',');
  if (items.some((item) => item === '')) {
    throw new ScheduleError('schedule', `field "${def.name}" has an empty list item in "${text}"`);
  }
  return items;
}

/** `*`, `a`, `a-b`, with an optional `/step`, or the hashed forms `H`, `H(a-b)`, `H/n`, `H(a-b)/n`. */
function parseRangeItem(item: string, def: FieldDef, hashKey: string): ParsedField {
  const hashed = /^H(?:\(([^)]*)\))?(?:\/(.*))?$/i.exec(item);
  if (hashed) return parseHashItem(item, hashed[1], hashed[2], def, hashKey);
  const [base = '', stepText, ...rest] = item.split('/');
  if (rest.length > 0)
    throw new ScheduleError('schedule', `field "${def.name}" has more than one "/" in "${item}"`);
  const step = stepText === undefined ? 1 : parseStep(stepText, def);
  let low: number;
  let high: number;
  if (base === '*') {
    low = def.min;
    high = def.max;
  } else if (base.includes('-')) {
    const [lowText = '', highText = '', ...extra] = base.split('-');
    if (extra.length > 0)
      throw new ScheduleError('schedule', `field "${def.name}" has a malformed range "${base}"`);
    low = parseValue(lowText, def);
    high = parseValue(highText, def);
    if (low > high) {
      throw new ScheduleError('schedule', `field "${def.name}" range ${base} runs backwards (start > end)`);
    }
  } else {
    low = parseValue(base, def);
    // `5/15` means "from 5, every 15", as in cron-parser and Quartz.
    high = stepText === undefined ? low : def.max;
  }
  const values: number[] = [];
  for (let value = low; value <= high; value += step) values.push(value);
  return { values, resolved: item };
}

function parseHashItem(
  item: string,
  rangeText: string | undefined,
  stepText: string | undefined,
  def: FieldDef,
  hashKey: string,
): ParsedField {
  let low = def.hashMin ?? def.min;
  let high = def.hashMax ?? def.max;
  if (rangeText !== undefined) {
    const match = /^(\w+)-(\w+)$/.exec(rangeText);
    if (!match)
      throw new ScheduleError('schedule', `field "${def.name}" has a malformed hash range "${item}"`);
    low = parseValue(match[1] ?? '', def);
    high = parseValue(match[2] ?? '', def);
    if (low > high)
      throw new ScheduleError(
        'schedule',
        `field "${def.name}" range in ${item} runs backwards (start > end)`,
      );
  }
  // Salted with the field name, so `H H * * *` does not put minute and hour on the same number.
  const hash = stableHash(hashKey, `H:${def.name}`);
  if (stepText === undefined) {
    const value = low + (hash % (high - low + 1));
    return { values: [value], resolved: String(value) };
  }
  const step = parseStep(stepText, def);
  const start = low + (hash % Math.min(step, high - low + 1));
  const values: number[] = [];
  for (let value = start; value <= high; value += step) values.push(value);
  return { values, resolved: values.length === 1 ? String(start) : `${start}-${high}/${step}` };
}

function parseStep(text: string, def: FieldDef): number {
  if (!/^\d+$/.test(text))
    throw new ScheduleError('schedule', `field "${def.name}" step "${text}" is not a number`);
  const step = Number(text);
  if (step < 1)
    throw new ScheduleError('schedule', `field "${def.name}" step must be at least 1, got ${step}`);
  return step;
}

function parseValue(text: string, def: FieldDef): number {
  let value: number | undefined;
  if (/^\d+$/.test(text)) value = Number(text);
  else if (def.names) value = def.names[text.toUpperCase()];
  if (value === undefined) {
    const hint = def.names ? ` (expected a number or a name like ${Object.keys(def.names)[0]})` : '';
    throw new ScheduleError('schedule', `field "${def.name}" has an invalid value "${text}"${hint}`);
  }
  if (value < def.min || value > def.max) {
    throw new ScheduleError(
      'schedule',
      `field "${def.name}" value ${value} out of range ${def.min}-${def.max}`,
    );
  }
  return value;
}

interface DayOfMonthField {
  readonly restricted: boolean;
  readonly noSpecificValue: boolean;
  readonly days: number;
  readonly last: boolean;
  readonly lastWeekday: boolean;
  readonly nearestWeekday: number[];
  readonly resolved: string;
}

function parseDayOfMonth(text: string, dialect: Dialect, hashKey: string): DayOfMonthField {
  if (text === '?') {
    // EventBridge "no specific value"; in plain cron the same as `*`.
    return {
      restricted: false,
      noSpecificValue: true,
      days: ALL_DAYS_OF_MONTH,
      last: false,
      lastWeekday: false,
      nearestWeekday: [],
      resolved: dialect === 'eventbridge' ? '?' : '*',
    };
  }
  let days = 0;
  let last = false;
  let lastWeekday = false;
  const nearestWeekday: number[] = [];
  const resolved: string[] = [];
  for (const item of splitItems(text, DAY_OF_MONTH)) {
    const upper = item.toUpperCase();
    const weekday = /^(\d+)W$/.exec(upper);
    if (upper === 'L') {
      last = true;
      resolved.push('L');
    } else if (upper === 'LW') {
      lastWeekday = true;
      resolved.push('LW');
    } else if (weekday) {
      const day = parseValue(weekday[1] ?? '', DAY_OF_MONTH);
      nearestWeekday.push(day);
      resolved.push(`${day}W`);
    } else {
      const range = parseRangeItem(item, DAY_OF_MONTH, hashKey);
      for (const day of range.values) days |= 1 << day;
      resolved.push(range.resolved);
    }
  }
  return {
    // Vixie cron: a field starting with `*` (including `*/2`) counts as unrestricted.
    restricted: !text.startsWith('*'),
    noSpecificValue: false,
    days,
    last,
    lastWeekday,
    nearestWeekday,
    resolved: resolved.join(','),
  };
}

interface DayOfWeekField {
  readonly restricted: boolean;
  readonly noSpecificValue: boolean;
  readonly days: number;
  readonly last: number[];
  readonly nth: [number, number][];
  readonly resolved: string;
}

function parseDayOfWeek(text: string, dialect: Dialect, hashKey: string): DayOfWeekField {
  const def = dialect === 'eventbridge' ? EVENTBRIDGE_DAY_OF_WEEK : VIXIE_DAY_OF_WEEK;
  // Both dialects end up with 0 = Sunday .. 6 = Saturday; plain cron's 7 is Sunday too.
  const toWeekday = (value: number): number => (dialect === 'eventbridge' ? value - 1 : value % 7);
  if (text === '?') {
    return {
      restricted: false,
      noSpecificValue: true,
      days: ALL_WEEKDAYS,
      last: [],
      nth: [],
      resolved: dialect === 'eventbridge' ? '?' : '*',
    };
  }
  let days = 0;
  const last: number[] = [];
  const nth: [number, number][] = [];
  const resolved: string[] = [];
  for (const item of splitItems(text, def)) {
    const upper = item.toUpperCase();
    const lastOf = /^(\w+)L$/.exec(upper);
    const nthOf = /^(\w+)#(\d+)$/.exec(upper);
    if (upper === 'L') {
      // "The last day of the week" (EventBridge's wording): Saturday.
      days |= 1 << 6;
      resolved.push(item);
    } else if (lastOf) {
      last.push(toWeekday(parseValue(lastOf[1] ?? '', def)));
      resolved.push(item);
    } else if (nthOf) {
      const k = Number(nthOf[2]);
      if (k < 1 || k > 5) {
        throw new ScheduleError('schedule', `field "day-of-week" occurrence in "${item}" out of range 1-5`);
      }
      nth.push([toWeekday(parseValue(nthOf[1] ?? '', def)), k]);
      resolved.push(item);
    } else {
      const range = parseRangeItem(item, def, hashKey);
      for (const value of range.values) days |= 1 << toWeekday(value);
      resolved.push(range.resolved);
    }
  }
  return {
    restricted: !text.startsWith('*'),
    noSpecificValue: false,
    days,
    last,
    nth,
    resolved: resolved.join(','),
  };
}

const ALL_DAYS_OF_MONTH = 0xfffffffe | 0;
const ALL_WEEKDAYS = 0x7f;

function toFieldValues(values: readonly number[], def: FieldDef): FieldValues {
  const allowed = new Set(values);
  const size = def.max + 2;
  const next = new Array<number>(size).fill(-1);
  const prev = new Array<number>(size).fill(-1);
  let upcoming = -1;
  for (let v = size - 1; v >= 0; v--) {
    if (allowed.has(v)) upcoming = v;
    next[v] = upcoming;
  }
  let latest = -1;
  for (let v = 0; v < size; v++) {
    if (allowed.has(v)) latest = v;
    prev[v] = latest;
  }
  return { values, next, prev };
}
