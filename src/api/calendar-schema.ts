// The single source of the EcsScheduleCalendar API: times when the EcsScheduledTasks that name it
// in spec.excludeCalendars do not run. The CRD (crds/ecsschedulecalendars.yaml), the TypeScript
// types (api/calendar-types.ts) and the offline validator (api/calendar-validation.ts) derive from
// the TypeBox schemas below, as they do for EcsScheduledTask in api/schema.ts.
import { Type, type TSchema } from '@sinclair/typebox';
import { NamespacedObjectMeta, type CrossFieldRule } from './schema.js';

const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

// A list stays short enough to read at a glance and keeps the CEL cost estimate small: a year of
// public holidays is a few dozen dates.
const LIST_MAX_ITEMS = 366;

/** YYYY-MM-DD (one day) or --MM-DD (that day every year), with month and day in range. */
export const DATE_PATTERN =
  '^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])|--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$';
/** HH:MM, 00:00 to 24:00 (24:00 ends a range at midnight). */
export const CLOCK_PATTERN = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';
/** An IANA name's characters; whether the zone exists is checked where tz data is (CEL and the controller). */
const TIME_ZONE_PATTERN = '^[A-Za-z][A-Za-z0-9_+/-]*$';
/**
 * The cron family's shape: a macro, EventBridge `cron(...)`, or 5 to 6 fields of cron characters.
 * The controller's parser checks the rest; CEL has no cron library.
 */
const CRON_PATTERN = '^\\s*(@[a-z]+|cron\\(.*\\)|[0-9A-Za-z*/,?#-]+(\\s+[0-9A-Za-z*/,?#-]+){4,5})\\s*$';

// The days in each month (index 1..12), February as in a leap year; the year's own rule follows.
const DAYS = '[0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]';
const DATE_RULE =
  `self.startsWith('--') ? int(self.substring(5, 7)) <= ${DAYS}[int(self.substring(2, 4))] : ` +
  `int(self.substring(8, 10)) <= ${DAYS}[int(self.substring(5, 7))] && ` +
  `!(self.substring(5, 10) == '02-29' && !(int(self.substring(0, 4)) % 4 == 0 && ` +
  `(int(self.substring(0, 4)) % 100 != 0 || int(self.substring(0, 4)) % 400 == 0)))`;

export const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const clockMinutes = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));

export const rangeRules: readonly CrossFieldRule<{ start: string; end: string }>[] = [
  {
    path: 'spec.ranges[].end',
    fieldPath: '.end',
    rule: 'timestamp(self.end) > timestamp(self.start)',
    message: 'end must be after start: a range is [start, end)',
    check: (r) => Date.parse(r.end) > Date.parse(r.start),
  },
];

export const dailyRangeRules: readonly CrossFieldRule<{ start: string; end: string }>[] = [
  {
    path: 'spec.dailyRanges[].end',
    fieldPath: '.end',
    rule: 'self.start != self.end',
    message:
      'end must differ from start: a daily range is [start, end) and may wrap midnight (22:00 to 06:00); exclude whole days with daysOfWeek',
    check: (r) => clockMinutes(r.start) !== clockMinutes(r.end),
  },
];

const celRules = <T>(rules: readonly CrossFieldRule<T>[]) => ({
  'x-kubernetes-validations': rules.map(({ rule, message, fieldPath }) => ({
    rule,
    message,
    ...(fieldPath === undefined ? {} : { fieldPath }),
  })),
});

const TimeRange = Type.Object(
  {
    start: Type.String({
      description: 'First excluded instant (RFC 3339, with its offset).',
      format: 'date-time',
      maxLength: 64,
    }),
    end: Type.String({
      description: 'First instant after the range (RFC 3339): the range is [start, end).',
      format: 'date-time',
      maxLength: 64,
    }),
  },
  { description: 'A date-time range, for a freeze: [start, end).', ...celRules(rangeRules) },
);

const DailyRange = Type.Object(
  {
    start: Type.String({
      description: 'Wall-clock time the range starts at each day, HH:MM, in spec.timeZone.',
      pattern: CLOCK_PATTERN,
      maxLength: 5,
    }),
    end: Type.String({
      description:
        'Wall-clock time the range ends at, HH:MM (24:00 is midnight): [start, end). An end before the start wraps midnight.',
      pattern: CLOCK_PATTERN,
      maxLength: 5,
    }),
  },
  {
    description: 'A time range every day, such as a nightly maintenance window.',
    ...celRules(dailyRangeRules),
  },
);

export const EcsScheduleCalendarSpec = Type.Object(
  {
    timeZone: opt(
      Type.String({
        description:
          'IANA time zone the dates, days and daily ranges below are read in. Default UTC. ranges carry their own offsets.',
        default: 'UTC',
        minLength: 1,
        maxLength: 64,
        pattern: TIME_ZONE_PATTERN,
        'x-kubernetes-validations': [
          {
            // getHours fails on a zone the API server's tz data does not know.
            rule: "self == 'UTC' || timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0",
            message: 'timeZone must be an IANA time zone, such as Europe/Berlin',
          },
        ],
      }),
    ),
    dates: opt(
      Type.Array(
        Type.String({
          description: 'YYYY-MM-DD (that day) or --MM-DD (that day every year).',
          pattern: DATE_PATTERN,
          maxLength: 10,
          'x-kubernetes-validations': [
            {
              rule: DATE_RULE,
              message: 'not a day of the calendar (such as 2026-02-30 or 2027-02-29)',
            },
          ],
        }),
        {
          description:
            'Whole days excluded, from 00:00 to the next 00:00 in timeZone: one day (2026-12-24), or every year (--12-25; --02-29 is every leap day).',
          maxItems: LIST_MAX_ITEMS,
          'x-kubernetes-list-type': 'set',
        },
      ),
    ),
    ranges: opt(
      Type.Array(TimeRange, {
        description: 'Date-time ranges excluded, [start, end): freezes.',
        maxItems: LIST_MAX_ITEMS,
      }),
    ),
    daysOfWeek: opt(
      Type.Array(Type.String({ description: 'A weekday.', enum: [...WEEKDAYS] }), {
        description: 'Weekdays excluded, whole days in timeZone.',
        maxItems: 7,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    dailyRanges: opt(
      Type.Array(DailyRange, {
        description:
          'Time ranges excluded every day, in timeZone: [start, end), wrapping midnight when end < start.',
        maxItems: 24,
      }),
    ),
    expressions: opt(
      Type.Array(
        Type.String({
          description: 'A cron expression (5 or 6 fields, @macros, or cron(...)); H is not useful here.',
          minLength: 1,
          maxLength: 256,
          pattern: CRON_PATTERN,
        }),
        {
          description: 'Cron expressions read in timeZone: every minute one of them matches is excluded.',
          maxItems: 32,
        },
      ),
    ),
  },
  {
    description:
      'When the EcsScheduledTasks naming this calendar in spec.excludeCalendars do not run: an excluded scheduled time is not launched, not recorded Missed or Skipped, and is counted in ecs_scheduler_excluded_runs_total.',
  },
);

export const EcsScheduleCalendar = Type.Object({
  apiVersion: Type.String({ description: 'API version: ecs-scheduler.dev/v1alpha1.', maxLength: 253 }),
  kind: Type.String({ description: 'Kind: EcsScheduleCalendar.', maxLength: 63 }),
  metadata: NamespacedObjectMeta,
  spec: EcsScheduleCalendarSpec,
});
