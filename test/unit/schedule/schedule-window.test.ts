import { expect } from 'chai';
import { compileSchedule } from '../../../src/schedule/schedule.js';

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

// Named instants.
const startOf2026 = new Date('2026-01-01T00:00:00Z');
const windowOpens = new Date('2026-03-01T00:00:00Z');
const windowCloses = new Date('2026-03-04T00:00:00Z');
const insideWindow = new Date('2026-03-02T12:00:00Z');
const afterWindow = new Date('2026-04-01T00:00:00Z');

describe('compileSchedule: rate()', () => {
  const cases: {
    name: string;
    expression: string;
    startTime?: Date;
    after: Date;
    next: string;
    previous: string;
  }[] = [
    {
      name: 'anchored at the epoch without startTime',
      expression: 'rate(7 minutes)',
      after: startOf2026,
      // 2026-01-01T00:00Z is 29453760 minutes after the epoch, a multiple of 7.
      next: '2026-01-01T00:07:00.000Z',
      previous: '2026-01-01T00:00:00.000Z',
    },
    {
      name: 'anchored at startTime',
      expression: 'rate(1 hour)',
      startTime: new Date('2026-01-01T00:17:00Z'),
      after: new Date('2026-01-01T02:00:00Z'),
      next: '2026-01-01T02:17:00.000Z',
      previous: '2026-01-01T01:17:00.000Z',
    },
    {
      name: 'before startTime the first fire is startTime itself',
      expression: 'rate(2 days)',
      startTime: windowOpens,
      after: startOf2026,
      next: '2026-03-01T00:00:00.000Z',
      previous: 'null',
    },
    {
      name: 'real fixed intervals across DST (plural and singular units)',
      expression: 'rate(1 days)',
      after: new Date('2026-03-08T12:00:00Z'),
      next: '2026-03-09T00:00:00.000Z',
      previous: '2026-03-08T00:00:00.000Z',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const schedule = compileSchedule(c.expression, {
        hashKey: 'ns/name',
        timeZone: 'America/New_York',
        startTime: c.startTime,
      });
      expect(iso(schedule.next(c.after))).to.equal(c.next);
      expect(String(iso(schedule.previous(c.after)))).to.equal(c.previous);
    });
  }
});

describe('compileSchedule: at()', () => {
  it('fires once at the wall time in its zone', () => {
    const schedule = compileSchedule('at(2026-07-01T09:30:00)', {
      hashKey: 'ns/name',
      timeZone: 'Europe/Berlin',
    });
    expect(iso(schedule.next(startOf2026))).to.equal('2026-07-01T07:30:00.000Z');
    expect(iso(schedule.next(new Date('2026-07-01T07:30:00Z')))).to.equal(null);
    expect(iso(schedule.previous(afterWindow))).to.equal(null);
    expect(iso(schedule.previous(new Date('2026-08-01T00:00:00Z')))).to.equal('2026-07-01T07:30:00.000Z');
  });

  it('a wall time in the spring-forward gap fires an hour later', () => {
    const schedule = compileSchedule('at(2026-03-08T02:30:00)', {
      hashKey: 'ns/name',
      timeZone: 'America/New_York',
    });
    expect(iso(schedule.next(startOf2026))).to.equal('2026-03-08T07:30:00.000Z');
  });
});

describe('compileSchedule: startTime/endTime window', () => {
  const daily = (): ReturnType<typeof compileSchedule> =>
    compileSchedule('0 0 * * *', { hashKey: 'ns/name', startTime: windowOpens, endTime: windowCloses });
  const cases: { name: string; run: () => Date | null; expected: string | null }[] = [
    {
      name: 'next before the window is the window start (inclusive)',
      run: () => daily().next(startOf2026),
      expected: '2026-03-01T00:00:00.000Z',
    },
    {
      name: 'next inside the window',
      run: () => daily().next(insideWindow),
      expected: '2026-03-03T00:00:00.000Z',
    },
    {
      name: 'next at the end is excluded',
      run: () => daily().next(new Date('2026-03-03T00:00:00Z')),
      expected: null,
    },
    {
      name: 'previous after the window is the last fire inside it',
      run: () => daily().previous(afterWindow),
      expected: '2026-03-03T00:00:00.000Z',
    },
    { name: 'previous before the window is null', run: () => daily().previous(startOf2026), expected: null },
    {
      name: 'previous at the window start is the start',
      run: () => daily().previous(windowOpens),
      expected: '2026-03-01T00:00:00.000Z',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(iso(c.run())).to.equal(c.expected);
    });
  }
});
