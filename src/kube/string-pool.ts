// One copy of each short string that many cached objects repeat. JSON.parse gives every decoded
// object its own copies, so 5,000 resources' run histories held 18,545 copies of "Essential
// container in task exited", 10,000 of their schedule, and each scheduled time once per resource
// due in that second. In a heap snapshot of 5,000 resources, 12.5 MiB of the 122 MiB live were
// second and later copies of strings of at most 64 characters, most of them in the cache.
// The cache keeps one copy each, through a pool bounded in two generations: a string not seen for
// a whole generation (a one-off message) is forgotten, so the pool cannot grow with the run count.

/** Strings longer than this are rarely repeated (ARNs, long messages), and are left as they are. */
export const MAX_POOLED_LENGTH = 64;
/** Entries per generation: far above the distinct short strings of the cached objects. */
export const POOL_GENERATION_SIZE = 16_384;

export class StringPool {
  #current = new Map<string, string>();
  #previous = new Map<string, string>();

  constructor(
    private readonly generationSize = POOL_GENERATION_SIZE,
    private readonly maxLength = MAX_POOLED_LENGTH,
  ) {}

  /** The pooled copy equal to `value` (which becomes it when there is none). */
  intern(value: string): string {
    if (value.length > this.maxLength) return value;
    const current = this.#current.get(value);
    if (current !== undefined) return current;
    const pooled = this.#previous.get(value) ?? value;
    if (this.#current.size >= this.generationSize) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(pooled, pooled);
    return pooled;
  }

  /**
   * Replaces, in place, every string of `value` (its objects' properties and arrays' items, all the
   * way down) by its pooled copy, except the properties named in `skip` and what lies under them.
   */
  internAll(value: unknown, skip: ReadonlySet<string>): void {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'string') value[i] = this.intern(item);
        else if (typeof item === 'object' && item !== null) this.internAll(item, skip);
      }
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      if (skip.has(key)) continue;
      const field = object[key];
      if (typeof field === 'string') object[key] = this.intern(field);
      else if (typeof field === 'object' && field !== null) this.internAll(field, skip);
    }
  }

  /** Strings held now (for tests): at most two generations. */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}
