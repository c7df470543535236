// A controller's cold start beside resources that already exist (issue 19: the first due run
// within 10 s, every resource's next run time in status within 60 s; issue 18: the same for a
// sharded ring). A watch notes when each resource's status first shows nextScheduleTime: it costs
// the API server one watch, where polling lists of 10,000 objects would load it and skew the run.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../src/api/constants.js';
import type { EcsScheduledTaskResource } from '../src/api/types.js';

export interface ColdStartWatch {
  /** Resources whose status has shown a next run time so far. */
  readonly withNextRun: () => number;
  /** When (epoch ms) the last of `total` resources showed one; undefined until then. */
  readonly allAt: () => number | undefined;
  stop(): void;
}

export async function watchColdStart(
  kc: KubeConfig,
  namespace: string,
  total: number,
): Promise<ColdStartWatch> {
  const seen = new Set<string>();
  let allAt: number | undefined;
  let request: AbortController | undefined;
  let stopped = false;
  const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
  const start = async (): Promise<void> => {
    if (stopped) return;
    request = await new Watch(kc).watch(
      path,
      {},
      (_type: string, object: EcsScheduledTaskResource) => {
        if (object.status?.nextScheduleTime === undefined) return;
        seen.add(object.metadata.name ?? '');
        if (allAt === undefined && seen.size >= total) {
          allAt = Date.now();
          // Done: a watch of every status write would load the API server and the bench's own
          // CPU for the rest of the run, which the controller shares.
          stopped = true;
          request?.abort();
        }
      },
      // A watch the API server ends (its timeout) starts again; the initial ADDED events of the
      // new one repeat what was seen, which the set absorbs.
      () => void start().catch(() => undefined),
    );
  };
  await start();
  return {
    withNextRun: () => seen.size,
    allAt: () => allAt,
    stop: () => {
      stopped = true;
      request?.abort();
    },
  };
}

/** The first RunTask ECS accepted, from the simulator's ledger runs (epoch ms). */
export function firstLaunchAt(runs: readonly { readonly firstLaunchAt: number }[]): number | undefined {
  let first: number | undefined;
  for (const r of runs) if (first === undefined || r.firstLaunchAt < first) first = r.firstLaunchAt;
  return first;
}
