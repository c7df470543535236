// A cache of EcsScheduledTasks fed by our own list+watch loop. client-node's informer stops on the
// first error; recovery is ours: restart with capped, jittered exponential backoff, relist on
// 410 Gone, relist when nothing (not even a bookmark) arrived for too long, and re-notify every key
// periodically so that a missed event can never strand a resource.
import type { EcsScheduledTaskResource } from '../api/types.js';
import { systemClock, type Clock } from '../controller/clock.js';
import { keyOf, type ResourceKey } from '../controller/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { isExpired, asKubeStatus, describeError } from './api-errors.js';
import { backoffDelayMs, type BackoffPolicy } from '../flow/backoff.js';
import type { ListWatchSource } from './list-watch-source.js';
import { noopWatchMetrics, type WatchMetrics } from './metrics-port.js';
import { ResourceCache } from './resource-cache.js';

export type ChangeListener = (key: ResourceKey) => void;

export interface ResourceInformerOptions {
  readonly source: ListWatchSource;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: WatchMetrics;
  /** Restart delays after consecutive failures. Default WATCH_BACKOFF. */
  readonly backoff?: BackoffPolicy;
  /**
   * Relist when neither an event nor a bookmark arrived for this long. The API server sends a
   * bookmark about once a minute, so silence for several minutes means a stuck connection or a
   * stuck loop. Default 5 min.
   */
  readonly watchdogMs?: number;
  /** Re-notify every cached key this often; 0 disables. Default 10 min. */
  readonly resyncMs?: number;
  readonly random?: () => number;
  /**
   * Whether a watched update is worth a notification, given the cached copy before it. Default:
   * any new resourceVersion. The cache takes every update either way.
   */
  readonly significant?: (
    before: EcsScheduledTaskResource | undefined,
    after: EcsScheduledTaskResource,
  ) => boolean;
}

/**
 * 1 s doubling to 30 s. The 40 % jitter spreads the reconnects of many controllers cut off by the
 * same API server outage, so that they do not come back in lockstep.
 */
export const WATCH_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0.4 };

type Phase = 'idle' | 'listing' | 'watching' | 'waiting' | 'stopped';

export class ResourceInformer {
  private readonly cache = new ResourceCache();
  private readonly listeners = new Set<ChangeListener>();
  private readonly source: ListWatchSource;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly metrics: WatchMetrics;
  private readonly backoff: BackoffPolicy;
  private readonly watchdogMs: number;
  private readonly resyncMs: number;
  private readonly significant: (
    before: EcsScheduledTaskResource | undefined,
    after: EcsScheduledTaskResource,
  ) => boolean;
  private readonly random: () => number;

  private phase: Phase = 'idle';
  /** Bumped whenever the loop moves on; callbacks from an older list or watch are ignored. */
  private generation = 0;
  private resourceVersion = '';
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  /** refresh() callers, resolved by the next list that lands. */
  private refreshWaiters: (() => void)[] = [];
  private consecutiveFailures = 0;
  private watchHealthy = false;
  private lastActivityMs = 0;
  /** Like lastActivityMs, but never reset by the watchdog: when the server last answered. */
  private lastHeardMs: number | undefined;
  private startedMs = 0;
  private closeWatch: (() => void) | undefined;
  private cancelStep: (() => void) | undefined;
  private cancelWatchdog: (() => void) | undefined;
  private cancelResync: (() => void) | undefined;

  constructor(options: ResourceInformerOptions) {
    this.source = options.source;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'informer' });
    this.metrics = options.metrics ?? noopWatchMetrics;
    this.backoff = options.backoff ?? WATCH_BACKOFF;
    this.watchdogMs = options.watchdogMs ?? 5 * 60_000;
    this.resyncMs = options.resyncMs ?? 10 * 60_000;
    this.significant = options.significant ?? (() => true);
    this.random = options.random ?? Math.random;
  }

  /** Calls `listener(key)` for every add, update and delete, and on every resync. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(key: ResourceKey): EcsScheduledTaskResource | undefined {
    return this.cache.get(key);
  }

  keys(): ResourceKey[] {
    return this.cache.keys();
  }

  /** True once the first list has been loaded into the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the cache, or when the informer is stopped. */
  waitForSync(): Promise<void> {
    if (this.synced || this.phase === 'stopped') return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** See ResourceCache.applyWrite: our own status write, visible before the watch delivers it. */
  applyWrite(basedOnResourceVersion: string | undefined, written: EcsScheduledTaskResource): boolean {
    return this.cache.applyWrite(basedOnResourceVersion, written);
  }

  /**
   * Lists again now and resolves once that list is in the cache (or the informer stopped). For a
   * replica that must not act on what it cached before a pause: a sharded replica starting a new
   * term after its Lease was taken over.
   */
  refresh(reason: string): Promise<void> {
    if (this.phase === 'idle' || this.phase === 'stopped') return Promise.resolve();
    return new Promise((resolve) => {
      this.refreshWaiters.push(resolve);
      void this.relist(reason);
    });
  }

  start(): void {
    if (this.phase !== 'idle') return;
    this.lastActivityMs = this.startedMs = this.clock.now().getTime();
    this.armWatchdog();
    this.armResync();
    void this.relist('initial');
  }

  stop(): void {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    this.generation++;
    this.closeCurrentWatch();
    this.cancelStep?.();
    this.cancelWatchdog?.();
    this.cancelResync?.();
    this.cancelStep = this.cancelWatchdog = this.cancelResync = undefined;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
    for (const resolve of this.refreshWaiters.splice(0)) resolve();
  }

  private notifySpread(keys: readonly ResourceKey[], seconds: number): void {
    const perSecond = Math.ceil(keys.length / seconds);
    for (let i = 0; i < seconds && i * perSecond < keys.length; i++) {
      const chunk = keys.slice(i * perSecond, (i + 1) * perSecond);
      if (i === 0) this.notify(chunk);
      else
        this.clock.setTimer(() => {
          if (this.phase !== 'stopped') this.notify(chunk);
        }, i * 1000);
    }
  }

  private notify(keys: Iterable<ResourceKey>): void {
    for (const key of keys) {
      for (const listener of this.listeners) {
        try {
          listener(key);
        } catch (err) {
          this.log.error('change listener failed', { resource: key, err });
        }
      }
    }
  }

  /**
   * How long since the API server last delivered a list, an event or a bookmark, in ms (since
   * start() before the first). Still growing after the watchdog's relist means the informer is
   * dead, which /healthz reports.
   */
  silentForMs(): number {
    if (this.phase === 'idle' || this.phase === 'stopped') return 0;
    return this.clock.now().getTime() - (this.lastHeardMs ?? this.startedMs);
  }

  /** The watchdog's period: silence past it triggers a relist. */
  get watchdogPeriodMs(): number {
    return this.watchdogMs;
  }

  private touch(): void {
    this.lastActivityMs = this.clock.now().getTime();
  }

  private heard(): void {
    this.lastHeardMs = this.clock.now().getTime();
    this.touch();
  }

  private closeCurrentWatch(): void {
    const close = this.closeWatch;
    this.closeWatch = undefined;
    try {
      close?.();
    } catch (err) {
      this.log.debug('closing the watch failed', { err });
    }
  }

  /** Runs `step` after `delayMs`, replacing any step already scheduled. */
  private schedule(delayMs: number, step: () => void): void {
    this.cancelStep?.();
    this.phase = 'waiting';
    const generation = ++this.generation;
    this.cancelStep = this.clock.setTimer(() => {
      this.cancelStep = undefined;
      if (generation === this.generation) step();
    }, delayMs);
  }

  /** `count` is false for retries after a failed list: those are counted as restarts instead. */
  private async relist(reason: string, count = true): Promise<void> {
    if (this.phase === 'stopped') return;
    this.cancelStep?.();
    this.cancelStep = undefined;
    this.closeCurrentWatch();
    this.phase = 'listing';
    const generation = ++this.generation;
    if (count) this.metrics.relisted(reason);
    this.log.debug('listing', { reason });
    let result;
    try {
      result = await this.source.list();
    } catch (err) {
      if (generation !== this.generation) return;
      const delay = backoffDelayMs(this.consecutiveFailures++, this.backoff, this.random);
      this.metrics.restarted('list_error');
      this.log.warn('list failed; retrying', { error: describeError(err), delayMs: delay });
      this.schedule(delay, () => void this.relist(reason, false));
      return;
    }
    if (generation !== this.generation) return;
    this.heard();
    const changed = this.cache.replaceAll(result.items);
    this.resourceVersion = result.resourceVersion;
    for (const resolve of this.refreshWaiters.splice(0)) resolve();
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
    this.log.debug('listed', {
      items: result.items.length,
      changed: changed.length,
      resourceVersion: this.resourceVersion,
    });
    this.notify(changed);
    if (generation === this.generation) void this.watch();
  }

  private async watch(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'watching';
    const generation = ++this.generation;
    this.watchHealthy = false;
    try {
      const close = await this.source.watch(this.resourceVersion, {
        onEvent: (type, object) => {
          if (generation === this.generation) this.onEvent(type, object);
        },
        onDone: (err) => {
          if (generation === this.generation) this.onWatchDone(err);
        },
      });
      if (generation === this.generation) this.closeWatch = close;
      else close();
    } catch (err) {
      if (generation === this.generation) this.onWatchDone(err ?? new Error('watch failed'));
    }
  }

  private onEvent(type: string, object: unknown): void {
    this.metrics.event(type);
    this.heard();
    if (type === 'ERROR') {
      const status = asKubeStatus(object);
      this.closeCurrentWatch();
      this.onWatchDone(status ?? new Error('watch ERROR event'), status);
      return;
    }
    this.watchHealthy = true;
    this.consecutiveFailures = 0;
    const resource = object as EcsScheduledTaskResource | undefined;
    const resourceVersion = resource?.metadata?.resourceVersion;
    if (resourceVersion) this.resourceVersion = resourceVersion;
    if (type === 'BOOKMARK' || !resource?.metadata) return;
    if (type === 'ADDED' || type === 'MODIFIED') {
      const before = this.cache.get(keyOf(resource));
      // Unchanged means we already applied this version from our own status write. upsert trims
      // `resource` in place (trimForCache), so the predicate compares what the cache keeps: an edit
      // of an annotation no reader reads wakes no pass.
      if (this.cache.upsert(resource) && this.significant(before, resource)) this.notify([keyOf(resource)]);
    } else if (type === 'DELETED') {
      this.cache.remove(keyOf(resource));
      this.notify([keyOf(resource)]);
    }
  }

  private onWatchDone(err: unknown, status?: { code?: number; reason?: string; message?: string }): void {
    if (this.phase === 'stopped') return;
    this.closeWatch = undefined;
    this.generation++;
    if (isExpired(err) || (status !== undefined && isExpired(status))) {
      this.log.info('watch expired; relisting', { resourceVersion: this.resourceVersion });
      void this.relist('expired');
      return;
    }
    const reason = err === undefined ? 'closed' : isTimeout(err) ? 'timeout' : 'error';
    this.metrics.restarted(reason);
    // A clean close of a watch that delivered something is routine (the server's timeoutSeconds):
    // resume at once. Anything else backs off, so a server that keeps failing is not hammered.
    const delay =
      reason === 'closed' && this.watchHealthy
        ? 0
        : backoffDelayMs(this.consecutiveFailures++, this.backoff, this.random);
    const fields = {
      reason,
      error: describeError(err),
      delayMs: delay,
      resourceVersion: this.resourceVersion,
    };
    if (reason === 'closed') this.log.debug('watch ended; restarting', fields);
    else this.log.warn('watch ended; restarting', fields);
    this.schedule(delay, () => void this.watch());
  }

  private armWatchdog(): void {
    if (this.watchdogMs <= 0) return;
    const check = () => {
      if (this.phase === 'stopped') return;
      const silentMs = this.clock.now().getTime() - this.lastActivityMs;
      // While waiting out a backoff the silence is ours, not the server's (and backoff is capped
      // well below the watchdog), so the check only counts during a list or a watch.
      if (silentMs >= this.watchdogMs && this.phase !== 'waiting') {
        this.log.warn('nothing arrived from the API server for too long; relisting', { silentMs });
        this.touch();
        void this.relist('watchdog');
      }
      const remaining = this.lastActivityMs + this.watchdogMs - this.clock.now().getTime();
      this.cancelWatchdog = this.clock.setTimer(check, remaining > 0 ? remaining : this.watchdogMs);
    };
    this.cancelWatchdog = this.clock.setTimer(check, this.watchdogMs);
  }

  private armResync(): void {
    if (this.resyncMs <= 0) return;
    // Spread over a tenth of the period (at most a minute), a second's share at a time: all keys
    // at once would put thousands of idle passes in front of the runs that are due right then.
    const spreadSeconds = Math.max(1, Math.min(60, Math.floor(this.resyncMs / 10_000)));
    const tick = () => {
      if (this.phase === 'stopped') return;
      if (this.synced) this.notifySpread(this.cache.keys(), spreadSeconds);
      this.cancelResync = this.clock.setTimer(tick, this.resyncMs);
    };
    this.cancelResync = this.clock.setTimer(tick, this.resyncMs);
  }
}

function isTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'TimeoutError';
}
