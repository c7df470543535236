// Where EcsScheduleCalendars come from: an informer in Kubernetes mode, the manifests folder in
// standalone mode, a map in tests. Nothing here imports a client library.
import type { EcsScheduleCalendarResource } from '../api/calendar-types.js';

export interface CalendarSource {
  /** The cached copy, or undefined when there is none. Callers must not mutate it. */
  get(namespace: string, name: string): EcsScheduleCalendarResource | undefined;
  /** Called with each calendar added, changed or removed. */
  onChange(listener: (namespace: string, name: string) => void): void;
}
