import { expect } from 'chai';
import { compileSchedule } from '../../../src/schedule/schedule.js';

const HASH_KEY = 'data/nightly-report';

/** The first `count` fires strictly after `from`, as ISO strings without milliseconds. */
function fires(expression: string, from: string, count: number, timeZone = 'UTC'): string[] {
  const schedule = compileSchedule(expression, { timeZone, hashKey: HASH_KEY });
  const out: string[] = [];
  let cursor = new Date(from);
  for (let i = 0; i < count; i++) {
    const next = schedule.next(cursor);
    if (next === null) break;
    out.push(next.toISOString().replace('.000Z', 'Z'));
    cursor = next;
  }
  return out;
}

// Named time fixtures: the days that make wall-clock scheduling hard.
const newYorkSpringForwardEve = '2026-03-08T04:00:00Z'; // 23:00 EST, 2026-03-07; 02:00→03:00 overnight
const newYorkFallBackEve = '2026-11-01T04:00:00Z'; // 00:00 EDT, 2026-11-01; 02:00 EDT→01:00 EST
const berlinSpringForwardEve = '2026-03-28T23:00:00Z'; // 00:00 CET, 2026-03-29; 02:00→03:00
const berlinFallBackEve = '2026-10-24T22:00:00Z'; // 00:00 CEST, 2026-10-25; 03:00→02:00
const lordHoweSpringForwardEve = '2026-10-03T13:30:00Z'; // 00:00 +10:30, 2026-10-04; 02:00→02:30
const lordHoweFallBackEve = '2026-04-04T13:00:00Z'; // 00:00 +11, 2026-04-05; 02:00→01:30
const santiagoSpringForwardEve = '2026-09-05T04:00:00Z'; // 00:00 -04, 2026-09-05; 2026-09-06 00:00 is skipped
const startOf2026 = '2026-01-01T00:00:00Z';

describe('compileSchedule: wall-clock semantics across DST', () => {
  const cases: { name: string; expression: string; zone: string; from: string; expected: string[] }[] = [
    {
      name: 'New York: 02:30 in the spring-forward gap fires at 03:30 EDT',
      expression: '30 2 * * *',
      zone: 'America/New_York',
      from: newYorkSpringForwardEve,
      expected: ['2026-03-08T07:30:00Z', '2026-03-09T06:30:00Z'],
    },
    {
      name: 'New York: a wall time in the gap and one just after it keep instant order',
      expression: '30 2,3 * * *',
      zone: 'America/New_York',
      from: newYorkSpringForwardEve,
      // 02:30 (gap) → 07:30Z and 03:30 EDT → 07:30Z are equal instants: one fire.
      expected: ['2026-03-08T07:30:00Z', '2026-03-09T06:30:00Z', '2026-03-09T07:30:00Z'],
    },
    {
      name: 'New York: just after the gap, 02:30 (pushed to 03:30 EDT) is still ahead',
      expression: '30 2 * * *',
      zone: 'America/New_York',
      from: '2026-03-08T07:20:00Z', // 03:20 EDT
      expected: ['2026-03-08T07:30:00Z', '2026-03-09T06:30:00Z'],
    },
    {
      name: 'Lord Howe: a gap time pushed forward fires after a later wall time',
      expression: '20,40 2 * * *',
      zone: 'Australia/Lord_Howe',
      from: lordHoweSpringForwardEve,
      // 02:40 (+11) → 15:40Z comes before 02:20 (gap, +10:30) → 15:50Z.
      expected: ['2026-10-03T15:40:00Z', '2026-10-03T15:50:00Z', '2026-10-04T15:20:00Z'],
    },
    {
      name: 'New York: hourly fires once in the repeated 01:00 hour',
      expression: '0 * * * *',
      zone: 'America/New_York',
      from: newYorkFallBackEve,
      expected: ['2026-11-01T05:00:00Z', '2026-11-01T07:00:00Z', '2026-11-01T08:00:00Z'],
    },
    {
      name: 'New York: 01:30 fires at its first occurrence (EDT)',
      expression: '30 1 * * *',
      zone: 'America/New_York',
      from: newYorkFallBackEve,
      expected: ['2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z'],
    },
    {
      name: 'Berlin: 02:30 on the spring-forward day fires at 03:30 CEST',
      expression: '30 2 * * *',
      zone: 'Europe/Berlin',
      from: berlinSpringForwardEve,
      expected: ['2026-03-29T01:30:00Z', '2026-03-30T00:30:00Z'],
    },
    {
      name: 'Berlin: every 30 minutes across the fall-back overlap skips the second pass',
      expression: '*/30 2 * * *',
      zone: 'Europe/Berlin',
      from: berlinFallBackEve,
      expected: ['2026-10-25T00:00:00Z', '2026-10-25T00:30:00Z', '2026-10-26T01:00:00Z'],
    },
    {
      name: 'Lord Howe: the 30-minute gap maps 02:00-02:29 forward by 30 minutes',
      expression: '0,15,45 2 * * *',
      zone: 'Australia/Lord_Howe',
      from: lordHoweSpringForwardEve,
      // 02:00→15:30Z, 02:15→15:45Z, 02:45 (+11)→15:45Z (dup).
      expected: ['2026-10-03T15:30:00Z', '2026-10-03T15:45:00Z', '2026-10-04T15:00:00Z'],
    },
    {
      name: 'Lord Howe: the repeated half hour 01:30-01:59 fires once',
      expression: '*/15 1 * * *',
      zone: 'Australia/Lord_Howe',
      from: lordHoweFallBackEve,
      expected: [
        '2026-04-04T14:00:00Z',
        '2026-04-04T14:15:00Z',
        '2026-04-04T14:30:00Z',
        '2026-04-04T14:45:00Z',
        '2026-04-05T14:30:00Z',
      ],
    },
    {
      name: 'Santiago: midnight does not exist on the spring day, so it fires at 01:00 -03',
      expression: '0 0 * * *',
      zone: 'America/Santiago',
      from: santiagoSpringForwardEve,
      expected: ['2026-09-06T04:00:00Z', '2026-09-07T03:00:00Z'],
    },
    {
      name: 'UTC: no DST, fixed hours',
      expression: '0 2 * * *',
      zone: 'UTC',
      from: startOf2026,
      expected: ['2026-01-01T02:00:00Z', '2026-01-02T02:00:00Z'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(fires(c.expression, c.from, c.expected.length, c.zone)).to.deep.equal(c.expected);
    });
    it(`${c.name} (previous() walks back the same instants)`, () => {
      const schedule = compileSchedule(c.expression, { timeZone: c.zone, hashKey: HASH_KEY });
      const got: string[] = [];
      let cursor: Date | null = new Date(c.expected.at(-1)!);
      for (let i = 0; i < c.expected.length && cursor !== null; i++) {
        const fire: Date | null = schedule.previous(cursor);
        if (fire === null || fire.getTime() <= Date.parse(c.from)) break;
        got.unshift(fire.toISOString().replace('.000Z', 'Z'));
        cursor = new Date(fire.getTime() - 1000);
      }
      expect(got).to.deep.equal(c.expected);
    });
  }
});

describe('compileSchedule: cron grammar', () => {
  const cases: { name: string; expression: string; from: string; expected: string[] }[] = [
    {
      name: 'leap day fires only in leap years',
      expression: '0 0 29 2 *',
      from: startOf2026,
      expected: ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z'],
    },
    {
      name: 'leap day skips 2100',
      expression: '0 0 29 2 *',
      from: '2097-01-01T00:00:00Z',
      expected: ['2104-02-29T00:00:00Z'],
    },
    {
      name: 'L is the last day of the month',
      expression: '0 0 L * *',
      from: startOf2026,
      expected: ['2026-01-31T00:00:00Z', '2026-02-28T00:00:00Z', '2026-03-31T00:00:00Z'],
    },
    {
      name: 'LW is the last weekday of the month',
      expression: '0 0 LW * *',
      from: '2026-05-01T00:00:00Z',
      expected: ['2026-05-29T00:00:00Z', '2026-06-30T00:00:00Z'],
    },
    {
      name: '15W moves a Sunday to Monday and a Saturday to Friday',
      expression: '0 0 15W * *',
      from: '2026-02-01T00:00:00Z',
      expected: [
        '2026-02-16T00:00:00Z',
        '2026-03-16T00:00:00Z',
        '2026-04-15T00:00:00Z',
        '2026-05-15T00:00:00Z',
        '2026-06-15T00:00:00Z',
        '2026-07-15T00:00:00Z',
        '2026-08-14T00:00:00Z',
      ],
    },
    {
      name: '1W on a Saturday stays in the month (Monday the 3rd)',
      expression: '0 0 1W * *',
      from: '2026-07-31T00:00:00Z',
      expected: ['2026-08-03T00:00:00Z'],
    },
    {
      name: '31W on a Sunday stays in the month (Friday the 29th)',
      expression: '0 0 31W * *',
      from: '2026-05-01T00:00:00Z',
      expected: ['2026-05-29T00:00:00Z'],
    },
    {
      name: '5L is the last Friday',
      expression: '0 0 * * 5L',
      from: startOf2026,
      expected: ['2026-01-30T00:00:00Z', '2026-02-27T00:00:00Z'],
    },
    {
      name: 'FRI#3 is the third Friday',
      expression: '0 0 * * FRI#3',
      from: startOf2026,
      expected: ['2026-01-16T00:00:00Z', '2026-02-20T00:00:00Z'],
    },
    {
      name: 'dom and dow both restricted: either matches (Vixie)',
      expression: '0 0 13 * 5',
      from: '2026-02-01T00:00:00Z',
      expected: [
        '2026-02-06T00:00:00Z',
        '2026-02-13T00:00:00Z',
        '2026-02-20T00:00:00Z',
        '2026-02-27T00:00:00Z',
        '2026-03-06T00:00:00Z',
      ],
    },
    {
      name: 'dom starting with * is unrestricted: both must match',
      expression: '0 0 */10 * MON',
      from: startOf2026,
      expected: ['2026-05-11T00:00:00Z', '2026-06-01T00:00:00Z'],
    },
    {
      name: 'dow 7 is Sunday',
      expression: '0 0 * * 7',
      from: startOf2026,
      expected: ['2026-01-04T00:00:00Z'],
    },
    {
      name: 'names and ranges',
      expression: '0 9 * JAN-FEB MON-FRI',
      from: '2026-01-30T12:00:00Z',
      expected: ['2026-02-02T09:00:00Z'],
    },
    {
      name: '6 fields: seconds first',
      expression: '*/20 0 12 * * *',
      from: startOf2026,
      expected: [
        '2026-01-01T12:00:00Z',
        '2026-01-01T12:00:20Z',
        '2026-01-01T12:00:40Z',
        '2026-01-02T12:00:00Z',
      ],
    },
    {
      name: 'a/n runs from a to the end',
      expression: '50/5 * * * *',
      from: startOf2026,
      expected: ['2026-01-01T00:50:00Z', '2026-01-01T00:55:00Z', '2026-01-01T01:50:00Z'],
    },
    { name: '@midnight', expression: '@midnight', from: startOf2026, expected: ['2026-01-02T00:00:00Z'] },
    {
      name: '@weekly is Sunday midnight',
      expression: '@weekly',
      from: startOf2026,
      expected: ['2026-01-04T00:00:00Z'],
    },
    { name: '@yearly', expression: '@yearly', from: startOf2026, expected: ['2027-01-01T00:00:00Z'] },
    { name: '@hourly', expression: '@HOURLY', from: startOf2026, expected: ['2026-01-01T01:00:00Z'] },
    {
      name: 'cron() with a year',
      expression: 'cron(0 12 ? * 6#3 2027)',
      from: startOf2026,
      expected: ['2027-01-15T12:00:00Z'],
    },
    {
      name: 'cron() year range ends',
      expression: 'cron(0 0 1 1 ? 2026-2027)',
      from: startOf2026,
      expected: ['2027-01-01T00:00:00Z'],
    },
    {
      name: 'cron() dow 2-6 is MON-FRI',
      expression: 'cron(30 8 ? * 2-6 *)',
      from: '2026-01-02T09:00:00Z',
      expected: ['2026-01-05T08:30:00Z'],
    },
    {
      name: 'cron() L in dom',
      expression: 'cron(0 0 L * ? *)',
      from: startOf2026,
      expected: ['2026-01-31T00:00:00Z'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(fires(c.expression, c.from, c.expected.length)).to.deep.equal(c.expected);
    });
  }

  it('cron() returns null once its years are over', () => {
    const schedule = compileSchedule('cron(0 0 1 1 ? 2026)', { hashKey: HASH_KEY });
    expect(schedule.next(new Date('2026-06-01T00:00:00Z'))).to.equal(null);
  });
});
