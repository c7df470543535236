import { expect } from 'chai';
import { compileSchedule, ScheduleError } from '../../../src/schedule/schedule.js';

describe('compileSchedule: precise errors', () => {
  const cases: { name: string; expression: string; timeZone?: string; field: string; message: string }[] = [
    {
      name: 'hour out of range',
      expression: '0 25 * * *',
      field: 'schedule',
      message: 'schedule: field "hour" value 25 out of range 0-23',
    },
    {
      name: 'too many fields',
      expression: '0 0 * * * * *',
      field: 'schedule',
      message: 'schedule: expected 5 or 6 fields, got 7',
    },
    {
      name: 'too few fields',
      expression: '0 0 *',
      field: 'schedule',
      message: 'schedule: expected 5 or 6 fields, got 3',
    },
    { name: 'empty', expression: '  ', field: 'schedule', message: 'schedule: expression is empty' },
    {
      name: 'unknown zone',
      expression: '0 0 * * *',
      timeZone: 'Mars/Olympus',
      field: 'timeZone',
      message: 'timeZone: unknown time zone "Mars/Olympus"',
    },
    {
      name: 'bad month name',
      expression: '0 0 1 FOO *',
      field: 'schedule',
      message: 'schedule: field "month" has an invalid value "FOO" (expected a number or a name like JAN)',
    },
    {
      name: 'backwards range',
      expression: '0 5-2 * * *',
      field: 'schedule',
      message: 'schedule: field "hour" range 5-2 runs backwards (start > end)',
    },
    {
      name: 'zero step',
      expression: '*/0 * * * *',
      field: 'schedule',
      message: 'schedule: field "minute" step must be at least 1, got 0',
    },
    {
      name: 'empty list item',
      expression: '1,,2 * * * *',
      field: 'schedule',
      message: 'schedule: field "minute" has an empty list item in "1,,2"',
    },
    {
      name: 'impossible date',
      expression: '0 0 31 2 *',
      field: 'schedule',
      message:
        'schedule: "0 0 31 2 *" never fires: no date matches day-of-month "31", month "2", day-of-week "*" in a 28-year calendar cycle',
    },
    {
      name: 'impossible date in the given years',
      expression: 'cron(0 0 30 2 ? 2026-2030)',
      field: 'schedule',
      message:
        'schedule: "cron(0 0 30 2 ? 2026-2030)" never fires: no date matches day-of-month "30", month "2", day-of-week "?" in any year of the year field',
    },
    {
      name: 'nth weekday out of range',
      expression: '0 0 * * 1#6',
      field: 'schedule',
      message: 'schedule: field "day-of-week" occurrence in "1#6" out of range 1-5',
    },
    {
      name: 'unknown macro',
      expression: '@reboot',
      field: 'schedule',
      message:
        'schedule: unknown macro "@reboot" (expected one of @yearly @annually @monthly @weekly @daily @midnight @hourly)',
    },
    {
      name: 'cron() field count',
      expression: 'cron(0 0 * * *)',
      field: 'schedule',
      message: 'schedule: cron() expects 6 fields (minute hour day-of-month month day-of-week year), got 5',
    },
    {
      name: 'cron() without ?',
      expression: 'cron(0 0 * * * *)',
      field: 'schedule',
      message: 'schedule: cron(): exactly one of day-of-month and day-of-week must be "?"',
    },
    {
      name: 'cron() with two ?',
      expression: 'cron(0 0 ? * ? *)',
      field: 'schedule',
      message: 'schedule: cron(): exactly one of day-of-month and day-of-week must be "?"',
    },
    {
      name: 'cron() year out of range',
      expression: 'cron(0 0 1 1 ? 2300)',
      field: 'schedule',
      message: 'schedule: field "year" value 2300 out of range 1970-2199',
    },
    {
      name: 'cron() dow 0 is not EventBridge',
      expression: 'cron(0 0 ? * 0 *)',
      field: 'schedule',
      message: 'schedule: field "day-of-week" value 0 out of range 1-7',
    },
    {
      name: 'rate zero',
      expression: 'rate(0 minutes)',
      field: 'schedule',
      message: 'schedule: rate value "0" must be a whole number of at least 1',
    },
    {
      name: 'rate unit',
      expression: 'rate(5 weeks)',
      field: 'schedule',
      message: 'schedule: rate unit "weeks" is not one of minute(s), hour(s), day(s)',
    },
    {
      name: 'at() malformed',
      expression: 'at(2026-13-01)',
      field: 'schedule',
      message: 'schedule: malformed at expression "at(2026-13-01)" (expected at(yyyy-mm-ddThh:mm:ss))',
    },
    {
      name: 'at() no such day',
      expression: 'at(2026-02-29T00:00:00)',
      field: 'schedule',
      message: 'schedule: at(): day 29 out of range 1-28',
    },
    {
      name: 'unknown function',
      expression: 'every(5m)',
      field: 'schedule',
      message: 'schedule: unknown expression "every(5m)" (expected cron(...), rate(...) or at(...))',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      let caught: unknown;
      try {
        compileSchedule(c.expression, { hashKey: 'ns/name', timeZone: c.timeZone });
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(ScheduleError);
      expect((caught as ScheduleError).field).to.equal(c.field);
      expect((caught as ScheduleError).message).to.equal(c.message);
    });
  }
});
