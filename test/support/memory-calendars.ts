// An in-memory CalendarSource: calendars put, changed and removed by the test, listeners told.
import type { CalendarSpec, EcsScheduleCalendarResource } from '../../src/api/calendar-types.js';
import { API_VERSION, CALENDAR_KIND } from '../../src/api/constants.js';
import type { CalendarSource } from '../../src/controller/calendar-port.js';

export class MemoryCalendars implements CalendarSource {
  readonly #items = new Map<string, EcsScheduleCalendarResource>();
  readonly #listeners: ((namespace: string, name: string) => void)[] = [];

  get(namespace: string, name: string): EcsScheduleCalendarResource | undefined {
    return this.#items.get(`${namespace}/${name}`);
  }

  onChange(listener: (namespace: string, name: string) => void): void {
    this.#listeners.push(listener);
  }

  put(namespace: string, name: string, spec: CalendarSpec): void {
    this.#items.set(`${namespace}/${name}`, {
      apiVersion: API_VERSION,
      kind: CALENDAR_KIND,
      metadata: { namespace, name },
      spec,
    });
    for (const listener of this.#listeners) listener(namespace, name);
  }

  remove(namespace: string, name: string): void {
    this.#items.delete(`${namespace}/${name}`);
    for (const listener of this.#listeners) listener(namespace, name);
  }
}
