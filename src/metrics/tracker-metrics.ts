// The shared task tracker: what it follows and how its DescribeTasks rounds go.
import { Counter, Gauge } from 'prom-client';
import type { TaskTrackerMetrics } from '../controller/runtime/task-tracker.js';
import type { MetricScope } from './metric-scope.js';

export function trackerMetrics(scope: MetricScope): TaskTrackerMetrics {
  const { registers } = scope;
  const trackedTasks = new Gauge({
    name: 'ecs_scheduler_tracked_tasks',
    help: 'ECS tasks the shared task tracker follows, over every resource',
    registers,
  });
  const trackerPolls = new Counter({
    name: 'ecs_scheduler_task_tracker_polls_total',
    help: "Rounds of the shared task tracker's DescribeTasks batches, by outcome",
    labelNames: ['outcome'] as const,
    registers,
  });
  const trackerDescribeCalls = new Counter({
    name: 'ecs_scheduler_task_tracker_describe_calls_total',
    help: 'DescribeTasks calls made by the shared task tracker (up to 100 tasks of many resources each)',
    registers,
  });
  const trackerHints = new Counter({
    name: 'ecs_scheduler_task_tracker_hints_total',
    help: 'Task stop events the tracker acted on (tracked: asked about at once) or ignored (not followed, or already stopped)',
    labelNames: ['outcome'] as const,
    registers,
  });
  trackedTasks.set(0);
  for (const outcome of ['success', 'error'] as const) trackerPolls.inc({ outcome }, 0);
  return {
    tracked: (tasks) => trackedTasks.set(tasks),
    polled: (outcome, describeCalls) => {
      trackerPolls.inc({ outcome });
      trackerDescribeCalls.inc(describeCalls);
    },
    hinted: (outcome) => trackerHints.inc({ outcome }),
  };
}
