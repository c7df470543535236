// `validate FILE|DIR...`: offline checks for GitOps pipelines and editors. Each problem is one
// `file:line:column: field: problem` line (a YAML error keeps its full message and code frame).
import { validateObjectMeta } from '../api/object-meta.js';
import { validateCalendar } from '../api/calendar-validation.js';
import { CALENDAR_KIND, POLICY_KIND } from '../api/constants.js';
import { validatePolicy } from '../api/policy-validation.js';
import { validateResource, type ValidationIssue } from '../api/validation.js';
import { findNestingProblem, readManifestText } from '../standalone/manifest-files.js';
import type { Command } from './cli-io.js';
import { isEcsScheduledTask, readManifests, type ManifestDocument } from './manifest-documents.js';
import { documentPositions, type DocumentPositions, type Position } from './manifest-positions.js';

const USAGE = `Usage: ecs-scheduler validate FILE|DIR... [flags]

Checks EcsScheduledTask, EcsSchedulerPolicy and EcsScheduleCalendar manifests offline, as the API server would on
\`kubectl apply\`: the CRD schema and its rules, metadata (name a DNS-1123 subdomain of at most 253 characters, namespace a
DNS-1123 label, label and annotation keys), and the schedule parser. Folders are read
recursively (*.yaml, *.yml, *.json). Documents of other kinds are listed as skipped, not checked.
A calendar named in spec.excludeCalendars but found in none of the files is noted (not an error:
it may be applied from elsewhere; the controller stalls the task until it exists).

Each problem is printed to stderr as FILE:LINE:COLUMN: FIELD: PROBLEM, then a summary line.
Exit codes: 0 every document checked is valid, 1 a problem was found, 2 usage error.

Flags:
  -h, --help    print this help
`;

export const validateCommand: Command = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(USAGE);
    return 0;
  }
  const unknown = args.find((a) => a.startsWith('-') && a !== '-');
  if (args.length === 0 || unknown) {
    io.stderr(
      `validate: ${unknown ? `unknown flag "${unknown}"` : 'give at least one FILE or DIR'}\n\n${USAGE}`,
    );
    return 2;
  }
  let errors = 0;
  let documents: ManifestDocument[];
  try {
    // An entry that cannot be read is an error of its own; the rest are still checked.
    documents = await readManifests(args, (entry) => {
      io.stderr(`${entry.path}: (unreadable): ${entry.problem}\n`);
      errors++;
    });
  } catch (error) {
    io.stderr(`validate: ${(error as Error).message}\n`);
    return 2;
  }
  const positions = new PositionCache();
  let tasks = 0;
  let policies = 0;
  let calendars = 0;
  let skipped = 0;
  const calendarNames = new Set<string>();
  const references: { doc: ManifestDocument; at: Position; namespace: string; names: string[] }[] = [];
  for (const doc of documents) {
    const where = await positions.of(doc);
    if (doc.syntaxError) {
      const problems = where?.errors.length
        ? where.errors
        : [{ line: doc.line, col: 1, message: doc.syntaxError }];
      for (const p of problems) io.stderr(`${doc.file}:${p.line}:${p.col}: (yaml): ${p.message.trimEnd()}\n`);
      errors++;
      continue;
    }
    const start: Position = where?.start ?? { line: doc.line, col: 1 };
    let issues: ValidationIssue[];
    const value = doc.value as { metadata?: unknown; kind?: unknown } | null;
    if (isEcsScheduledTask(doc.value)) {
      tasks++;
      issues = [...validateObjectMeta(value?.metadata), ...validateResource(doc.value)];
      const task = doc.value as { metadata?: { namespace?: unknown }; spec?: { excludeCalendars?: unknown } };
      const names = task.spec?.excludeCalendars;
      if (Array.isArray(names)) {
        references.push({
          doc,
          at: where?.at('spec.excludeCalendars') ?? start,
          namespace: typeof task.metadata?.namespace === 'string' ? task.metadata.namespace : 'default',
          names: names.filter((n): n is string => typeof n === 'string'),
        });
      }
    } else if (value?.kind === CALENDAR_KIND) {
      calendars++;
      issues = [...validateObjectMeta(value.metadata), ...validateCalendar(doc.value)];
      const meta = (value.metadata ?? {}) as { name?: unknown; namespace?: unknown };
      calendarNames.add(
        `${typeof meta.namespace === 'string' ? meta.namespace : 'default'}/${String(meta.name)}`,
      );
    } else if (value?.kind === POLICY_KIND) {
      policies++;
      issues = [...validateObjectMeta(value.metadata, { clusterScoped: true }), ...validatePolicy(doc.value)];
    } else {
      skipped++;
      io.stderr(`${doc.file}:${start.line}:${start.col}: skipped: ${describeKind(doc.value)}\n`);
      continue;
    }
    for (const issue of issues) {
      const at = where?.at(issue.path) ?? start;
      io.stderr(`${doc.file}:${at.line}:${at.col}: ${issue.path}: ${issue.message}\n`);
      errors++;
    }
  }
  for (const ref of references) {
    for (const name of ref.names.filter((n) => !calendarNames.has(`${ref.namespace}/${n}`))) {
      io.stderr(
        `${ref.doc.file}:${ref.at.line}:${ref.at.col}: spec.excludeCalendars: note: ${CALENDAR_KIND} ${ref.namespace}/${name} is in none of the files checked; the controller stalls the task (CalendarNotFound) until it exists\n`,
      );
    }
  }
  io.stderr(
    `${tasks} EcsScheduledTask and ${policies} ${POLICY_KIND} document(s) checked, ` +
      (calendars > 0 ? `${calendars} ${CALENDAR_KIND} document(s) checked, ` : '') +
      `${skipped} of other kinds skipped, ${errors} error(s)\n`,
  );
  return errors > 0 ? 1 : 0;
};

function describeKind(value: unknown): string {
  const v = (typeof value === 'object' && value !== null ? value : {}) as {
    kind?: unknown;
    apiVersion?: unknown;
  };
  if (typeof v.kind !== 'string') return 'not a Kubernetes object (no kind)';
  return `kind ${v.kind}${typeof v.apiVersion === 'string' ? ` (${v.apiVersion})` : ''} is not EcsScheduledTask, ${POLICY_KIND} or ${CALENDAR_KIND}`;
}

/** Positions per file, parsed once; undefined when the text cannot be parsed again (absurd nesting). */
class PositionCache {
  readonly #files = new Map<string, Promise<DocumentPositions[] | undefined>>();

  async of(doc: ManifestDocument): Promise<DocumentPositions | undefined> {
    let entry = this.#files.get(doc.file);
    if (!entry) {
      entry = (async () => {
        const read = await readManifestText(doc.file);
        if ('problem' in read) return undefined;
        // yaml's composer recurses: never hand it what the reader refused as too deep.
        if (await findNestingProblem(read.text)) return undefined;
        try {
          return documentPositions(read.text);
        } catch {
          return undefined;
        }
      })();
      this.#files.set(doc.file, entry);
    }
    return (await entry)?.[doc.index - 1];
  }
}
