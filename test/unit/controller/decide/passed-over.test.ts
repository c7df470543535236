import { expect } from 'chai';
import {
  addPendingRange,
  decideLookedUp,
  MAX_PENDING_RANGES,
  plannedPassedOverTasks,
  splitPassedOver,
} from '../../../../src/controller/decide/passed-over.js';
import {
  MAX_MISSED_RECORDS,
  planSchedule,
  type FireTimes,
} from '../../../../src/controller/decide/schedule-plan.js';

const MINUTE = 60_000;
const everyMinute: FireTimes = {
  next: (after) => new Date(Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE),
  previous: (t) => new Date(Math.floor(t.getTime() / MINUTE) * MINUTE),
};
const d = (iso: string) => new Date(iso);
const plan = (after: string, now: string) =>
  planSchedule({ fires: everyMinute, now: d(now), after: d(after), suspend: false, jitterSeconds: () => 0 });

describe('splitPassedOver: which passed-over times are looked up before they are recorded', () => {
  const after = '2026-03-01T10:00:00Z';

  it('every time before the term began becomes one range, oldest to newest; the due time stays in the plan', () => {
    const p = plan(after, '2026-03-01T11:01:05Z');
    const split = splitPassedOver(p, everyMinute, d(after), () => true);
    expect(split.range).to.deep.equal({ from: '2026-03-01T10:01:00.000Z', to: '2026-03-01T11:00:00.000Z' });
    expect(split.plan.missed).to.deep.equal([]);
    expect(split.plan.missedCount).to.equal(0);
    expect(split.plan.due?.toISOString()).to.equal('2026-03-01T11:01:00.000Z');
  });

  it('times after the start of the term stay Missed without a lookup', () => {
    const p = plan(after, '2026-03-01T10:06:05Z');
    const termStart = d('2026-03-01T10:03:30Z').getTime();
    const split = splitPassedOver(p, everyMinute, d(after), (t) => t.getTime() < termStart);
    expect(split.range).to.deep.equal({ from: '2026-03-01T10:01:00.000Z', to: '2026-03-01T10:03:00.000Z' });
    expect(split.plan.missed.map((t) => t.toISOString())).to.deep.equal([
      '2026-03-01T10:05:00.000Z',
      '2026-03-01T10:04:00.000Z',
    ]);
    expect(split.plan.missedCount).to.equal(2);
  });

  it('past the records the plan keeps, the range still starts right after the watermark', () => {
    // 200 passed over: the plan keeps records for the newest MAX_MISSED_RECORDS only.
    const p = plan(after, '2026-03-01T13:21:05Z');
    expect(p.missedCount).to.be.greaterThan(MAX_MISSED_RECORDS);
    const split = splitPassedOver(p, everyMinute, d(after), () => true);
    expect(split.range?.from).to.equal('2026-03-01T10:01:00.000Z');
    expect(split.range?.to).to.equal('2026-03-01T13:20:00.000Z');
  });

  it('nothing to look up: the plan is unchanged', () => {
    const p = plan(after, '2026-03-01T10:06:05Z');
    expect(splitPassedOver(p, everyMinute, d(after), () => false)).to.deep.equal({ plan: p });
  });
});

describe('addPendingRange', () => {
  it('appends; past the cap the two newest merge', () => {
    const r = (i: number) => ({ from: `a${i}`, to: `b${i}` });
    expect(addPendingRange([r(1)], r(2))).to.deep.equal([r(1), r(2)]);
    const full = Array.from({ length: MAX_PENDING_RANGES }, (_, i) => r(i));
    const merged = addPendingRange(full, r(99));
    expect(merged).to.have.length(MAX_PENDING_RANGES);
    expect(merged.at(-1)).to.deep.equal({ from: `a${MAX_PENDING_RANGES - 1}`, to: 'b99' });
  });
});

describe('decideLookedUp: a passed-over time after its lookup', () => {
  const time = d('2026-03-01T10:01:00Z');
  const base = { time, cluster: 'prod', planned: 25, inWindow: true };
  const arns = (n: number) => Array.from({ length: n }, (_, i) => `arn:task/${i}`);

  it('no tasks: Missed', () => {
    const { run, missed } = decideLookedUp({ ...base, found: [] });
    expect(missed).to.equal(true);
    expect(run).to.include({ result: 'Missed', reason: 'Coalesced' });
  });

  it('all its tasks: adopted', () => {
    const { run, missed } = decideLookedUp({ ...base, found: arns(25) });
    expect(missed).to.equal(false);
    expect(run).to.include({ result: 'Running', launchCount: 25 });
    expect(run.unconfirmedLaunch).to.equal(undefined);
  });

  it('fewer, inside the window: the batches not seen whole are unconfirmed, from the first such batch', () => {
    const { run } = decideLookedUp({ ...base, found: arns(13) });
    expect(run).to.include({ result: 'Running', launchCount: 25, reason: 'LaunchUnconfirmed' });
    expect(run.unconfirmedLaunch).to.deep.equal({ launchAttempt: 0, fromBatch: 1, count: 15 });
    expect(run.tasks).to.have.length(13);
  });

  it('fewer, past the window: adopted as found, saying why', () => {
    const { run } = decideLookedUp({ ...base, found: arns(13), inWindow: false });
    expect(run).to.include({ result: 'Running', launchCount: 13, desiredCount: 25 });
    expect(run.unconfirmedLaunch).to.equal(undefined);
    expect(run.message).to.contain('past startingDeadlineSeconds');
  });

  it('a count the spec cannot tell (a trigger, TopUp): adopted as found', () => {
    const task = { taskDefinition: 'report' };
    expect(plannedPassedOverTasks({ schedule: '* * * * *', task, taskCount: 5 }, 100)).to.equal(5);
    expect(plannedPassedOverTasks({ schedule: '* * * * *', task, taskCount: 500 }, 100)).to.equal(100);
    expect(
      plannedPassedOverTasks({ schedule: '* * * * *', task, taskCount: 5, concurrencyPolicy: 'TopUp' }, 100),
    ).to.equal(undefined);
    const { run } = decideLookedUp({ ...base, planned: undefined, found: arns(3) });
    expect(run).to.include({ launchCount: 3 });
  });
});
