// EcsScheduleCalendars from the API server: their own ResourceInformer (the same recovery as the
// EcsScheduledTask watch), behind the CalendarSource port. A change to a calendar's spec is
// reported, and app.ts requeues the resources that name it.
import type { KubeConfig } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { EcsScheduleCalendarResource } from '../api/calendar-types.js';
import { CALENDAR_PLURAL } from '../api/constants.js';
import type { CalendarSource } from '../controller/calendar-port.js';
import type { Clock } from '../controller/clock.js';
import type { Logger } from '../log/logger.js';
import {
  customObjectsSource,
  type ListWatchSource,
  type ObjectListWatchSource,
} from './list-watch-source.js';
import { ResourceInformer } from './resource-informer.js';

/** The EcsScheduleCalendars of one namespace, or of all. */
export function calendarsSource(kubeConfig: KubeConfig, namespace?: string): ObjectListWatchSource {
  return customObjectsSource(kubeConfig, CALENDAR_PLURAL, namespace);
}

export interface KubeCalendarsOptions {
  /** Watch one namespace (--namespace); all when undefined. */
  readonly namespace?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** A source other than the API server's (tests). */
  readonly source?: ListWatchSource;
}

export class KubeCalendars implements CalendarSource {
  readonly #informer: ResourceInformer;

  constructor(kubeConfig: KubeConfig | undefined, options: KubeCalendarsOptions = {}) {
    const source = options.source ?? calendarsSource(required(kubeConfig), options.namespace);
    this.#informer = new ResourceInformer({
      source,
      clock: options.clock,
      // No watch metrics: those series are the EcsScheduledTask watch's, and have no kind label.
      logger: options.logger?.child({ watch: CALENDAR_PLURAL }),
      // The resources' own resync looks at every resource already; this one would only repeat it.
      resyncMs: 0,
      // Labels and annotations do not change what a calendar excludes.
      significant: (before, after) => before === undefined || !isDeepStrictEqual(before.spec, after.spec),
    });
  }

  get(namespace: string, name: string): EcsScheduleCalendarResource | undefined {
    return this.#informer.get(`${namespace}/${name}`) as unknown as EcsScheduleCalendarResource | undefined;
  }

  onChange(listener: (namespace: string, name: string) => void): void {
    this.#informer.subscribe((key) => {
      const slash = key.indexOf('/');
      listener(key.slice(0, slash), key.slice(slash + 1));
    });
  }

  start(): void {
    this.#informer.start();
  }

  waitForSync(): Promise<void> {
    return this.#informer.waitForSync();
  }

  hasSynced(): boolean {
    return this.#informer.hasSynced();
  }

  stop(): void {
    this.#informer.stop();
  }
}

function required(kubeConfig: KubeConfig | undefined): KubeConfig {
  if (kubeConfig === undefined) throw new Error('KubeCalendars needs a kubeconfig or a source');
  return kubeConfig;
}
