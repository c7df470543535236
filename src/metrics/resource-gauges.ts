// The per-resource gauges: next and last scheduled time, trigger queue depth and the newest
// finished run. They are written only while this process may hold them: with
// --per-resource-metrics on, and not after losing the Lease (a pass of the lost term can still be
// finishing), so that after a failover only the new leader exports them and `max by (name)` or a
// join never sees two replicas' values for one resource.
import type { RunResult } from '../api/types.js';
import type { ControllerMetrics } from '../controller/metrics-port.js';
import type { ResourceKey } from '../controller/ports.js';
import type { MetricScope } from './metric-scope.js';
import type { ResourceGauge } from './resource-series.js';

export interface ResourceGauges extends Required<
  Pick<ControllerMetrics, 'scheduleTimes' | 'queueDepth' | 'lastRun'>
> {
  /** Leading or not: on losing the Lease every gauge is dropped, and later writes are ignored. */
  leading(isLeader: boolean): void;
  /** Drops every series of every per-resource gauge. */
  clear(): void;
}

export function resourceGauges(scope: MetricScope): ResourceGauges {
  const { resources } = scope;
  const nextSchedule = resources.gauge({
    name: 'ecs_scheduler_next_schedule_time',
    help: 'Next time the resource is scheduled to run, in unix seconds',
    extraLabels: [],
  });
  const lastSchedule = resources.gauge({
    name: 'ecs_scheduler_last_schedule_time',
    help: 'Last time the resource was scheduled to run, in unix seconds',
    extraLabels: [],
  });
  const triggerDepth = resources.gauge({
    name: 'ecs_scheduler_trigger_queue_depth',
    help: 'Messages in the trigger queue of the resource at its last check',
    extraLabels: [],
  });
  // Only the current result has a series (value 1), so one series per resource, not seven.
  const lastRunResult = resources.gauge({
    name: 'ecs_scheduler_last_run_result',
    help: 'Result of the newest finished run of the resource: 1 on the series of its result',
    extraLabels: ['result'],
  });
  const lastSuccess = resources.gauge({
    name: 'ecs_scheduler_last_success_time',
    help: 'When the newest successful run of the resource finished (status.lastSuccessfulTime), in unix seconds',
    extraLabels: [],
  });

  const gauges = [nextSchedule, lastSchedule, triggerDepth, lastRunResult, lastSuccess];
  let leading: boolean | undefined;
  const writable = () => scope.perResource && leading !== false;
  const clear = () => {
    for (const gauge of gauges) gauge.reset();
  };
  const setOrRemove = (gauge: ResourceGauge<never>, key: ResourceKey, at: Date | undefined) => {
    if (!writable()) return;
    if (at === undefined) gauge.remove(key, {});
    else gauge.set(key, {}, at.getTime() / 1000);
  };

  return {
    scheduleTimes(key: ResourceKey, next: Date | undefined, last: Date | undefined) {
      setOrRemove(nextSchedule, key, next);
      setOrRemove(lastSchedule, key, last);
    },
    queueDepth(key: ResourceKey, depth: number) {
      if (writable()) triggerDepth.set(key, {}, depth);
    },
    lastRun(key: ResourceKey, result: RunResult, at: Date | undefined) {
      if (!writable()) return;
      lastRunResult.removeAll(key);
      lastRunResult.set(key, { result }, 1);
      setOrRemove(lastSuccess, key, at);
    },
    leading(isLeader: boolean) {
      if (!isLeader) clear();
      leading = isLeader;
    },
    clear,
  };
}
