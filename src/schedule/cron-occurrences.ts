import type { CronCalendar } from './cron-calendar.js';
import type { TimeZone } from './time-zone.js';

/**
 * Fire instants of a cron calendar read in a time zone. The calendar yields wall times in order;
 * TimeZone.toInstant maps each to the instant it fires at. That map is monotonic except around a
 * spring-forward gap, where a wall time in the gap is pushed later by the gap's length and can land
 * after the instant of a wall time just past the gap (`30 2` fires at 03:30, after `15 3`). So each
 * search starts a little before the obvious wall time and, when it lands near a gap, looks a
 * little further for an earlier (or later) instant. The slack is twice the gap: enough to cover a
 * wall time pushed by the full gap on either side of the transition.
 */
export function nextCronInstant(
  calendar: CronCalendar,
  zone: TimeZone,
  after: number,
  maxYear: number,
): number | null {
  // Wall times in a gap that just happened can still fire after `after`.
  const start = zone.wallOf(after) - 2 * zone.recentGap(after);
  let wall = calendar.nextWall(start, maxYear);
  while (wall !== null) {
    const instant = zone.toInstant(wall);
    if (instant > after) {
      let best = instant;
      const pushedBy = zone.wallOf(instant) - wall;
      if (pushedBy > 0) {
        for (
          let later = calendar.nextWall(wall + 1000, maxYear);
          later !== null && later <= wall + 2 * pushedBy;
          later = calendar.nextWall(later + 1000, maxYear)
        ) {
          const candidate = zone.toInstant(later);
          if (candidate > after && candidate < best) best = candidate;
        }
      }
      return best;
    }
    // Earlier wall time, or the second pass of a fall-back overlap (it fired on the first pass).
    wall = calendar.nextWall(wall + 1000, maxYear);
  }
  return null;
}

export function previousCronInstant(
  calendar: CronCalendar,
  zone: TimeZone,
  atOrBefore: number,
  minYear: number,
): number | null {
  // During the second pass of an overlap, later wall times already fired on the first pass.
  const start = Math.floor(zone.wallOf(atOrBefore) / 1000) * 1000 + zone.recentOverlap(atOrBefore);
  let wall = calendar.prevWall(start, minYear);
  while (wall !== null) {
    const instant = zone.toInstant(wall);
    if (instant <= atOrBefore) {
      let best = instant;
      const gap = zone.recentGap(instant);
      if (gap > 0) {
        for (
          let earlier = calendar.prevWall(wall - 1000, minYear);
          earlier !== null && earlier >= wall - 2 * gap;
          earlier = calendar.prevWall(earlier - 1000, minYear)
        ) {
          const candidate = zone.toInstant(earlier);
          if (candidate <= atOrBefore && candidate > best) best = candidate;
        }
      }
      return best;
    }
    wall = calendar.prevWall(wall - 1000, minYear);
  }
  return null;
}
