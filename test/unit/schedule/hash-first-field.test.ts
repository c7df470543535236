// An expression may open with the hash field H(a-b): it is cron, not a function form like rate(...).
import { expect } from 'chai';
import { compileSchedule, ScheduleError } from '../../../src/schedule/schedule.js';

const hashKey = 'data/nightly';
const from = new Date('2026-03-01T00:00:00Z');

/** The first fire minutes of an hour, as "m" numbers, for a schedule that fires within each hour. */
function minutesInFirstHour(expression: string): number[] {
  const schedule = compileSchedule(expression, { hashKey });
  const out: number[] = [];
  for (
    let t = schedule.next(new Date(from.getTime() - 1));
    t && t.getTime() < from.getTime() + 3_600_000;
    t = schedule.next(t)
  )
    out.push(t.getUTCMinutes());
  return out;
}

describe('compileSchedule: H(...) as the first field', () => {
  const sameAs = [
    {
      name: 'H(0-29) opening a 5-field expression',
      expression: 'H(0-29) * * * *',
      twin: '0 H(0-29) * * * *',
    },
    {
      name: 'H(0-29)/10 opening a 5-field expression',
      expression: 'H(0-29)/10 * * * *',
      twin: '0 H(0-29)/10 * * * *',
    },
    { name: 'lower-case h(0-29)', expression: 'h(0-29) * * * *', twin: '0 H(0-29) * * * *' },
    {
      name: 'H(0-29) opening a 6-field expression (seconds)',
      expression: 'H(0-29) H(0-29) * * * *',
      twin: 'H(0-29) H(0-29) * * * *',
    },
  ];
  for (const c of sameAs) {
    it(`${c.name} is parsed as cron, like the same field elsewhere`, () => {
      const schedule = compileSchedule(c.expression, { hashKey });
      const twin = compileSchedule(c.twin, { hashKey });
      expect(schedule.next(from)?.toISOString()).to.equal(twin.next(from)?.toISOString());
    });
  }

  it('H(0-29) picks one minute in 0-29 and H(0-29)/10 steps by 10 from an offset under 10', () => {
    const [single, ...rest] = minutesInFirstHour('H(0-29) * * * *');
    expect(rest).to.deep.equal([]);
    expect(single).to.be.within(0, 29);
    const stepped = minutesInFirstHour('H(0-29)/10 * * * *');
    expect(stepped).to.have.length(3);
    expect(stepped[0]).to.be.below(10);
    expect(stepped).to.deep.equal([stepped[0], stepped[0]! + 10, stepped[0]! + 20]);
  });

  const refused = [
    { name: 'an unknown function', expression: 'foo(1)', message: /unknown expression "foo\(1\)"/ },
    { name: 'H(...) alone', expression: 'H(0-29)', message: /expected 5 or 6 fields, got 1/ },
    { name: 'H(...) out of the field range', expression: 'H(0-79) * * * *', message: /minute/ },
  ];
  for (const c of refused) {
    it(`still refuses ${c.name}`, () => {
      expect(() => compileSchedule(c.expression, { hashKey })).to.throw(ScheduleError, c.message);
    });
  }
});
