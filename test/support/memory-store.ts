// An in-memory ResourceStore with Kubernetes' optimistic concurrency: every write bumps
// resourceVersion, and a write based on an older version fails with ConflictError. Objects handed
// out are deep-frozen, so a reconciler that mutates what it read from the cache fails loudly.
import type { EcsScheduledTaskResource, Status } from '../../src/api/types.js';
import { ConflictError } from '../../src/controller/errors.js';
import { keyOf, type ResourceKey, type ResourceStore } from '../../src/controller/ports.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class MemoryResourceStore implements ResourceStore {
  readonly #objects = new Map<ResourceKey, EcsScheduledTaskResource>();
  #version = 0;
  /** Every successful status write, in order. */
  readonly statusWrites: { key: ResourceKey; status: Status }[] = [];
  /** Status writes refused with a conflict. */
  conflicts = 0;
  #beforeNextWrite: (() => void) | undefined;

  /**
   * Runs `hook` when the next status write arrives, before it is checked: bump the object to
   * provoke a conflict, or throw to simulate a crash between acting and writing.
   */
  beforeNextWrite(hook: () => void): void {
    this.#beforeNextWrite = hook;
  }

  /** Creates or replaces the object (as `kubectl apply` would), keeping its status. */
  put(resource: EcsScheduledTaskResource): EcsScheduledTaskResource {
    const key = keyOf(resource);
    const existing = this.#objects.get(key);
    const copy = structuredClone(resource);
    const stored: EcsScheduledTaskResource = {
      ...copy,
      metadata: {
        ...copy.metadata,
        resourceVersion: String(++this.#version),
        generation: existing ? (existing.metadata.generation ?? 1) + 1 : (copy.metadata.generation ?? 1),
      },
      ...(copy.status ? {} : existing?.status ? { status: structuredClone(existing.status) } : {}),
    };
    this.#objects.set(key, deepFreeze(stored));
    return stored;
  }

  /** Changes the object without a spec change (e.g. an annotation), bumping only resourceVersion. */
  update(key: ResourceKey, change: (copy: EcsScheduledTaskResource) => void): EcsScheduledTaskResource {
    const existing = this.#objects.get(key);
    if (!existing) throw new Error(`no object ${key}`);
    const copy = structuredClone(existing);
    change(copy);
    copy.metadata.resourceVersion = String(++this.#version);
    this.#objects.set(key, deepFreeze(copy));
    return copy;
  }

  delete(key: ResourceKey): void {
    this.#objects.delete(key);
  }

  get(key: ResourceKey): EcsScheduledTaskResource | undefined {
    return this.#objects.get(key);
  }

  async writeStatus(resource: EcsScheduledTaskResource, status: Status): Promise<EcsScheduledTaskResource> {
    const hook = this.#beforeNextWrite;
    this.#beforeNextWrite = undefined;
    hook?.();
    const key = keyOf(resource);
    const existing = this.#objects.get(key);
    if (!existing || existing.metadata.resourceVersion !== resource.metadata.resourceVersion) {
      this.conflicts++;
      throw new ConflictError();
    }
    const stored = deepFreeze({
      ...structuredClone(existing),
      metadata: { ...structuredClone(existing.metadata), resourceVersion: String(++this.#version) },
      status: structuredClone(status),
    });
    this.#objects.set(key, stored);
    this.statusWrites.push({ key, status: structuredClone(status) });
    return stored;
  }
}
