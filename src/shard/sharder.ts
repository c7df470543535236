// The sharder: run by the one replica that holds the ordinary leader-election Lease. It watches
// the resources' metadata and the ring's Leases, and labels each resource with its owner, moving
// a resource only past an owner that stopped acting on it (sharder-decisions.ts says when). The
// plan is recomputed from the whole cache after every change, every retry period, and when a
// live shard's Lease is due to run out (an unrenewed Lease sends no event).
import type { Clock } from '../controller/clock.js';
import { ConflictError } from '../controller/errors.js';
import { describeError } from '../kube/api-errors.js';
import type { LabelPatchClient } from '../kube/label-patch-client.js';
import type { LeaseClient, LeaseRemover } from '../kube/lease-client.js';
import { desiredRecord, type Observation } from '../kube/lease-decisions.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { assignShard } from './shard-assignment.js';
import { DRAIN_LABEL, OWNER_LABEL, shardLeaseName } from './shard-labels.js';
import type { ShardMetrics } from './shard-metrics-port.js';
import {
  liveShards,
  nextExpiryMs,
  observeRing,
  shardStates,
  type RingLease,
  type ShardState,
} from './shard-ring.js';
import { planShards, type ShardAction, type ShardedResource } from './sharder-decisions.js';

/** The objects the sharder reads: metadata is all it looks at. */
export interface MetadataObject {
  readonly metadata: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
}

/** A cache fed by a list+watch (ResourceInformer fits). */
export interface WatchedCache<T> {
  keys(): string[];
  get(key: string): T | undefined;
  subscribe(listener: (key: string) => void): () => void;
  start(): void;
  stop(): void;
  waitForSync(): Promise<void>;
}

export interface LeaseObject {
  readonly metadata?: { readonly name?: string };
}

export interface SharderOptions {
  /** A fresh metadata-only cache of the EcsScheduledTasks, for each term as sharder. */
  readonly newResourceCache: () => WatchedCache<MetadataObject>;
  /** A cache of the ring's Leases (selected by the ring label), one per watchRing(). */
  readonly newLeaseCache: () => WatchedCache<LeaseObject>;
  /** How a cached Lease reads as a record. */
  readonly leaseOf: (object: LeaseObject) => RingLease | undefined;
  /** For taking an expired shard's Lease over; it writes the ring label. */
  readonly leaseClient: LeaseClient;
  /** Deletes the Leases of shards gone for good; without it they stay (harmless, but litter). */
  readonly leaseRemover?: LeaseRemover;
  /**
   * How long a shard stays out of the ring, naming no resource, before its Lease is deleted.
   * Default: ten Lease durations, so that `kubectl get leases` still shows who left recently.
   */
  readonly abandonedLeaseAfterMs?: number;
  readonly labels: LabelPatchClient;
  /**
   * Whether this replica may still write as the sharder: the leader Lease is held with a margin.
   * A sharder paused past its Lease resumes with a stale view of the ring; its writes must not
   * race the new sharder's.
   */
  readonly mayAct: () => boolean;
  readonly namespace: string;
  /** This replica: the holder written on a Lease taken over. */
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly retryPeriodSeconds: number;
  /**
   * After becoming sharder, unlabelled resources wait this long before their first label, so that
   * replicas started together (a fresh install, a cold start) all join the ring first and the
   * resources are not first piled on the earliest replica, then moved. Default: the Lease
   * duration, which a new sharder needs anyway to tell a dead shard from a live one.
   */
  readonly settleMs?: number;
  /** Patches in flight at once. Default 16. */
  readonly concurrency?: number;
  readonly clock: Clock;
  readonly monotonicNow?: () => number;
  readonly logger?: Logger;
  readonly metrics: ShardMetrics;
}

interface SharderTerm {
  readonly resources: WatchedCache<MetadataObject>;
  /** The watched ring's cache (watchRing): it outlives the term. */
  readonly leases: WatchedCache<LeaseObject>;
  readonly unsubscribe: () => void;
}

/** Coalesces a burst of watch events into one plan. */
const SETTLE_MS = 100;
/**
 * Actions per pass, in rounds of the patch concurrency. A pass waits for all of its writes; a
 * cold ring of thousands of resources done in one pass kept a shard that died meanwhile waiting
 * for its takeover until the last label was written (82 s for 3,000 on a slow machine). In chunks,
 * the next plan comes within a few round trips and puts the takeover first.
 */
const ROUNDS_PER_PASS = 8;

export class Sharder {
  readonly #o: SharderOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #term: SharderTerm | undefined;
  /** The ring watched between terms too (watchRing): the cache, and the next look's timer. */
  #ringWatch: { readonly cache: WatchedCache<LeaseObject>; cancelTimer?: () => void } | undefined;
  #ring = new Map<string, Observation>();
  /** Resources patched, by the resourceVersion we decided on: skipped until the cache moves on. */
  readonly #patched = new Map<string, string>();
  /** When (monotonic) we asked a resource to drain, for the handover duration. */
  readonly #drainStarted = new Map<string, number>();
  /**
   * Leases we took over, by name: the version we wrote over and the Lease we wrote. Until the
   * watch brings our write, the cache still shows the expired record, which must not count again.
   */
  readonly #takenOver = new Map<string, { readonly over: string; readonly lease: RingLease }>();
  /** When (monotonic) a shard was first seen out of the ring. */
  readonly #shardLeft = new Map<string, number>();
  /** Abandoned Leases deleted, by name: the version deleted, until the watch brings the delete. */
  readonly #deletedLeases = new Map<string, string>();
  #lastStates = new Map<string, ShardState>();
  /** The assignment for the current live set, memoised: the live set rarely changes. */
  #assigned = { live: '', owners: new Map<string, string | undefined>() };
  #running: Promise<void> | undefined;
  /** Monotonic ms until which unlabelled resources wait (see settleMs). */
  #settledAt = 0;
  #again = false;
  #cancelTimer: (() => void) | undefined;

  constructor(options: SharderOptions) {
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: 'sharder', identity: options.identity });
    this.#now = options.monotonicNow ?? (() => performance.now());
  }

  /**
   * Watches the ring from now until stopWatchingRing() (a term starts it if need be), sharder or
   * not, so that a replica that becomes sharder already knows, on its own clock, how long each
   * Lease has gone unrenewed. A sharder that only starts counting at its term's start takes a dead
   * shard over two Lease durations after a kill that took the old sharder too (43 s in the
   * 3,000-resource SIGKILL bench) instead of one. The Leases are few; their renewals are all this
   * costs.
   */
  watchRing(): WatchedCache<LeaseObject> {
    if (this.#ringWatch !== undefined) return this.#ringWatch.cache;
    const watch: { cache: WatchedCache<LeaseObject>; cancelTimer?: () => void } = {
      cache: this.#o.newLeaseCache(),
    };
    this.#ringWatch = watch;
    watch.cache.start();
    // A renewal sends no event worth a pass, and a Lease that stops renewing sends none at all:
    // looked at every retry period, as a sharder's idle pass does.
    const look = () => {
      if (this.#ringWatch !== watch) return;
      if (this.#term === undefined) this.#observe(watch.cache);
      watch.cancelTimer = this.#o.clock.setTimer(look, this.#o.retryPeriodSeconds * 1000);
    };
    look();
    return watch.cache;
  }

  /** Stops watching the ring; called once the term, if any, has ended (it reads the cache). */
  stopWatchingRing(): void {
    const watch = this.#ringWatch;
    if (watch === undefined) return;
    this.#ringWatch = undefined;
    watch.cancelTimer?.();
    watch.cache.stop();
  }

  /** Starts a term as sharder; it lasts until `signal` aborts or stop(). */
  async lead(signal: AbortSignal): Promise<void> {
    if (this.#term !== undefined || signal.aborted) return;
    // Observations of the watched ring carry over: they are this replica's own, made all along.
    const leases = this.watchRing();
    const poke = () => this.#schedule(SETTLE_MS);
    const resources = this.#o.newResourceCache();
    const unsubscribes = [resources.subscribe(poke), leases.subscribe(poke)];
    const term: SharderTerm = { resources, leases, unsubscribe: () => unsubscribes.forEach((u) => u()) };
    this.#term = term;
    this.#settledAt = this.#now() + (this.#o.settleMs ?? this.#o.leaseDurationSeconds * 1000);
    this.#patched.clear();
    this.#takenOver.clear();
    this.#o.metrics.setSharder(true);
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    term.resources.start();
    await Promise.all([term.resources.waitForSync(), term.leases.waitForSync()]);
    if (this.#term !== term) return;
    this.#log.info('sharder started', {
      resources: term.resources.keys().length,
      leases: term.leases.keys().length,
    });
    this.#schedule(0);
  }

  /** Ends the term: no new patches; the ones in flight finish. */
  async stop(): Promise<void> {
    const term = this.#term;
    if (term === undefined) return;
    this.#term = undefined;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    term.unsubscribe();
    term.resources.stop();
    this.#o.metrics.setSharder(false);
    await this.#running;
    this.#log.info('sharder stopped');
  }

  #schedule(delayMs: number): void {
    if (this.#term === undefined) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#cancelTimer?.();
    this.#cancelTimer = this.#o.clock.setTimer(() => {
      this.#cancelTimer = undefined;
      this.#running = this.#pass().finally(() => {
        this.#running = undefined;
        const again = this.#again;
        this.#again = false;
        if (this.#term !== undefined) this.#schedule(again ? SETTLE_MS : this.#idleDelayMs());
      });
    }, delayMs);
  }

  /** Until the next look without an event: the retry period, or sooner if a Lease runs out first. */
  #idleDelayMs(): number {
    const now = this.#now();
    const period = Math.min(
      this.#o.retryPeriodSeconds * 1000,
      now < this.#settledAt ? this.#settledAt - now + 1 : Infinity,
    );
    const expiry = nextExpiryMs(this.#ring, this.#now(), this.#o.leaseDurationSeconds);
    return expiry === undefined ? period : Math.max(0, Math.min(period, expiry - this.#now() + 1));
  }

  async #pass(): Promise<void> {
    const term = this.#term;
    if (term === undefined) return;
    const now = this.#observe(term.leases);
    const states = shardStates(this.#ring, now, this.#o.leaseDurationSeconds);
    this.#noteRingChanges(states, now);
    const live = liveShards(states);
    const plan = planShards(this.#resources(term.resources), states, live, this.#assignFor(live));
    this.#o.metrics.setResourcesPerShard(plan.desired, plan.unassigned, plan.moving);
    this.#o.metrics.setLiveShards(live.length);
    const settling = now < this.#settledAt;
    const actions = settling
      ? plan.actions.filter((a) => !(a.kind === 'assign' && a.from === undefined))
      : plan.actions;
    if (actions.length > 0) {
      const takeOvers = actions.filter((a) => a.kind === 'takeOver');
      const others = actions.filter((a) => a.kind !== 'takeOver');
      const chunk = others.slice(0, this.#concurrency * ROUNDS_PER_PASS);
      const counts = { assign: 0, drain: 0, takeOver: takeOvers.length };
      for (const a of chunk) counts[a.kind]++;
      this.#log.info('sharder pass', { live, ...counts, left: others.length - chunk.length });
      if (takeOvers.length > 0) {
        const taken = this.#takenOver.size;
        await this.#execute(term, takeOvers);
        // A shard taken over: plan again at once, so that its resources move first. A takeover
        // that failed must not hold the other labels up: they go on below.
        if (this.#takenOver.size > taken) {
          this.#again = true;
          return;
        }
      }
      // The rest is planned again right after, from what the watch shows by then.
      if (chunk.length < others.length) this.#again = true;
      await this.#execute(term, chunk);
    }
    // Litter last: a slow delete must not hold up a handover.
    if (this.#term === term) await this.#deleteAbandoned(plan.abandoned, now);
  }

  /** Folds the cached Leases into the ring's observations; returns the (monotonic) time of the look. */
  #observe(cache: WatchedCache<LeaseObject>): number {
    const now = this.#now();
    const leases = cache
      .keys()
      .map((k) => cache.get(k))
      .map((l) => (l === undefined ? undefined : this.#o.leaseOf(l)))
      .filter((l): l is RingLease => l !== undefined)
      .map((l) => this.#withOurTakeover(l));
    this.#ring = observeRing(this.#ring, leases, now);
    return now;
  }

  /** Deletes the Leases of shards out of the ring long enough that no resource names. */
  async #deleteAbandoned(abandoned: readonly string[], now: number): Promise<void> {
    const remover = this.#o.leaseRemover;
    if (remover === undefined) return;
    const after = this.#o.abandonedLeaseAfterMs ?? this.#o.leaseDurationSeconds * 10_000;
    for (const shard of abandoned) {
      const left = this.#shardLeft.get(shard);
      const name = shardLeaseName(shard);
      const seen = this.#ring.get(name);
      if (left === undefined || now - left < after || seen === undefined) continue;
      if (this.#deletedLeases.get(name) === seen.resourceVersion || !this.#o.mayAct()) continue;
      try {
        // On the version seen gone: a replica of the same name that came back renewed it.
        await remover.delete(this.#o.namespace, name, seen.resourceVersion);
        this.#deletedLeases.set(name, seen.resourceVersion);
        this.#log.info('deleted the Lease of a shard that left the ring', { shard, lease: name });
      } catch (err) {
        if (err instanceof ConflictError) this.#log.debug('abandoned Lease changed; next pass', { shard });
        else
          this.#log.warn('deleting an abandoned Lease failed; next pass', {
            shard,
            error: describeError(err),
          });
      }
    }
    for (const name of this.#deletedLeases.keys())
      if (!this.#ring.has(name)) this.#deletedLeases.delete(name);
  }

  #withOurTakeover(lease: RingLease): RingLease {
    const ours = this.#takenOver.get(lease.name);
    if (ours === undefined) return lease;
    if (lease.resourceVersion === ours.over) return ours.lease;
    this.#takenOver.delete(lease.name);
    return lease;
  }

  #assignFor(live: readonly string[]): (uid: string) => string | undefined {
    const id = live.join('\u0000');
    if (this.#assigned.live !== id) this.#assigned = { live: id, owners: new Map() };
    const owners = this.#assigned.owners;
    return (uid) => {
      if (!owners.has(uid)) owners.set(uid, assignShard(uid, live));
      return owners.get(uid);
    };
  }

  #noteRingChanges(states: Map<string, ShardState>, now: number): void {
    for (const [shard, state] of states) {
      const before = this.#lastStates.get(shard);
      if (state !== before) this.#log.info('shard state', { shard, state, before: before ?? 'unknown' });
      if (state === 'live') this.#shardLeft.delete(shard);
      else if (!this.#shardLeft.has(shard)) this.#shardLeft.set(shard, now);
    }
    // A shard whose Lease is deleted is forgotten: pods of a Deployment never come back by name.
    for (const shard of this.#shardLeft.keys()) if (!states.has(shard)) this.#shardLeft.delete(shard);
    this.#lastStates = states;
  }

  *#resources(cache: WatchedCache<MetadataObject>): Iterable<ShardedResource & { resourceVersion: string }> {
    for (const key of cache.keys()) {
      const object = cache.get(key);
      if (object === undefined) continue;
      const rv = object.metadata.resourceVersion ?? '';
      const patchedAt = this.#patched.get(key);
      // Our patch is on its way back through the watch: the cache still shows the old labels.
      if (patchedAt !== undefined) {
        if (patchedAt === rv) continue;
        this.#patched.delete(key);
      }
      const labels = object.metadata.labels ?? {};
      const owner = labels[OWNER_LABEL];
      yield {
        key,
        uid: object.metadata.uid ?? key,
        ...(owner === undefined ? {} : { owner }),
        draining: labels[DRAIN_LABEL] !== undefined,
        resourceVersion: rv,
      };
    }
  }

  async #execute(term: SharderTerm, actions: readonly ShardAction[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < actions.length && this.#term === term) {
        const action = actions[next++]!;
        try {
          await this.#act(term, action);
        } catch (err) {
          if (err instanceof ConflictError)
            this.#log.debug('sharder write conflicted; next pass', { action });
          else this.#log.warn('sharder write failed; next pass', { action, error: describeError(err) });
        }
      }
    };
    await Promise.all(Array.from({ length: this.#concurrency }, worker));
  }

  get #concurrency(): number {
    return this.#o.concurrency ?? 16;
  }

  async #act(term: SharderTerm, action: ShardAction): Promise<void> {
    if (!this.#o.mayAct()) return;
    if (action.kind === 'takeOver') return this.#takeOver(action.shard);
    const object = term.resources.get(action.key);
    if (object === undefined) return;
    const [namespace, name] = splitKey(action.key);
    const resourceVersion = object.metadata.resourceVersion ?? '';
    if (action.kind === 'drain') {
      // No precondition: setting the drain label is harmless whatever else changed.
      await this.#o.labels.patchLabels({ namespace, name, labels: { [DRAIN_LABEL]: 'true' } });
      this.#patched.set(action.key, resourceVersion);
      this.#drainStarted.set(action.key, this.#now());
      this.#log.debug('asked the owner to drain', {
        resource: action.key,
        owner: action.owner,
        to: action.to,
      });
      return;
    }
    // Only on the labels we decided from: another sharder, or the owner, may have moved them.
    const found = await this.#o.labels.patchLabels({
      namespace,
      name,
      labels: { [OWNER_LABEL]: action.owner, [DRAIN_LABEL]: null },
      resourceVersion,
    });
    if (!found) return;
    this.#patched.set(action.key, resourceVersion);
    if (action.from !== undefined || this.#drainStarted.has(action.key)) {
      const since =
        this.#drainStarted.get(action.key) ?? (action.from ? this.#shardLeft.get(action.from) : undefined);
      const reason = this.#drainStarted.has(action.key) ? 'drained' : 'owner-gone';
      this.#o.metrics.handedOver(reason, since === undefined ? undefined : (this.#now() - since) / 1000);
      this.#drainStarted.delete(action.key);
      this.#log.debug('resource handed over', {
        resource: action.key,
        from: action.from,
        to: action.owner,
        reason,
      });
    }
  }

  /**
   * Writes ourselves as the holder of a shard Lease that ran out, on the version we saw run out.
   * A paused owner that resumes then finds its Lease held by someone else and ends its term; a
   * conflict means it renewed after all, and the next pass sees it live again.
   */
  async #takeOver(shard: string): Promise<void> {
    const name = shardLeaseName(shard);
    const seen = this.#ring.get(name);
    if (seen === undefined || (seen.record.holderIdentity ?? '') !== shard) return;
    const written = await this.#o.leaseClient.update(
      this.#o.namespace,
      name,
      desiredRecord(seen.record, this.#o.identity, this.#o.clock.now(), this.#o.leaseDurationSeconds),
      seen.resourceVersion,
    );
    this.#takenOver.set(name, {
      over: seen.resourceVersion,
      lease: { name, record: written.record, resourceVersion: written.resourceVersion },
    });
    this.#log.warn('took over the Lease of an expired shard: its resources move', { shard });
    this.#schedule(0);
  }
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
