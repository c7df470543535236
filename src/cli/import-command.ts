import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  awsEventBridgeSource,
  EventBridgeReadError,
  type EventBridgeSource,
} from '../aws/eventbridge/eventbridge-source.js';
import { convertEcschedule, EcscheduleInputError } from '../migrate/ecschedule.js';
import { AwsJsonInputError, parseAwsJsonList } from '../migrate/eventbridge-input.js';
import { convertRules } from '../migrate/eventbridge-rules.js';
import { convertSchedules } from '../migrate/eventbridge-scheduler.js';
import type { ImportConversion } from '../migrate/import-conversion.js';
import { importPolicies } from '../migrate/import-policy.js';
import { convertJobs, type JobConversion } from '../migrate/job-conversion.js';
import { fetchAllJobs, JobInputError, parseJobInput, type JobEntry } from '../migrate/job-input.js';
import type { CliIo, Command } from './cli-io.js';

const USAGE = `Usage: ecs-scheduler import [FILE|URL|-] [--namespace NS] [--cluster NAME] [--out DIR] [--page-size N]
       ecs-scheduler import --from eventbridge-scheduler [FILE] [--group NAME] [--region R]
       ecs-scheduler import --from eventbridge-rules [FILE] [--event-bus NAME] [--rate-start ISO] [--region R]
       ecs-scheduler import --from ecschedule FILE [--account-id ID] [--rate-start ISO]

Converts schedules into EcsScheduledTask YAML. Default source (--from old-service): the jobs of the
old ECS Scheduler service.

Other sources write, after the resources, the one EcsSchedulerPolicy that allows exactly them and
their overrides, selecting --namespace and assuming the IAM role the tasks ran as (schedules of
another role are refused: a namespace has one). A schedule whose target is not ECS RunTask, or with
a field that cannot be mapped exactly, is listed on stderr with a reason per field.
  eventbridge-scheduler  EventBridge Scheduler schedules, read from the account with the AWS SDK's
                         usual configuration (AWS_REGION, credentials, AWS_ENDPOINT_URL), or FILE:
                         \`aws scheduler get-schedule\` output, a list of it, or {"Schedules": [...]}.
  eventbridge-rules      EventBridge rules with a schedule expression, from the account or FILE:
                         \`aws events describe-rule\` output with "Targets" (list-targets-by-rule) beside it,
                         a list of those, or {"Rules": [...]}. A rate() rule counts from its
                         creation, which EventBridge does not report: give it with --rate-start.
  ecschedule             an ecschedule configuration file (YAML or JSON, templates rendered).

Input (default -, stdin): the JSON body of the old service's GET /jobs, a file of it, JSON Lines
(one job per line), or the base URL of a running old service (http://host:port), which is paged
through with GET /jobs?skip=N&count=M.

Flags:
  --namespace NS   namespace of the resources (default "default")
  --cluster NAME   spec.task.cluster (default: none, the controller's --default-cluster)
  --out DIR        write DIR/<name>.yaml per job instead of multi-document YAML on stdout
  --page-size N    jobs per GET /jobs request when reading a URL (default 100)
  --from SOURCE    old-service (default), eventbridge-scheduler, eventbridge-rules or ecschedule
  --group NAME     eventbridge-scheduler: only this schedule group (default: every group)
  --event-bus NAME eventbridge-rules: the event bus (default "default")
  --name-prefix P  eventbridge-*: only schedules or rules whose name starts with P
  --region R       the AWS region to read (default: the SDK's, from AWS_REGION or the profile)
  --rate-start ISO eventbridge-rules, ecschedule: when the rate() rules were created
  --account-id ID  ecschedule: the account its names (cluster, role, queue) are ARNs in
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

  readonly eventBridge: (region: string | undefined) => EventBridgeSource;
}

const SOURCES = ['old-service', 'eventbridge-scheduler', 'eventbridge-rules', 'ecschedule'] as const;
type Source = (typeof SOURCES)[number];

interface ImportArgs {
  readonly from: Source;
  readonly input: string;
  readonly explicitInput: boolean;
  readonly group?: string;
  readonly eventBus?: string;
  readonly namePrefix?: string;
  readonly region?: string;
  readonly rateStart?: number;
  readonly accountId?: string;
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
  const known = new Set([
    '--namespace',
    '--cluster',
    '--out',
    '--page-size',
    '--from',
    '--group',
    '--event-bus',
    '--name-prefix',
    '--region',
    '--rate-start',
    '--account-id',
  ]);
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
  const from = (flags.get('--from') ?? 'old-service') as Source;
  if (!SOURCES.includes(from)) throw new UsageError(`--from must be one of ${SOURCES.join(', ')}`);
  const only = (flag: string, sources: readonly Source[]) => {
    if (flags.has(flag) && !sources.includes(from))
      throw new UsageError(`${flag} applies to --from ${sources.join(' or ')} only`);
  };
  only('--cluster', ['old-service']);
  only('--page-size', ['old-service']);
  only('--group', ['eventbridge-scheduler']);
  only('--event-bus', ['eventbridge-rules']);
  only('--region', ['eventbridge-scheduler', 'eventbridge-rules']);
  only('--name-prefix', ['eventbridge-scheduler', 'eventbridge-rules']);
  only('--rate-start', ['eventbridge-rules', 'ecschedule']);
  only('--account-id', ['ecschedule']);
  if (from === 'ecschedule' && positional.length === 0)
    throw new UsageError('--from ecschedule needs a FILE');
  const rateStartText = flags.get('--rate-start');
  const rateStart = rateStartText === undefined ? undefined : Date.parse(rateStartText);
  if (
    rateStart !== undefined &&
    (Number.isNaN(rateStart) || !/(Z|[+-]\d{2}:?\d{2})$/i.test(rateStartText ?? ''))
  )
    throw new UsageError(
      '--rate-start must be an ISO 8601 instant with a zone, for example 2026-01-01T00:00:00Z',
    );
  const accountId = flags.get('--account-id');
  if (accountId !== undefined && !/^\d{12}$/.test(accountId))
    throw new UsageError('--account-id must be 12 digits');
  const group = flags.get('--group');
  const eventBus = flags.get('--event-bus');
  const region = flags.get('--region');
  const namePrefix = flags.get('--name-prefix');
  return {
    ...(namePrefix !== undefined && { namePrefix }),
    from,
    explicitInput: positional.length > 0,
    ...(group !== undefined && { group }),
    ...(eventBus !== undefined && { eventBus }),
    ...(region !== undefined && { region }),
    ...(rateStart !== undefined && { rateStart }),
    ...(accountId !== undefined && { accountId }),
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
  eventBridge: (region) => awsEventBridgeSource(region === undefined ? {} : { region }),
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
    if (args.from !== 'old-service') return importSchedules(args, deps, io);

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

async function readText(args: ImportArgs, deps: ImportDeps): Promise<string> {
  try {
    return args.input === '-' ? await deps.readStdin() : await deps.readFile(args.input);
  } catch (error) {
    throw new AwsJsonInputError(
      `cannot read ${args.input === '-' ? 'stdin' : args.input}: ${(error as Error).message}`,
    );
  }
}

/** The conversions of an EventBridge or ecschedule source, from a file or from the account. */
async function readConversions(args: ImportArgs, deps: ImportDeps, io: CliIo): Promise<ImportConversion[]> {
  const now = io.now().getTime();
  const base = {
    namespace: args.namespace,
    now,
    ...(args.rateStart !== undefined && { rateStart: args.rateStart }),
  };
  const where = args.input === '-' ? 'stdin' : args.input;
  switch (args.from) {
    case 'eventbridge-scheduler': {
      const schedules = args.explicitInput
        ? parseAwsJsonList(await readText(args, deps), 'Schedules', where)
        : await deps.eventBridge(args.region).schedules({
            ...(args.group !== undefined && { group: args.group }),
            ...(args.namePrefix !== undefined && { namePrefix: args.namePrefix }),
          });
      const wanted = !args.explicitInput ? schedules : schedules.filter((s) => selected(s, args));
      return convertSchedules(wanted, base);
    }
    case 'eventbridge-rules': {
      if (args.explicitInput)
        return convertRules(
          parseAwsJsonList(await readText(args, deps), 'Rules', where).filter((r) => selected(r, args)),
          base,
        );
      const { rules, withoutSchedule } = await deps.eventBridge(args.region).rules({
        ...(args.eventBus !== undefined && { eventBus: args.eventBus }),
        ...(args.namePrefix !== undefined && { namePrefix: args.namePrefix }),
      });
      if (withoutSchedule > 0)
        io.stderr(
          `import: ${withoutSchedule} rule(s) without a schedule expression (event patterns) left out\n`,
        );
      return convertRules(rules, base);
    }
    default:
      return convertEcschedule(await readText(args, deps), args.input, {
        ...base,
        ...(args.accountId !== undefined && { accountId: args.accountId }),
      });
  }
}

/** --group, --event-bus and --name-prefix applied to a file as the AWS API applies them to the account. */
function selected(item: unknown, args: ImportArgs): boolean {
  const o = (item ?? {}) as { GroupName?: unknown; EventBusName?: unknown; Name?: unknown };
  if (args.group !== undefined && (o.GroupName ?? 'default') !== args.group) return false;
  if (args.eventBus !== undefined && (o.EventBusName ?? 'default') !== args.eventBus) return false;
  return args.namePrefix === undefined || String(o.Name ?? '').startsWith(args.namePrefix);
}

async function importSchedules(args: ImportArgs, deps: ImportDeps, io: CliIo): Promise<number> {
  let conversions: ImportConversion[];
  try {
    conversions = await readConversions(args, deps, io);
  } catch (error) {
    if (
      error instanceof AwsJsonInputError ||
      error instanceof EventBridgeReadError ||
      error instanceof EcscheduleInputError
    ) {
      io.stderr(`import: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { policies, conversions: final } = importPolicies(conversions, args.namespace);
  let failed = 0;
  const converted: Extract<ImportConversion, { ok: true }>[] = [];
  for (const c of final) {
    if (!c.ok) {
      for (const reason of c.reasons) io.stderr(`${c.id}: ${reason}\n`);
      failed++;
      continue;
    }
    for (const note of c.notes) io.stderr(`${c.id}: note: ${note}\n`);
    converted.push(c);
  }
  const documents = [
    ...converted.map((c) => ({
      file: `${c.resource.metadata.name ?? c.id}.yaml`,
      doc: c.resource as unknown,
    })),
    ...(converted.length > 0 ? policies : []).map((p) => ({
      file: `${p.metadata.name ?? 'policy'}.ecsschedulerpolicy.yaml`,
      doc: p as unknown,
    })),
  ];
  try {
    if (args.out === undefined) {
      if (documents.length > 0) io.stdout(documents.map((d) => stringify(d.doc)).join('---\n'));
    } else {
      await deps.mkdir(args.out);
      for (const d of documents) {
        const path = join(args.out, d.file);
        await deps.writeFile(path, stringify(d.doc));
        io.stdout(`${path}\n`);
      }
    }
  } catch (error) {
    io.stderr(`import: cannot write output: ${(error as Error).message}\n`);
    return 2;
  }
  io.stderr(
    `import: converted ${converted.length} of ${final.length} schedule(s)${failed > 0 ? `, ${failed} could not be converted` : ''}` +
      `${converted.length > 0 ? `; ${policies.length} EcsSchedulerPolicy` : ''}\n`,
  );
  return failed > 0 ? 1 : 0;
}

/** `import [FILE|URL|-] [--namespace NS] [--cluster NAME] [--out DIR] [--page-size N]`. */
export const importCommand: Command = createImportCommand();
