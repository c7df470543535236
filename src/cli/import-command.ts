import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { convertJobs, type JobConversion } from '../migrate/job-conversion.js';
import { fetchAllJobs, JobInputError, parseJobInput, type JobEntry } from '../migrate/job-input.js';
import type { CliIo, Command } from './cli-io.js';

const USAGE = `Usage: ecs-scheduler import [FILE|URL|-] [--namespace NS] [--cluster NAME] [--out DIR] [--page-size N]

Converts the jobs of the old ECS Scheduler service into EcsScheduledTask YAML.

Input (default -, stdin): the JSON body of the old service's GET /jobs, a file of it, JSON Lines
(one job per line), or the base URL of a running old service (http://host:port), which is paged
through with GET /jobs?skip=N&count=M.

Flags:
  --namespace NS   namespace of the resources (default "default")
  --cluster NAME   spec.task.cluster (default: none, the controller's --default-cluster)
  --out DIR        write DIR/<name>.yaml per job instead of multi-document YAML on stdout
  --page-size N    jobs per GET /jobs request when reading a URL (default 100)
  -h, --help       print this help

Every job is either converted or listed on stderr with its reason. Exit code 0: all converted;
1: some could not be converted (the others are still written); 2: unreadable input or bad flags.
`;

/** What the command touches besides CliIo, so tests can run it in-process. */
export interface ImportDeps {
  readonly readStdin: () => Promise<string>;
  readonly readFile: (path: string) => Promise<string>;
  readonly fetch: typeof fetch;
  readonly writeFile: (path: string, text: string) => Promise<void>;
  readonly mkdir: (path: string) => Promise<void>;
}

interface ImportArgs {
  readonly input: string;
  readonly namespace: string;
  readonly cluster?: string;
  readonly out?: string;
  readonly pageSize: number;
}

class UsageError extends Error {}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function parseArgs(args: readonly string[]): ImportArgs | 'help' {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  const known = new Set(['--namespace', '--cluster', '--out', '--page-size']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '-' || !arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!known.has(name)) throw new UsageError(`unknown flag "${name}"`);
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
    flags.set(name, value);
  }
  if (positional.length > 1)
    throw new UsageError(`expected one input, got ${positional.length}: ${positional.join(' ')}`);
  const namespace = flags.get('--namespace') ?? 'default';
  if (!DNS_LABEL.test(namespace))
    throw new UsageError(`--namespace "${namespace}" is not a valid namespace name`);
  const pageSizeText = flags.get('--page-size') ?? '100';
  const pageSize = Number(pageSizeText);
  if (!/^\d+$/.test(pageSizeText) || pageSize < 1)
    throw new UsageError(`--page-size must be a whole number of at least 1`);
  const cluster = flags.get('--cluster');
  const out = flags.get('--out');
  return {
    input: positional[0] ?? '-',
    namespace,
    pageSize,
    ...(cluster !== undefined && { cluster }),
    ...(out !== undefined && { out }),
  };
}

async function readInput(args: ImportArgs, deps: ImportDeps): Promise<JobEntry[]> {
  if (/^https?:\/\//i.test(args.input)) {
    return fetchAllJobs(args.input, { pageSize: args.pageSize, fetch: deps.fetch });
  }
  let text: string;
  try {
    text = args.input === '-' ? await deps.readStdin() : await deps.readFile(args.input);
  } catch (error) {
    throw new JobInputError(
      `cannot read ${args.input === '-' ? 'stdin' : args.input}: ${(error as Error).message}`,
    );
  }
  return parseJobInput(text);
}

function jobName(entry: JobEntry, result: JobConversion | undefined): string {
  return result?.jobId !== undefined ? `job "${result.jobId}"` : entry.label;
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const defaultDeps: ImportDeps = {
  readStdin: () => readStream(process.stdin),
  readFile: (path) => readFile(path, 'utf8'),
  fetch: (input, init) => fetch(input, init),
  writeFile: (path, text) => writeFile(path, text, 'utf8'),
  mkdir: async (path) => {
    await mkdir(path, { recursive: true });
  },
};

export function createImportCommand(overrides: Partial<ImportDeps> = {}): Command {
  const deps: ImportDeps = { ...defaultDeps, ...overrides };
  return async (rawArgs, io) => {
    let args: ImportArgs;
    try {
      const parsed = parseArgs(rawArgs);
      if (parsed === 'help') {
        io.stdout(USAGE);
        return 0;
      }
      args = parsed;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      io.stderr(`import: ${error.message}\n\n${USAGE}`);
      return 2;
    }

    let entries: JobEntry[];
    try {
      entries = await readInput(args, deps);
    } catch (error) {
      if (!(error instanceof JobInputError)) throw error;
      io.stderr(`import: ${error.message}\n`);
      return 2;
    }
    return convertAndWrite(entries, args, deps, io);
  };
}

async function convertAndWrite(
  entries: JobEntry[],
  args: ImportArgs,
  deps: ImportDeps,
  io: CliIo,
): Promise<number> {
  const jobs = entries.filter((e): e is Extract<JobEntry, { job: unknown }> => 'job' in e);
  const results = convertJobs(
    jobs.map((e) => e.job),
    { namespace: args.namespace, ...(args.cluster !== undefined && { cluster: args.cluster }) },
  );
  const byEntry = new Map<JobEntry, JobConversion>(jobs.map((e, i) => [e, results[i] as JobConversion]));

  let failed = 0;
  const converted: Extract<JobConversion, { ok: true }>[] = [];
  // Input order, so a reader can match the messages to the input.
  for (const entry of entries) {
    if ('error' in entry) {
      io.stderr(`${entry.label}: ${entry.error}\n`);
      failed++;
      continue;
    }
    const result = byEntry.get(entry) as JobConversion;
    const who = jobName(entry, result);
    if (!result.ok) {
      for (const reason of result.reasons) io.stderr(`${who}: ${reason}\n`);
      failed++;
      continue;
    }
    for (const note of result.notes) io.stderr(`${who}: note: ${note}\n`);
    converted.push(result);
  }

  try {
    if (args.out === undefined) {
      if (converted.length > 0) io.stdout(converted.map((c) => stringify(c.resource)).join('---\n'));
    } else {
      await deps.mkdir(args.out);
      for (const c of converted) {
        const path = join(args.out, `${c.resource.metadata.name ?? c.jobId}.yaml`);
        await deps.writeFile(path, stringify(c.resource));
        io.stdout(`${path}\n`);
      }
    }
  } catch (error) {
    io.stderr(`import: cannot write output: ${(error as Error).message}\n`);
    return 2;
  }

  const total = entries.length;
  io.stderr(
    `import: converted ${converted.length} of ${total} job(s)${failed > 0 ? `, ${failed} could not be converted` : ''}\n`,
  );
  return failed > 0 ? 1 : 0;
}

/** `import [FILE|URL|-] [--namespace NS] [--cluster NAME] [--out DIR] [--page-size N]`. */
export const importCommand: Command = createImportCommand();
