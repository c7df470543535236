// status.runs: newest first, trimmed by the history limits. Running runs are never trimmed, since
// their tasks are still tracked through them.
import type { RunRecord, RunResult } from '../../api/types.js';

/** Results counted against successfulRunsHistoryLimit; every other settled result is "failed". */
const SUCCESSFUL: ReadonlySet<RunResult> = new Set<RunResult>(['Succeeded', 'DryRun']);

export interface HistoryLimits {
  /** Default 3, as in the CRD. */
  readonly successfulRunsHistoryLimit?: number;
  /** Default 1, as in the CRD. */
  readonly failedRunsHistoryLimit?: number;
}

/** Newest first by scheduled time; runs with equal times keep their order (stable sort). */
export function sortRuns(runs: readonly RunRecord[]): RunRecord[] {
  return [...runs].sort((a, b) => Date.parse(b.scheduledTime) - Date.parse(a.scheduledTime));
}

export function trimRuns(runs: readonly RunRecord[], limits: HistoryLimits): RunRecord[] {
  let successful = limits.successfulRunsHistoryLimit ?? 3;
  let failed = limits.failedRunsHistoryLimit ?? 1;
  return sortRuns(runs).filter((run) => {
    // A dead letter not yet sent keeps its run: the letter is built from the record.
    if (run.result === 'Running' || run.deadLetter?.state === 'Pending') return true;
    if (SUCCESSFUL.has(run.result as RunResult)) return successful-- > 0;
    return failed-- > 0;
  });
}

/** Result of the most recent settled run, for the printer column. */
export function lastResult(runs: readonly RunRecord[]): string | undefined {
  return sortRuns(runs).find((r) => r.result !== 'Running')?.result;
}
