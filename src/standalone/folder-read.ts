// One read of a folder: every file's YAML documents, sorted into EcsScheduledTasks (the manifests
// folder, which tenants write) or EcsSchedulerPolicies and Namespaces (the policies folder, which
// only admins write), with the problems to report and the files that could not be read (whose
// earlier content the reader keeps). A document of the other folder's kinds is reported, never
// used: a policy (or a Namespace's labels, which select policies) in the manifests folder would
// let a tenant grant itself anything, or shadow an admin's policy by a file sorted earlier.
// Nothing here knows about the state file or the cache; the readers decide what a read changes.
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EcsScheduleCalendarResource } from '../api/calendar-types.js';
import { CALENDAR_KIND, KIND, POLICY_KIND } from '../api/constants.js';
import type { EcsSchedulerPolicyResource } from '../api/policy-types.js';
import type { ResourceKey } from '../controller/ports.js';
import { parseManifestDocuments, readManifestText, type ManifestFile } from './manifest-files.js';

export interface ParsedDocument {
  readonly file: string;
  readonly index: number;
  readonly key: ResourceKey;
  /** The document as written, without `status`. */
  readonly doc: Record<string, unknown>;
  readonly docHash: string;
  readonly specHash: string;
}

/** A cluster-scoped document (policy or namespace) and the file it came from. */
export interface Located<T> {
  readonly file: string;
  readonly index: number;
  readonly value: T;
}

export interface FolderRead {
  documents: Map<ResourceKey, ParsedDocument>;
  policies: Map<string, Located<EcsSchedulerPolicyResource>>;
  namespaces: Map<string, Located<Record<string, string>>>;
  /** EcsScheduleCalendars of the manifests folder, by `namespace/name`, with their content hash. */
  calendars: Map<ResourceKey, Located<EcsScheduleCalendarResource> & { readonly docHash: string }>;
  brokenFiles: Set<string>;
  problems: string[];
  /** Two policies (or Namespaces) of one name in the policies folder: the read must not be used. */
  conflicts: string[];
}

/** Which folder is read: what its documents may be. */
export type FolderKind = 'manifests' | 'policies';

/** The flag that names the policies folder, for messages. */
export const POLICIES_FLAG = '--policies';

/** A DNS subdomain, the longest name the API server accepts; keys the state file. */
const MAX_NAME_LENGTH = 253;

/** JSON with object keys sorted, so equal values hash equally whatever the key order in YAML. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why `value` cannot be a name (undefined when it can). */
function nameProblem(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return `has no ${field}`;
  if (typeof value !== 'string') return `${field} must be a string`;
  if (value.length > MAX_NAME_LENGTH) return `${field} is longer than ${MAX_NAME_LENGTH} characters`;
  if (value.includes('/')) return `${field} must not contain "/"`;
  return undefined;
}

function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<
    string,
    string
  >;
}

/** Reads and sorts every listed file, yielding to the event loop between files. */
export async function readFolder(
  files: readonly ManifestFile[],
  folder: FolderKind = 'manifests',
): Promise<FolderRead> {
  const read: FolderRead = {
    documents: new Map(),
    policies: new Map(),
    namespaces: new Map(),
    calendars: new Map(),
    brokenFiles: new Set(),
    problems: [],
    conflicts: [],
  };
  for (const listed of files) {
    const file = listed.path;
    const text = await readManifestText(file, listed);
    if ('problem' in text) {
      // Deleted between listing and reading: the next read settles it. Anything else is logged.
      if (text.gone) continue;
      // Replaced since the listing (an editor's save by rename): keep what it held until the
      // next read, which the new file's mtime triggers.
      if (text.changed) {
        read.brokenFiles.add(file);
        continue;
      }
      read.problems.push(`${file}: skipped: ${text.problem}`);
      read.brokenFiles.add(file);
      continue;
    }
    for (const document of await parseManifestDocuments(file, text.text)) {
      const where = `${file}:${document.index}`;
      if (document.syntaxError !== undefined) {
        read.problems.push(`${where}: invalid YAML: ${document.syntaxError}`);
        read.brokenFiles.add(file);
        continue;
      }
      classify(read, folder, file, document.index, document.value);
    }
    await nextTurn();
  }
  return read;
}

/** Files one document under resources, policies or namespaces; anything else is not ours. */
function classify(read: FolderRead, folder: FolderKind, file: string, index: number, value: unknown): void {
  if (!isObject(value)) return;
  const where = `${file}:${index}`;
  const kind = value.kind;
  if (
    kind !== KIND &&
    kind !== POLICY_KIND &&
    kind !== CALENDAR_KIND &&
    !(kind === 'Namespace' && value.apiVersion === 'v1')
  )
    return;
  const metadata = isObject(value.metadata) ? value.metadata : {};
  if (kind === CALENDAR_KIND) {
    classifyCalendar(read, folder, file, index, value, metadata);
    return;
  }
  if (folder === 'manifests' && kind !== KIND) {
    read.problems.push(
      `${where}: ${String(kind)} ${String(metadata.name)} is NOT honoured in the manifests folder: ` +
        `policies and namespace labels are read only from ${POLICIES_FLAG} DIR, a folder the tenants ` +
        'cannot write; move it there',
    );
    return;
  }
  if (folder === 'policies' && kind === KIND) {
    read.problems.push(
      `${where}: ${KIND} ${String(metadata.name)} is ignored in the policies folder: tasks are read ` +
        'from --manifests DIR',
    );
    return;
  }
  const problem = nameProblem('metadata.name', metadata.name);
  if (problem) {
    read.problems.push(`${where}: ${String(kind)} ${problem}; skipped`);
    return;
  }
  const name = metadata.name as string;
  if (kind === 'Namespace') {
    const first = read.namespaces.get(name);
    if (first) {
      read.conflicts.push(
        `Namespace ${name} is defined twice, in ${first.file}:${first.index} and in ${where}`,
      );
      return;
    }
    read.namespaces.set(name, { file, index, value: stringMap(metadata.labels) });
    return;
  }
  if (kind === POLICY_KIND) {
    const first = read.policies.get(name);
    if (first) {
      // Neither may win: which one the admin meant is not ours to guess.
      read.conflicts.push(
        `${POLICY_KIND} ${name} is defined twice, in ${first.file}:${first.index} and in ${where}`,
      );
      return;
    }
    const { status: _status, ...policy } = value;
    read.policies.set(name, { file, index, value: policy as unknown as EcsSchedulerPolicyResource });
    return;
  }
  if (metadata.namespace !== undefined) {
    const nsProblem = nameProblem('metadata.namespace', metadata.namespace);
    if (nsProblem) {
      read.problems.push(`${where}: ${nsProblem}; skipped`);
      return;
    }
  }
  const key = `${(metadata.namespace as string | undefined) ?? 'default'}/${name}`;
  const first = read.documents.get(key);
  if (first) {
    read.problems.push(`${where}: ${key} is already defined at ${first.file}:${first.index}; skipped`);
    return;
  }
  const { status: _status, ...doc } = value;
  read.documents.set(key, {
    file,
    index,
    key,
    doc,
    docHash: hashOf(doc),
    specHash: hashOf(doc.spec),
  });
}

/**
 * A calendar belongs with the tasks that name it: the manifests folder. It grants nothing (it can
 * only keep the tasks of its namespace from running), so tenants may write it.
 */
function classifyCalendar(
  read: FolderRead,
  folder: FolderKind,
  file: string,
  index: number,
  value: Record<string, unknown>,
  metadata: Record<string, unknown>,
): void {
  const where = `${file}:${index}`;
  if (folder === 'policies') {
    read.problems.push(
      `${where}: ${CALENDAR_KIND} ${String(metadata.name)} is ignored in the policies folder: calendars are read ` +
        'from --manifests DIR, beside the tasks that name them',
    );
    return;
  }
  const problem =
    nameProblem('metadata.name', metadata.name) ??
    (metadata.namespace === undefined ? undefined : nameProblem('metadata.namespace', metadata.namespace));
  if (problem) {
    read.problems.push(`${where}: ${CALENDAR_KIND} ${problem}; skipped`);
    return;
  }
  const key = `${(metadata.namespace as string | undefined) ?? 'default'}/${metadata.name as string}`;
  const first = read.calendars.get(key);
  if (first) {
    read.problems.push(
      `${where}: ${CALENDAR_KIND} ${key} is already defined at ${first.file}:${first.index}; skipped`,
    );
    return;
  }
  const { status: _status, ...doc } = value;
  const calendar = structuredClone(doc) as unknown as EcsScheduleCalendarResource;
  calendar.metadata = { ...calendar.metadata, namespace: key.slice(0, key.indexOf('/')) };
  read.calendars.set(key, { file, index, value: calendar, docHash: hashOf(doc) });
}

/**
 * What a listing looked like, by path, mtime and size (and what was skipped, with why): a rescan
 * whose signature is unchanged has nothing new to read.
 */
export function folderSignature(
  files: readonly ManifestFile[],
  skipped: readonly { path: string; problem: string }[],
): string {
  return [
    ...files.map((f) => `${f.path}\u0000${f.mtimeMs}\u0000${f.size}`),
    ...skipped.map((s) => `${s.path}\u0000${s.problem}`),
  ].join('\n');
}
