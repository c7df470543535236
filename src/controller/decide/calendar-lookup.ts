// spec.excludeCalendars resolved to the exclusions the schedule plan takes. Pure given the lookup:
// a calendar that is missing or cannot work stalls the resource (no run launches on a day a
// calendar was meant to exclude), and the pass is not retried until a calendar changes.
import type { EcsScheduleCalendarResource } from '../../api/calendar-types.js';
import { validateCalendar } from '../../api/calendar-validation.js';
import { CALENDAR_KIND } from '../../api/constants.js';
import type { EcsScheduledTaskResource } from '../../api/types.js';
import {
  compileCalendar,
  exclusionsOf,
  type ExclusionCalendar,
  type Exclusions,
} from '../../schedule/exclusion-calendar.js';
import { LruCache } from '../../schedule/lru-cache.js';

/** Stall reasons (Stalled condition and Warning event). */
export const CalendarReason = {
  CalendarNotFound: 'CalendarNotFound',
  InvalidCalendar: 'InvalidCalendar',
} as const;

export type CalendarResolution =
  | { readonly ok: true; readonly exclusions?: Exclusions }
  | {
      readonly ok: false;
      readonly reason: (typeof CalendarReason)[keyof typeof CalendarReason];
      readonly message: string;
    };

export type CalendarLookup = (namespace: string, name: string) => EcsScheduleCalendarResource | undefined;

// Calendars compiled per content: a pass asks for them every time, and a calendar shared by
// thousands of resources is compiled once. Bounded like the schedule cache.
const CACHE_SIZE = 1000;

/** Compiles calendars once per content. Owned by one reconciler. */
export class CalendarCompiler {
  readonly #cache = new LruCache<string, ExclusionCalendar | string>(CACHE_SIZE);

  /** The compiled calendar, or the first problem with it as one line. */
  compile(calendar: EcsScheduleCalendarResource, key: string): ExclusionCalendar | string {
    const cacheKey = `${key}\u0000${JSON.stringify(calendar.spec)}`;
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const issues = validateCalendar({ ...calendar, apiVersion: calendar.apiVersion, kind: CALENDAR_KIND });
    const compiled =
      issues.length > 0
        ? issues.map((i) => `${i.path}: ${i.message}`).join('; ')
        : compileCalendar(calendar.spec, key);
    this.#cache.set(cacheKey, compiled);
    return compiled;
  }
}

export function resolveCalendars(
  resource: EcsScheduledTaskResource,
  lookup: CalendarLookup | undefined,
  compiler: CalendarCompiler,
): CalendarResolution {
  const names = resource.spec.excludeCalendars ?? [];
  if (names.length === 0) return { ok: true };
  const namespace = resource.metadata.namespace ?? 'default';
  const calendars: ExclusionCalendar[] = [];
  for (const name of names) {
    const found = lookup?.(namespace, name);
    if (!found) {
      return {
        ok: false,
        reason: CalendarReason.CalendarNotFound,
        message: `spec.excludeCalendars: ${CALENDAR_KIND} "${name}" not found in namespace ${namespace}; nothing launches until it exists, rather than at a time it may exclude`,
      };
    }
    const compiled = compiler.compile(found, `${namespace}/${name}`);
    if (typeof compiled === 'string') {
      return {
        ok: false,
        reason: CalendarReason.InvalidCalendar,
        message: `spec.excludeCalendars: ${CALENDAR_KIND} ${namespace}/${name} is invalid: ${compiled}`,
      };
    }
    calendars.push(compiled);
  }
  return { ok: true, exclusions: exclusionsOf(calendars) };
}
