// Who is in the ring, pure: time is an argument. Each shard's Lease is judged as leader election
// judges its Lease (lease-decisions.ts): by the observer's own monotonic clock, counted from the
// moment it saw the record change, never by the holder's renewTime, so clock skew between
// replicas cannot keep a dead shard in the ring or drop a live one.
import { isFree, observe, type LeaseRecord, type Observation } from '../kube/lease-decisions.js';
import { shardOfLease } from './shard-labels.js';

/** A Lease of the ring as read from the API server. */
export interface RingLease {
  readonly name: string;
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
}

/**
 * - `live`: held by its own shard and renewed within its duration: the shard owns resources.
 * - `expired`: still names its shard, but ran out on our clock: the shard may only be paused, so
 *   its Lease must be taken over before its resources move.
 * - `gone`: released on shutdown, taken over, or deleted: nobody acts for this shard any more.
 */
export type ShardState = 'live' | 'expired' | 'gone';

/** Observations by Lease name. */
export type RingObservations = ReadonlyMap<string, Observation>;

/** Folds the Leases just read into the observations; Leases no longer listed are dropped. */
export function observeRing(
  previous: RingObservations,
  leases: readonly RingLease[],
  nowMs: number,
): Map<string, Observation> {
  const next = new Map<string, Observation>();
  for (const lease of leases) {
    if (shardOfLease(lease.name) === undefined) continue;
    next.set(lease.name, observe(previous.get(lease.name), lease.record, lease.resourceVersion, nowMs));
  }
  return next;
}

/** Each shard of the ring with its state. A shard without a Lease is absent (gone). */
export function shardStates(
  observations: RingObservations,
  nowMs: number,
  defaultLeaseDurationSeconds: number,
): Map<string, ShardState> {
  const states = new Map<string, ShardState>();
  for (const [name, observation] of observations) {
    const shard = shardOfLease(name);
    if (shard === undefined) continue;
    const holder = observation.record.holderIdentity ?? '';
    if (holder !== shard) states.set(shard, 'gone');
    else states.set(shard, isFree(observation, nowMs, defaultLeaseDurationSeconds) ? 'expired' : 'live');
  }
  return states;
}

/** The shards that own resources now, sorted (assignment does not depend on the order). */
export function liveShards(states: ReadonlyMap<string, ShardState>): string[] {
  return [...states]
    .filter(([, s]) => s === 'live')
    .map(([id]) => id)
    .sort();
}

/**
 * The earliest time (monotonic ms) at which a live shard may run out: when the sharder must look
 * again even if no event arrives, because an unrenewed Lease changes nothing on the wire.
 */
export function nextExpiryMs(
  observations: RingObservations,
  nowMs: number,
  defaultLeaseDurationSeconds: number,
): number | undefined {
  let soonest: number | undefined;
  for (const [name, o] of observations) {
    const shard = shardOfLease(name);
    if (shard === undefined || (o.record.holderIdentity ?? '') !== shard) continue;
    const at = o.observedAtMs + (o.record.leaseDurationSeconds ?? defaultLeaseDurationSeconds) * 1000;
    if (at > nowMs && (soonest === undefined || at < soonest)) soonest = at;
  }
  return soonest;
}
