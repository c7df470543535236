// `ecs-scheduler status --state FILE`: what standalone mode recorded, without starting it.
import type { RunRecord, Status } from '../api/types.js';
import {
  readStateFile,
  StateFileCorruptError,
  StateFileMissingError,
  type StateData,
} from '../standalone/state-file.js';
import type { Command } from './cli-io.js';
import { alignColumns } from './text-table.js';

const USAGE = `Usage: ecs-scheduler status --state FILE [--output table|json]

Prints the status and recent runs that standalone mode (\`run --manifests DIR --state FILE\`) keeps
in its state file. Reading is safe while the controller runs: the file is replaced atomically.

Flags:
  --state FILE            the state file (required)
  -o, --output FORMAT     table (default) or json
  -h, --help              print this help
`;

type Format = 'table' | 'json';

function parseArgs(args: readonly string[]): { state?: string; output: Format; help: boolean } | string {
  let state: string | undefined;
  let output: string = 'table';
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? (arg.split(/=(.*)/s, 2) as [string, string]) : [arg];
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case '--help':
      case '-h':
        help = true;
        break;
      case '--state': {
        const v = value();
        if (!v) return '--state needs a file';
        state = v;
        break;
      }
      case '--output':
      case '-o': {
        const v = value();
        if (!v) return '--output needs a format';
        output = v;
        break;
      }
      default:
        return `unknown argument "${arg}"`;
    }
  }
  if (output !== 'table' && output !== 'json') return `--output must be table or json, not "${output}"`;
  return { state, output, help };
}

function time(value: string | undefined): string {
  if (!value) return '-';
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function sortedEntries(state: StateData) {
  return Object.entries(state.resources).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function activeCount(status: Status | undefined): string {
  return String(status?.activeCount ?? status?.active?.length ?? 0);
}

function runRow(run: RunRecord): string[] {
  return [time(run.scheduledTime), run.result, run.reason ?? '-', String(run.tasks?.length ?? 0)];
}

function renderTable(state: StateData): string {
  const entries = sortedEntries(state);
  if (entries.length === 0) return 'No resources recorded yet.\n';
  const summary = alignColumns([
    ['NAMESPACE/NAME', 'RESOLVED', 'ACTIVE', 'LAST SCHEDULE', 'NEXT', 'LAST RESULT'],
    ...entries.map(([key, record]) => [
      record.removedAt ? `${key} (removed)` : key,
      record.status?.resolvedSchedule ?? '-',
      activeCount(record.status),
      time(record.status?.lastScheduleTime),
      record.removedAt ? '-' : time(record.status?.nextScheduleTime),
      record.status?.lastResult ?? '-',
    ]),
  ]);
  const sections = entries.map(([key, record]) => {
    const runs = record.status?.runs ?? [];
    const body =
      runs.length === 0
        ? '  (no runs yet)'
        : alignColumns([['SCHEDULED', 'RESULT', 'REASON', 'TASKS'], ...runs.map(runRow)], '  ');
    return `${key} runs:\n${body}`;
  });
  return `${summary}\n\n${sections.join('\n\n')}\n`;
}

function renderJson(state: StateData): string {
  const resources = sortedEntries(state).map(([key, record]) => {
    const slash = key.indexOf('/');
    return {
      namespace: key.slice(0, slash),
      name: key.slice(slash + 1),
      uid: record.uid,
      generation: record.generation,
      creationTimestamp: record.creationTimestamp,
      ...(record.removedAt ? { removedAt: record.removedAt } : {}),
      status: record.status ?? {},
    };
  });
  return `${JSON.stringify({ resources }, null, 2)}\n`;
}

export const statusCommand: Command = async (args, io) => {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.stderr(`status: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (!parsed.state) {
    io.stderr(`status: --state FILE is required\n\n${USAGE}`);
    return 2;
  }
  let state: StateData;
  try {
    state = await readStateFile(parsed.state);
  } catch (error) {
    if (error instanceof StateFileMissingError) {
      io.stderr(
        `status: ${error.message}. Standalone mode creates it: ecs-scheduler run --manifests DIR --state ${parsed.state}\n`,
      );
    } else if (error instanceof StateFileCorruptError) {
      io.stderr(`status: ${error.message}\n`);
    } else {
      io.stderr(`status: cannot read ${parsed.state}: ${(error as Error).message}\n`);
    }
    return 1;
  }
  io.stdout(parsed.output === 'json' ? renderJson(state) : renderTable(state));
  return 0;
};
