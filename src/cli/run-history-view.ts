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

export function renderRunTable(view: RunHistoryView, wide: boolean): string {
  const header = ['SCHEDULED', 'RESULT', 'REASON', 'TASKS', 'EXIT CODES', 'DURATION', 'CONSOLE'];
  if (wide) header.push('MESSAGE');
  const rows: string[][] = [header];
  for (const run of view.runs) {
    const [first, ...rest] = run.tasks;
    const duration =
      run.durationSeconds === undefined
        ? '-'
        : `${formatDuration(run.durationSeconds)}${run.finishedAt ? '' : '+'}`;
    const row = [
      instant(run.scheduledTime),
      run.result,
      run.reason ?? '-',
      String(run.tasks.length + omittedCount(run)),
      exitCodes(first),
      duration,
      first?.consoleUrl ?? '-',
    ];
    if (wide) row.push(run.message ?? '');
    rows.push(row);
    // Further tasks of the same run get a row of their own, so every link stays whole.
    for (const task of rest) rows.push(['', '', '', '', exitCodes(task), '', task.consoleUrl ?? '-']);
    // The controller keeps at most a few finished tasks per run and counts the rest by outcome.
    if (omittedCount(run) > 0)
      rows.push(['', '', '', '', `+${omittedCount(run)} not listed: ${omittedText(run)}`, '', '']);
  }
  return `${alignColumns(rows)}\n`;
}
