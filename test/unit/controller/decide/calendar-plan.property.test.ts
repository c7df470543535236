// A property of the run decision with calendars: for random schedules (the union of one to three
// expressions, as spec.schedules) and calendars, passes at the times the plan asks for (and, at
// random, after some downtime) deal with every scheduled time exactly once: launched (due), recorded Missed, or excluded; a launched or missed time is never
// one a calendar excludes, an excluded one always is; and nextScheduleTime is the first time no
// calendar excludes. TEST_SEED=<seed> replays a run.
import { expect } from 'chai';
import type { CalendarSpec } from '../../../../src/api/calendar-types.js';
import { planSchedule } from '../../../../src/controller/decide/schedule-plan.js';
import { compileCalendar, exclusionsOf } from '../../../../src/schedule/exclusion-calendar.js';
import { compileSchedules } from '../../../../src/schedule/schedule-union.js';
import { testSeed, type SeededRandom } from '../../../support/seeded-random.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York'];
// Schedules and how long to follow each, so a case stays a few hundred fire times.
const SCHEDULES: [string, number][] = [
  ['*/7 * * * *', 30 * HOUR],
  ['0 * * * *', 3 * 24 * HOUR],
  ['*/20 * * * * *', 2 * HOUR],
  ['30 2 * * *', 40 * 24 * HOUR],
  ['*/15 1-3 * * *', 4 * 24 * HOUR],
];
// Around the spring-forward nights of Berlin (29 March) and New York (8 March) 2026.
const STARTS = ['2026-03-06T18:00:00Z', '2026-03-28T20:00:00Z', '2026-03-29T00:30:00Z'];

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[Math.floor(random.next() * items.length)]!;
}
const int = (random: SeededRandom, lo: number, hi: number) => lo + Math.floor(random.next() * (hi - lo + 1));
const two = (n: number) => String(n).padStart(2, '0');

function randomCalendar(random: SeededRandom, start: number): CalendarSpec {
  const spec: { -readonly [K in keyof CalendarSpec]: CalendarSpec[K] } = { timeZone: pick(random, ZONES) };
  const day = (offset: number) => new Date(start + offset * 24 * HOUR).toISOString().slice(0, 10);
  if (random.next() < 0.5) spec.dates = [day(int(random, 0, 3)), `--${day(int(random, 0, 10)).slice(5)}`];
  if (random.next() < 0.4) {
    const from = start + int(random, 0, 48) * HOUR;
    spec.ranges = [
      { start: new Date(from).toISOString(), end: new Date(from + int(random, 1, 30) * HOUR).toISOString() },
    ];
  }
  if (random.next() < 0.3)
    spec.daysOfWeek = [pick(random, ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const)];
  if (random.next() < 0.5) {
    const a = int(random, 0, 23);
    let b = int(random, 0, 23);
    if (b === a) b = (a + 1) % 24;
    spec.dailyRanges = [{ start: `${two(a)}:${two(int(random, 0, 59))}`, end: `${two(b)}:00` }];
  }
  if (random.next() < 0.4)
    spec.expressions = [pick(random, ['*/3 * * * *', '* 9-10 * * *', '0-29 * * * *', '* * * * 0'])];
  return spec;
}

describe('planSchedule with calendars: a property over random schedules and calendars', () => {
  const random = testSeed('calendar plan property');

  for (let n = 0; n < 25; n++) {
    it(`case ${n} (seed ${random.seed}): every time launched, missed or excluded, once, and only excluded when a calendar says so`, () => {
      // spec.schedules: one to three expressions, whose union is the schedule; followed for as long
      // as the shortest of them asks, so a case stays a few hundred fire times.
      const members = Array.from({ length: int(random, 1, 3) }, () => pick(random, SCHEDULES));
      const expressions = members.map(([expression]) => expression);
      const span = Math.min(...members.map(([, s]) => s));
      const t0 = Date.parse(pick(random, STARTS));
      const spec = randomCalendar(random, t0);
      const fires = compileSchedules(expressions, { timeZone: pick(random, ZONES), hashKey: 'ns/prop' });
      const exclusions = exclusionsOf([compileCalendar(spec, 'ns/cal')]);
      const context = JSON.stringify({ expressions, start: new Date(t0), spec });

      const launched: number[] = [];
      const missed: number[] = [];
      const excluded: number[] = [];
      let after = new Date(t0);
      let now = new Date(t0);
      const end = t0 + span;
      while (now.getTime() < end) {
        const plan = planSchedule({ fires, now, after, suspend: false, jitterSeconds: () => 0, exclusions });
        expect(plan.missedMore, context).to.equal(false);
        if (plan.due) launched.push(plan.due.getTime());
        missed.push(...plan.missed.map((t) => t.getTime()));
        expect(plan.missedCount, context).to.equal(plan.missed.length);
        excluded.push(...(plan.excluded ?? []).map((t) => t.getTime()));
        if (plan.lastScheduleTime) after = plan.lastScheduleTime;
        // nextScheduleTime: the first fire after now that no calendar excludes, found by brute
        // force (one pass in eight: walking fire by fire is what the plan must not do).
        if (random.next() < 0.125) {
          const within = now.getTime() + 20 * 24 * HOUR;
          let expected = fires.next(now);
          while (expected && expected.getTime() < within && exclusions.excludes(expected))
            expected = fires.next(expected);
          // A search that gave up (MAX_SKIPS stretches) names no time, and looks again later.
          // Past the brute force's window, only what the plan names can be checked: a fire no
          // calendar excludes, later than every fire the window held.
          if (plan.nextScheduleTime && expected && expected.getTime() < within)
            expect(plan.nextScheduleTime.toISOString(), context).to.equal(expected.toISOString());
          else if (plan.nextScheduleTime) {
            expect(plan.nextScheduleTime.getTime(), context).to.be.at.least(within);
            expect(exclusions.excludes(plan.nextScheduleTime), context).to.equal(false);
          } else if (expected && expected.getTime() < within)
            expect(plan.wakeAt, context).to.not.equal(undefined);
        }
        // Mostly the pass the plan asks for; sometimes the controller was down for a while.
        const wake = plan.wakeAt ? plan.wakeAt.getTime() + 25 : end;
        now = new Date(random.next() < 0.15 ? wake + int(random, 1, 30) * MINUTE : wake);
      }

      const dealt = [...launched, ...missed, ...excluded];
      expect(new Set(dealt).size, `${context}: a time dealt with twice`).to.equal(dealt.length);
      const all: number[] = [];
      for (let t = fires.next(new Date(t0)); t && t.getTime() <= after.getTime(); t = fires.next(t))
        all.push(t.getTime());
      expect(
        [...dealt].sort((a, b) => a - b),
        context,
      ).to.deep.equal(all);
      for (const t of [...launched, ...missed])
        expect(
          exclusions.excludes(new Date(t)),
          `${context}: ${new Date(t).toISOString()} ran or was missed`,
        ).to.equal(false);
      for (const t of excluded)
        expect(
          exclusions.excludes(new Date(t)),
          `${context}: ${new Date(t).toISOString()} excluded`,
        ).to.equal(true);
    });
  }
});
