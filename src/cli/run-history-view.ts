// status.runs as the `runs` verb shows it: a table (one row per run, one more per extra task) or a
// JSON/YAML document whose tasks carry their console link. Pure: `now` comes in for running runs.
import type { EcsScheduledTaskResource, RunRecord, TaskRecord } from '../api/types.js';
import { taskConsoleUrl } from './task-arn.js';
import { alignColumns } from './text-table.js';

export type RunsFormat = 'table' | 'wide' | 'json' | 'yaml';

export interface RunView extends Omit<RunRecord, 'tasks'> {
  readonly durationSeconds?: number;
  readonly tasks: (TaskRecord & { readonly consoleUrl?: string })[];
}

export interface RunHistoryView {
  readonly namespace: string;
  readonly name: string;
  readonly runs: RunView[];
}

export function runHistoryView(resource: EcsScheduledTaskResource, now: Date): RunHistoryView {
  const specCluster = resource.spec?.task?.cluster;
  return {
    namespace: resource.metadata.namespace ?? '',
    name: resource.metadata.name ?? '',
    runs: (resource.status?.runs ?? []).map((run) => {
      const seconds = durationSeconds(run, now);
      // The run's own cluster first: spec.task.cluster may have changed since it was launched.
      const cluster = run.cluster ?? specCluster;
      return {
        ...run,
        ...(seconds === undefined ? {} : { durationSeconds: seconds }),
        tasks: (run.tasks ?? []).map((task) => {
          const consoleUrl = taskConsoleUrl(task.taskArn, cluster);
          return consoleUrl ? { ...task, consoleUrl } : { ...task };
        }),
      };
    }),
  };
}

function durationSeconds(run: RunRecord, now: Date): number | undefined {
  if (!run.launchedAt) return undefined;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : run.result === 'Running' ? now.getTime() : NaN;
  const seconds = Math.round((end - Date.parse(run.launchedAt)) / 1000);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** 45s, 3m05s, 2h03m, 3d04h: two units at most, as kubectl prints ages. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${pad(Math.floor(seconds / 60) % 60)}m`;
  return `${Math.floor(seconds / 86400)}d${pad(Math.floor(seconds / 3600) % 24)}h`;
}

function omittedCount(run: RunView): number {
  return Object.values(run.omittedTasks ?? {}).reduce((sum, n) => sum + n, 0);
}

function omittedText(run: RunView): string {
  return Object.entries(run.omittedTasks ?? {})
    .map(([outcome, n]) => `${outcome}=${n}`)
    .join(',');
}

function exitCodes(task: TaskRecord | undefined): string {
  const entries = Object.entries(task?.exitCodes ?? {});
  return entries.length === 0 ? '-' : entries.map(([container, code]) => `${container}=${code}`).join(',');
}

function instant(value: string | undefined): string {
  if (!value) return '-';
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type AttemptRecord = NonNullable<RunRecord['attempts']>[number];

/** Retries and dead letters get their columns only where a resource uses them. */
function showsRetries(view: RunHistoryView): boolean {
  return view.runs.some(
    (r) => r.attempt !== undefined || (r.attempts ?? []).length > 0 || r.deadLetter !== undefined,
  );
}

function spanText(launchedAt: string | undefined, finishedAt: string | undefined): string {
  if (!launchedAt || !finishedAt) return '-';
  const seconds = Math.round((Date.parse(finishedAt) - Date.parse(launchedAt)) / 1000);
  return Number.isFinite(seconds) && seconds >= 0 ? formatDuration(seconds) : '-';
}

export function renderRunTable(view: RunHistoryView, wide: boolean): string {
  const retries = showsRetries(view);
  // Cells in header order; the optional columns are left out where they are not shown.
  const line = (cells: {
    scheduled: string;
    result: string;
    reason: string;
    attempt: string;
    tasks: string;
    exitCodes: string;
    duration: string;
    deadLetter: string;
    console: string;
    message: string;
  }): string[] => [
    cells.scheduled,
    cells.result,
    cells.reason,
    ...(retries ? [cells.attempt] : []),
    cells.tasks,
    cells.exitCodes,
    cells.duration,
    ...(retries ? [cells.deadLetter] : []),
    cells.console,
    ...(wide ? [cells.message] : []),
  ];
  const blank = {
    scheduled: '',
    result: '',
    reason: '',
    attempt: '',
    tasks: '',
    exitCodes: '',
    duration: '',
    deadLetter: '',
    console: '',
    message: '',
  };
  const rows: string[][] = [
    line({
      scheduled: 'SCHEDULED',
      result: 'RESULT',
      reason: 'REASON',
      attempt: 'ATTEMPT',
      tasks: 'TASKS',
      exitCodes: 'EXIT CODES',
      duration: 'DURATION',
      deadLetter: 'DEAD LETTER',
      console: 'CONSOLE',
      message: 'MESSAGE',
    }),
  ];
  for (const run of view.runs) {
    const [first, ...rest] = run.tasks;
    const duration =
      run.durationSeconds === undefined
        ? '-'
        : `${formatDuration(run.durationSeconds)}${run.finishedAt ? '' : '+'}`;
    rows.push(
      line({
        scheduled: instant(run.scheduledTime),
        result: run.result,
        reason: run.reason ?? '-',
        attempt: String(run.attempt ?? 1),
        tasks: String(run.tasks.length + omittedCount(run)),
        exitCodes: exitCodes(first),
        duration,
        deadLetter: run.deadLetter?.state ?? '-',
        console: first?.consoleUrl ?? '-',
        message: run.message ?? '',
      }),
    );
    // Further tasks of the same run get a row of their own, so every link stays whole.
    for (const task of rest) {
      rows.push(line({ ...blank, exitCodes: exitCodes(task), console: task.consoleUrl ?? '-' }));
    }
    // The controller keeps at most a few finished tasks per run and counts the rest by outcome.
    if (omittedCount(run) > 0) {
      rows.push(line({ ...blank, exitCodes: `+${omittedCount(run)} not listed: ${omittedText(run)}` }));
    }
    // Earlier attempts of a retried run, oldest first, each with the link to its first failed task.
    for (const attempt of run.attempts ?? []) rows.push(line(attemptCells(attempt, run, blank)));
  }
  return `${alignColumns(rows)}\n`;
}

function attemptCells<T extends Record<string, string>>(attempt: AttemptRecord, run: RunView, blank: T): T {
  const tasks = Object.values(attempt.taskCounts ?? {}).reduce((sum, n) => sum + n, 0);
  const link = attempt.failedTask ? taskConsoleUrl(attempt.failedTask, run.cluster) : undefined;
  return {
    ...blank,
    result: attempt.result,
    reason: attempt.reason ?? '-',
    attempt: String(attempt.attempt),
    tasks: String(tasks),
    exitCodes: '-',
    duration: spanText(attempt.launchedAt, attempt.finishedAt),
    console: link ?? '-',
    message: attempt.message ?? '',
  };
}
