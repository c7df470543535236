// Series labelled with a resource (namespace, name), indexed by resource. Every per-resource
// metric is created here, so forget() of a deleted resource removes each series it ever had,
// whatever its other labels (a retry `reason` is free text): a metric written directly with
// prom-client would be missed, and 1,000 create/fail/delete cycles used to leave 1,000 series.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResourceKey } from '../controller/ports.js';

type ResourceLabels = { namespace: string; name: string };
type Removable = Counter<string> | Gauge<string>;

export interface ResourceCounter<E extends string> {
  /** Without a key (a run of no resource), the series has only the extra labels. */
  inc(key: ResourceKey | undefined, extra: Record<E, string>, by?: number): void;
}

export interface ResourceGauge<E extends string> {
  set(key: ResourceKey, extra: Record<E, string>, value: number): void;
  remove(key: ResourceKey, extra: Record<E, string>): void;
  /** Every series of the resource in this gauge. */
  removeAll(key: ResourceKey): void;
  /** Every series of every resource (prom-client's reset). */
  reset(): void;
}

export interface PerResourceConfig<E extends string> {
  readonly name: string;
  readonly help: string;
  /** Labels after namespace and name. */
  readonly extraLabels: readonly E[];
}

export function splitKey(key: ResourceKey): ResourceLabels {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class ResourceSeries {
  /** Per resource: per metric, the label sets written, by their values joined. */
  readonly #byKey = new Map<ResourceKey, Map<Removable, Map<string, Record<string, string>>>>();

  constructor(private readonly registry: Registry) {}

  counter<E extends string>(config: PerResourceConfig<E>): ResourceCounter<E> {
    const counter = new Counter<string>({
      name: config.name,
      help: config.help,
      labelNames: ['namespace', 'name', ...config.extraLabels],
      registers: [this.registry],
    });
    return {
      inc: (key, extra, by = 1) =>
        counter.inc(key === undefined ? extra : this.#track(key, counter, extra), by),
    };
  }

  gauge<E extends string>(config: PerResourceConfig<E>): ResourceGauge<E> {
    const gauge = new Gauge<string>({
      name: config.name,
      help: config.help,
      labelNames: ['namespace', 'name', ...config.extraLabels],
      registers: [this.registry],
    });
    return {
      set: (key, extra, value) => gauge.set(this.#track(key, gauge, extra), value),
      remove: (key, extra) => {
        const labels = { ...splitKey(key), ...extra };
        this.#byKey.get(key)?.get(gauge)?.delete(Object.values(labels).join('\0'));
        gauge.remove(labels);
      },
      removeAll: (key) => {
        for (const labels of this.#byKey.get(key)?.get(gauge)?.values() ?? []) gauge.remove(labels);
        this.#byKey.get(key)?.delete(gauge);
      },
      reset: () => {
        gauge.reset();
        for (const metrics of this.#byKey.values()) metrics.delete(gauge);
      },
    };
  }

  /** Removes every series of the resource from every per-resource metric. */
  forget(key: ResourceKey): void {
    for (const [metric, series] of this.#byKey.get(key) ?? []) {
      for (const labels of series.values()) metric.remove(labels);
    }
    this.#byKey.delete(key);
  }

  #track(key: ResourceKey, metric: Removable, extra: Record<string, string>): Record<string, string> {
    const labels: Record<string, string> = { ...splitKey(key), ...extra };
    let metrics = this.#byKey.get(key);
    if (metrics === undefined) this.#byKey.set(key, (metrics = new Map()));
    let series = metrics.get(metric);
    if (series === undefined) metrics.set(metric, (series = new Map()));
    series.set(Object.values(labels).join('\0'), labels);
    return labels;
  }
}
