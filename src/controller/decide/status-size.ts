// Keeps the status small enough to store. etcd refuses objects past about 1.5 MiB, and a status
// that cannot be written is worse than a short one: every later pass would fail on it forever. A
// run may have up to 1000 tasks and the history limits keep up to 200 runs, so past fixed limits
// the finished tasks of a run are counted instead of listed (failures are listed first), and the
// whole status is squeezed under a byte budget. Pure.
import type { ActiveTask, RunRecord, Status, TaskRecord } from '../../api/types.js';
import { isFinished } from './run-tracking.js';

/** Finished task records kept per run; the rest are counted in omittedTasks. */
export const MAX_FINISHED_TASKS_PER_RUN = 10;
/** Entries of status.active; activeCount still counts them all. */
export const MAX_ACTIVE_LISTED = 100;
/** Longest run message kept; the start of a message carries its reason. */
export const MAX_MESSAGE_LENGTH = 1024;
/** Longest per-task text (stoppedReason, stopCode) kept. */
export const MAX_TASK_TEXT_LENGTH = 256;
/** Whole-status budget in bytes of JSON: well under etcd's limit and under 256 KiB. */
export const STATUS_BUDGET_BYTES = 200 * 1024;
/**
 * What runs still running and runs with a dead letter to send may take the status up to, past the
 * budget, before they too are dropped: one run of 1000 running tasks takes about 170 KiB, and
 * dropping a running run loses its tasks. etcd refuses requests past 1.5 MiB; the other half MiB
 * is for the rest of the object (its spec, annotations such as kubectl's last-applied copy).
 */
export const STATUS_LIMIT_BYTES = 1024 * 1024;

export type TaskOutcome = 'Succeeded' | 'Failed' | 'Missing';

/** The outcome of a finished task, as far as its record tells (every exit code 0 is success). */
export function taskOutcome(task: TaskRecord): TaskOutcome {
  if (task.lastStatus === 'MISSING') return 'Missing';
  const codes = Object.values(task.exitCodes ?? {});
  return codes.length > 0 && codes.every((c) => c === 0) ? 'Succeeded' : 'Failed';
}

const cut = (text: string | undefined, max: number) =>
  text === undefined || text.length <= max ? text : `${text.slice(0, max - 1)}…`;

function shortTask(task: TaskRecord): TaskRecord {
  const stopCode = cut(task.stopCode, MAX_TASK_TEXT_LENGTH);
  const stoppedReason = cut(task.stoppedReason, MAX_TASK_TEXT_LENGTH);
  return {
    ...task,
    ...(stopCode !== undefined ? { stopCode } : {}),
    ...(stoppedReason !== undefined ? { stoppedReason } : {}),
  };
}

/**
 * The run with at most `keepFinished` finished tasks listed (failures first, then in launch
 * order) and every unfinished task kept, since those are still followed through the record.
 */
export function compactRun(run: RunRecord, keepFinished = MAX_FINISHED_TASKS_PER_RUN): RunRecord {
  const tasks = (run.tasks ?? []).map(shortTask);
  const message = cut(run.message, MAX_MESSAGE_LENGTH);
  const withText: RunRecord = { ...run, ...(message !== undefined ? { message } : {}) };
  const finished = tasks.filter(isFinished);
  if (finished.length <= keepFinished) return run.tasks ? { ...withText, tasks } : withText;
  const failuresFirst = [
    ...finished.filter((t) => taskOutcome(t) !== 'Succeeded'),
    ...finished.filter((t) => taskOutcome(t) === 'Succeeded'),
  ];
  const kept = new Set(failuresFirst.slice(0, keepFinished));
  const omitted: Record<string, number> = { ...run.omittedTasks };
  for (const task of finished) {
    if (kept.has(task)) continue;
    const outcome = taskOutcome(task);
    omitted[outcome] = (omitted[outcome] ?? 0) + 1;
  }
  return {
    ...withText,
    tasks: tasks.filter((t) => !isFinished(t) || kept.has(t)),
    omittedTasks: omitted,
  };
}

export function boundActive(active: readonly ActiveTask[]): ActiveTask[] {
  return active.slice(0, MAX_ACTIVE_LISTED);
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * Runs status.runs holds at most, whatever their state. The history limits keep up to 100 + 100
 * settled runs; the rest is room for runs still running and runs whose dead letter is still to be
 * sent. Past it (a job under Allow whose tasks hang, a letter queue that fails every send), the
 * status would grow with every scheduled time, and each pass serializes all of it.
 */
export const MAX_RUNS_KEPT = 300;

const runKey = (run: RunRecord) => `${run.scheduledTime}/${run.runNowKey ?? ''}`;

/**
 * The runs of `before` that a pass must not lose silently and that are not in `after`: runs still
 * running (their tasks are no longer followed) and runs whose dead letter was still to be sent.
 * The history limits never remove these, so only boundStatus can have. Pure.
 */
export function droppedRuns(
  before: readonly RunRecord[],
  after: readonly RunRecord[] | undefined,
): RunRecord[] {
  const kept = new Set((after ?? []).map(runKey));
  return before.filter(
    (r) => (r.result === 'Running' || r.deadLetter?.state === 'Pending') && !kept.has(runKey(r)),
  );
}

/**
 * The status within `limit` bytes and `maxRuns` runs, whatever the runs hold, and within `budget`
 * unless only running runs and runs with a dead letter to send are left; every run left out is
 * counted in droppedRunsTotal. Every run is compacted; then, while over the budget, the settled
 * runs (those with a dead letter to send last) list fewer finished tasks, oldest first, down to
 * none; then their messages and the detail of their earlier attempts shorten; then the settled
 * runs go, oldest first. Past the limit (or the run cap), runs whose dead letter is still to be
 * sent go, oldest first (the letter is given up; the reconciler reports it), and only then runs
 * still running, oldest first. A running run is the last to go because its record is the only
 * thing that follows its tasks (their end, the active deadline, the concurrency policy): dropping
 * one leaves its tasks running unobserved, so the reconciler names them in a Warning and the log.
 * Oldest first, because the newest runs are the ones the schedule is acting on now. The watermark
 * and every other field are never touched. Sizes are kept per run, so each step costs one run's
 * serialization, not the whole status's.
 */
export function boundStatus(
  status: Status,
  budget = STATUS_BUDGET_BYTES,
  limit = STATUS_LIMIT_BYTES,
  maxRuns = MAX_RUNS_KEPT,
): Status {
  const runs: (RunRecord | undefined)[] = (status.runs ?? []).map((r) => compactRun(r));
  const active = status.active ? boundActive(status.active) : undefined;
  let dropped = 0;
  // Runs are newest first: each list is oldest first.
  const oldestFirst = (wanted: (run: RunRecord) => boolean) =>
    runs
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => r !== undefined && wanted(r))
      .map(({ i }) => i)
      .reverse();
  const running = oldestFirst((r) => r.result === 'Running');
  const pending = oldestFirst((r) => r.result !== 'Running' && r.deadLetter?.state === 'Pending');
  const settled = oldestFirst((r) => r.result !== 'Running' && r.deadLetter?.state !== 'Pending');
  const dropOrder = [...settled, ...pending, ...running];

  let count = runs.length;
  for (const i of dropOrder) {
    if (count <= maxRuns) break;
    runs[i] = undefined;
    count--;
    dropped++;
  }

  const previousDropped = status.droppedRunsTotal ?? 0;
  // The count is written at the end; reserving its widest value here keeps `total` an upper bound.
  const rest: Status = {
    ...status,
    ...(active ? { active } : {}),
    ...(status.runs ? { runs: [] } : {}),
    droppedRunsTotal: previousDropped + runs.length,
  };
  const sizes = runs.map((r) => (r === undefined ? 0 : bytes(r)));
  // One comma between two runs.
  let total = bytes(rest) + sizes.reduce((a, b) => a + (b === 0 ? 0 : b + 1), 0);
  const result = (): Status => {
    const { droppedRunsTotal: _reserved, ...fields } = rest;
    const droppedRunsTotal = previousDropped + dropped;
    return {
      ...fields,
      ...(status.runs ? { runs: runs.filter((r): r is RunRecord => r !== undefined) } : {}),
      ...(droppedRunsTotal > 0 || status.droppedRunsTotal !== undefined ? { droppedRunsTotal } : {}),
    };
  };
  const set = (i: number, run: RunRecord | undefined) => {
    if (runs[i] === undefined) return;
    if (run === undefined) dropped++;
    runs[i] = run;
    const size = run === undefined ? 0 : bytes(run);
    total += size - sizes[i]! - (run === undefined ? 1 : 0);
    sizes[i] = size;
  };
  const apply = (
    indices: readonly number[],
    step: (run: RunRecord) => RunRecord | undefined,
    bound = budget,
  ) => {
    for (const i of indices) {
      if (total <= bound) return;
      const run = runs[i];
      if (run !== undefined) set(i, step(run));
    }
  };
  const shortMessage = (run: RunRecord): RunRecord => {
    const message = cut(run.message, 128);
    return { ...run, ...(message !== undefined ? { message } : {}) };
  };
  const attemptsWithoutDetail = (run: RunRecord): RunRecord => {
    if (run.attempts === undefined) return run;
    // Earlier attempts keep their result, reason, times and counts.
    const attempts = run.attempts.map(({ message: _m, failedTask: _f, ...attempt }) => attempt);
    return { ...run, attempts };
  };
  const notRunning = [...settled, ...pending];
  for (const step of [
    (run: RunRecord) => compactRun(run, 3),
    (run: RunRecord) => compactRun(run, 1),
    (run: RunRecord) => compactRun(run, 0),
    shortMessage,
    attemptsWithoutDetail,
  ]) {
    apply(notRunning, step);
  }
  apply(settled, () => undefined);
  // Only runs with a letter to send and running runs are left: the letters lose the detail of
  // their earlier attempts (`attempt` still counts); past the limit they go, oldest first.
  apply(pending, ({ attempts: _attempts, ...run }) => run);
  apply(pending, () => undefined, limit);
  // Running runs keep every unfinished task as long as they are kept at all.
  for (const step of [shortMessage, attemptsWithoutDetail, (run: RunRecord) => compactRun(run, 0)]) {
    apply(running, step, limit);
  }
  apply(running, () => undefined, limit);
  return result();
}
