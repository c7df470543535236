/**
 * Several expressions read as one schedule (spec.schedules): the fire times are their union, and
 * an instant named by more than one fires once. That follows from next() taking the earliest and
 * previous() the latest of the members: two members naming the same instant give one value, and a
 * run's identity is the resource uid plus that instant.
 */
import { compileSchedule, ScheduleError, type CompiledSchedule, type ScheduleOptions } from './schedule.js';

/** What separates the members in `expression` and `resolved` (status.resolvedSchedule). */
export const SCHEDULE_SEPARATOR = '; ';

/** The spec fields a schedule is read from (structural, so the API types stay out of this module). */
export interface ScheduleFields {
  readonly schedule?: string;
  readonly schedules?: readonly string[];
  readonly timeZone?: string;
  readonly startTime?: string;
  readonly endTime?: string;
}

/** spec.schedules, else spec.schedule as a list of one. */
export function expressionsOf(fields: ScheduleFields): readonly string[] {
  return fields.schedules ?? (fields.schedule === undefined ? [] : [fields.schedule]);
}

/** The union of `expressions`, each compiled with `options`. Errors name `schedules[i]`. */
export function compileSchedules(
  expressions: readonly string[],
  options: ScheduleOptions,
  listed = true,
): CompiledSchedule {
  if (expressions.length === 0) throw new ScheduleError('schedule', 'no schedule is set');
  const members = expressions.map((expression, i) => {
    try {
      return compileSchedule(expression, options);
    } catch (error) {
      if (!listed || !(error instanceof ScheduleError) || error.field !== 'schedule') throw error;
      throw new ScheduleError(`schedules[${i}]`, error.detail);
    }
  });
  if (members.length === 1 && !listed) return members[0]!;
  return {
    expression: expressions.join(SCHEDULE_SEPARATOR),
    resolved: members.map((m) => m.resolved).join(SCHEDULE_SEPARATOR),
    timeZone: members[0]!.timeZone,
    next: (after) => earliest(members.map((m) => m.next(after))),
    previous: (atOrBefore) => latest(members.map((m) => m.previous(atOrBefore))),
  };
}

/** The resource's schedule: spec.schedule or the union of spec.schedules, with its window. */
export function compileSpecSchedule(fields: ScheduleFields, hashKey: string): CompiledSchedule {
  return compileSchedules(
    expressionsOf(fields),
    {
      ...(fields.timeZone !== undefined ? { timeZone: fields.timeZone } : {}),
      ...(fields.startTime !== undefined ? { startTime: new Date(fields.startTime) } : {}),
      ...(fields.endTime !== undefined ? { endTime: new Date(fields.endTime) } : {}),
      hashKey,
    },
    fields.schedules !== undefined,
  );
}

/** Longest text the Schedule printer column shows before it is cut. */
export const SCHEDULE_SUMMARY_MAX = 64;

/** The schedule as the Schedule column shows it: the expressions as written, cut with an ellipsis. */
export function scheduleSummary(fields: ScheduleFields): string {
  const text = expressionsOf(fields).join(SCHEDULE_SEPARATOR);
  return text.length <= SCHEDULE_SUMMARY_MAX ? text : `${text.slice(0, SCHEDULE_SUMMARY_MAX - 1)}…`;
}

function earliest(times: readonly (Date | null)[]): Date | null {
  let best: Date | null = null;
  for (const t of times) if (t && (!best || t.getTime() < best.getTime())) best = t;
  return best;
}

function latest(times: readonly (Date | null)[]): Date | null {
  let best: Date | null = null;
  for (const t of times) if (t && (!best || t.getTime() > best.getTime())) best = t;
  return best;
}
