import type { Static } from '@sinclair/typebox';
import type { EcsScheduleCalendar, EcsScheduleCalendarSpec } from './calendar-schema.js';

export type EcsScheduleCalendarResource = Static<typeof EcsScheduleCalendar>;
export type CalendarSpec = Static<typeof EcsScheduleCalendarSpec>;
