// Scheduled times spec.excludeCalendars passed over: neither launched nor Missed nor Skipped, so
// no other series shows them.
import type { ControllerMetrics } from '../controller/metrics-port.js';
import type { ResourceKey } from '../controller/ports.js';
import type { MetricScope } from './metric-scope.js';

export type CalendarMetrics = Required<Pick<ControllerMetrics, 'excludedRuns'>>;

export function calendarMetrics(scope: MetricScope): CalendarMetrics {
  const excludedRuns = scope.resourceCounter({
    name: 'ecs_scheduler_excluded_runs_total',
    help: 'Scheduled times not launched because an EcsScheduleCalendar of spec.excludeCalendars excluded them, by resource',
    extraLabels: [],
  });
  return {
    excludedRuns(key: ResourceKey, count: number) {
      if (count > 0) excludedRuns.inc(key, {}, count);
    },
  };
}
