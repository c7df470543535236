// workqueue_*: the work queue, named and bucketed as client-go's, so existing dashboards read ours
// unchanged.
import { Counter, Gauge, Histogram, exponentialBuckets } from 'prom-client';
import type { WorkQueueMetrics } from '../controller/metrics-port.js';
import type { MetricScope } from './metric-scope.js';

const WORKQUEUE_BUCKETS = exponentialBuckets(10e-9, 10, 12);

/** `queueLabel`: the `name` label of every series. */
export function workQueueMetrics(scope: MetricScope, queueLabel: string): WorkQueueMetrics {
  const { registers } = scope;
  const queueDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name'] as const,
    registers,
  });
  const queueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name'] as const,
    registers,
  });
  const queueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name'] as const,
    registers,
  });
  const queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name'] as const,
    buckets: WORKQUEUE_BUCKETS,
    registers,
  });
  const workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name'] as const,
    buckets: WORKQUEUE_BUCKETS,
    registers,
  });
  queueDepth.set({ name: queueLabel }, 0);
  queueAdds.inc({ name: queueLabel }, 0);
  queueRetries.inc({ name: queueLabel }, 0);

  return {
    depth: (n) => queueDepth.set({ name: queueLabel }, n),
    added: () => queueAdds.inc({ name: queueLabel }),
    retried: () => queueRetries.inc({ name: queueLabel }),
    queueDuration: (seconds) => queueDuration.observe({ name: queueLabel }, Math.max(0, seconds)),
    workDuration: (seconds) => workDuration.observe({ name: queueLabel }, Math.max(0, seconds)),
  };
}
