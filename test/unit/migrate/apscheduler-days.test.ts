import { expect } from 'chai';
import {
  apschedulerFiresOn,
  firstDisagreement,
  formatDate,
  gregorianCycle,
} from '../../../src/migrate/apscheduler-days.js';

const at = (iso: string) => gregorianCycle().find((d) => formatDate(d) === iso)!;

describe('APScheduler date semantics over the Gregorian cycle', () => {
  it('covers 400 years: 146,097 days, a whole number of weeks', () => {
    const cycle = gregorianCycle();
    expect(cycle).to.have.length(146_097);
    expect(cycle.length % 7).to.equal(0);
    expect(formatDate(cycle[0]!)).to.equal('2000-01-01');
    expect(formatDate(cycle.at(-1)!)).to.equal('2399-12-31');
  });

  // The expected values are Python's: date(y, m, d).isocalendar()[1] and .weekday().
  const isoCases = [
    { date: '2000-01-01', isoWeek: 52, weekday: 5, daysInMonth: 31 },
    { date: '2004-12-31', isoWeek: 53, weekday: 4, daysInMonth: 31 },
    { date: '2005-01-01', isoWeek: 53, weekday: 5, daysInMonth: 31 },
    { date: '2008-12-29', isoWeek: 1, weekday: 0, daysInMonth: 31 },
    { date: '2010-01-03', isoWeek: 53, weekday: 6, daysInMonth: 31 },
    { date: '2100-02-28', isoWeek: 8, weekday: 6, daysInMonth: 28 },
    { date: '2000-02-29', isoWeek: 9, weekday: 1, daysInMonth: 29 },
  ];
  for (const c of isoCases) {
    it(`${c.date}: ISO week ${c.isoWeek}, weekday ${c.weekday}, ${c.daysInMonth} days in its month`, () => {
      expect(at(c.date)).to.include({ isoWeek: c.isoWeek, weekday: c.weekday, daysInMonth: c.daysInMonth });
    });
  }

  const ruleCases = [
    {
      name: 'day and day_of_week must both match',
      rule: { day: { days: new Set([1]), positions: [], lastDay: false }, weekdays: new Set([0]) },
      yes: '2001-01-01',
      no: '2001-02-01',
    },
    {
      name: 'last fri',
      rule: {
        day: { days: new Set<number>(), positions: [{ nth: 'last' as const, weekday: 4 }], lastDay: false },
      },
      yes: '2026-01-30',
      no: '2026-01-23',
    },
    {
      name: '5th mon exists only in some months',
      rule: { day: { days: new Set<number>(), positions: [{ nth: 5, weekday: 0 }], lastDay: false } },
      yes: '2026-03-30',
      no: '2026-03-23',
    },
    { name: 'ISO week', rule: { weeks: new Set([53]) }, yes: '2005-01-01', no: '2005-01-03' },
  ];
  for (const c of ruleCases) {
    it(c.name, () => {
      expect(apschedulerFiresOn(c.rule, at(c.yes))).to.equal(true);
      expect(apschedulerFiresOn(c.rule, at(c.no))).to.equal(false);
    });
  }

  it('finds the first date on which two rules disagree', () => {
    const first = firstDisagreement(
      (d) => apschedulerFiresOn({ weekdays: new Set([0]) }, d),
      (d) => apschedulerFiresOn({ weekdays: new Set([0]), months: new Set([1]) }, d),
    );
    expect(first && formatDate(first)).to.equal('2000-02-07');
  });
});
