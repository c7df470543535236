// What the sharder asks for, pure: from each resource's labels and the ring's states to the
// patches and Lease takeovers that move resources to their owners, and never past an owner that
// may still be acting. A resource moves only when its old owner is gone (released its Lease, or
// its Lease was taken over), or has acknowledged a drain by removing its labels.
//
// The actions come most urgent first, because the sharder works through them in bounded chunks:
// Lease takeovers (each one frees a dead shard's resources, whose runs nobody launches until they
// move), then labels for resources that nobody acts on (unlabelled, or with an owner gone), then
// drains (their owner still runs them: balance can wait).
import { assignShard } from './shard-assignment.js';
import type { ShardState } from './shard-ring.js';

/** The metadata the sharder reads from a resource. */
export interface ShardedResource {
  /** `namespace/name`. */
  readonly key: string;
  readonly uid: string;
  /** The owner label, if any. */
  readonly owner?: string;
  /** The drain label is set. */
  readonly draining: boolean;
}

export type ShardAction =
  /** Label the resource with its new owner (and clear a drain label left over). */
  | { readonly kind: 'assign'; readonly key: string; readonly owner: string; readonly from?: string }
  /** Ask the owner to stop acting on the resource and acknowledge by removing its labels. */
  | { readonly kind: 'drain'; readonly key: string; readonly owner: string; readonly to: string }
  /**
   * The shard's Lease ran out but still names it: take the Lease over before moving anything, so
   * that a paused owner that resumes finds it held and cannot carry on its term.
   */
  | { readonly kind: 'takeOver'; readonly shard: string };

export interface ShardPlan {
  /** Most urgent first: takeovers, then labels for resources nobody acts on, then drains. */
  readonly actions: ShardAction[];
  /** Resources per live shard once the plan is done (for the metrics). */
  readonly desired: Map<string, number>;
  /** Resources with no live shard to go to. */
  readonly unassigned: number;
  /** Resources not (yet) with their shard: unlabelled, draining, or with another owner. */
  readonly moving: number;
  /**
   * Shards out of the ring for good (`gone`) that no resource names any more: their Leases are
   * litter (a Deployment's pods get new names on every rollout) and may be deleted.
   */
  readonly abandoned: string[];
}

export function planShards(
  resources: Iterable<ShardedResource>,
  states: ReadonlyMap<string, ShardState>,
  live: readonly string[],
  /** The owner of a uid among `live`; a memo of assignShard when the caller has one. */
  assign: (uid: string) => string | undefined = (uid) => assignShard(uid, live),
): ShardPlan {
  const assigns: ShardAction[] = [];
  const drains: ShardAction[] = [];
  const takeOvers = new Set<string>();
  const desired = new Map<string, number>(live.map((s) => [s, 0]));
  let unassigned = 0;
  let moving = 0;
  const named = new Set<string>();
  for (const r of resources) {
    if (r.owner !== undefined) named.add(r.owner);
    const target = assign(r.uid);
    if (target === undefined) {
      unassigned++;
      continue;
    }
    desired.set(target, (desired.get(target) ?? 0) + 1);
    if (r.owner !== target || r.draining) moving++;
    if (r.owner === undefined) {
      assigns.push({ kind: 'assign', key: r.key, owner: target });
      continue;
    }
    // Draining completes even if the resource is to stay: the owner may already have stopped.
    if (r.owner === target && !r.draining) continue;
    const state = states.get(r.owner) ?? 'gone';
    if (state === 'live') {
      if (!r.draining) drains.push({ kind: 'drain', key: r.key, owner: r.owner, to: target });
    } else if (state === 'expired') {
      takeOvers.add(r.owner);
    } else {
      assigns.push({ kind: 'assign', key: r.key, owner: target, from: r.owner });
    }
  }
  const actions: ShardAction[] = [
    ...[...takeOvers].sort().map((shard): ShardAction => ({ kind: 'takeOver', shard })),
    ...assigns,
    ...drains,
  ];
  const abandoned = [...states]
    .filter(([shard, state]) => state === 'gone' && !named.has(shard))
    .map(([shard]) => shard)
    .sort();
  return { actions, desired, unassigned, moving, abandoned };
}
