// What sharding reports; the prom-client side is metrics/shard-metrics.ts.

/** Why a resource changed owner: its owner drained it, or was gone (released or expired). */
export type HandoverReason = 'drained' | 'owner-gone';

export interface ShardMetrics {
  /** This replica runs the sharder (holds the leader-election Lease). */
  setSharder(active: boolean): void;
  /**
   * The sharder's view: resources per live shard once its plan is done, those with no live shard,
   * and those not with their shard yet (a handover under way, or stuck).
   */
  setResourcesPerShard(perShard: ReadonlyMap<string, number>, unassigned: number, moving: number): void;
  setLiveShards(count: number): void;
  /** A resource was labelled with a new owner; `seconds` since the move began, when known. */
  handedOver(reason: HandoverReason, seconds: number | undefined): void;
  /** This replica's own share: the resources its informer holds (owned, draining included). */
  setOwned(count: number): void;
  /** This replica acknowledged a drain (removed its labels). */
  drained(): void;
}

export const noopShardMetrics: ShardMetrics = {
  setSharder: () => undefined,
  setResourcesPerShard: () => undefined,
  setLiveShards: () => undefined,
  handedOver: () => undefined,
  setOwned: () => undefined,
  drained: () => undefined,
};
