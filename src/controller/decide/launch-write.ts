// Whether a pass's status write may wait. A run is written when it launches and again when it
// ends; for a task that ends within seconds, the two are worth one write (every write goes through
// etcd and out to every watcher). So a write whose only news is runs this process launched a
// moment ago waits, up to the launch-write delay, for their end or for the next change worth
// writing, and the run is then recorded once. Anything else (a result, a Missed or Skipped run, an
// adoption, a failure, a condition that changes) is written at once, the waiting launches with it.
//
// Waiting weakens nothing: until the write lands the launch counts as one whose write did not
// land (see ../runtime/run-ledger.ts), so a process that dies first leaves a time the next term
// looks up by startedBy and adopts, and the deterministic clientToken replays the same request.
import { isDeepStrictEqual } from 'node:util';
import type { Condition, RunRecord, Status } from '../../api/types.js';

export interface LaunchWriteQuestion {
  /** What the API server holds. */
  readonly written: Status;
  /** What the pass decided. */
  readonly next: Status;
  /** Scheduled times this process launched (first attempts, answered in full) and has not written. */
  readonly launched: ReadonlySet<string>;
  readonly now: Date;
  /** When the oldest of those launches must show in status. */
  readonly writeBy: Date;
}

/** Fields that move with every launch: they wait with it. */
const MOVES_WITH_A_LAUNCH: ReadonlySet<string> = new Set([
  'runs',
  'active',
  'activeCount',
  'lastScheduleTime',
  'nextScheduleTime',
  'conditions',
  'observedGeneration',
  'droppedRunsTotal',
  // Counts scheduled launches for spec.maxRuns: a plain launch moves it.
  'launchedRunsTotal',
]);

/**
 * Launches one write may carry. A schedule faster than the delay folds several; if the process
 * dies, the next term must find each of them by startedBy among the times passed over, out of the
 * shared lookup budget (schedule-step.ts): fewer launches in flight, fewer lookups after a crash.
 */
export const MAX_WAITING_LAUNCHES = 3;

/** True when `next` differs from `written` only by young launches of ours, which may wait. */
export function mayWaitToWrite(q: LaunchWriteQuestion): boolean {
  if (q.launched.size === 0 || q.launched.size > MAX_WAITING_LAUNCHES) return false;
  if (q.now.getTime() >= q.writeBy.getTime()) return false;
  const fields = new Set([...Object.keys(q.written), ...Object.keys(q.next)]);
  for (const field of fields) {
    if (MOVES_WITH_A_LAUNCH.has(field)) continue;
    if (!isDeepStrictEqual(q.written[field as keyof Status], q.next[field as keyof Status])) return false;
  }
  if (!sameVerdicts(q.written.conditions, q.next.conditions)) return false;
  const writtenRuns = new Map((q.written.runs ?? []).map((r) => [r.scheduledTime, r]));
  let waiting = false;
  for (const run of q.next.runs ?? []) {
    const before = writtenRuns.get(run.scheduledTime);
    if (before && isDeepStrictEqual(before, run)) continue;
    if (before || !q.launched.has(run.scheduledTime) || !isPlainLaunch(run)) return false;
    waiting = true;
  }
  return waiting;
}

/** Running as launched: nothing about it (a shortfall, a retry, a stop) asks to be seen now. */
function isPlainLaunch(run: RunRecord): boolean {
  return (
    run.result === 'Running' &&
    run.reason === undefined &&
    run.unconfirmedLaunch === undefined &&
    run.retryAt === undefined &&
    run.runNowKey === undefined &&
    (run.tasks ?? []).length > 0
  );
}

/** The same conditions with the same status and reason: only their times and messages moved. */
function sameVerdicts(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const verdicts = (cs: readonly Condition[] | undefined) =>
    new Map((cs ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
  return isDeepStrictEqual(verdicts(a), verdicts(b));
}
