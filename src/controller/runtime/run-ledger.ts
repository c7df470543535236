// What makes a launch happen once, by construction. Every RunTask attempt of a run sends a token
// derived only from the run's identity and the attempt number recorded in its run record, so the
// same attempt repeated (after a crash, a lost status write, or by another replica) is the same
// request, and ECS answers it with the tasks it already started. The ledger also decides the rare
// cases where the token cannot help and the tasks must be looked up by startedBy instead.
import { stableHash } from '../../schedule/stable-hash.js';
import type { RunIdentity } from '../decide/run-identity.js';

/** RunTask rejects a clientToken longer than 64 characters. */
const CLIENT_TOKEN_MAX = 64;
/** Room kept for the launcher's per-batch `-b<i>` (100 batches of 10 cover taskCount 1000). */
const BATCH_SUFFIX_ROOM = 4;
/** Room kept for our `-a<n>` attempt suffix. */
const ATTEMPT_SUFFIX_ROOM = 4;
const BASE_MAX = CLIENT_TOKEN_MAX - BATCH_SUFFIX_ROOM - ATTEMPT_SUFFIX_ROOM;

/**
 * ECS remembers a clientToken for 24 hours; a run older than this (with a margin for clock skew)
 * cannot count on a replayed answer.
 */
export const TOKEN_WINDOW_MS = 23 * 60 * 60_000;

/**
 * The token of attempt `attempt` (0 for the first) of a run. Deterministic and at most 56
 * characters, leaving the launcher room for its batch suffix; a longer identity token is shortened
 * with a hash of the whole, so two runs never share a token.
 */
export function launchClientToken(identity: Pick<RunIdentity, 'clientToken'>, attempt: number): string {
  let base = identity.clientToken;
  if (base.length > BASE_MAX) {
    const hash = stableHash(base, 'ecs-scheduler/client-token').toString(16).padStart(8, '0');
    base = `${base.slice(0, BASE_MAX - hash.length - 1)}-${hash}`;
  }
  return attempt > 0 ? `${base}-a${attempt.toString(36)}` : base;
}

export interface LookupQuestion {
  /** `namespace/name`. */
  readonly key: string;
  /** The run's scheduled time (for run-now, when it was first seen). */
  readonly scheduledTime: Date;
  readonly kind: 'scheduled' | 'run-now';
  readonly now: Date;
  /** The pass's signal: one per leadership term, so it names the term. */
  readonly signal: AbortSignal;
}

export interface LaunchLedgerOptions {
  /**
   * How far another replica's clock may run ahead of ours. A scheduled time this close to the
   * start of our term may have been launched by the previous leader. Default 10 s.
   */
  readonly clockSkewMs?: number;
}

/**
 * In-memory facts of this process about launches whose outcome it may not have recorded. Nothing
 * here is needed for correctness on real ECS (the token is); it is what keeps moto, which ignores
 * tokens, and a run past the token's window free of duplicates without a ListTasks per launch.
 */
export class LaunchLedger {
  readonly #skewMs: number;
  /** When this process first acted in each term; a previous leader may have launched before it. */
  readonly #termStart = new WeakMap<AbortSignal, number>();
  /** Keys whose last launch may have reached ECS without its status write landing. */
  readonly #unrecorded = new Set<string>();
  /**
   * When this term first acted on each key. A resource can come to us in the middle of a term (a
   * shard handover, --sharding): until then its old owner launched it, so it counts from here.
   */
  readonly #keyStart = new Map<string, { readonly signal: AbortSignal; readonly at: number }>();

  constructor(options: LaunchLedgerOptions = {}) {
    this.#skewMs = options.clockSkewMs ?? 10_000;
  }

  /** Notes that a pass of this term started now; the first call fixes the term's start. */
  enterTerm(signal: AbortSignal, now: Date, key?: string): void {
    if (!this.#termStart.has(signal)) this.#termStart.set(signal, now.getTime());
    if (key === undefined) return;
    if (this.#keyStart.get(key)?.signal !== signal) this.#keyStart.set(key, { signal, at: now.getTime() });
  }

  /** The resource is gone from this replica (deleted, or handed to another shard). */
  forget(key: string): void {
    this.#keyStart.delete(key);
  }

  /**
   * True when an earlier attempt of this run may have started tasks that the status does not
   * show and the token cannot vouch for: a run-now (its identity has no time to compare), a time
   * due before this term began, or before this term first acted on the resource (the previous
   * leader or shard owner may have launched it and stopped before writing), a launch of ours whose
   * write did not land, or a run older than the token's window.
   */
  needsLookup(q: LookupQuestion): boolean {
    if (q.kind === 'run-now') return true;
    if (this.#unrecorded.has(q.key)) return true;
    if (q.now.getTime() - q.scheduledTime.getTime() > TOKEN_WINDOW_MS) return true;
    const termStart = this.#termStart.get(q.signal) ?? q.now.getTime();
    const keyStart = this.#keyStart.get(q.key);
    const start = keyStart?.signal === q.signal ? Math.max(termStart, keyStart.at) : termStart;
    return q.scheduledTime.getTime() < start + this.#skewMs;
  }

  /** Called right before RunTask: until the status write lands, the outcome is unrecorded. */
  launching(key: string): void {
    this.#unrecorded.add(key);
  }

  /** Called after a status write (or a pass with nothing to write) that recorded every launch. */
  recorded(key: string): void {
    this.#unrecorded.delete(key);
  }
}
