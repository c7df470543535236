// What an operator wants to see when the controller starts: every resource's next run (at debug,
// one line each) and one summary line (at info), so a thousand resources do not flood the log but
// "is my job known, and when does it run?" is answered by raising the level. Pure: `now` is given.
import type { EcsScheduledTaskResource } from '../../api/types.js';
import { compileSpecSchedule } from '../../schedule/schedule-union.js';
import { keyOf, type ResourceKey } from '../ports.js';

export interface ResourceOverview {
  readonly resource: ResourceKey;
  readonly suspended: boolean;
  readonly next?: Date;
  /** Why no next run can be computed (an invalid schedule); the reconciler reports it properly. */
  readonly problem?: string;
}

export interface StartupSummary {
  readonly resources: number;
  readonly suspended: number;
  readonly invalid: number;
  /** The earliest next run of a resource that is not suspended. */
  readonly nextRun?: Date;
  readonly nextResource?: ResourceKey;
}

export function overviewOf(resource: EcsScheduledTaskResource, now: Date): ResourceOverview {
  const key = keyOf(resource);
  const spec = resource.spec;
  const suspended = spec?.suspend === true;
  try {
    const schedule = compileSpecSchedule(spec, key);
    const next = schedule.next(now);
    return { resource: key, suspended, ...(next ? { next } : {}) };
  } catch (error) {
    return { resource: key, suspended, problem: error instanceof Error ? error.message : String(error) };
  }
}

export function summarize(overviews: readonly ResourceOverview[]): StartupSummary {
  let first: ResourceOverview | undefined;
  for (const o of overviews) {
    if (o.suspended || !o.next) continue;
    if (!first || o.next.getTime() < first.next!.getTime()) first = o;
  }
  return {
    resources: overviews.length,
    suspended: overviews.filter((o) => o.suspended).length,
    invalid: overviews.filter((o) => o.problem !== undefined).length,
    ...(first ? { nextRun: first.next, nextResource: first.resource } : {}),
  };
}
