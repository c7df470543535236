// What the admin policies (EcsSchedulerPolicy) denied. Labelled by namespace, not by resource: a
// denial is the tenant's business, and its field says which rule to look at.
import { Counter } from 'prom-client';
import type { ControllerMetrics } from '../controller/metrics-port.js';
import type { ResourceKey } from '../controller/ports.js';
import type { MetricScope } from './metric-scope.js';
import { splitKey } from './resource-series.js';

export type PolicyMetrics = Required<Pick<ControllerMetrics, 'policyDenied'>>;

export function policyMetrics(scope: MetricScope): PolicyMetrics {
  const policyDenials = new Counter({
    name: 'ecs_scheduler_policy_denials_total',
    help: 'Runs or specs an EcsSchedulerPolicy denied, by namespace and the field it denied',
    labelNames: ['namespace', 'field'] as const,
    registers: scope.registers,
  });
  return {
    policyDenied(key: ResourceKey, field: string) {
      policyDenials.inc({ namespace: splitKey(key).namespace, field });
    },
  };
}
