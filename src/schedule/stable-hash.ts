/**
 * FNV-1a over UTF-8 with a murmur3 finaliser. Hand-rolled rather than node:crypto so the value is
 * identical in every process and runtime, and cheap enough to call per field on every compile.
 * The finaliser matters: `h % n` on raw FNV-1a is poorly spread for keys that differ in one byte.
 */
const encoder = new TextEncoder();

export function stableHash(key: string, salt: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(`${salt}\u0000${key}`)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** A delay in whole seconds, 0..maxSeconds inclusive, the same for a resource and scheduled time. */
export function jitterSeconds(hashKey: string, scheduledTime: Date, maxSeconds: number): number {
  const max = Math.floor(maxSeconds);
  if (!(max > 0)) return 0;
  return stableHash(hashKey, `jitter:${scheduledTime.toISOString()}`) % (max + 1);
}
