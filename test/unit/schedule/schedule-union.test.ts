// spec.schedules: the fire times are the union of the expressions, one instant fires once.
import { expect } from 'chai';
import {
  compileSchedules,
  compileSpecSchedule,
  scheduleSummary,
  SCHEDULE_SUMMARY_MAX,
} from '../../../src/schedule/schedule-union.js';
import { compileSchedule, ScheduleError, type CompiledSchedule } from '../../../src/schedule/schedule.js';

const d = (iso: string) => new Date(iso);
const hashKey = 'data/report';

function following(schedule: CompiledSchedule, from: string, count: number): string[] {
  const out: string[] = [];
  let cursor = d(from);
  for (let i = 0; i < count; i++) {
    const t = schedule.next(cursor);
    if (!t) break;
    out.push(t.toISOString());
    cursor = t;
  }
  return out;
}

function preceding(schedule: CompiledSchedule, from: string, count: number): string[] {
  const out: string[] = [];
  let cursor = d(from);
  for (let i = 0; i < count; i++) {
    const t = schedule.previous(cursor);
    if (!t) break;
    out.push(t.toISOString());
    cursor = new Date(t.getTime() - 1);
  }
  return out;
}

describe('compileSchedules: the union of several expressions', () => {
  it('merges in time order: weekdays at 8:00 and Saturdays at 10:00', () => {
    const s = compileSchedules(['0 8 * * 1-5', '0 10 * * 6'], { hashKey });
    // 2026-03-05 is a Thursday.
    expect(following(s, '2026-03-05T09:00:00Z', 4)).to.deep.equal([
      '2026-03-06T08:00:00.000Z',
      '2026-03-07T10:00:00.000Z',
      '2026-03-09T08:00:00.000Z',
      '2026-03-10T08:00:00.000Z',
    ]);
    expect(preceding(s, '2026-03-09T07:00:00Z', 3)).to.deep.equal([
      '2026-03-07T10:00:00.000Z',
      '2026-03-06T08:00:00.000Z',
      '2026-03-05T08:00:00.000Z',
    ]);
  });

  it('an instant named by two expressions fires once, walking forward and back', () => {
    // Every 15 minutes, and at the top of each hour: 10:00 is in both.
    const s = compileSchedules(['*/15 * * * *', '0 * * * *', 'cron(0 * * * ? *)'], { hashKey });
    const forward = following(s, '2026-03-01T09:50:00Z', 5);
    expect(forward).to.deep.equal([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:15:00.000Z',
      '2026-03-01T10:30:00.000Z',
      '2026-03-01T10:45:00.000Z',
      '2026-03-01T11:00:00.000Z',
    ]);
    expect(preceding(s, '2026-03-01T11:00:00Z', 5)).to.deep.equal([...forward].reverse());
  });

  it('mixes kinds: cron with seconds, rate(), at() and @daily', () => {
    const s = compileSchedules(['30 0 9 * * *', 'rate(6 hours)', 'at(2026-03-01T07:30:00)', '@daily'], {
      hashKey,
    });
    expect(following(s, '2026-03-01T00:00:00Z', 5)).to.deep.equal([
      '2026-03-01T06:00:00.000Z',
      '2026-03-01T07:30:00.000Z',
      '2026-03-01T09:00:30.000Z',
      '2026-03-01T12:00:00.000Z',
      '2026-03-01T18:00:00.000Z',
    ]);
  });

  it('reads every expression in the one time zone, across the spring-forward gap', () => {
    // Europe/Berlin jumps 02:00 -> 03:00 on 2026-03-29. 02:30 does not exist that day: it fires at
    // 03:30 local (01:30Z), as a single schedule does; 03:30 from the other expression is the same
    // instant and fires once.
    const s = compileSchedules(['30 2 * * *', '30 3 29 3 *'], { hashKey, timeZone: 'Europe/Berlin' });
    expect(following(s, '2026-03-28T00:00:00Z', 3)).to.deep.equal([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    const alone = compileSchedule('30 2 * * *', { hashKey, timeZone: 'Europe/Berlin' });
    expect(alone.next(d('2026-03-28T12:00:00Z'))?.toISOString()).to.equal('2026-03-29T01:30:00.000Z');
  });

  it('fires once in the fall-back overlap even when two expressions name the hour', () => {
    // Europe/Berlin repeats 02:00-03:00 on 2026-10-25: 02:15 fires at its first occurrence only.
    const s = compileSchedules(['15 2 * * *', '15 */2 25 10 *'], { hashKey, timeZone: 'Europe/Berlin' });
    const fires = following(s, '2026-10-24T23:00:00Z', 3);
    expect(fires).to.deep.equal([
      '2026-10-25T00:15:00.000Z',
      '2026-10-25T03:15:00.000Z',
      '2026-10-25T05:15:00.000Z',
    ]);
  });

  it('H resolves per expression from the one resource name, and resolved lists them all', () => {
    const s = compileSchedules(['H 8 * * 1-5', 'H(0-29) 10 * * 6'], { hashKey });
    const [a, b] = s.resolved.split('; ');
    expect(a).to.equal(compileSchedule('H 8 * * 1-5', { hashKey }).resolved);
    expect(b).to.equal(compileSchedule('H(0-29) 10 * * 6', { hashKey }).resolved);
    expect(s.expression).to.equal('H 8 * * 1-5; H(0-29) 10 * * 6');
    const minute = Number(a!.split(' ')[0]);
    expect(following(s, '2026-03-05T09:00:00Z', 1)).to.deep.equal([
      `2026-03-06T08:${String(minute).padStart(2, '0')}:00.000Z`,
    ]);
  });

  it('keeps the window: nothing before startTime or at and after endTime', () => {
    const s = compileSpecSchedule(
      {
        schedules: ['0 * * * *', '30 * * * *'],
        startTime: '2026-03-01T10:00:00Z',
        endTime: '2026-03-01T11:30:00Z',
      },
      hashKey,
    );
    expect(following(s, '2026-03-01T00:00:00Z', 10)).to.deep.equal([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:30:00.000Z',
      '2026-03-01T11:00:00.000Z',
    ]);
    expect(s.previous(d('2026-03-01T09:59:59Z'))).to.equal(null);
  });

  it('names the failing expression as schedules[i]', () => {
    expect(() => compileSchedules(['0 8 * * *', 'not a schedule'], { hashKey }))
      .to.throw(ScheduleError)
      .with.property('field', 'schedules[1]');
    expect(() => compileSchedules(['0 8 * * *'], { hashKey, timeZone: 'Mars/Olympus' }))
      .to.throw(ScheduleError)
      .with.property('field', 'timeZone');
  });

  it('spec.schedule stays itself: its errors name schedule', () => {
    const s = compileSpecSchedule({ schedule: 'H 2 * * *' }, hashKey);
    expect(s.expression).to.equal('H 2 * * *');
    expect(() => compileSpecSchedule({ schedule: 'nope' }, hashKey))
      .to.throw(ScheduleError)
      .with.property('field', 'schedule');
  });
});

describe('scheduleSummary: the Schedule column', () => {
  it('joins the expressions as written', () => {
    expect(scheduleSummary({ schedules: ['0 8 * * 1-5', '0 10 * * 6'] })).to.equal('0 8 * * 1-5; 0 10 * * 6');
    expect(scheduleSummary({ schedule: 'H 2 * * *' })).to.equal('H 2 * * *');
  });

  it('cuts a long list with an ellipsis', () => {
    const summary = scheduleSummary({ schedules: Array.from({ length: 20 }, (_, i) => `0 ${i} * * *`) });
    expect(summary).to.have.length(SCHEDULE_SUMMARY_MAX);
    expect(summary.endsWith('…')).to.equal(true);
    expect(summary.startsWith('0 0 * * *; 0 1 * * *')).to.equal(true);
  });
});
