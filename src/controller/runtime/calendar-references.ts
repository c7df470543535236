// Which resources name which calendar (spec.excludeCalendars), so that a calendar's change wakes
// exactly the resources it can change, not every resource of the cluster.
import type { EcsScheduledTaskResource } from '../../api/types.js';
import type { ResourceKey } from '../ports.js';

export class CalendarReferences {
  /** `namespace/calendar` → the resources naming it. */
  readonly #byCalendar = new Map<string, Set<ResourceKey>>();
  /** resource → the `namespace/calendar` keys it names. */
  readonly #byResource = new Map<ResourceKey, readonly string[]>();

  /** The resource as it is now (undefined: gone). */
  update(key: ResourceKey, resource: EcsScheduledTaskResource | undefined): void {
    for (const calendar of this.#byResource.get(key) ?? []) {
      const keys = this.#byCalendar.get(calendar);
      keys?.delete(key);
      if (keys?.size === 0) this.#byCalendar.delete(calendar);
    }
    const names = resource?.spec.excludeCalendars ?? [];
    if (names.length === 0) {
      this.#byResource.delete(key);
      return;
    }
    const namespace = resource?.metadata.namespace ?? 'default';
    const calendars = names.map((name) => `${namespace}/${name}`);
    this.#byResource.set(key, calendars);
    for (const calendar of calendars) {
      let keys = this.#byCalendar.get(calendar);
      if (!keys) this.#byCalendar.set(calendar, (keys = new Set()));
      keys.add(key);
    }
  }

  referencing(namespace: string, name: string): ResourceKey[] {
    return [...(this.#byCalendar.get(`${namespace}/${name}`) ?? [])];
  }
}
