// The worker's half of the handover: when the sharder marks one of our resources for draining,
// we stop acting on it (the fence already refuses launches for it, and the store no longer shows
// it, so no new pass starts), wait until no pass over it is in flight, and then remove both
// labels. That removal is our acknowledgement: only after it may the sharder name a new owner.
import type { Clock } from '../controller/clock.js';
import { describeError } from '../kube/api-errors.js';
import type { LabelPatchClient } from '../kube/label-patch-client.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { DRAIN_LABEL, OWNER_LABEL } from './shard-labels.js';
import type { ShardMetrics } from './shard-metrics-port.js';
import type { MetadataObject } from './sharder.js';

export interface DrainAcknowledgerOptions {
  /** This replica's own resources (the owner-selected informer). */
  readonly cache: {
    get(key: string): MetadataObject | undefined;
    keys(): string[];
    subscribe(listener: (key: string) => void): () => void;
  };
  /** Whether a pass over the key has not settled yet. */
  readonly isProcessing: (key: string) => boolean;
  readonly labels: LabelPatchClient;
  readonly identity: string;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly metrics: ShardMetrics;
  /** How soon to look again at a key whose pass is still running. Default 100 ms. */
  readonly pollMs?: number;
  /** After a failed acknowledgement. Default 1 s. */
  readonly retryMs?: number;
}

export function isDraining(object: MetadataObject | undefined): boolean {
  return object?.metadata.labels?.[DRAIN_LABEL] !== undefined;
}

export class DrainAcknowledger {
  readonly #o: DrainAcknowledgerOptions;
  readonly #log: Logger;
  /** Keys with an acknowledgement scheduled or in flight. */
  readonly #busy = new Set<string>();
  readonly #timers = new Map<string, () => void>();
  #unsubscribe: (() => void) | undefined;

  constructor(options: DrainAcknowledgerOptions) {
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({
      component: 'shard-drain',
      identity: options.identity,
    });
  }

  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#o.cache.subscribe((key) => this.#check(key));
    for (const key of this.#o.cache.keys()) this.#check(key);
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    this.#busy.clear();
  }

  #check(key: string): void {
    if (!this.#unsubscribe || this.#busy.has(key) || !isDraining(this.#o.cache.get(key))) return;
    this.#busy.add(key);
    void this.#acknowledge(key);
  }

  #later(key: string, ms: number): void {
    this.#timers.set(
      key,
      this.#o.clock.setTimer(() => {
        this.#timers.delete(key);
        if (!this.#unsubscribe) return;
        void this.#acknowledge(key);
      }, ms),
    );
  }

  async #acknowledge(key: string): Promise<void> {
    const object = this.#o.cache.get(key);
    if (!isDraining(object)) {
      this.#busy.delete(key);
      return;
    }
    if (this.#o.isProcessing(key)) {
      this.#later(key, this.#o.pollMs ?? 100);
      return;
    }
    const slash = key.indexOf('/');
    try {
      await this.#o.labels.patchLabels({
        namespace: key.slice(0, slash),
        name: key.slice(slash + 1),
        labels: { [OWNER_LABEL]: null, [DRAIN_LABEL]: null },
      });
      this.#o.metrics.drained();
      this.#log.debug('drained: let the resource go', { resource: key });
      this.#busy.delete(key);
    } catch (err) {
      this.#log.warn('could not acknowledge a drain; retrying', { resource: key, error: describeError(err) });
      this.#later(key, this.#o.retryMs ?? 1_000);
    }
  }
}
