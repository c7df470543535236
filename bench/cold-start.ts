// A controller's cold start beside resources that already exist (issue 19: the first due run
// within 10 s, every resource's next run time in status within 60 s; issue 18: the same for a
// sharded ring). A watch notes when each resource's status first shows nextScheduleTime: it costs
// the API server one watch, where polling lists of 10,000 objects would load it and skew the run.
import type { KubeConfig } from '@kubernetes/client-node';
import { watchNamespace } from './namespace-watch.js';

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
  const watch = await watchNamespace(kc, namespace, (object, stop) => {
    if (object.status?.nextScheduleTime === undefined) return;
    seen.add(object.metadata.name ?? '');
    if (allAt === undefined && seen.size >= total) {
      allAt = Date.now();
      // Done: a watch of every status write would load the API server and the bench's own CPU
      // for the rest of the run, which the controller shares.
      stop();
    }
  });
  return {
    withNextRun: () => seen.size,
    allAt: () => allAt,
    stop: () => watch.stop(),
  };
}

/** The first RunTask ECS accepted, from the simulator's ledger runs (epoch ms). */
export function firstLaunchAt(runs: readonly { readonly firstLaunchAt: number }[]): number | undefined {
  let first: number | undefined;
  for (const r of runs) if (first === undefined || r.firstLaunchAt < first) first = r.firstLaunchAt;
  return first;
}
