// The dead letters of finally-failed runs (spec.deadLetter).
import type { ControllerMetrics, DeadLetterOutcome } from '../controller/metrics-port.js';
import type { ResourceKey } from '../controller/ports.js';
import type { MetricScope } from './metric-scope.js';

export type DeadLetterMetrics = Required<Pick<ControllerMetrics, 'deadLetter'>>;

export function deadLetterMetrics(scope: MetricScope): DeadLetterMetrics {
  const deadLetters = scope.resourceCounter({
    name: 'ecs_scheduler_dead_letters_total',
    help: 'Dead letters of finally-failed runs: sent, failed (retried), refused (never sendable), abandoned (given up)',
    extraLabels: ['outcome'],
  });
  return {
    deadLetter(key: ResourceKey, outcome: DeadLetterOutcome) {
      deadLetters.inc(key, { outcome });
    },
  };
}
