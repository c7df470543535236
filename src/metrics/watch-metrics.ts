// The resource watch of the Kubernetes source: its restarts, its events and the full relists.
import { Counter } from 'prom-client';
import type { WatchMetrics } from '../kube/metrics-port.js';
import type { MetricScope } from './metric-scope.js';

export function watchMetrics(scope: MetricScope): WatchMetrics {
  const { registers } = scope;
  const watchRestarts = new Counter({
    name: 'ecs_scheduler_watch_restarts_total',
    help: 'Times the resource watch was restarted, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const watchEvents = new Counter({
    name: 'ecs_scheduler_watch_events_total',
    help: 'Watch events received, by type',
    labelNames: ['type'] as const,
    registers,
  });
  const relists = new Counter({
    name: 'ecs_scheduler_relists_total',
    help: 'Full relists of the resource cache, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  return {
    restarted: (reason) => watchRestarts.inc({ reason }),
    event: (type) => watchEvents.inc({ type }),
    relisted: (reason) => relists.inc({ reason }),
  };
}
