import { expect } from 'chai';
import fc from 'fast-check';
import { CronCalendar } from '../../../src/schedule/cron-calendar.js';
import { parseCron } from '../../../src/schedule/cron-expression.js';
import { compileSchedule, ScheduleError } from '../../../src/schedule/schedule.js';

/**
 * Brute-force oracle: scan every minute (or second) of a span, read the wall time with an Intl
 * formatter independent of time-zone.ts, and decide which instants fire under the contract's
 * rules. Then check next() visits exactly those instants, in order, and previous() agrees.
 */

const HASH_KEY = 'prop/test';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// 2026 transitions, so that most runs cross a gap or an overlap.
const TRANSITIONS: Readonly<Record<string, readonly string[]>> = {
  UTC: ['2026-06-15T12:00:00Z'],
  'America/New_York': ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z'],
  'Europe/Berlin': ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z'],
  'Australia/Lord_Howe': ['2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z'],
  'America/Santiago': ['2026-04-05T03:00:00Z', '2026-09-06T04:00:00Z'],
};

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
const offsetMemo = new Map<string, number>();
function offsetOf(zone: string, instant: number): number {
  const key = `${zone}@${Math.floor(instant / MINUTE)}`;
  const memo = offsetMemo.get(key);
  if (memo !== undefined) return memo;
  let format = offsetFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormats.set(zone, format);
  }
  const name = format.formatToParts(new Date(instant)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  const offset = match
    ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * HOUR + Number(match[3]) * MINUTE)
    : 0;
  offsetMemo.set(key, offset);
  return offset;
}

/** Every instant in (from, to] that fires, by the contract's rules, stepping `step` ms. */
function bruteForce(calendar: CronCalendar, zone: string, from: number, to: number, step: number): number[] {
  const fires: number[] = [];
  // Windows after a transition: a gap (walls that were skipped fire here, shifted) or the second
  // pass of an overlap (walls that already fired).
  let gap: { until: number; before: number } | null = null;
  let secondPass: { until: number } | null = null;
  const scanFrom = Math.floor((from - 3 * HOUR) / step) * step;
  let previousOffset = offsetOf(zone, scanFrom);
  for (let t = scanFrom; t <= to; t += step) {
    const offset = offsetOf(zone, t);
    if (offset > previousOffset) gap = { until: t + (offset - previousOffset), before: previousOffset };
    if (offset < previousOffset) secondPass = { until: t + (previousOffset - offset) };
    previousOffset = offset;
    if (gap && t >= gap.until) gap = null;
    if (secondPass && t >= secondPass.until) secondPass = null;
    const fires1 = !secondPass && calendar.matches(t + offset);
    const fires2 = gap !== null && calendar.matches(t + gap.before);
    if ((fires1 || fires2) && t > from) fires.push(t);
  }
  return fires;
}

const n = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });
function timeField(max: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant('*'),
    n(0, max).map(String),
    fc.tuple(n(0, max), n(0, max)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    n(2, 30).map((s) => `*/${s}`),
    fc.tuple(n(0, max), n(0, max), n(1, 20)).map(([a, b, s]) => `${Math.min(a, b)}-${Math.max(a, b)}/${s}`),
    fc.tuple(n(0, max), n(0, max)).map(([a, b]) => `${a},${b}`),
    fc.constantFrom('H', 'H/10', '?'),
  );
}
const hourField = fc.oneof(
  timeField(23),
  fc.constantFrom('0-3', '1,2', '2', '0', '23', '1-2/1', '*/2'), // near the transitions
);
const domField = fc.oneof(
  fc.constantFrom('*', '?', 'L', 'LW', '15W', '1W', '31W', '*/3', '1-7', '29', '31', 'H'),
  n(1, 31).map(String),
);
const monthField = fc.constantFrom('*', '*', '*', '3,4,9,10,11', 'MAR-NOV', '*/2', '2', 'JAN,JUL');
const dowField = fc.constantFrom('*', '*', '?', 'MON-FRI', '0', '7', '5L', '0#1', '6#2', 'SAT,SUN', '1-5/2');

const fiveFields = fc
  .tuple(timeField(59), hourField, domField, monthField, dowField)
  .map((fields) => fields.join(' '));
const sixFields = fc
  .tuple(
    fc.constantFrom('0', '*/15', '30', 'H', '0,59'),
    timeField(59),
    hourField,
    domField,
    monthField,
    dowField,
  )
  .map((fields) => fields.join(' '));
const zoneAndStart = fc.constantFrom(...Object.keys(TRANSITIONS)).chain((zone) =>
  fc.tuple(
    fc.constant(zone),
    fc.constantFrom(...TRANSITIONS[zone]!),
    n(-36 * 60, 12 * 60).map((minutes) => minutes * MINUTE + 1234),
  ),
);

function checkAgainstOracle(
  expression: string,
  zone: string,
  from: number,
  span: number,
  step: number,
): void {
  let schedule;
  try {
    schedule = compileSchedule(expression, { timeZone: zone, hashKey: HASH_KEY });
  } catch (error) {
    if (error instanceof ScheduleError && error.message.includes('never fires')) return;
    throw error;
  }
  const calendar = new CronCalendar(parseCron(expression, HASH_KEY));
  const to = from + span;
  const expected = bruteForce(calendar, zone, from, to, step);
  const actual: number[] = [];
  let cursor = new Date(from);
  for (;;) {
    const fire = schedule.next(cursor);
    if (fire === null || fire.getTime() > to) break;
    actual.push(fire.getTime());
    cursor = fire;
  }
  expect(
    actual.map((t) => new Date(t).toISOString()),
    `${expression} in ${zone}`,
  ).to.deep.equal(expected.map((t) => new Date(t).toISOString()));
  // previous() is the mirror image: each fire is its own previous, and the one before it is
  // the previous of the instant just before it.
  actual.forEach((fire, i) => {
    expect(schedule.previous(new Date(fire))?.getTime(), `previous(fire) for ${expression}`).to.equal(fire);
    if (i > 0) expect(schedule.previous(new Date(fire - 1))?.getTime()).to.equal(actual[i - 1]);
  });
  const before = schedule.previous(new Date(from));
  if (before !== null) expect(before.getTime()).to.be.at.most(from);
}

describe('compileSchedule: property-based against a brute-force oracle', function () {
  this.timeout(30_000);

  it('5-field expressions: next() visits exactly the firing minutes over 3 days', () => {
    fc.assert(
      fc.property(fiveFields, zoneAndStart, (expression, [zone, transition, shift]) => {
        checkAgainstOracle(expression, zone, Date.parse(transition) + shift, 3 * 24 * HOUR, MINUTE);
      }),
      { numRuns: 80 },
    );
  });

  it('6-field expressions: next() visits exactly the firing seconds over 8 hours', () => {
    fc.assert(
      fc.property(sixFields, zoneAndStart, (expression, [zone, transition, shift]) => {
        const from = Date.parse(transition) - 4 * HOUR + (shift % HOUR);
        checkAgainstOracle(expression, zone, from, 8 * HOUR, 1000);
      }),
      { numRuns: 15 },
    );
  });
});
