import { expect } from 'chai';
import type { CalendarSpec } from '../../../src/api/calendar-types.js';
import {
  CalendarError,
  compileCalendar,
  exclusionsOf,
  includedFires,
  nextIncludedFire,
  SEARCH_HORIZON_MS,
} from '../../../src/schedule/exclusion-calendar.js';
import { compileSchedule } from '../../../src/schedule/schedule.js';

const t = (iso: string) => new Date(iso);
const cal = (spec: CalendarSpec) => compileCalendar(spec, 'ns/holidays');
const next = (spec: CalendarSpec, from: string) => exclusionsOf([cal(spec)]).nextIncluded(t(from));

describe('exclusion calendar', () => {
  describe('dates', () => {
    it('excludes a one-off date from 00:00 to the next 00:00 in the time zone', () => {
      const c = cal({ timeZone: 'Europe/Berlin', dates: ['2026-12-24'] });
      expect(c.excludes(t('2026-12-23T22:59:59Z'))).to.equal(false); // 23:59:59 on the 23rd in Berlin
      expect(c.excludes(t('2026-12-23T23:00:00Z'))).to.equal(true); // 00:00 on the 24th
      expect(c.excludes(t('2026-12-24T22:59:59Z'))).to.equal(true);
      expect(c.excludes(t('2026-12-24T23:00:00Z'))).to.equal(false);
    });

    it('excludes a yearly date (--MM-DD) in every year', () => {
      const c = cal({ dates: ['--12-25'] });
      for (const year of [2026, 2027, 2040])
        expect(c.excludes(t(`${year}-12-25T12:00:00Z`)), String(year)).to.equal(true);
      expect(c.excludes(t('2026-12-26T00:00:00Z'))).to.equal(false);
    });

    it('--02-29 excludes the leap day of leap years only, and a one-off 2028-02-29 that day', () => {
      const c = cal({ dates: ['--02-29'] });
      expect(c.excludes(t('2028-02-29T10:00:00Z'))).to.equal(true);
      expect(c.excludes(t('2027-02-28T10:00:00Z'))).to.equal(false);
      expect(c.excludes(t('2027-03-01T10:00:00Z'))).to.equal(false);
      expect(cal({ dates: ['2028-02-29'] }).excludes(t('2028-02-29T00:00:00Z'))).to.equal(true);
    });

    it('refuses a day that does not exist, naming the item', () => {
      expect(() => cal({ dates: ['2026-12-24', '2027-02-29'] }))
        .to.throw(CalendarError, 'spec.dates[1]')
        .with.property('field', 'spec.dates[1]');
      expect(() => cal({ dates: ['--02-30'] })).to.throw(CalendarError, 'spec.dates[0]');
    });

    it('consecutive dates are one stretch: the next included instant is after the last', () => {
      expect(
        next({ dates: ['--12-24', '--12-25', '--12-26'] }, '2026-12-24T08:00:00Z')?.toISOString(),
      ).to.equal('2026-12-27T00:00:00.000Z');
    });
  });

  describe('days of the week', () => {
    it('excludes whole days in the time zone', () => {
      const c = cal({ timeZone: 'America/New_York', daysOfWeek: ['SAT', 'SUN'] });
      // Friday 2026-12-04 23:30 in New York is Saturday 04:30 UTC: not excluded.
      expect(c.excludes(t('2026-12-05T04:30:00Z'))).to.equal(false);
      expect(c.excludes(t('2026-12-05T05:00:00Z'))).to.equal(true);
      expect(
        next(
          { timeZone: 'America/New_York', daysOfWeek: ['SAT', 'SUN'] },
          '2026-12-05T12:00:00Z',
        )?.toISOString(),
      ).to.equal(
        '2026-12-07T05:00:00.000Z', // Monday 00:00 in New York
      );
    });
  });

  describe('ranges', () => {
    it('excludes [start, end)', () => {
      const c = cal({ ranges: [{ start: '2026-12-20T00:00:00+01:00', end: '2027-01-04T00:00:00+01:00' }] });
      expect(c.excludes(t('2026-12-19T22:59:59Z'))).to.equal(false);
      expect(c.excludes(t('2026-12-19T23:00:00Z'))).to.equal(true);
      expect(c.excludes(t('2027-01-03T22:59:59Z'))).to.equal(true);
      expect(c.excludes(t('2027-01-03T23:00:00Z'))).to.equal(false);
    });

    it('refuses end <= start, naming the field', () => {
      expect(() =>
        cal({ ranges: [{ start: '2026-12-20T00:00:00Z', end: '2026-12-20T00:00:00Z' }] }),
      ).to.throw(CalendarError, 'spec.ranges[0].end');
    });
  });

  describe('daily ranges', () => {
    it('excludes [start, end) each day', () => {
      const c = cal({ dailyRanges: [{ start: '09:00', end: '17:00' }] });
      expect(c.excludes(t('2026-06-01T08:59:00Z'))).to.equal(false);
      expect(c.excludes(t('2026-06-01T09:00:00Z'))).to.equal(true);
      expect(c.excludes(t('2026-06-01T16:59:59Z'))).to.equal(true);
      expect(c.excludes(t('2026-06-01T17:00:00Z'))).to.equal(false);
    });

    it('a range wrapping midnight covers the evening and the next morning', () => {
      const spec: CalendarSpec = {
        timeZone: 'Europe/Berlin',
        dailyRanges: [{ start: '22:00', end: '06:00' }],
      };
      const c = cal(spec);
      expect(c.excludes(t('2026-06-01T19:59:00Z'))).to.equal(false); // 21:59 CEST
      expect(c.excludes(t('2026-06-01T20:00:00Z'))).to.equal(true); // 22:00
      expect(c.excludes(t('2026-06-02T03:59:00Z'))).to.equal(true); // 05:59
      expect(c.excludes(t('2026-06-02T04:00:00Z'))).to.equal(false); // 06:00
      expect(next(spec, '2026-06-01T21:00:00Z')?.toISOString()).to.equal('2026-06-02T04:00:00.000Z');
      expect(next(spec, '2026-06-02T01:00:00Z')?.toISOString()).to.equal('2026-06-02T04:00:00.000Z');
    });

    it('ends at the wall time on a DST day: a 01:00-04:00 range is two hours long on the spring-forward day', () => {
      // Europe/Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST.
      const spec: CalendarSpec = {
        timeZone: 'Europe/Berlin',
        dailyRanges: [{ start: '01:00', end: '04:00' }],
      };
      expect(cal(spec).excludes(t('2026-03-29T00:00:00Z'))).to.equal(true); // 01:00 CET
      expect(next(spec, '2026-03-29T00:00:00Z')?.toISOString()).to.equal('2026-03-29T02:00:00.000Z'); // 04:00 CEST
    });

    it('covers both passes of a fall-back hour, and ends after the second', () => {
      // Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:00-03:00 happens twice.
      const spec: CalendarSpec = {
        timeZone: 'Europe/Berlin',
        dailyRanges: [{ start: '02:00', end: '02:45' }],
      };
      const c = cal(spec);
      expect(c.excludes(t('2026-10-25T00:30:00Z'))).to.equal(true); // 02:30 CEST
      expect(c.excludes(t('2026-10-25T01:30:00Z'))).to.equal(true); // 02:30 CET
      expect(c.excludes(t('2026-10-25T01:50:00Z'))).to.equal(false); // 02:50 CET
      // From the second pass the stretch ends at its own 02:45, not the first pass's.
      expect(next(spec, '2026-10-25T01:30:00Z')?.toISOString()).to.equal('2026-10-25T01:45:00.000Z');
    });

    it('a whole day on a 23-hour DST day ends at the next midnight', () => {
      const spec: CalendarSpec = { timeZone: 'Europe/Berlin', dates: ['2026-03-29'] };
      expect(next(spec, '2026-03-28T23:00:00Z')?.toISOString()).to.equal('2026-03-29T22:00:00.000Z');
    });
  });

  describe('expressions', () => {
    it('excludes every minute a cron expression matches', () => {
      const c = cal({ expressions: ['*/15 9 * * *'] });
      expect(c.excludes(t('2026-06-01T09:15:30Z'))).to.equal(true);
      expect(c.excludes(t('2026-06-01T09:16:00Z'))).to.equal(false);
      expect(c.excludes(t('2026-06-01T10:15:00Z'))).to.equal(false);
    });

    it('a day-long match is skipped in one stretch: * * 1 * * ends at 00:00 on the 2nd', () => {
      expect(next({ expressions: ['* * 1 * *'] }, '2026-06-01T00:00:00Z')?.toISOString()).to.equal(
        '2026-06-02T00:00:00.000Z',
      );
    });

    it('refuses what does not parse, and rate()/at(), naming the item', () => {
      expect(() => cal({ expressions: ['0 9 * * *', '61 * * * *'] })).to.throw(
        CalendarError,
        'spec.expressions[1]',
      );
      expect(() => cal({ expressions: ['rate(5 minutes)'] })).to.throw(CalendarError, 'spec.expressions[0]');
    });
  });

  it('refuses an unknown time zone, naming spec.timeZone', () => {
    expect(() => cal({ timeZone: 'Mars/Olympus', dates: ['--01-01'] })).to.throw(
      CalendarError,
      'spec.timeZone',
    );
  });

  describe('the next included fire', () => {
    it('skips a year of minutely exclusions in a few jumps, not per minute', () => {
      const fires = compileSchedule('* * * * *', { hashKey: 'ns/a' });
      let asked = 0;
      const counting = { next: (after: Date) => (asked++, fires.next(after)) };
      const exclusions = exclusionsOf([
        cal({ ranges: [{ start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' }] }),
      ]);
      const found = nextIncludedFire(counting, exclusions, t('2026-01-01T00:00:00Z'));
      expect(found).to.deep.equal({ fire: t('2027-01-01T00:00:00Z') });
      expect(asked).to.be.at.most(3);
    });

    it('a minutely schedule on weekdays only skips each weekend in one jump', () => {
      const fires = compileSchedule('*/5 * * * *', { hashKey: 'ns/a' });
      const exclusions = exclusionsOf([cal({ daysOfWeek: ['SAT', 'SUN'] }), cal({ dates: ['2026-12-07'] })]);
      // Saturday 2026-12-05 10:00: the weekend and the Monday holiday after it are excluded.
      expect(nextIncludedFire(fires, exclusions, t('2026-12-05T10:00:00Z'))).to.deep.equal({
        fire: t('2026-12-08T00:00:00Z'),
      });
    });

    it('is bounded when everything is excluded: look again at the horizon', () => {
      const fires = compileSchedule('0 * * * *', { hashKey: 'ns/a' });
      const exclusions = exclusionsOf([cal({ expressions: ['* * * * *'] })]);
      const found = nextIncludedFire(fires, exclusions, t('2026-01-01T00:30:00Z'));
      expect(found).to.deep.equal({
        lookAgainAt: new Date(t('2026-01-01T01:00:00Z').getTime() + SEARCH_HORIZON_MS),
      });
    });

    it('includedFires walks the fires no calendar excludes, both ways (for the passed-over lookups)', () => {
      const fires = includedFires(
        compileSchedule('0 * * * *', { hashKey: 'ns/a' }),
        exclusionsOf([cal({ dailyRanges: [{ start: '10:00', end: '12:00' }] })]),
      );
      expect(fires.next(t('2026-06-01T09:30:00Z'))).to.deep.equal(t('2026-06-01T12:00:00Z'));
      expect(fires.previous(t('2026-06-01T11:59:59Z'))).to.deep.equal(t('2026-06-01T09:00:00Z'));
      expect(fires.previous(t('2026-06-01T12:00:00Z'))).to.deep.equal(t('2026-06-01T12:00:00Z'));
    });

    it('says the schedule ended when it has no fire after the exclusions', () => {
      const fires = compileSchedule('at(2026-12-25T10:00:00)', { hashKey: 'ns/a' });
      expect(
        nextIncludedFire(fires, exclusionsOf([cal({ dates: ['--12-25'] })]), t('2026-12-01T00:00:00Z')),
      ).to.deep.equal({
        fire: null,
      });
    });
  });
});
