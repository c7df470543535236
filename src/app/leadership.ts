// Who may launch: with --leader-elect in Kubernetes mode, the holder of the Lease; in standalone
// mode, the holder of the state file's lock; otherwise this replica, alone.
import type { Clock } from '../controller/clock.js';
import type { LeaseFence } from '../controller/ports.js';
import type { Config } from '../config.js';
import {
  createLeaseElector,
  type LeaderMetrics,
  type LeaseElector,
  type PooledKubeConfig,
} from '../kube/index.js';
import type { Logger } from '../log/logger.js';
import type { LeaderTerm } from './leader-term.js';

export interface LeadershipOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: LeaderMetrics;
  /** Kubernetes mode: where the Lease lives. */
  readonly kubeConfig?: PooledKubeConfig;
  /** Standalone mode: the state file's lock. */
  readonly lock?: LeaseFence;
}

export class Leadership implements LeaseFence {
  readonly #options: LeadershipOptions;
  #elector: LeaseElector | undefined;
  #term: LeaderTerm | undefined;

  constructor(options: LeadershipOptions) {
    this.#options = options;
  }

  /** Without leader election this replica is alone; with it, only the elector's lease counts. */
  holds(marginMs: number): boolean {
    const { config, lock } = this.#options;
    if (this.#elector) return this.#elector.holds(marginMs);
    if (lock) return lock.holds(marginMs);
    return !(config.leaderElect && config.mode !== 'standalone');
  }

  /** False while the Lease is unreachable. */
  isHealthy(): boolean {
    return this.#elector?.isHealthy() ?? true;
  }

  /** Campaigns for the Lease, or begins the one term that only stop() ends. */
  start(term: LeaderTerm): void {
    const { config, clock, logger, metrics, kubeConfig } = this.#options;
    this.#term = term;
    if (config.leaderElect && kubeConfig) {
      this.#elector = createLeaseElector(kubeConfig, {
        name: config.leaderElectionId,
        namespace: config.leaderElectionNamespace,
        identity: config.identity,
        leaseDurationSeconds: config.leaseDurationSeconds,
        renewDeadlineSeconds: config.renewDeadlineSeconds,
        retryPeriodSeconds: config.retryPeriodSeconds,
        clock,
        logger,
        metrics,
        // Losing the lease aborts the term's passes through `signal`; stop() lets them finish.
        onStartedLeading: (signal) => term.begin(signal),
        onStoppedLeading: () => term.lost(),
      });
      this.#elector.start();
    } else {
      metrics.setLeader(true);
      term.begin(new AbortController().signal);
    }
  }

  /** The elector keeps renewing while the term drains, then releases the lease. */
  async stop(): Promise<void> {
    if (this.#elector) await this.#elector.stop();
    else await this.#term?.finish();
    await this.#term?.settled();
  }
}
