import { parseArgs } from 'node:util';
import type { CompiledSchedule } from '../schedule/schedule.js';
import { ScheduleError } from '../schedule/schedule.js';
import { compileSchedules } from '../schedule/schedule-union.js';
import type { CliIo, Command } from './cli-io.js';
import { isEcsScheduledTask, readManifests } from './manifest-documents.js';

const USAGE = `Usage: ecs-scheduler next --schedule EXPR [flags]
       ecs-scheduler next -f FILE [--from ISO] [--count N]

Prints the next N fire times strictly after --from, one per line, in UTC (ISO 8601). With -f,
prints "namespace/name<TAB>time" for each EcsScheduledTask in the manifest. When a schedule has no
fire time left (an at() in the past, an endTime that has passed), it says so on stderr.

Flags:
  -s, --schedule EXPR       the schedule, as in spec.schedule; repeat it for several, as in
                            spec.schedules (their union: an instant named twice prints once)
  -f, --file FILE           read the schedules of the EcsScheduledTasks in FILE instead
      --time-zone TZ        IANA time zone the schedule is read in (default UTC)
      --from ISO            start after this instant, with a zone (default: now)
  -n, --count N             how many fire times to print, 1 to 10000 (default 1)
      --start-time ISO      as spec.startTime: no fire before this instant
      --end-time ISO        as spec.endTime: no fire at or after this instant
      --name NAMESPACE/NAME seeds H and ? as the resource's name does (default default/default)
  -h, --help                print this help

Exit codes: 0 ok, 1 invalid schedule or manifest, 2 usage error.
`;

const DEFAULT_NAME = 'default/default';
// A guard against a typo such as --count 1000000000 filling the terminal.
const MAX_COUNT = 10_000;

class UsageError extends Error {}

export const nextCommand: Command = async (args, io) => {
  let flags;
  try {
    flags = readFlags(args, io.now());
  } catch (error) {
    io.stderr(`next: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (flags.file !== undefined) return printManifest(flags.file, flags.from, flags.count, io);
  try {
    const schedule = compileSchedules(
      flags.schedules,
      {
        timeZone: flags.timeZone,
        startTime: flags.startTime,
        endTime: flags.endTime,
        hashKey: flags.name,
      },
      flags.schedules.length > 1,
    );
    let printed = 0;
    for (const instant of upcoming(schedule, flags.from, flags.count)) {
      io.stdout(`${formatInstant(instant)}\n`);
      printed++;
    }
    if (printed === 0) io.stderr(`next: ${noFireTimeLeft(schedule, flags.from, flags.endTime)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    io.stderr(`next: ${error.message}\n`);
    return 1;
  }
};

interface Flags {
  readonly schedules: readonly string[];
  readonly file?: string;
  readonly timeZone?: string;
  readonly from: Date;
  readonly count: number;
  readonly startTime?: Date;
  readonly endTime?: Date;
  readonly name: string;
}

function readFlags(args: readonly string[], now: Date): Flags | 'help' {
  const { values, positionals } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: {
      schedule: { type: 'string', short: 's', multiple: true },
      file: { type: 'string', short: 'f' },
      'time-zone': { type: 'string' },
      from: { type: 'string' },
      count: { type: 'string', short: 'n' },
      'start-time': { type: 'string' },
      'end-time': { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if ((values.schedule === undefined) === (values.file === undefined)) {
    throw new UsageError('give exactly one of --schedule and -f');
  }
  if (values.file !== undefined) {
    const scheduleOnly = ['time-zone', 'start-time', 'end-time', 'name'] as const;
    const misplaced = scheduleOnly.find((flag) => values[flag] !== undefined);
    if (misplaced)
      throw new UsageError(`--${misplaced} applies to --schedule; -f reads it from the manifest`);
  }
  if (values.name !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(values.name)) {
    throw new UsageError(`--name must look like namespace/name, got "${values.name}"`);
  }
  return {
    schedules: values.schedule ?? [],
    file: values.file,
    timeZone: values['time-zone'],
    from: values.from === undefined ? now : parseInstant('--from', values.from),
    count: values.count === undefined ? 1 : parseCount(values.count),
    startTime:
      values['start-time'] === undefined ? undefined : parseInstant('--start-time', values['start-time']),
    endTime: values['end-time'] === undefined ? undefined : parseInstant('--end-time', values['end-time']),
    name: values.name ?? DEFAULT_NAME,
  };
}

function parseInstant(flag: string, text: string): Date {
  // Require an explicit zone: a bare local time would silently depend on the machine's zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) {
    throw new UsageError(
      `${flag} must be an ISO 8601 time with a zone, like 2026-03-29T01:00:00Z, got "${text}"`,
    );
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} is not a valid time: "${text}"`);
  return date;
}

function parseCount(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1 || count > MAX_COUNT) {
    throw new UsageError(`--count must be a whole number from 1 to ${MAX_COUNT}, got "${text}"`);
  }
  return count;
}

function* upcoming(schedule: CompiledSchedule, from: Date, count: number): Generator<Date> {
  let cursor = from;
  for (let i = 0; i < count; i++) {
    const fire = schedule.next(cursor);
    if (fire === null) return;
    yield fire;
    cursor = fire;
  }
}

/** Why a valid schedule has no fire time after `from`: the one-off is past, or the window closed. */
export function noFireTimeLeft(schedule: CompiledSchedule, from: Date, endTime: Date | undefined): string {
  const after = `no fire time after ${formatInstant(from)}`;
  if (endTime !== undefined && endTime.getTime() <= from.getTime())
    return `${after}: the end time ${formatInstant(endTime)} has passed`;
  const last = schedule.previous(from);
  if (endTime !== undefined && !/^at\s*\(/i.test(schedule.expression.trim()))
    return `${after}: none falls before the end time ${formatInstant(endTime)}`;
  if (/^at\s*\(/i.test(schedule.expression.trim())) {
    return last
      ? `${after}: ${schedule.expression.trim()} is in the past (it was ${formatInstant(last)}); a one-off never runs again`
      : `${after}: ${schedule.expression.trim()} falls outside the start and end times`;
  }
  return last
    ? `${after}: the last one was ${formatInstant(last)}`
    : `${after}: it never fires in its window`;
}

/** ISO 8601 in UTC without milliseconds: fire times are whole seconds. */
export function formatInstant(instant: Date): string {
  return instant.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface ManifestResource {
  readonly metadata?: { readonly name?: unknown; readonly namespace?: unknown };
  readonly spec?: {
    readonly schedule?: unknown;
    readonly schedules?: unknown;
    readonly timeZone?: unknown;
    readonly startTime?: unknown;
    readonly endTime?: unknown;
  };
}

async function printManifest(file: string, from: Date, count: number, io: CliIo): Promise<number> {
  let documents;
  try {
    documents = await readManifests([file]);
  } catch (error) {
    io.stderr(`next: ${(error as Error).message}\n`);
    return 1;
  }
  let failed = false;
  for (const doc of documents) {
    if (doc.syntaxError) {
      io.stderr(`next: ${doc.file}:${doc.index}: (yaml): ${doc.syntaxError}\n`);
      failed = true;
      continue;
    }
    if (!isEcsScheduledTask(doc.value)) continue;
    const resource = doc.value as ManifestResource;
    const name = `${stringOr(resource.metadata?.namespace, 'default')}/${stringOr(resource.metadata?.name, '')}`;
    try {
      const list = resource.spec?.schedules;
      const listed = Array.isArray(list);
      const schedule = compileSchedules(
        listed ? list.map((e) => stringOr(e, '')) : [stringOr(resource.spec?.schedule, '')],
        {
          timeZone: optionalString(resource.spec?.timeZone),
          startTime: optionalDate(resource.spec?.startTime),
          endTime: optionalDate(resource.spec?.endTime),
          hashKey: name,
        },
        listed,
      );
      let printed = 0;
      for (const instant of upcoming(schedule, from, count)) {
        io.stdout(`${name}\t${formatInstant(instant)}\n`);
        printed++;
      }
      if (printed === 0)
        io.stderr(`next: ${name}: ${noFireTimeLeft(schedule, from, optionalDate(resource.spec?.endTime))}\n`);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      io.stderr(`next: ${name}: ${error.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** YAML turns an unquoted timestamp into a Date; a quoted one stays a string. */
function optionalDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  return typeof value === 'string' ? new Date(value) : undefined;
}
