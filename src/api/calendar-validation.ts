// Offline validation of an EcsScheduleCalendar with the schema its CRD is generated from, plus the
// CEL rules' offline twins and the calendar compiler (which knows time zones and cron). Used by
// standalone mode, by `validate` and `next`, and by the reconciler for a calendar that slipped
// past the API server.
import { CalendarError, compileCalendar } from '../schedule/exclusion-calendar.js';
import { EcsScheduleCalendar } from './calendar-schema.js';
import type { EcsScheduleCalendarResource } from './calendar-types.js';
import { API_VERSION, CALENDAR_KIND } from './constants.js';
import { schemaChecker, type ValidationIssue } from './validation.js';

const checkSchema = schemaChecker(EcsScheduleCalendar);

/** Every problem with the object, or an empty list when it is a valid EcsScheduleCalendar. */
export function validateCalendar(calendar: unknown): ValidationIssue[] {
  const shape = checkSchema(calendar);
  if (shape.length > 0) return shape;
  const c = calendar as EcsScheduleCalendarResource;
  const issues: ValidationIssue[] = [];
  if (c.apiVersion !== API_VERSION) issues.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (c.kind !== CALENDAR_KIND) issues.push({ path: 'kind', message: `must be ${CALENDAR_KIND}` });
  if (!c.metadata.name) issues.push({ path: 'metadata.name', message: 'required field is missing' });
  // The compiler stops at the first field that can never work; the schema caught the shapes.
  try {
    compileCalendar(c.spec, `${c.metadata.namespace ?? 'default'}/${c.metadata.name ?? ''}`);
  } catch (error) {
    if (!(error instanceof CalendarError)) throw error;
    issues.push({ path: error.field, message: error.message.slice(error.field.length + 2) });
  }
  return issues;
}
