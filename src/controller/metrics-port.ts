// What the core reports. The prom-client adapter (metrics/) implements these; tests use noops or
// recorders. Keeping them as ports keeps prom-client out of the core.
import type { RunResult } from '../api/types.js';
import type { ResourceKey } from './ports.js';

/**
 * `terminal`: a TerminalError, not retried (controller-runtime counts it as an error and in its
 * terminal-errors counter). `aborted`: the pass was cancelled because leadership was lost.
 */
export type ReconcileOutcome = 'success' | 'error' | 'terminal' | 'aborted' | 'requeue' | 'requeue_after';

/**
 * `failed`: a send failed and is retried later; `refused`: the queue can never be used as written;
 * `abandoned`: given up after its attempts or its age, or dropped with its run from a full status.
 */
export type DeadLetterOutcome = 'sent' | 'failed' | 'refused' | 'abandoned';

export interface ControllerMetrics {
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
  /**
   * A run reached `result`. With `key`, ecs_scheduler_runs_total carries the resource's namespace
   * and name (only its namespace with --per-resource-metrics=false), so an alert can name it.
   */
  runRecorded(result: RunResult, key?: ResourceKey): void;
  /** Seconds from the scheduled time to RunTask accepting the tasks. */
  launchDelay(seconds: number): void;
  scheduleTimes(key: ResourceKey, next: Date | undefined, last: Date | undefined): void;
  queueDepth(key: ResourceKey, depth: number): void;
  /**
   * Per-resource last-run series (ecs_scheduler_last_run_result, ecs_scheduler_last_success_time),
   * reported after each status write that changed the newest finished run. Optional so recorders
   * in tests need not implement it.
   */
  lastRun?(key: ResourceKey, result: RunResult, lastSuccess: Date | undefined): void;
  /** A failed attempt that will be retried (ecs_scheduler_run_retries_total{reason}). */
  runRetried?(key: ResourceKey, reason: string): void;
  /** A dead letter sent, failed (retried later), refused or abandoned (ecs_scheduler_dead_letters_total). */
  deadLetter?(key: ResourceKey, outcome: DeadLetterOutcome): void;
  /**
   * Passed-over times looked up in ECS by this pass (`found`: tasks found, adopted; `none`: recorded
   * Missed), and whether more of the resource's times still wait for the shared lookup budget
   * (ecs_scheduler_adoption_lookups_total, ecs_scheduler_adoption_lookups_waiting).
   */
  adoptionLookups?(key: ResourceKey, done: { found: number; none: number }, waiting: boolean): void;
  /** Policy denials (ecs_scheduler_policy_denials_total). */
  policyDenied?(key: ResourceKey, field: string): void;
  /**
   * Workers configured and busy (controller_runtime_max_concurrent_reconciles and
   * controller_runtime_active_workers): busy near the maximum while the queue grows means the
   * workers, not ECS or the API server, are the bottleneck.
   */
  workers?(max: number, active: number): void;
  forget(key: ResourceKey): void;
}

export interface WorkQueueMetrics {
  depth(n: number): void;
  added(): void;
  retried(): void;
  /** Seconds an item waited in the queue before processing started. */
  queueDuration(seconds: number): void;
  /** Seconds processing one item took. */
  workDuration(seconds: number): void;
}

export const noopControllerMetrics: ControllerMetrics = {
  reconciled: () => undefined,
  runRecorded: () => undefined,
  launchDelay: () => undefined,
  scheduleTimes: () => undefined,
  queueDepth: () => undefined,
  forget: () => undefined,
};

export const noopWorkQueueMetrics: WorkQueueMetrics = {
  depth: () => undefined,
  added: () => undefined,
  retried: () => undefined,
  queueDuration: () => undefined,
  workDuration: () => undefined,
};
