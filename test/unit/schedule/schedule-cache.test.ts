import { expect } from 'chai';
import { cachedScheduleCount, compileSchedule } from '../../../src/schedule/schedule.js';

describe('schedule cache', () => {
  it('holds every resource of a 5,000-resource controller, so no pass re-parses its expression', () => {
    // The hash key makes each resource's entry its own; a cache smaller than the resources is
    // missed on every pass.
    for (let i = 0; i < 5000; i++) compileSchedule('H * * * * *', { hashKey: `cache-test/r-${i}` });
    expect(cachedScheduleCount()).to.be.at.least(5000);
  });

  it('shares a calendar between resources whose H resolves alike, and keeps the others apart', () => {
    const from = new Date('2026-03-01T10:00:00Z');
    const byResolved = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const schedule = compileSchedule('H H * * *', { hashKey: `cache-test/shared-${i}` });
      const next = schedule.next(from)!.getTime();
      const [minute, hour] = schedule.resolved.split(' ').map(Number);
      // What the resolved text says, whichever resource's calendar answered.
      expect(new Date(next).getUTCMinutes()).to.equal(minute);
      expect(new Date(next).getUTCHours()).to.equal(hour);
      const seen = byResolved.get(schedule.resolved);
      if (seen !== undefined) expect(next).to.equal(seen);
      byResolved.set(schedule.resolved, next);
    }
    expect(byResolved.size).to.be.greaterThan(100);
  });
});
