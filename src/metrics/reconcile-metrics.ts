// controller_runtime_*: the reconciles and the workers, named and bucketed as controller-runtime
// does, so existing dashboards read ours unchanged.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { ControllerMetrics, ReconcileOutcome } from '../controller/metrics-port.js';
import type { MetricScope } from './metric-scope.js';

const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

export type ReconcileMetrics = Required<Pick<ControllerMetrics, 'reconciled' | 'workers'>>;

/** `controllerLabel`: the `controller` label of every series. */
export function reconcileMetrics(scope: MetricScope, controllerLabel: string): ReconcileMetrics {
  const { registers } = scope;
  const reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers,
  });
  const reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const terminalErrors = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const maxWorkers = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const,
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  // Pre-create the series dashboards expect, so rates start at 0 rather than appearing later.
  for (const result of [
    'success',
    'error',
    'aborted',
    'requeue',
    'requeue_after',
  ] satisfies ReconcileOutcome[]) {
    reconcileTotal.inc({ controller: controllerLabel, result }, 0);
  }
  reconcileErrors.inc({ controller: controllerLabel }, 0);
  terminalErrors.inc({ controller: controllerLabel }, 0);

  return {
    reconciled(outcome: ReconcileOutcome, seconds: number) {
      // As controller-runtime: a terminal error is an error, also counted on its own.
      reconcileTotal.inc({ controller: controllerLabel, result: outcome === 'terminal' ? 'error' : outcome });
      if (outcome === 'error' || outcome === 'terminal') reconcileErrors.inc({ controller: controllerLabel });
      if (outcome === 'terminal') terminalErrors.inc({ controller: controllerLabel });
      reconcileTime.observe({ controller: controllerLabel }, seconds);
    },
    workers(max: number, active: number) {
      maxWorkers.set({ controller: controllerLabel }, max);
      activeWorkers.set({ controller: controllerLabel }, active);
    },
  };
}
