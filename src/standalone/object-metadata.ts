// What the API server would assign to an object, assigned here for standalone mode and kept in the
// state file's records. Pure bookkeeping over StateData: no I/O, `now` passed in.
// - `uid`: random, created the first time a `namespace/name` is seen. RunTask's clientToken is
//   derived from it, so the caller makes it durable before handing the resource to anyone.
// - `generation`: 1, then +1 whenever the spec's hash differs from the one stored.
// - `resourceVersion`: a store-wide counter, bumped by every change (manifest edit, status write).
// - `creationTimestamp`: when the resource was first seen.
// Removed manifests keep their record, marked `removedAt`, for a retention period: putting the
// manifest back restores the same uid and run history, so a file moved out and back, or deleted by
// a bad checkout, cannot launch a scheduled time a second time.
import { randomUUID } from 'node:crypto';
import type { Status } from '../api/types.js';
import { ConflictError } from '../controller/errors.js';
import type { ResourceKey } from '../controller/ports.js';
import type { StateData, StateRecord } from './state-file.js';

export interface AssignedMetadata {
  readonly uid: string;
  readonly generation: number;
  readonly resourceVersion: string;
  readonly creationTimestamp: string;
}

export class ObjectMetadata {
  readonly #state: StateData;
  readonly #removedRetentionMs: number;
  readonly #newUid: () => string;
  #lastRv: number;

  constructor(state: StateData, options: { removedRetentionMs: number; newUid?: () => string }) {
    this.#state = state;
    this.#removedRetentionMs = options.removedRetentionMs;
    this.#newUid = options.newUid ?? randomUUID;
    this.#lastRv = 0;
    for (const record of Object.values(state.resources)) {
      const rv = Number.parseInt(record.resourceVersion, 10);
      if (Number.isSafeInteger(rv) && rv > this.#lastRv) this.#lastRv = rv;
    }
  }

  /** The records, as the state file stores them. */
  get state(): StateData {
    return this.#state;
  }

  /**
   * A manifest was added or edited (its document differs from the one last seen). Creates the
   * record, or bumps resourceVersion, and generation when the spec changed. True when the record
   * changed and must be persisted.
   */
  observe(key: ResourceKey, specHash: string, now: Date, alreadyLoaded: boolean): boolean {
    const record = this.#record(key);
    if (!record) {
      this.#state.resources[key] = {
        uid: this.#newUid(),
        generation: 1,
        resourceVersion: this.#nextRv(),
        creationTimestamp: now.toISOString(),
        specHash,
      };
      return true;
    }
    if (record.specHash === specHash && record.removedAt === undefined && !alreadyLoaded) return false;
    if (record.specHash !== specHash) {
      record.generation += 1;
      record.specHash = specHash;
    }
    delete record.removedAt;
    record.resourceVersion = this.#nextRv();
    return true;
  }

  /**
   * Every record whose manifest is not in `present` is marked removed (now, or while the
   * controller was down), and dropped once older than the retention. Returns the dropped keys and
   * whether anything changed.
   */
  forgetAbsent(present: ReadonlySet<ResourceKey>, now: Date): { dirty: boolean; dropped: ResourceKey[] } {
    let dirty = false;
    const dropped: ResourceKey[] = [];
    for (const [key, record] of Object.entries(this.#state.resources)) {
      if (present.has(key)) continue;
      if (record.removedAt === undefined) {
        record.removedAt = now.toISOString();
        record.resourceVersion = this.#nextRv();
        dirty = true;
      } else if (now.getTime() - Date.parse(record.removedAt) > this.#removedRetentionMs) {
        delete this.#state.resources[key];
        dropped.push(key);
        dirty = true;
      }
    }
    return { dirty, dropped };
  }

  /** The metadata and status of a live record, or undefined. */
  get(key: ResourceKey): (AssignedMetadata & { status?: Status }) | undefined {
    const record = this.#record(key);
    if (!record || record.removedAt !== undefined) return undefined;
    return {
      uid: record.uid,
      generation: record.generation,
      resourceVersion: record.resourceVersion,
      creationTimestamp: record.creationTimestamp,
      ...(record.status ? { status: record.status } : {}),
    };
  }

  /**
   * Replaces the status when `resourceVersion` is the stored one (else ConflictError), bumping
   * it. Returns an undo for when persisting fails; it is a no-op once a later change built on it.
   */
  writeStatus(key: ResourceKey, resourceVersion: string | undefined, status: Status): () => void {
    const record = this.#record(key);
    if (!record || record.removedAt !== undefined) throw new ConflictError(`${key} no longer exists`);
    if (resourceVersion !== record.resourceVersion) {
      throw new ConflictError(
        `${key} changed since it was read (resourceVersion ${resourceVersion ?? '(none)'}, stored ${record.resourceVersion})`,
      );
    }
    const previous = { status: record.status, resourceVersion: record.resourceVersion };
    record.status = structuredClone(status);
    record.resourceVersion = this.#nextRv();
    const written = record.resourceVersion;
    return () => {
      if (record.resourceVersion !== written) return;
      record.status = previous.status;
      record.resourceVersion = previous.resourceVersion;
    };
  }

  #record(key: ResourceKey): StateRecord | undefined {
    // Keys come from manifests: never let `__proto__` or `constructor` reach the prototype.
    return Object.hasOwn(this.#state.resources, key) ? this.#state.resources[key] : undefined;
  }

  #nextRv(): string {
    this.#lastRv += 1;
    return String(this.#lastRv);
  }
}
