/**
 * Whether an EventBridge schedule expression means the same fire times under ecs-scheduler as
 * under EventBridge. The spec takes `cron()`, `rate()` and `at()` unchanged; two things differ:
 * - ecs-scheduler's extensions (`H`, and `?` in a time-of-day field, which it hashes) are not
 *   EventBridge's, so an input with them is refused rather than reinterpreted;
 * - in a spring-forward gap EventBridge Scheduler skips a wall time that does not exist, while
 *   ecs-scheduler runs it after the gap (RFC 5545). A schedule is refused only when that shifted
 *   run is not already one of its own fire times (every 15 minutes loses nothing; 02:30 daily does).
 */
import { parseAt } from '../schedule/at-expression.js';
import { compileSchedule, ScheduleError } from '../schedule/schedule.js';
import { TimeZone } from '../schedule/time-zone.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Weekdays and leap years repeat within 28 years: a gap that ever matters shows up in that span. */
const GAP_SEARCH_YEARS = 28;
// A seed for H in the check compiles; the check refuses H before it matters.
const CHECK_KEY = 'import/check';

export type ExpressionCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface ExpressionContext {
  readonly timeZone: string;
  /** The check looks at the gaps from here on. */
  readonly now: number;
  readonly startTime?: number;
  readonly endTime?: number;
  /** EventBridge rules take cron() and rate() only. */
  readonly allowAt: boolean;
}

export function checkEventBridgeExpression(expression: string, context: ExpressionContext): ExpressionCheck {
  const text = expression.trim();
  const kind = /^(cron|rate|at)\s*\(/i.exec(text)?.[1]?.toLowerCase();
  if (kind === undefined || (kind === 'at' && !context.allowAt)) {
    const forms = context.allowAt ? 'cron(...), rate(...) or at(...)' : 'cron(...) or rate(...)';
    return { ok: false, reason: `"${text}" is not an EventBridge expression (${forms})` };
  }
  if (kind === 'cron') {
    const fields = /^cron\s*\((.*)\)$/is.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
    if (fields.some((f) => /h/i.test(f)))
      return { ok: false, reason: `"${text}": H is ecs-scheduler's hash, not an EventBridge value` };
    const timeFields = [fields[0], fields[1], fields[3], fields[5]];
    if (timeFields.some((f) => f?.includes('?')))
      return {
        ok: false,
        reason: `"${text}": "?" is EventBridge's only in day-of-month and day-of-week (ecs-scheduler would hash it elsewhere)`,
      };
  }
  try {
    compileSchedule(text, {
      timeZone: context.timeZone,
      hashKey: CHECK_KEY,
      ...(context.startTime !== undefined && { startTime: new Date(context.startTime) }),
      ...(context.endTime !== undefined && { endTime: new Date(context.endTime) }),
    });
  } catch (error) {
    if (error instanceof ScheduleError) return { ok: false, reason: `"${text}": ${error.message}` };
    throw error;
  }
  if (kind === 'rate') return { ok: true };
  const zone = TimeZone.load(context.timeZone);
  if (kind === 'at') {
    const wall = parseAt(text);
    if (zone.wallOf(zone.toInstant(wall)) !== wall)
      return {
        ok: false,
        reason: `"${text}" falls in a daylight-saving gap of ${context.timeZone}: EventBridge Scheduler skips it, ecs-scheduler would run it after the gap`,
      };
    return { ok: true };
  }
  return checkCronGaps(text, zone, context);
}

/** Spring-forward gaps of `zone` from `from` on: [first missing wall time, first wall time after). */
function gapsOf(
  zone: TimeZone,
  from: number,
  until: number,
): { start: number; length: number; at: number }[] {
  const gaps: { start: number; length: number; at: number }[] = [];
  for (let day = from; day < until; day += DAY) {
    const before = zone.offsetAt(day);
    const after = zone.offsetAt(day + DAY);
    if (after <= before) continue;
    // The transition instant, to the minute (transitions fall on whole minutes).
    let low = day;
    let high = day + DAY;
    while (high - low > MINUTE) {
      const mid = low + Math.floor((high - low) / 2 / MINUTE) * MINUTE;
      if (zone.offsetAt(mid) === before) low = mid;
      else high = mid;
    }
    gaps.push({ start: high + before, length: after - before, at: high });
  }
  return gaps;
}

function checkCronGaps(text: string, zone: TimeZone, context: ExpressionContext): ExpressionCheck {
  if (isFixedOffset(zone, context.now)) return { ok: true };
  // Wall times read as UTC: the expression's own calendar, free of any zone.
  const wallCalendar = compileSchedule(text, { timeZone: 'UTC', hashKey: CHECK_KEY });
  const from = Math.max(context.now, context.startTime ?? context.now);
  const until = Math.min(from + GAP_SEARCH_YEARS * 366 * DAY, context.endTime ?? Infinity);
  for (const gap of gapsOf(zone, from, until)) {
    for (
      let wall = wallCalendar.next(new Date(gap.start - 1));
      wall !== null && wall.getTime() < gap.start + gap.length;
      wall = wallCalendar.next(wall)
    ) {
      const shifted = wall.getTime() + gap.length;
      if (wallCalendar.next(new Date(shifted - 1))?.getTime() === shifted) continue;
      const at = new Date(wall.getTime()).toISOString().slice(0, 16).replace('T', ' ');
      return {
        ok: false,
        reason:
          `"${text}" fires at ${at} (${zone.name} wall time), inside a daylight-saving gap: ` +
          'EventBridge Scheduler skips that run, ecs-scheduler would run it after the gap',
      };
    }
  }
  return { ok: true };
}

/** A zone without transitions in the next year (UTC, Asia/Tokyo) has no gaps worth a search. */
function isFixedOffset(zone: TimeZone, now: number): boolean {
  const first = zone.offsetAt(now);
  for (let t = now; t < now + 366 * DAY; t += 7 * DAY) if (zone.offsetAt(t) !== first) return false;
  return true;
}
