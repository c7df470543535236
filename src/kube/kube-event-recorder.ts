// EventRecorder on events.k8s.io/v1, the way client-go's tools/events recorder writes events.
// Fire and forget: a failed write is logged, never thrown, and never delays a reconcile.
//
// Identical events (same object, type, reason, action and note) are one series: the first is
// created at once; repeats only count in memory, and the count and last-seen time are PATCHed
// onto the Event at most every `seriesIntervalMs`. A resource that succeeds every minute thus
// costs a few event writes an hour instead of one per run, while a change in how an object fares
// is written at once: a new reason (created at once), a warning that follows anything else (a
// failure after a success, a denial after a failure), and whatever follows a warning (a
// recovery). Routine reasons taking turns (Launched, then RunSucceeded after the first run, then
// Launched) are repeats like any other. Series live in a bounded LRU.
import {
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type EventsV1Api,
  type EventsV1Event,
} from '@kubernetes/client-node';
import { API_VERSION, BACKFILL_KIND, GROUP, KIND } from '../api/constants.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { systemClock, type Clock } from '../controller/clock.js';
import type { EventRecorder, EventType } from '../controller/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { describeError, httpStatusOf } from './api-errors.js';

export const REPORTING_CONTROLLER = `${GROUP}/controller`;

/** events.k8s.io/v1 rejects a note over 1 kB. */
const MAX_NOTE_BYTES = 1024;
/** Required by events.k8s.io/v1: what we did, as opposed to why (the reason). */
const ACTION = 'Reconcile';
/** Default interval between two writes of one series (client-go waits 30 minutes). */
export const DEFAULT_SERIES_INTERVAL_MS = 5 * 60_000;
/**
 * Two series per resource (its routine event and its latest other reason) for 10,000 resources;
 * a series is a few hundred bytes.
 */
export const DEFAULT_MAX_SERIES = 20_000;
/** Shutdown writes pending series counts for at most this long: they are worth less than a fast exit. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;

export interface KubeEventRecorderOptions {
  readonly api: Pick<EventsV1Api, 'createNamespacedEvent' | 'patchNamespacedEvent'>;
  /** This replica's identity, usually the pod name. */
  readonly reportingInstance: string;
  /** Default `ecs-scheduler.dev/controller`. */
  readonly reportingController?: string;
  /** Repeats of a series are written at most this often (`--event-series-interval`). Default 5 min. */
  readonly seriesIntervalMs?: number;
  /** Series remembered, least recently seen forgotten first. Default 20,000. */
  readonly maxSeries?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly random?: () => number;
  /** Runs each event write in its turn (the controller's write lane). Default: at once. */
  readonly writeLane?: { run<T>(write: () => Promise<T>): Promise<T> };
}

/** One series: an Event and the repeats of it seen since. */
interface Series {
  readonly key: string;
  readonly namespace: string;
  /** The Event as created, without its series. */
  body: EventsV1Event;
  /** The Event's name once a create succeeded; undefined until then, or after it disappeared. */
  name: string | undefined;
  /** Occurrences in the series (1 for a lone event). */
  count: number;
  lastObservedMs: number;
  /** `count` as last written (or being written). */
  written: number;
  /** When the last write was sent: the next repeat is written `seriesIntervalMs` after. */
  lastWriteMs: number;
  writing: boolean;
  /** A write is wanted as soon as the one in flight ends (a change of reason came meanwhile). */
  again: boolean;
}

export class KubeEventRecorder implements EventRecorder {
  private readonly api: KubeEventRecorderOptions['api'];
  private readonly reportingInstance: string;
  private readonly reportingController: string;
  private readonly intervalMs: number;
  private readonly maxSeries: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly writeLane: KubeEventRecorderOptions['writeLane'];
  /** Series by key, least recently seen first (a Map keeps insertion order). */
  private readonly series = new Map<string, Series>();
  /** Each object's latest event: after a warning, or for a new warning, a repeat is written at once. */
  private readonly latestOf = new Map<string, { readonly key: string; readonly type: EventType }>();
  /** Series with repeats not yet written. */
  private readonly dirty = new Set<Series>();
  private cancelTick: (() => void) | undefined;
  private readonly pending = new Set<Promise<void>>();

  constructor(options: KubeEventRecorderOptions) {
    this.api = options.api;
    this.reportingInstance = options.reportingInstance;
    this.reportingController = options.reportingController ?? REPORTING_CONTROLLER;
    this.intervalMs = options.seriesIntervalMs ?? DEFAULT_SERIES_INTERVAL_MS;
    this.maxSeries = Math.max(1, options.maxSeries ?? DEFAULT_MAX_SERIES);
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'events' });
    this.random = options.random ?? Math.random;
    this.writeLane = options.writeLane;
  }

  record(resource: EcsScheduledTaskResource, type: EventType, reason: string, message: string): void {
    try {
      this.observe(resource, type, reason, message);
    } catch (err) {
      this.log.warn('could not record event', { reason, error: describeError(err) });
    }
  }

  /** Series remembered now (for tests and the LRU bound). */
  get seriesCount(): number {
    return this.series.size;
  }

  /** Resolves when every write sent so far has been written or has failed (for tests). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * Shutdown: writes the repeats not yet written, and waits for every write for at most
   * `timeoutMs`. Best effort: what is still unwritten then is lost, as an event may be.
   */
  async drain(timeoutMs: number = DEFAULT_DRAIN_TIMEOUT_MS): Promise<void> {
    this.stopTick();
    for (const s of [...this.dirty]) this.write(s);
    let cancel: (() => void) | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      cancel = this.clock.setTimer(() => resolve('timeout'), timeoutMs);
    });
    const done = await Promise.race([this.flush().then(() => 'done' as const), timedOut]);
    cancel?.();
    if (done === 'timeout')
      this.log.warn('gave up writing events at shutdown', { pending: this.pending.size, timeoutMs });
  }

  /**
   * Leadership lost: the next leader reports from here on, so the repeats not yet written are
   * dropped rather than written late by a replica that may be cut off. Writes in flight finish.
   */
  forget(): void {
    this.stopTick();
    for (const s of this.series.values()) s.again = false;
    this.dirty.clear();
    this.series.clear();
    this.latestOf.clear();
  }

  private observe(
    resource: EcsScheduledTaskResource,
    type: EventType,
    reason: string,
    message: string,
  ): void {
    const namespace = resource.metadata.namespace ?? 'default';
    const name = resource.metadata.name ?? '';
    const nowMs = this.clock.now().getTime();
    const note = truncateBytes(message, MAX_NOTE_BYTES);
    const object = resource.metadata.uid ?? `${namespace}/${name}`;
    // Not the resourceVersion: it changes with every status write, and the object does not.
    const key = JSON.stringify([object, type, reason, ACTION, note]);
    const latest = this.latestOf.get(object);
    const news =
      latest !== undefined && latest.key !== key && (type === 'Warning' || latest.type === 'Warning');
    touch(this.latestOf, object, { key, type }, this.maxSeries);

    const known = this.series.get(key);
    if (known) {
      this.touchSeries(key, known);
      known.count++;
      known.lastObservedMs = nowMs;
      if (news) {
        this.write(known);
      } else {
        this.log.debug('counted a repeated event', { resource: `${namespace}/${name}`, reason });
        this.dirty.add(known);
        this.armTick();
      }
      return;
    }
    const series: Series = {
      key,
      namespace,
      body: {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { namespace },
        eventTime: new V1MicroTime(nowMs),
        type,
        reason,
        action: ACTION,
        note,
        regarding: {
          apiVersion: API_VERSION,
          // Backfills are reported on through the same recorder.
          kind: resource.kind === BACKFILL_KIND ? BACKFILL_KIND : KIND,
          namespace,
          name,
          uid: resource.metadata.uid,
          resourceVersion: resource.metadata.resourceVersion,
        },
        reportingController: this.reportingController,
        reportingInstance: this.reportingInstance,
      },
      name: undefined,
      count: 1,
      lastObservedMs: nowMs,
      written: 0,
      lastWriteMs: nowMs,
      writing: false,
      again: false,
    };
    this.touchSeries(key, series);
    this.write(series);
  }

  /** A forgotten series' repeats are written first, so its count is not lost with it. */
  private touchSeries(key: string, series: Series): void {
    for (const evicted of touch(this.series, key, series, this.maxSeries))
      if (this.dirty.has(evicted)) this.write(evicted);
  }

  /** Writes the series now: a create when it has no Event (yet), else a PATCH of its series. */
  private write(s: Series): void {
    this.dirty.delete(s);
    if (s.writing) {
      s.again = true;
      return;
    }
    s.writing = true;
    s.again = false;
    const count = s.count;
    const lastObservedMs = s.lastObservedMs;
    s.lastWriteMs = this.clock.now().getTime();
    const run = <T>(call: () => Promise<T>) => (this.writeLane ? this.writeLane.run(call) : call());
    const resource = `${s.namespace}/${s.body.regarding?.name ?? ''}`;
    const write = (async () => {
      try {
        if (s.name !== undefined) {
          try {
            await run(() => this.patch(s, count, lastObservedMs));
            s.written = count;
            return;
          } catch (err) {
            if (httpStatusOf(err) !== 404) throw err;
            // Deleted (events live an hour by default): the series starts again as a new Event.
            this.log.debug('event gone; creating it again', { resource, reason: s.body.reason });
            const nowMs = this.clock.now().getTime();
            s.name = undefined;
            s.body = { ...s.body, eventTime: new V1MicroTime(nowMs) };
            s.count = 1 + (s.count - count);
            s.lastObservedMs = nowMs;
          }
        }
        const created = s.count;
        const name = await run(() => this.create(s, created));
        s.name = name;
        s.written = created;
      } catch (err) {
        this.log.warn('could not record event', {
          resource,
          reason: s.body.reason,
          error: describeError(err),
        });
      } finally {
        s.writing = false;
        if (s.again) this.write(s);
        else if (s.count > s.written && this.series.get(s.key) === s) {
          this.dirty.add(s);
          this.armTick();
        }
      }
    })();
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  private async create(s: Series, count: number): Promise<string> {
    const name = eventName(s.body.regarding?.name ?? '', this.clock.now().getTime(), this.random);
    const body: EventsV1Event = {
      ...s.body,
      metadata: { name, namespace: s.namespace },
      // A series whose first create failed is created with the repeats it has since.
      ...(count >= 2 ? { series: { count, lastObservedTime: new V1MicroTime(s.lastObservedMs) } } : {}),
    };
    await this.api.createNamespacedEvent({ namespace: s.namespace, body });
    return name;
  }

  private async patch(s: Series, count: number, lastObservedMs: number): Promise<void> {
    await this.api.patchNamespacedEvent(
      {
        name: s.name!,
        namespace: s.namespace,
        body: { series: { count, lastObservedTime: new V1MicroTime(lastObservedMs).toISOString() } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** A sweep every tenth of the interval writes each series whose interval has passed. */
  private armTick(): void {
    if (this.cancelTick) return;
    const period = Math.max(this.intervalMs / 10, Math.min(this.intervalMs, 1_000));
    this.cancelTick = this.clock.setTimer(() => {
      this.cancelTick = undefined;
      const nowMs = this.clock.now().getTime();
      for (const s of [...this.dirty]) if (nowMs - s.lastWriteMs >= this.intervalMs) this.write(s);
      if (this.dirty.size > 0) this.armTick();
    }, period);
  }

  private stopTick(): void {
    this.cancelTick?.();
    this.cancelTick = undefined;
  }
}

/** Sets `key` as the most recently used; returns the least recently used values dropped past `max`. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): V[] {
  map.delete(key);
  map.set(key, value);
  const evicted: V[] = [];
  for (const [k, v] of map) {
    if (map.size <= max) break;
    map.delete(k);
    evicted.push(v);
  }
  return evicted;
}

/** `<object>.<hex>`, as client-go names events; the object part is cut so the name stays ≤ 253. */
export function eventName(objectName: string, nowMs: number, random: () => number): string {
  const suffix = (BigInt(nowMs) * 1_000_000n + BigInt(Math.floor(random() * 1_000_000))).toString(16);
  return `${objectName.slice(0, 253 - suffix.length - 1)}.${suffix}`;
}

export function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const ellipsis = '…';
  let cut = text.slice(0, maxBytes);
  while (Buffer.byteLength(cut, 'utf8') + Buffer.byteLength(ellipsis, 'utf8') > maxBytes)
    cut = cut.slice(0, -1);
  return cut + ellipsis;
}
