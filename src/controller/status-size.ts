// Keeps the status small enough to store. etcd refuses objects past about 1.5 MiB, and a status
// that cannot be written is worse than a short one: every later pass would fail on it forever. A
// run may have up to 1000 tasks and the history limits keep up to 200 runs, so past fixed limits
// the finished tasks of a run are counted instead of listed (failures are listed first), and the
// whole status is squeezed under a byte budget. Pure.
import type { ActiveTask, RunRecord, Status, TaskRecord } from '../api/types.js';
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
 * The status within `budget` bytes. Every run is compacted; then, while too large, the settled
 * runs list fewer finished tasks, oldest first, down to none; then their messages shorten; then
 * the oldest settled runs go. Running runs and the watermark are never touched. Sizes are kept
 * per run, so each step costs one run's serialization, not the whole status's.
 */
export function boundStatus(status: Status, budget = STATUS_BUDGET_BYTES): Status {
  const runs: (RunRecord | undefined)[] = (status.runs ?? []).map((r) => compactRun(r));
  const active = status.active ? boundActive(status.active) : undefined;
  const rest: Status = { ...status, ...(active ? { active } : {}), ...(status.runs ? { runs: [] } : {}) };
  const sizes = runs.map((r) => bytes(r));
  // One comma between two runs.
  let total = bytes(rest) + sizes.reduce((a, b) => a + b + 1, 0);
  const result = (): Status =>
    status.runs ? { ...rest, runs: runs.filter((r): r is RunRecord => r !== undefined) } : rest;
  const set = (i: number, run: RunRecord | undefined) => {
    runs[i] = run;
    const size = run === undefined ? 0 : bytes(run);
    total += size - sizes[i]! - (run === undefined ? 1 : 0);
    sizes[i] = size;
  };
  // Oldest settled runs first: runs are newest first.
  const settled = runs
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r !== undefined && r.result !== 'Running')
    .map(({ i }) => i)
    .reverse();
  const steps: ((run: RunRecord) => RunRecord | undefined)[] = [
    (run) => compactRun(run, 3),
    (run) => compactRun(run, 1),
    (run) => compactRun(run, 0),
    (run) => {
      const message = cut(run.message, 128);
      return { ...run, ...(message !== undefined ? { message } : {}) };
    },
    (run) => {
      if (run.attempts === undefined) return run;
      // Earlier attempts keep their result, reason, times and counts.
      const attempts = run.attempts.map(({ message: _m, failedTask: _f, ...attempt }) => attempt);
      return { ...run, attempts };
    },
    // A run whose dead letter is still to be sent stays, however short.
    (run) => (run.deadLetter?.state === 'Pending' ? run : undefined),
    // Only those are left: they lose the detail of their earlier attempts (`attempt` still counts).
    ({ attempts: _attempts, ...run }) => run,
  ];
  for (const step of steps) {
    for (const i of settled) {
      if (total <= budget) return result();
      const run = runs[i];
      if (run !== undefined) set(i, step(run));
    }
  }
  return result();
}
