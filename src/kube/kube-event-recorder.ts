// EventRecorder on events.k8s.io/v1. Fire and forget: a failed event is logged, never thrown, and
// never delays a reconcile. Repeats of the same event on the same object within a window are
// dropped, so a resource stuck in a failing state does not flood etcd with identical Events.
import { V1MicroTime, type EventsV1Api, type EventsV1Event } from '@kubernetes/client-node';
import { API_VERSION, BACKFILL_KIND, GROUP, KIND } from '../api/constants.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { systemClock, type Clock } from '../controller/clock.js';
import type { EventRecorder, EventType } from '../controller/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { describeError } from './api-errors.js';

export const REPORTING_CONTROLLER = `${GROUP}/controller`;

/** events.k8s.io/v1 rejects a note over 1 kB. */
const MAX_NOTE_BYTES = 1024;
/** Bounds memory if many distinct messages occur within one window. */
const MAX_REMEMBERED = 10_000;

export interface KubeEventRecorderOptions {
  readonly api: Pick<EventsV1Api, 'createNamespacedEvent'>;
  /** This replica's identity, usually the pod name. */
  readonly reportingInstance: string;
  /** Default `ecs-scheduler.dev/controller`. */
  readonly reportingController?: string;
  /** Identical events (object, type, reason, message) within this window are dropped. Default 60 s. */
  readonly dedupeWindowMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly random?: () => number;
  /** Runs each event write in its turn (the controller's write lane). Default: at once. */
  readonly writeLane?: { run<T>(write: () => Promise<T>): Promise<T> };
}

export class KubeEventRecorder implements EventRecorder {
  private readonly api: KubeEventRecorderOptions['api'];
  private readonly reportingInstance: string;
  private readonly reportingController: string;
  private readonly dedupeWindowMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly writeLane: KubeEventRecorderOptions['writeLane'];
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(options: KubeEventRecorderOptions) {
    this.api = options.api;
    this.reportingInstance = options.reportingInstance;
    this.reportingController = options.reportingController ?? REPORTING_CONTROLLER;
    this.dedupeWindowMs = options.dedupeWindowMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'events' });
    this.random = options.random ?? Math.random;
    this.writeLane = options.writeLane;
  }

  record(resource: EcsScheduledTaskResource, type: EventType, reason: string, message: string): void {
    try {
      this.send(resource, type, reason, message);
    } catch (err) {
      this.log.warn('could not record event', { reason, error: describeError(err) });
    }
  }

  /** Resolves when every event sent so far has been written or has failed (for shutdown and tests). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private send(resource: EcsScheduledTaskResource, type: EventType, reason: string, message: string): void {
    const namespace = resource.metadata.namespace ?? 'default';
    const name = resource.metadata.name ?? '';
    const nowMs = this.clock.now().getTime();
    const dedupeKey = JSON.stringify([
      resource.metadata.uid ?? `${namespace}/${name}`,
      type,
      reason,
      message,
    ]);
    const last = this.lastSent.get(dedupeKey);
    if (last !== undefined && nowMs - last < this.dedupeWindowMs) {
      this.log.debug('dropped a repeated event', { resource: `${namespace}/${name}`, reason });
      return;
    }
    this.remember(dedupeKey, nowMs);

    const now = new V1MicroTime(nowMs);
    const body: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: eventName(name, nowMs, this.random), namespace },
      eventTime: now,
      type,
      reason,
      // Required by events.k8s.io/v1: what we did, as opposed to why (the reason).
      action: 'Reconcile',
      note: truncateBytes(message, MAX_NOTE_BYTES),
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
    };
    const create = () => this.api.createNamespacedEvent({ namespace, body });
    const write = (this.writeLane ? this.writeLane.run(create) : create())
      .then(() => undefined)
      .catch((err: unknown) => {
        this.log.warn('could not record event', {
          resource: `${namespace}/${name}`,
          reason,
          error: describeError(err),
        });
      });
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  private remember(key: string, nowMs: number): void {
    if (this.lastSent.size >= MAX_REMEMBERED) {
      for (const [k, at] of this.lastSent) if (nowMs - at >= this.dedupeWindowMs) this.lastSent.delete(k);
      // Still full of fresh entries: forget the oldest rather than grow without bound.
      if (this.lastSent.size >= MAX_REMEMBERED) {
        const oldest = this.lastSent.keys().next();
        if (!oldest.done) this.lastSent.delete(oldest.value);
      }
    }
    this.lastSent.delete(key);
    this.lastSent.set(key, nowMs);
  }
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
