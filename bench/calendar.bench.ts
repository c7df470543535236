/**
 * The cost of spec.excludeCalendars in a pass: `npx tsx bench/calendar.bench.ts`. Prints the median
 * time of one planSchedule call (the search for the next included time included) and of the
 * search alone, for calendars from the easy (a holiday list) to the worst case the search bounds
 * (every fire in an excluded stretch of its own: MAX_SKIPS skips).
 */
import type { CalendarSpec } from '../src/api/calendar-types.js';
import { planSchedule } from '../src/controller/decide/schedule-plan.js';
import { compileCalendar, exclusionsOf, nextIncludedFire } from '../src/schedule/exclusion-calendar.js';
import { compileSchedule } from '../src/schedule/schedule.js';

const ROUNDS = 7;
const ROUND_MS = 200;
const now = new Date('2026-12-24T10:00:30Z');

const CASES: { label: string; schedule: string; calendar: CalendarSpec }[] = [
  { label: 'no calendar (baseline)', schedule: '* * * * *', calendar: {} },
  {
    label: 'holidays, daily job',
    schedule: '0 8 * * *',
    calendar: {
      timeZone: 'Europe/Berlin',
      dates: ['--12-24', '--12-25', '--12-26', '--01-01'],
      daysOfWeek: ['SAT', 'SUN'],
    },
  },
  {
    label: 'a year-long freeze, minutely job',
    schedule: '* * * * *',
    calendar: { ranges: [{ start: '2026-01-01T00:00:00Z', end: '2027-12-24T00:00:00Z' }] },
  },
  {
    label: 'nightly window 22:00-06:00 (outside it), every 5 min',
    schedule: '*/5 * * * *',
    calendar: { timeZone: 'Europe/Berlin', dailyRanges: [{ start: '22:00', end: '06:00' }] },
  },
  {
    label: 'worst: every fire its own stretch (256 skips)',
    schedule: '0 * * * *',
    calendar: { expressions: ['0-29 * * * *'] },
  },
];

function medianMicros(fn: () => void): number {
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < ROUND_MS) {
      fn();
      calls++;
    }
    rates.push(((performance.now() - started) * 1000) / calls);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] ?? 0;
}

console.log('case | planSchedule µs | search µs');
for (const c of CASES) {
  const fires = compileSchedule(c.schedule, { hashKey: 'bench/calendar' });
  const empty = Object.keys(c.calendar).length === 0;
  const exclusions = empty ? undefined : exclusionsOf([compileCalendar(c.calendar, 'bench/cal')]);
  const after = new Date(now.getTime() - 60_000);
  const plan = medianMicros(() =>
    planSchedule({
      fires,
      now,
      after,
      suspend: false,
      jitterSeconds: () => 0,
      ...(exclusions ? { exclusions } : {}),
    }),
  );
  const search = exclusions ? medianMicros(() => nextIncludedFire(fires, exclusions, now)) : 0;
  console.log(`${c.label} | ${plan.toFixed(1)} | ${search.toFixed(1)}`);
}
