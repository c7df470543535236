// Passed-over times looked up in ECS after a failover, under the process's shared read budget.
// The waiting gauge counts resources, not times: it says how far behind the budget is.
import { Counter, Gauge } from 'prom-client';
import type { ControllerMetrics } from '../controller/metrics-port.js';
import type { ResourceKey } from '../controller/ports.js';
import type { MetricScope } from './metric-scope.js';

export interface AdoptionLookupMetrics extends Required<Pick<ControllerMetrics, 'adoptionLookups'>> {
  /** A deleted resource no longer waits. */
  forget(key: ResourceKey): void;
}

export function adoptionLookupMetrics(scope: MetricScope): AdoptionLookupMetrics {
  const lookups = new Counter({
    name: 'ecs_scheduler_adoption_lookups_total',
    help: 'Passed-over times looked up in ECS (ListTasks by startedBy), by result: found (adopted) or none (Missed)',
    labelNames: ['result'] as const,
    registers: scope.registers,
  });
  const waiting = new Gauge({
    name: 'ecs_scheduler_adoption_lookups_waiting',
    help: 'Resources with passed-over times waiting for the lookup budget (--adoption-lookups-per-second)',
    registers: scope.registers,
  });
  const waitingKeys = new Set<ResourceKey>();
  return {
    adoptionLookups(key, done, isWaiting) {
      if (done.found > 0) lookups.inc({ result: 'found' }, done.found);
      if (done.none > 0) lookups.inc({ result: 'none' }, done.none);
      if (isWaiting) waitingKeys.add(key);
      else waitingKeys.delete(key);
      waiting.set(waitingKeys.size);
    },
    forget(key) {
      if (waitingKeys.delete(key)) waiting.set(waitingKeys.size);
    },
  };
}
