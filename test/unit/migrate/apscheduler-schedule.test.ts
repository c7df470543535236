import { expect } from 'chai';
import { translateApschedulerSchedule } from '../../../src/migrate/apscheduler-schedule.js';
import { compileSchedule } from '../../../src/schedule/schedule.js';

const hashKey = 'default/imported';

describe('translateApschedulerSchedule', () => {
  describe('translates exactly', () => {
    const cases: { name: string; old: string; schedule: string }[] = [
      // The old README and usage guide.
      { name: 'usage guide: 25th second of every 5th minute', old: '25 */5', schedule: '25 */5 * * * *' },
      { name: 'usage guide: sleeper-task "? */5"', old: '? */5', schedule: '? */5 * * * *' },
      { name: 'usage guide: long-sleep-task "? */7"', old: '? */7', schedule: '? */7 * * * *' },
      { name: 'usage guide: consumer-task "? */3"', old: '? */3', schedule: '? */3 * * * *' },
      { name: 'usage guide: stored sleeper-task "9 */5"', old: '9 */5', schedule: '9 */5 * * * *' },
      { name: 'usage guide: stored long-sleep-task "22 */7"', old: '22 */7', schedule: '22 */7 * * * *' },
      { name: 'README: every 15 minutes on the minute', old: '0 */15', schedule: '0 */15 * * * *' },
      { name: 'README: midnight on the first of September', old: '0 0 0 * * 1 9', schedule: '0 0 0 1 9 *' },
      { name: 'README: "? ? 4", the 4 AM hour', old: '? ? 4', schedule: '? ? 4 * * *' },
      // Omitted right-hand fields are `*` (the old service always passes `second`).
      { name: 'only seconds: every minute at second 7', old: '7', schedule: '7 * * * * *' },
      { name: 'every second', old: '*', schedule: '* * * * * *' },
      { name: 'extra whitespace', old: '  0   30  2 ', schedule: '0 30 2 * * *' },
      // Plain expressions.
      { name: 'range with step', old: '0 10-50/10 8-18', schedule: '0 10-50/10 8-18 * * *' },
      { name: 'open step a/c', old: '0 5/10', schedule: '0 5/10 * * * *' },
      { name: 'lists', old: '0,30 0 6,18', schedule: '0,30 0 6,18 * * *' },
      { name: 'leading zeros are numbers', old: '05 07 09', schedule: '5 7 9 * * *' },
      { name: 'a day step of 1 is every day', old: '0 0 0 * * */1', schedule: '0 0 0 * * *' },
      // day_of_week: APScheduler 0 = Monday, cron 0 = Sunday.
      { name: 'weekday names mon-fri', old: '0 0 12 mon-fri', schedule: '0 0 12 * * 1-5' },
      { name: 'weekday numbers 0-4 are Monday-Friday', old: '0 0 12 0-4', schedule: '0 0 12 * * 1-5' },
      { name: 'APScheduler 6 is Sunday', old: '0 0 12 6', schedule: '0 0 12 * * 0' },
      { name: 'APScheduler 0 is Monday', old: '0 0 12 0', schedule: '0 0 12 * * 1' },
      { name: 'weekend across the week boundary', old: '0 0 0 sat-sun', schedule: '0 0 0 * * 0,6' },
      { name: 'weekday names are case-insensitive', old: '0 0 0 MON,Wed,fri', schedule: '0 0 0 * * 1,3,5' },
      { name: 'weekday step from Monday', old: '0 0 0 */2', schedule: '0 0 0 * * 0,1,3,5' },
      { name: 'every weekday is unrestricted', old: '0 0 0 0-6', schedule: '0 0 0 * * *' },
      // day.
      { name: 'last_fri', old: '0 0 18 * * last_fri', schedule: '0 0 18 * * 5L' },
      { name: 'last_sun', old: '0 0 18 * * last_sun', schedule: '0 0 18 * * 0L' },
      { name: 'xth_y: 1st_mon', old: '0 0 9 * * 1st_mon', schedule: '0 0 9 * * 1#1' },
      { name: 'xth_y: 3rd_wed', old: '0 0 9 * * 3rd_wed', schedule: '0 0 9 * * 3#3' },
      { name: 'xth_y: 5th_sun', old: '0 0 9 * * 5th_sun', schedule: '0 0 9 * * 0#5' },
      { name: 'last day of the month', old: '0 0 23 * * last', schedule: '0 0 23 L * *' },
      {
        name: 'a day and a weekday position: either',
        old: '0 0 0 * * 15,1st_mon',
        schedule: '0 0 0 15 * 1#1',
      },
      { name: 'two weekday positions', old: '0 0 0 * * 1st_mon,3rd_mon', schedule: '0 0 0 * * 1#1,1#3' },
      { name: 'day step', old: '0 0 0 * * */10', schedule: '0 0 0 */10 * *' },
      { name: 'a restricted day and every weekday', old: '0 0 0 * * 1', schedule: '0 0 0 1 * *' },
      // month.
      { name: 'month names', old: '0 0 0 * * 1 jan-mar', schedule: '0 0 0 1 1-3 *' },
      { name: 'month step', old: '0 0 0 * * 1 */3', schedule: '0 0 0 1 */3 *' },
      // week and year that restrict nothing.
      { name: 'week "*"', old: '0 0 0 * * * * *', schedule: '0 0 0 * * *' },
      { name: 'year "*"', old: '0 0 0 * * * * *', schedule: '0 0 0 * * *' },
      // A restricted year: EventBridge cron() (no seconds; dow 1 = Sunday).
      { name: 'year: one year', old: '0 30 9 * * * * 2026', schedule: 'cron(30 9 * * ? 2026)' },
      {
        name: 'year: a range with a day',
        old: '0 0 0 * * 1 * 2026-2027',
        schedule: 'cron(0 0 1 * ? 2026-2027)',
      },
      { name: 'year: weekdays', old: '0 0 8 mon-fri * * * 2026', schedule: 'cron(0 8 ? * 2-6 2026)' },
      {
        name: 'year: Saturday and Sunday',
        old: '0 0 8 sat-sun * * * 2026',
        schedule: 'cron(0 8 ? * 1,7 2026)',
      },
      { name: 'year: 2nd_tue', old: '0 0 0 * * 2nd_tue * 2027', schedule: 'cron(0 0 ? * 3#2 2027)' },
      { name: 'year: last_fri', old: '0 0 0 * * last_fri * 2027', schedule: 'cron(0 0 ? * 6L 2027)' },
      {
        name: 'year: "?" minute and hour become H',
        old: '0 ? ? * * * * 2030',
        schedule: 'cron(H H * * ? 2030)',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const result = translateApschedulerSchedule(c.old);
        expect(result).to.include({ ok: true, schedule: c.schedule });
        // Every translation is something our parser accepts.
        expect(() => compileSchedule(c.schedule, { hashKey })).not.to.throw();
      });
    }
  });

  describe('notes what changed', () => {
    const cases: { name: string; old: string; note: RegExp }[] = [
      {
        name: '"?" is hashed from namespace/name',
        old: '? */5',
        note: /"\?" in second now picks a stable value/,
      },
      {
        name: 'weekday renumbering',
        old: '0 0 0 mon-fri',
        note: /day_of_week "mon-fri" \(0 = Monday\) became "1-5"/,
      },
      {
        name: 'weekday positions move to day-of-week',
        old: '0 0 0 * * last_fri',
        note: /day "last_fri" became day-of-week "5L"/,
      },
      { name: 'cron() for a year', old: '0 0 0 * * * * 2026', note: /written as cron\(\.\.\.\)/ },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const result = translateApschedulerSchedule(c.old);
        if (!result.ok) expect.fail(result.reason);
        expect(
          result.notes.some((n) => c.note.test(n)),
          result.notes.join('\n'),
        ).to.equal(true);
      });
    }
    it('a plain schedule has no notes', () => {
      expect(translateApschedulerSchedule('9 */5')).to.deep.equal({
        ok: true,
        schedule: '9 */5 * * * *',
        notes: [],
      });
    });
  });

  describe('refuses what it cannot express exactly', () => {
    const cases: { name: string; old: string; reason: RegExp }[] = [
      {
        name: 'week number',
        old: '0 0 0 * 10',
        reason:
          /^week "10" \(ISO week number\) has no cron field, and the other fields do not imply it \(without it the job would also run on 2000-01-01\)$/,
      },
      {
        name: 'week step',
        old: '0 0 0 * */2',
        reason: /^week "\*\/2" \(ISO week number\) has no cron field/,
      },
      {
        name: 'day AND day_of_week, not whole weeks of the month',
        old: '0 0 0 mon * 1',
        reason:
          /^day "1" and day_of_week "mon" are both restricted: .* only for whole weeks of the month \(days 1-7, 8-14, 15-21, 22-28, 29-31, as 1#1 ... 1#5\) or for weekday positions .* \(a rewrite would add 2000-01-03\)$/,
      },
      {
        name: 'day AND day_of_week, part of a week',
        old: '0 0 0 mon * 1-10',
        reason: /^day "1-10" and day_of_week "mon" are both restricted: .*whole weeks of the month/,
      },
      {
        name: 'last day of the month only on a weekday',
        old: '0 0 0 fri * last',
        reason:
          /^day "last" and day_of_week "fri" are both restricted: .*the last day of the month only when it falls on one of those weekdays has no cron form/,
      },
      {
        name: 'a week that days 8-24 do not imply (2000-01-08 is in ISO week 1)',
        old: '0 0 0 * 2-52 8-24',
        reason: /^week "2-52" \(ISO week number\) .* \(without it the job would also run on 2000-01-08\)$/,
      },
      {
        name: 'a weekday position and another weekday: never runs',
        old: '0 0 0 mon * last_fri',
        reason:
          /^never runs: no date in the 400-year calendar cycle matches day "last_fri" with day_of_week "mon"$/,
      },
      {
        name: 'year with seconds',
        old: '30 0 0 * * * * 2026',
        reason: /no seconds field; second "30" would have to be 0/,
      },
      { name: 'year with "?" seconds', old: '? 0 0 * * * * 2026', reason: /second "\?" would have to be 0/ },
      { name: 'year past 2199', old: '0 0 0 * * * * 2026-2300', reason: /reaches past 2199/ },
      { name: 'year step runs to 9999', old: '0 0 0 * * * * */2', reason: /reaches past 2199/ },
      {
        name: 'year with days and weekday positions',
        old: '0 0 0 * * 1,last_fri * 2026',
        reason: /mixes days of the month and weekday positions/,
      },
      // Not valid in the old service either.
      { name: 'empty', old: '   ', reason: /is empty/ },
      { name: 'nine fields', old: '0 0 0 * * * * * *', reason: /has 9 fields; the old format has at most 8/ },
      {
        name: '"?" in day',
        old: '0 0 0 * * ?',
        reason: /"\?" is allowed only in second, minute and hour, not in day/,
      },
      { name: '"?" in a list', old: '?,5', reason: /unrecognised expression "\?"/ },
      {
        name: 'underscore outside day',
        old: '0 0 0 last_fri',
        reason: /"_" stands for a space only in the day field/,
      },
      {
        name: 'prefix-only match of a name range',
        old: '0 0 0 mon-fri/2',
        reason: /unrecognised expression "mon-fri\/2"/,
      },
      { name: 'unknown weekday name', old: '0 0 0 monday', reason: /unknown weekday name "monday"/ },
      { name: 'unknown month name', old: '0 0 0 * * 1 sept', reason: /unknown month name "sept"/ },
      { name: 'backwards weekday range', old: '0 0 0 fri-mon', reason: /range "fri-mon" runs backwards/ },
      { name: 'value above maximum', old: '0 60', reason: /minute "60": 60 is above the maximum 59/ },
      { name: 'day below minimum', old: '0 0 0 * * 0', reason: /0 is below the minimum 1/ },
      { name: 'step 0', old: '*/0', reason: /step must be at least 1/ },
      { name: 'step larger than the range', old: '0 */60', reason: /step 60 is larger than the range/ },
      {
        name: 'unknown weekday position',
        old: '0 0 0 * * 6th_mon',
        reason: /unknown weekday position "6th"/,
      },
      {
        name: 'numeric weekday in a position',
        old: '0 0 0 * * 1st_0',
        reason: /unrecognised expression "1st 0"/,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const result = translateApschedulerSchedule(c.old);
        if (result.ok) expect.fail(`translated to "${result.schedule}"`);
        expect(result.reason).to.match(c.reason);
      });
    }
  });

  describe('rewrites day and day_of_week pairs and redundant fields exactly, proved over the 400-year cycle', () => {
    // Oracles written from APScheduler 3's definitions, independently of src/migrate: every
    // restricted field must match; weekday() 0 = Monday; week is the ISO week number.
    const daysIn = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    const apWeekday = (d: Date) => (d.getUTCDay() + 6) % 7;
    const isoWeek = (d: Date) => {
      const thursday = new Date(d.getTime() + (3 - apWeekday(d)) * 86_400_000);
      return (
        Math.floor((thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / 86_400_000 / 7) + 1
      );
    };
    const nth = (d: Date) => Math.floor((d.getUTCDate() - 1) / 7) + 1;
    const isLast = (d: Date) => d.getUTCDate() + 7 > daysIn(d);
    const dom = (d: Date) => d.getUTCDate();
    const month = (d: Date) => d.getUTCMonth() + 1;
    const cases: { name: string; old: string; schedule: string; fires: (d: Date) => boolean }[] = [
      {
        name: 'day_of_week mon with day 1-7 is the first Monday',
        old: '0 0 0 mon * 1-7',
        schedule: '0 0 0 * * 1#1',
        fires: (d) => apWeekday(d) === 0 && dom(d) <= 7,
      },
      {
        name: 'day_of_week mon,wed with day 8-14 is the second Monday and Wednesday',
        old: '0 0 0 mon,wed * 8-14',
        schedule: '0 0 0 * * 1#2,3#2',
        fires: (d) => [0, 2].includes(apWeekday(d)) && dom(d) >= 8 && dom(d) <= 14,
      },
      {
        name: 'day_of_week sun with day 29-31 is the fifth Sunday',
        old: '0 0 0 sun * 29-31',
        schedule: '0 0 0 * * 0#5',
        fires: (d) => apWeekday(d) === 6 && dom(d) >= 29,
      },
      {
        name: 'day_of_week tue with day 1-14 in March-May',
        old: '0 0 0 tue * 1-14 3-5',
        schedule: '0 0 0 * 3-5 2#1,2#2',
        fires: (d) => apWeekday(d) === 1 && dom(d) <= 14 && month(d) >= 3 && month(d) <= 5,
      },
      {
        name: 'last fri with day_of_week fri: the weekday is redundant',
        old: '0 0 0 fri * last_fri',
        schedule: '0 0 0 * * 5L',
        fires: (d) => apWeekday(d) === 4 && isLast(d),
      },
      {
        name: '1st mon,last fri with day_of_week mon-fri: both positions kept',
        old: '0 0 0 mon-fri * 1st_mon,last_fri',
        schedule: '0 0 0 * * 1#1,5L',
        fires: (d) => (apWeekday(d) === 0 && nth(d) === 1) || (apWeekday(d) === 4 && isLast(d)),
      },
      {
        name: '2nd tue with day_of_week mon-fri: the weekday range is redundant',
        old: '0 0 0 mon-fri * 2nd_tue',
        schedule: '0 0 0 * * 2#2',
        fires: (d) => apWeekday(d) === 1 && nth(d) === 2,
      },
      {
        name: 'week 1-52 in March-October: the week is redundant',
        old: '0 0 0 * 1-52 * 3-10',
        schedule: '0 0 0 * 3-10 *',
        fires: (d) => isoWeek(d) <= 52 && month(d) >= 3 && month(d) <= 10,
      },
      {
        name: 'week 2-51 in February-November: the week is redundant',
        old: '0 0 0 * 2-51 * 2-11',
        schedule: '0 0 0 * 2-11 *',
        fires: (d) => isoWeek(d) >= 2 && isoWeek(d) <= 51 && month(d) >= 2 && month(d) <= 11,
      },
    ];
    const from = Date.UTC(2000, 0, 1);
    const to = Date.UTC(2400, 0, 1);
    for (const c of cases) {
      it(c.name, () => {
        const result = translateApschedulerSchedule(c.old);
        if (!result.ok) expect.fail(result.reason);
        expect(result.schedule).to.equal(c.schedule);
        const compiled = compileSchedule(result.schedule, { hashKey });
        const actual: number[] = [];
        for (let t = compiled.next(new Date(from - 1)); t && t.getTime() < to; t = compiled.next(t)) {
          actual.push(t.getTime());
        }
        const expected: number[] = [];
        for (let t = from; t < to; t += 86_400_000) if (c.fires(new Date(t))) expected.push(t);
        expect(expected.length).to.be.greaterThan(400);
        // Compared as numbers: 146,097 days would make a string diff unreadable.
        const firstDifference = expected.findIndex((t, i) => actual[i] !== t);
        expect(
          firstDifference,
          `first difference at ${new Date(expected[firstDifference] ?? 0).toISOString()}`,
        ).to.equal(-1);
        expect(actual.length).to.equal(expected.length);
      });
    }
  });

  describe('fires on the days APScheduler fired on', () => {
    // Oracles written from APScheduler 3's definitions (weekday() 0 = Monday; day AND day_of_week).
    const daysIn = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    const apWeekday = (d: Date) => (d.getUTCDay() + 6) % 7;
    const nthWeekday = (d: Date) => Math.floor((d.getUTCDate() - 1) / 7) + 1;
    const isLastWeekday = (d: Date) => d.getUTCDate() + 7 > daysIn(d);
    const cases: { name: string; old: string; fires: (d: Date) => boolean }[] = [
      { name: 'mon-fri', old: '0 0 0 mon-fri', fires: (d) => apWeekday(d) <= 4 },
      { name: 'numeric 5-6 (Saturday, Sunday)', old: '0 0 0 5-6', fires: (d) => apWeekday(d) >= 5 },
      { name: 'sun', old: '0 0 0 sun', fires: (d) => apWeekday(d) === 6 },
      { name: '*/2 from Monday', old: '0 0 0 */2', fires: (d) => apWeekday(d) % 2 === 0 },
      {
        name: 'tue-thu/2 (numeric 1-3/2)',
        old: '0 0 0 1-3/2',
        fires: (d) => apWeekday(d) === 1 || apWeekday(d) === 3,
      },
      { name: 'last_fri', old: '0 0 0 * * last_fri', fires: (d) => apWeekday(d) === 4 && isLastWeekday(d) },
      { name: '3rd_wed', old: '0 0 0 * * 3rd_wed', fires: (d) => apWeekday(d) === 2 && nthWeekday(d) === 3 },
      { name: '5th_sun', old: '0 0 0 * * 5th_sun', fires: (d) => apWeekday(d) === 6 && nthWeekday(d) === 5 },
      {
        name: '15,1st_mon',
        old: '0 0 0 * * 15,1st_mon',
        fires: (d) => d.getUTCDate() === 15 || (apWeekday(d) === 0 && nthWeekday(d) === 1),
      },
      { name: 'last', old: '0 0 0 * * last', fires: (d) => d.getUTCDate() === daysIn(d) },
      { name: '*/10 days', old: '0 0 0 * * */10', fires: (d) => (d.getUTCDate() - 1) % 10 === 0 },
      {
        name: 'day 1 of Feb-Apr',
        old: '0 0 0 * * 1 2-4',
        fires: (d) => d.getUTCDate() === 1 && [1, 2, 3].includes(d.getUTCMonth()),
      },
      { name: 'every day of 2026', old: '0 0 0 * * * * 2026', fires: (d) => d.getUTCFullYear() === 2026 },
      {
        name: 'weekends of 2026-2027',
        old: '0 0 0 sat-sun * * * 2026-2027',
        fires: (d) => apWeekday(d) >= 5 && [2026, 2027].includes(d.getUTCFullYear()),
      },
      {
        name: '2nd_tue of 2027',
        old: '0 0 0 * * 2nd_tue * 2027',
        fires: (d) => apWeekday(d) === 1 && nthWeekday(d) === 2 && d.getUTCFullYear() === 2027,
      },
    ];
    const from = Date.UTC(2025, 0, 1);
    const to = Date.UTC(2029, 0, 1);
    for (const c of cases) {
      it(c.name, () => {
        const result = translateApschedulerSchedule(c.old);
        if (!result.ok) expect.fail(result.reason);
        const compiled = compileSchedule(result.schedule, { hashKey });
        const actual: string[] = [];
        for (let t = compiled.next(new Date(from - 1)); t && t.getTime() < to; t = compiled.next(t)) {
          actual.push(t.toISOString().slice(0, 10));
        }
        const expected: string[] = [];
        for (let t = from; t < to; t += 86_400_000) {
          if (c.fires(new Date(t))) expected.push(new Date(t).toISOString().slice(0, 10));
        }
        expect(expected.length).to.be.greaterThan(0);
        expect(actual).to.deep.equal(expected);
      });
    }
  });

  describe('maps jobs that are exact only inside their year by the dates they run on', () => {
    /** Every fire of the schedule (UTC), up to the last year cron(...) can name. */
    const runsOf = (schedule: string): string[] => {
      const compiled = compileSchedule(schedule, { hashKey });
      const runs: string[] = [];
      for (let t = compiled.next(new Date(0)); t !== null && runs.length < 100; t = compiled.next(t)) {
        runs.push(t.toISOString());
      }
      return runs;
    };
    // `runs`: every run, as the old service's job made them, written by hand from the calendar
    // (3 April 2028 is a Monday); a run ending in "T" stands for a time that H picks.
    const cases: { name: string; old: string; schedule: string; runs: string[]; note: RegExp }[] = [
      {
        name: 'the issue: a weekday that the date already is, two hours',
        old: '0 14 11/8 mon-fri * 3 APR 2028',
        schedule: 'cron(14 11/8 3 4 ? 2028)',
        runs: ['2028-04-03T11:14:00.000Z', '2028-04-03T19:14:00.000Z'],
        note: /within year "2028" the date fields \(.*\) name one date, 2028-04-03, so the schedule is a cron\(\.\.\.\) naming it/,
      },
      {
        name: 'one date at one time: at(...)',
        old: '0 14 11 mon-fri * 3 APR 2028',
        schedule: 'at(2028-04-03T11:14:00)',
        runs: ['2028-04-03T11:14:00.000Z'],
        note: /the job is one run, written as at\(\.\.\.\)/,
      },
      {
        name: 'at(...) keeps a second cron(...) cannot',
        old: '30 14 11 mon * 3 apr 2028',
        schedule: 'at(2028-04-03T11:14:30)',
        runs: ['2028-04-03T11:14:30.000Z'],
        note: /one run, written as at/,
      },
      {
        name: 'two days of which the weekday keeps both',
        old: '0 0 6 mon * 3,10 apr 2028',
        schedule: 'cron(0 6 3,10 4 ? 2028)',
        runs: ['2028-04-03T06:00:00.000Z', '2028-04-10T06:00:00.000Z'],
        note: /name exactly the dates 2028-04-03, 2028-04-10/,
      },
      {
        name: 'a year range in which the date is a Monday twice (2028 and 2034)',
        old: '0 0 6 mon * 3 apr 2028-2034',
        schedule: 'cron(0 6 3 4 ? 2028,2034)',
        runs: ['2028-04-03T06:00:00.000Z', '2034-04-03T06:00:00.000Z'],
        note: /2028-04-03, 2034-04-03/,
      },
      {
        name: 'an ISO week inside a year: its seven dates',
        old: '0 0 12 * 14 * * 2028',
        schedule: 'cron(0 12 3-9 4 ? 2028)',
        runs: [3, 4, 5, 6, 7, 8, 9].map((d) => `2028-04-0${d}T12:00:00.000Z`),
        note: /week "14"\) name exactly the dates 2028-04-03, .*, 2028-04-09/,
      },
      {
        name: '"?" minute and hour on the one date become H',
        old: '0 ? ? mon * 1 * 2028',
        schedule: 'cron(H H 1 5 ? 2028)',
        runs: ['2028-05-01T'],
        note: /"\?" in minute became "H"/,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const result = translateApschedulerSchedule(c.old);
        if (!result.ok) expect.fail(result.reason);
        expect(result.schedule).to.equal(c.schedule);
        expect(result.notes.join('\n')).to.match(c.note);
        const runs = runsOf(result.schedule);
        expect(runs).to.have.length(c.runs.length);
        runs.forEach((run, i) =>
          expect(run.startsWith(c.runs[i] as string), `${run} is ${c.runs[i]}`).to.equal(true),
        );
      });
    }

    describe('on sampled jobs in a restricted year, runs exactly when APScheduler ran them, or is refused', () => {
      // An oracle written from APScheduler 3's definitions, independently of src/migrate: every
      // restricted field must match; weekday 0 = Monday; week is the ISO week number.
      type Pred = (d: Date) => boolean;
      const wd = (d: Date) => (d.getUTCDay() + 6) % 7;
      const dom = (d: Date) => d.getUTCDate();
      const daysIn = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
      const iso = (d: Date) => {
        const thursday = new Date(d.getTime() + (3 - wd(d)) * 86_400_000);
        return (
          Math.floor((thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / 86_400_000 / 7) + 1
        );
      };
      const dows: [string, Pred][] = [
        ['*', () => true],
        ['mon', (d) => wd(d) === 0],
        ['sat', (d) => wd(d) === 5],
        ['mon-fri', (d) => wd(d) <= 4],
        ['0,2,4', (d) => [0, 2, 4].includes(wd(d))],
      ];
      const weeks: [string, Pred][] = [
        ['*', () => true],
        ['14', (d) => iso(d) === 14],
        ['1-2', (d) => iso(d) <= 2],
      ];
      const days: [string, Pred][] = [
        ['*', () => true],
        ['3', (d) => dom(d) === 3],
        ['1', (d) => dom(d) === 1],
        ['3,10', (d) => [3, 10].includes(dom(d))],
        ['1-7', (d) => dom(d) <= 7],
        ['last', (d) => dom(d) === daysIn(d)],
        ['last_fri', (d) => wd(d) === 4 && dom(d) + 7 > daysIn(d)],
        ['2nd_tue', (d) => wd(d) === 1 && dom(d) >= 8 && dom(d) <= 14],
      ];
      const months: [string, Pred][] = [
        ['*', () => true],
        ['apr', (d) => d.getUTCMonth() === 3],
        ['1-3', (d) => d.getUTCMonth() <= 2],
      ];
      const years: [string, number[]][] = [
        ['2028', [2028]],
        ['2028-2030', [2028, 2029, 2030]],
        ['2028,2034', [2028, 2034]],
      ];
      const times: [string, [number, number, number][]][] = [
        [
          '0 14 11/8',
          [
            [11, 14, 0],
            [19, 14, 0],
          ],
        ],
        ['0 0 6', [[6, 0, 0]]],
        ['30 0 6', [[6, 0, 30]]],
      ];
      // A fixed seed: the same 120 jobs every run.
      let seed = 20_281_103;
      const pick = <T>(list: readonly T[]): T => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return list[seed % list.length] as T;
      };
      const expectedRuns = (fires: Pred, inYears: number[], at: [number, number, number][]): string[] => {
        const out: string[] = [];
        for (const y of inYears) {
          for (let t = Date.UTC(y, 0, 1); t < Date.UTC(y + 1, 0, 1); t += 86_400_000) {
            if (!fires(new Date(t))) continue;
            for (const [h, m, sec] of at)
              out.push(new Date(t + ((h * 60 + m) * 60 + sec) * 1000).toISOString());
          }
        }
        return out.sort();
      };

      it('120 sampled jobs', () => {
        let mapped = 0;
        for (let i = 0; i < 120; i++) {
          const [time, at] = pick(times);
          const [dow, dowFires] = pick(dows);
          const [week, weekFires] = pick(weeks);
          const [day, dayFires] = pick(days);
          const [month, monthFires] = pick(months);
          const [year, inYears] = pick(years);
          const old = `${time} ${dow} ${week} ${day} ${month} ${year}`;
          const fires: Pred = (d) => dowFires(d) && weekFires(d) && dayFires(d) && monthFires(d);
          const expected = expectedRuns(fires, inYears, at);
          const result = translateApschedulerSchedule(old);
          if (!result.ok) {
            expect(/^never runs/.test(result.reason), `${old}: ${result.reason}`).to.equal(
              expected.length === 0,
            );
            continue;
          }
          mapped++;
          expect(runsOf(result.schedule).sort(), `${old} as ${result.schedule}`).to.deep.equal(
            expected.length <= 100 ? expected : expected.slice(0, 100),
          );
        }
        expect(mapped).to.be.greaterThan(30);
      });
    });

    const refused: { name: string; old: string; reason: RegExp }[] = [
      {
        name: 'a weekday the date is not: no run, and which weekday the date is',
        old: '0 14 11/8 sat * 3 APR 2028',
        reason:
          /^never runs: no date in year "2028" matches day "3" with day_of_week "sat" with month "APR" \(2028-04-03 is a Monday\)$/,
      },
      {
        name: 'a weekday position and another weekday: no run in the year',
        old: '0 0 0 mon * last_fri * 2028',
        reason: /^never runs: no date in year "2028" matches day "last_fri" with day_of_week "mon"$/,
      },
      {
        name: 'a date the year does not have',
        old: '0 0 0 * * 31 feb 2028',
        reason: /^never runs: no date in year "2028" matches day "31" with month "feb"$/,
      },
      {
        name: 'dates no one cron(...) names without naming others',
        old: '0 0 9 mon * 1 * 2028-2030',
        reason:
          /^day "1" and day_of_week "mon" are both restricted: .*; and within year "2028-2030" the job runs on 5 dates \(2028-05-01, 2029-01-01, 2029-10-01, 2030-04-01, 2030-07-01\), and no one cron\(\.\.\.\) names them without naming other dates too$/,
      },
      {
        name: 'one date at two times with a second that is not 0',
        old: '30 0 9,17 mon * 1 * 2028',
        reason:
          /; and within year "2028" the job runs on 2028-05-01 at more than one time of day .* second "30" would have to be 0$/,
      },
      {
        name: 'too many dates to name',
        old: '0 0 0 * 2-52 8-24 * 2028',
        reason:
          /^week "2-52" \(ISO week number\) has no cron field.*; and within year "2028" the job runs on more than 31 dates, too many to name one by one$/,
      },
    ];
    for (const c of refused) {
      it(`refuses: ${c.name}`, () => {
        const result = translateApschedulerSchedule(c.old);
        if (result.ok) expect.fail(`translated to "${result.schedule}"`);
        expect(result.reason).to.match(c.reason);
      });
    }
  });
});
