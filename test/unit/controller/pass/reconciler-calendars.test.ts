// spec.excludeCalendars through a whole pass: excluded times launch nothing and are counted; a
// missing or invalid calendar stalls without retry; a calendar change takes effect at the next pass.
import { expect } from 'chai';
import type { Condition } from '../../../../src/api/types.js';
import { MemoryCalendars } from '../../../support/memory-calendars.js';
import { harness, key } from './harness.js';

const stalled = (conditions: readonly Condition[] | undefined) =>
  conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');

describe('Reconciler: spec.excludeCalendars', () => {
  function setup() {
    const calendars = new MemoryCalendars();
    const h = harness({ excludeCalendars: ['holidays'] }, { deps: { calendars } });
    return { ...h, calendars };
  }

  it('an excluded time launches nothing, is neither Missed nor Skipped, is counted once, and moves nextScheduleTime on', async () => {
    const h = setup();
    h.calendars.put('data', 'holidays', { dates: ['2026-03-01'] });
    const result = await h.reconcile('2026-03-01T10:00:05Z');
    expect(h.launcher.runRequests).to.have.length(0);
    expect(h.runs()).to.deep.equal([]);
    expect(h.status().lastScheduleTime).to.equal('2026-03-01T10:00:00.000Z');
    expect(h.status().nextScheduleTime).to.equal('2026-03-02T00:00:00.000Z');
    expect(h.status().missedRunsTotal ?? 0).to.equal(0);
    expect(h.metrics.excluded).to.deep.equal([{ key, count: 1 }]);
    // It looks again at the next excluded time, to deal with it as it passes.
    expect(result.requeueAfterMs).to.be.closeTo(3_600_000 - 5_000, 100);
    // A second pass later that day counts only what is new: 11:00 and 12:00.
    await h.reconcile('2026-03-01T12:30:00Z');
    expect(h.metrics.excluded).to.deep.equal([
      { key, count: 1 },
      { key, count: 2 },
    ]);
    expect(h.launcher.runRequests).to.have.length(0);
  });

  it('a calendar edit that lifts the exclusion launches at the next pass', async () => {
    const h = setup();
    h.calendars.put('data', 'holidays', { dates: ['2026-03-01'] });
    await h.reconcile('2026-03-01T10:00:05Z');
    h.calendars.put('data', 'holidays', { dates: ['2026-03-02'] });
    await h.reconcile('2026-03-01T11:00:05Z');
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.runs().map((r) => `${r.scheduledTime} ${r.result}`)).to.deep.equal([
      '2026-03-01T11:00:00.000Z Running',
    ]);
  });

  it('lifting a calendar never turns the times it excluded into Missed runs or late launches', async () => {
    const h = setup();
    h.calendars.put('data', 'holidays', { dates: ['2026-03-01'] });
    // The passes the plan asks for: one at each excluded time as it passes.
    await h.reconcile('2026-03-01T10:00:00.025Z');
    await h.reconcile('2026-03-01T11:00:00.025Z');
    h.calendars.put('data', 'holidays', { dates: [] });
    await h.reconcile('2026-03-01T11:30:00Z');
    expect(h.runs()).to.deep.equal([]);
    expect(h.launcher.runRequests).to.have.length(0);
    await h.reconcile('2026-03-01T12:00:00.025Z');
    expect(h.runs().map((r) => `${r.scheduledTime} ${r.result}`)).to.deep.equal([
      '2026-03-01T12:00:00.000Z Running',
    ]);
  });

  it('a missing calendar stalls the resource (CalendarNotFound, a Warning, no retry); creating it un-stalls', async () => {
    const h = setup();
    const result = await h.reconcile('2026-03-01T10:00:05Z');
    expect(result).to.deep.equal({});
    expect(h.launcher.runRequests).to.have.length(0);
    expect(stalled(h.status().conditions)?.reason).to.equal('CalendarNotFound');
    expect(stalled(h.status().conditions)?.message).to.contain('"holidays" not found in namespace data');
    expect(h.events.reasons()).to.deep.equal(['CalendarNotFound']);
    // Stalled again: no second event.
    await h.reconcile('2026-03-01T10:00:10Z');
    expect(h.events.reasons()).to.deep.equal(['CalendarNotFound']);

    h.calendars.put('data', 'holidays', { dates: ['2026-12-25'] });
    await h.reconcile('2026-03-01T10:00:15Z');
    expect(stalled(h.status().conditions)).to.equal(undefined);
    expect(h.launcher.runRequests).to.have.length(1);
  });

  it('a calendar that cannot work (it slipped past the API server) stalls with InvalidCalendar, naming its field', async () => {
    const h = setup();
    h.calendars.put('data', 'holidays', { dates: ['2026-02-30'] });
    await h.reconcile('2026-03-01T10:00:05Z');
    expect(h.launcher.runRequests).to.have.length(0);
    expect(stalled(h.status().conditions)?.reason).to.equal('InvalidCalendar');
    expect(stalled(h.status().conditions)?.message).to.contain('spec.dates[0]');
  });

  it('without a calendar source, a resource naming a calendar stalls rather than running on an excluded day', async () => {
    const h = harness({ excludeCalendars: ['holidays'] });
    await h.reconcile('2026-03-01T10:00:05Z');
    expect(h.launcher.runRequests).to.have.length(0);
    expect(stalled(h.status().conditions)?.reason).to.equal('CalendarNotFound');
  });
});
