// Which live shard owns a resource: rendezvous (highest random weight) hashing of the resource's
// uid over the shard ids. Every shard scores every uid; the highest score wins. A shard that
// leaves loses only the uids it won, and they spread over the others; a shard that joins wins
// about 1/N of the uids from each. No ring state, no virtual nodes, the same answer everywhere.
import { stableHash } from '../schedule/stable-hash.js';

const SALT = 'ecs-scheduler/shard';

function score(uid: string, shard: string): number {
  // Two 32-bit halves keep ties (which the id order then breaks) vanishingly rare.
  return stableHash(`${shard}\u0000${uid}`, SALT) * 0x1_0000_0000 + stableHash(`${uid}\u0000${shard}`, SALT);
}

/** The owner of `uid` among `shards`; undefined when there is no live shard. */
export function assignShard(uid: string, shards: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const shard of shards) {
    const s = score(uid, shard);
    if (s > bestScore || (s === bestScore && best !== undefined && shard < best)) {
      best = shard;
      bestScore = s;
    }
  }
  return best;
}
