// What /healthz answers. Liveness is "can this process still make progress"; a restart is the cure
// only for what a restart can cure, so an unreachable ECS or a lost lease never fails it (those
// show in /readyz and in status). Two things do: a reconcile stuck on a call that never returns
// while the lease keeps renewing (so no failover ever happens), and an informer that has heard
// nothing from the API server for longer than its own watchdog could recover from.
import type { Readiness } from './health-server.js';

export interface LivenessFacts {
  /** How long the oldest in-flight reconcile has run, in ms; 0 when none runs. */
  readonly oldestReconcileMs: number;
  /** /healthz fails past this. */
  readonly stuckReconcileMs: number;
  /** How long the API server has said nothing to the informer, in ms; undefined in standalone mode. */
  readonly informerSilentMs?: number;
  /** The informer's watchdog period; dead means silent for two of them (a relist did not help). */
  readonly informerWatchdogMs?: number;
}

export function liveness(facts: LivenessFacts): Readiness {
  if (facts.oldestReconcileMs > facts.stuckReconcileMs) {
    return {
      ready: false,
      reason: `a reconcile has been running for ${Math.round(facts.oldestReconcileMs / 1000)} s (limit ${Math.round(facts.stuckReconcileMs / 1000)} s)`,
    };
  }
  const { informerSilentMs, informerWatchdogMs } = facts;
  if (
    informerSilentMs !== undefined &&
    informerWatchdogMs !== undefined &&
    informerWatchdogMs > 0 &&
    informerSilentMs > 2 * informerWatchdogMs
  ) {
    return {
      ready: false,
      reason: `the informer has heard nothing from the API server for ${Math.round(informerSilentMs / 1000)} s, past its watchdog (${Math.round(informerWatchdogMs / 1000)} s) and one relist`,
    };
  }
  return { ready: true };
}
