// --task-events-queue: the events read, and which way task ends are noticed.
import { Counter, Gauge } from 'prom-client';
import type { TaskEventMetrics, TaskEventOutcome } from '../aws/sqs/task-state-events.js';
import type { MetricScope } from './metric-scope.js';

export interface TaskEventsMetrics extends TaskEventMetrics {
  /** Polling alone (the default), or events with polling as the fallback. */
  mode(mode: 'polling' | 'events'): void;
}

export function taskEventMetrics(scope: MetricScope): TaskEventsMetrics {
  const { registers } = scope;
  const trackingMode = new Gauge({
    name: 'ecs_scheduler_task_tracking_mode',
    help: 'How task ends are noticed: 1 for the mode in use (polling alone, or events with polling as the fallback)',
    labelNames: ['mode'] as const,
    registers,
  });
  const taskEventsReceived = new Counter({
    name: 'ecs_scheduler_task_events_total',
    help: 'Messages read from --task-events-queue, by what they were (stopped: a stop of our task)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const taskEventsFailed = new Counter({
    name: 'ecs_scheduler_task_events_receive_errors_total',
    help: 'Failed reads of --task-events-queue (tasks are still polled meanwhile)',
    registers,
  });
  const outcomes: readonly TaskEventOutcome[] = ['stopped', 'other', 'foreign', 'malformed'];
  for (const outcome of outcomes) taskEventsReceived.inc({ outcome }, 0);
  const metrics: TaskEventsMetrics = {
    received: (outcome) => taskEventsReceived.inc({ outcome }),
    failed: () => taskEventsFailed.inc(),
    mode: (mode) => {
      trackingMode.set({ mode: 'polling' }, mode === 'polling' ? 1 : 0);
      trackingMode.set({ mode: 'events' }, mode === 'events' ? 1 : 0);
    },
  };
  metrics.mode('polling');
  return metrics;
}
