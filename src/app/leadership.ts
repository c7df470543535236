// Who may launch: with --leader-elect in Kubernetes mode, the holder of the Lease; with
// --sharding, this replica's shard Lease, for the resources labelled with it; in standalone mode,
// the holder of the state file's lock; otherwise this replica, alone.
import type { EcsScheduledTaskResource } from '../api/types.js';
import type { Clock } from '../controller/clock.js';
import type { LeaseFence } from '../controller/ports.js';
import type { Config } from '../config.js';
import {
  createLeaseElector,
  type LeaderMetrics,
  type LeaseElector,
  type PooledKubeConfig,
  type WatchMetrics,
} from '../kube/index.js';
import type { Logger } from '../log/logger.js';
import type { ShardMetrics } from '../shard/shard-metrics-port.js';
import type { WatchedCache } from '../shard/sharder.js';
import { startSharding, type RunningSharding } from '../shard/sharding.js';
import type { LeaderTerm } from './leader-term.js';

/** --sharding: what the shard builder needs beyond the Lease settings. */
export interface ShardingParts {
  /** This replica's resources: the informer selected by its owner label. */
  readonly owned: WatchedCache<EcsScheduledTaskResource> & { refresh(reason: string): Promise<void> };
  /** The shard Lease's term: leader_election_master_status, and the per-resource series. */
  readonly shardLease: LeaderMetrics;
  readonly watch: WatchMetrics;
  readonly shard: ShardMetrics;
}

export interface LeadershipOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: LeaderMetrics;
  /** Kubernetes mode: where the Lease lives. */
  readonly kubeConfig?: PooledKubeConfig;
  /** Standalone mode: the state file's lock. */
  readonly lock?: LeaseFence;
  /** Kubernetes mode with --sharding. */
  readonly sharding?: ShardingParts;
}

export class Leadership implements LeaseFence {
  readonly #options: LeadershipOptions;
  #elector: LeaseElector | undefined;
  #sharding: RunningSharding | undefined;
  #term: LeaderTerm | undefined;

  constructor(options: LeadershipOptions) {
    this.#options = options;
  }

  /**
   * Without leader election this replica is alone; with it, only the elector's lease counts;
   * sharded, the shard Lease, and with `key` that the resource is still ours and not draining.
   */
  holds(marginMs: number, key?: string): boolean {
    const { config, lock } = this.#options;
    if (this.#sharding) return this.#sharding.holds(marginMs, key);
    if (this.#elector) return this.#elector.holds(marginMs);
    if (lock) return lock.holds(marginMs);
    return !((config.leaderElect || config.sharding) && config.mode !== 'standalone');
  }

  /** False while the Lease (or, sharded, either Lease) is unreachable. */
  isHealthy(): boolean {
    if (this.#sharding) return this.#sharding.isHealthy();
    return this.#elector?.isHealthy() ?? true;
  }

  /** Campaigns for the Lease, or begins the one term that only stop() ends. */
  start(term: LeaderTerm): void {
    const { config, clock, logger, metrics, kubeConfig, sharding } = this.#options;
    this.#term = term;
    if (config.sharding && kubeConfig && sharding) {
      this.#sharding = startSharding({
        kubeConfig,
        ...(config.namespace === undefined ? {} : { namespace: config.namespace }),
        leaseNamespace: config.leaderElectionNamespace,
        leaderElectionId: config.leaderElectionId,
        identity: config.identity,
        leaseDurationSeconds: config.leaseDurationSeconds,
        renewDeadlineSeconds: config.renewDeadlineSeconds,
        retryPeriodSeconds: config.retryPeriodSeconds,
        owned: sharding.owned,
        isProcessing: (key) => term.isProcessing(key),
        onStartedShard: (signal) => term.begin(signal),
        onStoppedShard: () => term.lost(),
        clock,
        logger,
        metrics: {
          leader: metrics,
          shardLease: sharding.shardLease,
          watch: sharding.watch,
          shard: sharding.shard,
        },
      });
    } else if (config.leaderElect && kubeConfig) {
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

  /**
   * The elector keeps renewing while the term drains, then releases the lease. Sharded, the same
   * for the shard Lease: the sharder relabels this replica's resources as soon as it is released.
   */
  async stop(): Promise<void> {
    if (this.#sharding) await this.#sharding.stop();
    else if (this.#elector) await this.#elector.stop();
    else await this.#term?.finish();
    await this.#term?.settled();
  }
}
