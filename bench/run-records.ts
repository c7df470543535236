// The runs every resource's status has shown, gathered from a watch as they pass, so that a bench
// whose resources keep the default run history (3 successful runs) still sees each measured run
// after the history has trimmed it. The history limit sets the size of every status write, and the
// API server's CPU per write grows with it: a bench that raised the limit to read its runs back at
// the end measured bigger writes than a default resource makes.
import type { KubeConfig } from '@kubernetes/client-node';
import type { EcsScheduledTaskResource } from '../src/api/types.js';
import { watchNamespace } from './namespace-watch.js';

export interface SeenRun {
  readonly result?: string;
  readonly launchedAt?: string;
}

export interface RunRecordWatch {
  /** Every run seen, by `name@scheduledTime epoch ms`: its latest record. */
  readonly runs: () => ReadonlyMap<string, SeenRun>;
  stop(): void;
}

/** The run record to keep of two: a settled one over a running one, else the newer. */
export function laterRecord(before: SeenRun | undefined, now: SeenRun): SeenRun {
  if (before === undefined) return now;
  if (before.result !== undefined && before.result !== 'Running' && now.result === 'Running') return before;
  return now;
}

/** Folds one object's status.runs into `into`. */
export function foldRuns(into: Map<string, SeenRun>, object: EcsScheduledTaskResource): void {
  const name = object.metadata.name ?? '';
  for (const run of object.status?.runs ?? []) {
    const key = `${name}@${Date.parse(run.scheduledTime)}`;
    const seen: SeenRun = {
      ...(run.result === undefined ? {} : { result: run.result }),
      ...(run.launchedAt === undefined ? {} : { launchedAt: run.launchedAt }),
    };
    into.set(key, laterRecord(into.get(key), seen));
  }
}

export async function watchRunRecords(kc: KubeConfig, namespace: string): Promise<RunRecordWatch> {
  const runs = new Map<string, SeenRun>();
  const watch = await watchNamespace(kc, namespace, (object) => foldRuns(runs, object));
  return { runs: () => runs, stop: () => watch.stop() };
}
