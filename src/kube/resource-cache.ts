// The informer's in-memory copy of EcsScheduledTasks, keyed by namespace/name. Every method that
// changes the cache returns the keys whose content changed, so the informer can notify exactly those.
import type { EcsScheduledTaskResource } from '../api/types.js';
import { keyOf, type ResourceKey } from '../controller/ports.js';
import { poolStrings, trimForCache } from './cache-transform.js';
import { StringPool } from './string-pool.js';

function rv(resource: EcsScheduledTaskResource | undefined): string | undefined {
  return resource?.metadata.resourceVersion;
}

export class ResourceCache {
  private items = new Map<ResourceKey, EcsScheduledTaskResource>();
  private readonly pool = new StringPool();

  /** What the cache keeps of an object it receives (in place: it is freshly decoded, ours to change). */
  private admit(resource: EcsScheduledTaskResource): EcsScheduledTaskResource {
    return poolStrings(trimForCache(resource), this.pool);
  }

  /** The cached copy. Callers must not mutate it (structuredClone first). */
  get(key: ResourceKey): EcsScheduledTaskResource | undefined {
    return this.items.get(key);
  }

  keys(): ResourceKey[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /**
   * Replaces the whole content with a fresh list. Returns the keys that were added, changed (a
   * different resourceVersion) or disappeared since the previous content: a relist after a watch
   * gap must report deletions that the watch never delivered.
   */
  replaceAll(items: readonly EcsScheduledTaskResource[]): ResourceKey[] {
    const next = new Map<ResourceKey, EcsScheduledTaskResource>();
    for (const item of items) next.set(keyOf(item), this.admit(item));
    const changed: ResourceKey[] = [];
    for (const [key, item] of next) {
      const before = this.items.get(key);
      if (before === undefined || rv(before) !== rv(item)) changed.push(key);
    }
    for (const key of this.items.keys()) if (!next.has(key)) changed.push(key);
    this.items = next;
    return changed;
  }

  /** Adds or replaces one object. Returns false when it is the version already cached. */
  upsert(resource: EcsScheduledTaskResource): boolean {
    const key = keyOf(resource);
    const before = this.items.get(key);
    this.items.set(key, this.admit(resource));
    return before === undefined || rv(before) !== rv(resource);
  }

  /** Removes one object. Returns whether it was cached. */
  remove(key: ResourceKey): boolean {
    return this.items.delete(key);
  }

  /**
   * Records the result of our own write, so the next reconcile sees it before the watch delivers
   * it. Applied only while the cache still holds the version the write was based on: if the watch
   * already delivered that write or something newer, the cache is left alone (resourceVersions
   * are opaque, so "newer" cannot be decided by comparing them).
   */
  applyWrite(basedOnResourceVersion: string | undefined, written: EcsScheduledTaskResource): boolean {
    const key = keyOf(written);
    const current = this.items.get(key);
    if (current === undefined || rv(current) !== basedOnResourceVersion) return false;
    // Not pooled: the watch delivers this version within moments, and that copy replaces this one.
    this.items.set(key, trimForCache(written));
    return true;
  }
}
