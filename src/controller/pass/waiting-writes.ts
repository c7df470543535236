// Status writes that wait for a run launched a moment ago to end (see ../decide/launch-write.ts),
// one per resource, held for the leadership term that decided them. The next pass of the resource
// starts from the waiting status rather than the stored one, so a waiting launch blocks a second
// launch of its time and counts for the concurrency policy exactly as a written Running run does.
// A term that ends drops its waiting writes: the next term finds those launches by startedBy.
import type { Status } from '../../api/types.js';
import type { ResourceKey } from '../ports.js';

export interface WaitingWrite {
  /** The status the resource's passes decided and have not written. */
  readonly status: Status;
  /** The term that decided it. */
  readonly signal: AbortSignal;
  /** The object it belongs to: a resource deleted and created again under its name is another. */
  readonly uid: string | undefined;
  /** When the oldest launch in it must show in status. */
  readonly writeBy: Date;
  /** Scheduled times launched and not written yet. */
  readonly launched: ReadonlySet<string>;
  /** Events and metrics of the passes that decided it: reported once it is written. */
  readonly reports: readonly (() => void)[];
}

export class WaitingWrites {
  readonly #byKey = new Map<ResourceKey, WaitingWrite>();
  /** Terms whose end is already watched. */
  readonly #watched = new WeakSet<AbortSignal>();

  /** The key's waiting write, if this term of this object decided it; anything else is dropped. */
  get(key: ResourceKey, signal: AbortSignal, uid: string | undefined): WaitingWrite | undefined {
    const waiting = this.#byKey.get(key);
    if (!waiting) return undefined;
    if (waiting.signal === signal && !signal.aborted && waiting.uid === uid) return waiting;
    this.#byKey.delete(key);
    return undefined;
  }

  set(key: ResourceKey, waiting: WaitingWrite): void {
    this.#byKey.set(key, waiting);
    const { signal } = waiting;
    if (this.#watched.has(signal)) return;
    this.#watched.add(signal);
    signal.addEventListener('abort', () => this.#dropTerm(signal), { once: true });
  }

  delete(key: ResourceKey): void {
    this.#byKey.delete(key);
  }

  /** The term's waiting writes. */
  of(signal: AbortSignal): [ResourceKey, WaitingWrite][] {
    return [...this.#byKey].filter(([, w]) => w.signal === signal);
  }

  get size(): number {
    return this.#byKey.size;
  }

  #dropTerm(signal: AbortSignal): void {
    for (const [key, waiting] of this.#byKey) if (waiting.signal === signal) this.#byKey.delete(key);
  }
}
