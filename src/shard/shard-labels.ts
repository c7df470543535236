// The names sharding writes on objects: visible to users (`kubectl get est -L`, `kubectl get
// leases -l`), so they are part of the contract and live in one place.

/** On each EcsScheduledTask: the shard (replica identity) that may act on it. */
export const OWNER_LABEL = 'shard.ecs-scheduler.dev/owner';
/** On an EcsScheduledTask being moved: its owner must stop acting on it and remove both labels. */
export const DRAIN_LABEL = 'drain.shard.ecs-scheduler.dev/owner';
/** On each shard Lease: the ring it belongs to. */
export const RING_LABEL = 'ecs-scheduler.dev/shard-ring';
/** A shard's Lease is this prefix and the replica's identity. */
export const SHARD_LEASE_PREFIX = 'ecs-scheduler-shard-';

export function shardLeaseName(identity: string): string {
  return `${SHARD_LEASE_PREFIX}${identity}`;
}

/** The shard a Lease of the ring stands for; undefined for a name outside the scheme. */
export function shardOfLease(leaseName: string): string | undefined {
  if (!leaseName.startsWith(SHARD_LEASE_PREFIX)) return undefined;
  const id = leaseName.slice(SHARD_LEASE_PREFIX.length);
  return id === '' ? undefined : id;
}

/** The label selector of one replica's informer: only what it owns. */
export function ownerSelector(identity: string): string {
  return `${OWNER_LABEL}=${identity}`;
}
