// Where every subsystem's metrics are registered: one Registry created by createMetrics (or passed
// in), never prom-client's global one, so tests and several controllers in one process do not
// collide; and, for series labelled with a resource, the ResourceSeries that forget() empties.
import { Counter, type Registry } from 'prom-client';
import type { ResourceKey } from '../controller/ports.js';
import { ResourceSeries, splitKey, type PerResourceConfig } from './resource-series.js';

/** A counter labelled with a resource; without a key (a run of no resource) only the extra labels. */
export interface ResourceCounting<E extends string> {
  inc(key: ResourceKey | undefined, extra: Record<E, string>): void;
}

export class MetricScope {
  readonly registers: Registry[];
  /** Every series labelled with a resource is made through it, so forget() removes it. */
  readonly resources: ResourceSeries;

  constructor(
    readonly registry: Registry,
    /** False with --per-resource-metrics=false. */
    readonly perResource: boolean,
  ) {
    this.registers = [registry];
    this.resources = new ResourceSeries(registry);
  }

  /** With --per-resource-metrics=false, a per-resource counter keeps only `namespace`. */
  resourceCounter<E extends string>(config: PerResourceConfig<E>): ResourceCounting<E> {
    if (this.perResource) return this.resources.counter(config);
    const counter = new Counter({
      name: config.name,
      help: config.help,
      labelNames: ['namespace', ...config.extraLabels],
      registers: this.registers,
    });
    return {
      inc: (key, extra) =>
        counter.inc(key === undefined ? extra : { namespace: splitKey(key).namespace, ...extra }),
    };
  }
}
