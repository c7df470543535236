// The ECS API calls, by operation and outcome (throttled ones among them).
import { Counter } from 'prom-client';
import type { EcsRequestMetrics, EcsRequestOutcome } from '../aws/ecs/ports.js';
import type { MetricScope } from './metric-scope.js';

export function ecsRequestMetrics(scope: MetricScope): EcsRequestMetrics {
  const ecsRequests = new Counter({
    name: 'ecs_scheduler_ecs_requests_total',
    help: 'ECS API calls, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: scope.registers,
  });
  return {
    request: (operation: string, outcome: EcsRequestOutcome) => ecsRequests.inc({ operation, outcome }),
  };
}
