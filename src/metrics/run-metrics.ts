// The runs: how late they launch, how they ended and which attempts were retried.
import { Histogram } from 'prom-client';
import type { RunResult } from '../api/types.js';
import type { ControllerMetrics } from '../controller/metrics-port.js';
import type { ResourceKey } from '../controller/ports.js';
import type { MetricScope } from './metric-scope.js';

// From "on time" to the 10 minutes after which a run is usually past any sensible deadline.
const LAUNCH_DELAY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600];

export type RunMetrics = Required<Pick<ControllerMetrics, 'launchDelay' | 'runRecorded' | 'runRetried'>>;

export function runMetrics(scope: MetricScope): RunMetrics {
  const launchDelay = new Histogram({
    name: 'ecs_scheduler_launch_delay_seconds',
    help: 'Seconds from the scheduled time of a run to ECS RunTask accepting its tasks',
    buckets: LAUNCH_DELAY_BUCKETS,
    registers: scope.registers,
  });
  // One series per resource and result seen (at most 7 results, in practice 2 or 3 per resource).
  const runsTotal = scope.resourceCounter({
    name: 'ecs_scheduler_runs_total',
    help: 'Runs recorded, by resource (namespace, name) and result',
    extraLabels: ['result'],
  });
  const runRetries = scope.resourceCounter({
    name: 'ecs_scheduler_run_retries_total',
    help: 'Failed run attempts retried under spec.retryPolicy, by resource and the failure reason',
    extraLabels: ['reason'],
  });

  return {
    launchDelay(seconds: number) {
      launchDelay.observe(Math.max(0, seconds));
    },
    runRecorded(result: RunResult, key?: ResourceKey) {
      runsTotal.inc(key, { result });
    },
    runRetried(key: ResourceKey, reason: string) {
      runRetries.inc(key, { reason });
    },
  };
}
