// The ResourceStore of standalone mode: EcsScheduledTask manifests from a folder stand in for the
// API server, and the state file stands in for etcd. The reconciler cannot tell the difference.
//
// What the API server would assign, this store assigns and persists in the state file:
// - `uid`: random, created the first time a `namespace/name` is seen. RunTask's clientToken is
//   derived from it, so it is made durable before the resource is handed to anyone.
// - `generation`: 1, then +1 whenever the spec's hash differs from the one stored.
// - `resourceVersion`: a store-wide counter, bumped by every change (manifest edit, status write).
// - `creationTimestamp`: when the resource was first seen.
//
// Removed manifests: the resource disappears from the store (get() returns undefined, listeners
// hear about it), but its state record is kept, marked `removedAt`, for `removedRetentionMs`
// (default 30 days). Putting the manifest back restores the same uid and run history, so a file
// moved out and back, or deleted by a bad checkout, cannot launch a scheduled time a second time.
//
// Files: every `*.yaml` / `*.yml` under `dir`, recursively, in path order. Names starting with a
// dot are skipped (`.git`, editor lock files, the `..data` folders of a mounted ConfigMap; the
// ConfigMap's top-level symlinks are followed). Only `kind: EcsScheduledTask` documents are kept.
// A document that is not YAML, or has no name, is logged as `file:document: problem` and skipped.
// When a file has a YAML syntax error (often a half-saved edit), the resources last read from it
// are kept until it parses again, as `kubectl apply` of a broken file would not delete them either.
// Schema problems do not hide a resource: it is stored, the reconciler marks it Stalled.
import { randomUUID, createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KIND } from '../api/constants.js';
import type { EcsScheduledTaskResource, Status } from '../api/types.js';
import { validateResource } from '../api/validation.js';
import type { Clock } from '../controller/clock.js';
import { ConflictError, TransientError } from '../controller/errors.js';
import { keyOf, type ResourceKey, type ResourceStore } from '../controller/ports.js';
import type { Logger } from '../log/logger.js';
import { StateFile, type StateData, type StateRecord } from './state-file.js';

export interface ManifestStoreOptions {
  /** Folder of manifests, read recursively. */
  readonly dir: string;
  /** The state file, or its path (then the store opens it with the default `onCorrupt: 'fail'`). */
  readonly stateFile: StateFile | string;
  readonly logger: Logger;
  /** Timers (polling, debounce) and timestamps (creationTimestamp, removedAt). */
  readonly clock: Clock;
  /**
   * How often to compare the folder's files (paths, mtimes, sizes) with the last read, in ms.
   * Default 2000. This catches what fs.watch misses (network file systems, some containers).
   * 0 turns polling off.
   */
  readonly pollIntervalMs?: number;
  /** Use fs.watch (recursive where supported) besides polling. Default true. */
  readonly watch?: boolean;
  /** Quiet period after a file event before the folder is re-read, in ms. Default 200. */
  readonly debounceMs?: number;
  /** How long the state of a removed manifest is kept, in ms. Default 30 days. */
  readonly removedRetentionMs?: number;
}

export type ChangeListener = (key: ResourceKey) => void;

interface ParsedDocument {
  readonly file: string;
  readonly index: number;
  readonly key: ResourceKey;
  /** The document as written, without `status`. */
  readonly doc: Record<string, unknown>;
  readonly docHash: string;
  readonly specHash: string;
}

interface Entry extends ParsedDocument {
  readonly resource: EcsScheduledTaskResource;
}

interface FileInfo {
  readonly path: string;
  readonly mtimeMs: number;
  readonly size: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

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

export function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class ManifestStore implements ResourceStore {
  private readonly dir: string;
  private readonly stateFile: StateFile;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly useWatch: boolean;
  private readonly debounceMs: number;
  private readonly removedRetentionMs: number;

  private state: StateData | undefined;
  private entries = new Map<ResourceKey, Entry>();
  private readonly listeners = new Set<ChangeListener>();
  private lastRv = 0;
  /** Set when the in-memory state has changes a failed write did not persist. */
  private unsaved = false;
  private synced = false;
  private running = false;
  private lastSignature = '';
  /** Problems logged by the previous read; a problem is logged again only after it went away. */
  private reportedProblems = new Set<string>();

  private scanChain: Promise<void> = Promise.resolve();
  private queuedScan: Promise<void> | undefined;
  private watcher: FSWatcher | undefined;
  private cancelPoll: (() => void) | undefined;
  private cancelDebounce: (() => void) | undefined;

  constructor(options: ManifestStoreOptions) {
    this.dir = options.dir;
    this.logger = options.logger;
    this.clock = options.clock;
    this.stateFile =
      typeof options.stateFile === 'string'
        ? new StateFile({ path: options.stateFile, logger: options.logger })
        : options.stateFile;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.useWatch = options.watch ?? true;
    this.debounceMs = options.debounceMs ?? 200;
    this.removedRetentionMs = options.removedRetentionMs ?? 30 * DAY_MS;
  }

  /**
   * Loads the state file, reads the folder once (listeners hear about every resource found), and
   * then follows the folder. Throws when the state file is corrupt or the folder cannot be read.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.state = await this.stateFile.load();
    this.lastRv = Math.max(
      0,
      ...Object.values(this.state.resources).map((r) => Number.parseInt(r.resourceVersion, 10) || 0),
    );
    this.running = true;
    try {
      await this.rescan();
    } catch (error) {
      this.running = false;
      throw error;
    }
    this.synced = true;
    if (this.useWatch) this.startWatching();
    if (this.pollIntervalMs > 0) this.schedulePoll();
  }

  /** Stops following the folder and waits for pending reads and state writes. */
  async stop(): Promise<void> {
    this.running = false;
    this.watcher?.close();
    this.watcher = undefined;
    this.cancelPoll?.();
    this.cancelPoll = undefined;
    this.cancelDebounce?.();
    this.cancelDebounce = undefined;
    await this.scanChain;
    await this.stateFile.flush();
  }

  /** True once the first read of the folder is complete. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Called with the key of each resource added, changed (manifest edited) or removed. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(key: ResourceKey): EcsScheduledTaskResource | undefined {
    return this.entries.get(key)?.resource;
  }

  keys(): ResourceKey[] {
    return [...this.entries.keys()].sort();
  }

  list(): EcsScheduledTaskResource[] {
    return this.keys().map((k) => this.entries.get(k)!.resource);
  }

  /**
   * Persists the status before resolving. Status writes do not notify listeners: the manifest did
   * not change, and the writer knows what it wrote.
   */
  async writeStatus(resource: EcsScheduledTaskResource, status: Status): Promise<EcsScheduledTaskResource> {
    const key = keyOf(resource);
    const state = this.requireState();
    const record = state.resources[key];
    if (!this.entries.has(key) || !record || record.removedAt !== undefined) {
      throw new ConflictError(`${key} no longer exists`);
    }
    if (resource.metadata.resourceVersion !== record.resourceVersion) {
      throw new ConflictError(
        `${key} changed since it was read (resourceVersion ${resource.metadata.resourceVersion ?? '(none)'}, stored ${record.resourceVersion})`,
      );
    }
    const previous = { status: record.status, resourceVersion: record.resourceVersion };
    record.status = structuredClone(status);
    record.resourceVersion = this.nextRv();
    const written = record.resourceVersion;
    try {
      await this.persist();
    } catch (error) {
      // Undo unless a later change already built on this one; then that change's write carries it.
      if (record.resourceVersion === written) {
        record.status = previous.status;
        record.resourceVersion = previous.resourceVersion;
      }
      throw new TransientError(`could not write the state file ${this.stateFile.path}`, 'StateWriteFailed', {
        cause: error,
      });
    }
    const entry = this.entries.get(key);
    if (!entry) throw new ConflictError(`${key} no longer exists`);
    return this.install(entry).resource;
  }

  /**
   * Re-reads the folder now and applies the differences. Calls made while a read is running share
   * one follow-up read. Tests call this directly instead of waiting for a file event.
   */
  rescan(): Promise<void> {
    if (this.queuedScan) return this.queuedScan;
    const scan = this.scanChain.then(() => {
      this.queuedScan = undefined;
      return this.scanOnce();
    });
    this.queuedScan = scan;
    this.scanChain = scan.catch(() => undefined);
    return scan;
  }

  private requireState(): StateData {
    if (!this.state) throw new Error('ManifestStore used before start()');
    return this.state;
  }

  private nextRv(): string {
    this.lastRv += 1;
    return String(this.lastRv);
  }

  private async persist(): Promise<void> {
    this.unsaved = false;
    try {
      await this.stateFile.save(this.requireState());
    } catch (error) {
      this.unsaved = true;
      throw error;
    }
  }

  private async scanOnce(): Promise<void> {
    const state = this.requireState();
    const files = await this.listFiles();
    const { documents, brokenFiles, problems } = await this.readDocuments(files);
    this.lastSignature = signatureOf(files);
    this.reportProblems(problems);

    // Keep what a half-saved or unreadable file held, until it reads cleanly again.
    for (const entry of this.entries.values()) {
      if (brokenFiles.has(entry.file) && !documents.has(entry.key)) documents.set(entry.key, entry);
    }

    const now = this.clock.now().toISOString();
    const changed: ParsedDocument[] = [];
    const removed: ResourceKey[] = [];
    let dirty = this.unsaved;

    for (const parsed of documents.values()) {
      const current = this.entries.get(parsed.key);
      if (current && current.docHash === parsed.docHash) continue;
      let record = state.resources[parsed.key];
      if (!record) {
        record = {
          uid: randomUUID(),
          generation: 1,
          resourceVersion: this.nextRv(),
          creationTimestamp: now,
          specHash: parsed.specHash,
        };
        state.resources[parsed.key] = record;
        dirty = true;
      } else if (record.specHash !== parsed.specHash || record.removedAt !== undefined || current) {
        if (record.specHash !== parsed.specHash) {
          record.generation += 1;
          record.specHash = parsed.specHash;
        }
        delete record.removedAt;
        record.resourceVersion = this.nextRv();
        dirty = true;
      }
      changed.push(parsed);
    }
    for (const key of this.entries.keys()) {
      if (!documents.has(key)) removed.push(key);
    }
    for (const [key, record] of Object.entries(state.resources)) {
      if (documents.has(key)) continue;
      if (record.removedAt === undefined) {
        // Removed now, or while the controller was down.
        record.removedAt = now;
        record.resourceVersion = this.nextRv();
        dirty = true;
      } else if (this.clock.now().getTime() - Date.parse(record.removedAt) > this.removedRetentionMs) {
        delete state.resources[key];
        dirty = true;
        this.logger.info('dropped the state of a manifest removed long ago', { resource: key });
      }
    }

    // New uids must be durable before anyone can launch with them.
    if (dirty) await this.persist();

    const notify: ResourceKey[] = [];
    for (const key of removed) {
      this.entries.delete(key);
      this.logger.info('resource removed from the manifests', { resource: key });
      notify.push(key);
    }
    for (const parsed of changed) {
      const added = !this.entries.has(parsed.key);
      this.install(parsed);
      this.logger.info(added ? 'resource loaded from the manifests' : 'resource changed in the manifests', {
        resource: parsed.key,
        file: parsed.file,
        generation: state.resources[parsed.key]?.generation,
      });
      this.logValidation(parsed);
      notify.push(parsed.key);
    }
    for (const key of notify) this.emit(key);
  }

  /** Builds the cached object from the manifest and the current state record. */
  private install(parsed: ParsedDocument): Entry {
    const record = this.requireState().resources[parsed.key] as StateRecord;
    const resource = structuredClone(parsed.doc) as unknown as EcsScheduledTaskResource;
    const [namespace] = parsed.key.split('/') as [string];
    resource.metadata = {
      ...(isObject(resource.metadata) ? resource.metadata : {}),
      namespace,
      uid: record.uid,
      generation: record.generation,
      resourceVersion: record.resourceVersion,
      creationTimestamp: record.creationTimestamp,
    };
    if (record.status) resource.status = structuredClone(record.status);
    const entry: Entry = { ...parsed, resource };
    this.entries.set(parsed.key, entry);
    return entry;
  }

  private logValidation(parsed: ParsedDocument): void {
    // The reconciler reports these as Stalled; the log line adds where the document is.
    for (const issue of validateResource(parsed.doc)) {
      this.logger.warn(`${parsed.file}:${parsed.index}: ${issue.path}: ${issue.message}`, {
        resource: parsed.key,
        file: parsed.file,
        document: parsed.index,
        field: issue.path,
      });
    }
  }

  private emit(key: ResourceKey): void {
    for (const listener of this.listeners) {
      try {
        listener(key);
      } catch (error) {
        this.logger.error('change listener failed', { resource: key, error });
      }
    }
  }

  private reportProblems(problems: readonly string[]): void {
    const current = new Set(problems);
    for (const problem of current) {
      if (!this.reportedProblems.has(problem)) this.logger.warn(problem, { manifests: this.dir });
    }
    this.reportedProblems = current;
  }

  private async readDocuments(files: readonly FileInfo[]): Promise<{
    documents: Map<ResourceKey, ParsedDocument>;
    brokenFiles: Set<string>;
    problems: string[];
  }> {
    const documents = new Map<ResourceKey, ParsedDocument>();
    const brokenFiles = new Set<string>();
    const problems: string[] = [];
    for (const { path: file } of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        // Deleted between listing and reading: the next read settles it. Anything else is logged.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        problems.push(`${file}: cannot read: ${(error as Error).message}`);
        brokenFiles.add(file);
        continue;
      }
      parseAllDocuments(text).forEach((yamlDoc, i) => {
        const where = `${file}:${i + 1}`;
        if (yamlDoc.errors.length > 0) {
          problems.push(
            `${where}: invalid YAML: ${yamlDoc.errors.map((e) => e.message.split('\n')[0]).join('; ')}`,
          );
          brokenFiles.add(file);
          return;
        }
        if (yamlDoc.contents === null) return;
        let value: unknown;
        try {
          value = yamlDoc.toJS({ maxAliasCount: 100 });
        } catch (error) {
          problems.push(`${where}: invalid YAML: ${(error as Error).message.split('\n')[0]}`);
          brokenFiles.add(file);
          return;
        }
        if (!isObject(value) || value.kind !== KIND) return;
        const metadata = isObject(value.metadata) ? value.metadata : {};
        if (typeof metadata.name !== 'string' || metadata.name === '') {
          problems.push(`${where}: ${KIND} has no metadata.name; skipped`);
          return;
        }
        if (
          metadata.namespace !== undefined &&
          (typeof metadata.namespace !== 'string' || metadata.namespace === '')
        ) {
          problems.push(`${where}: metadata.namespace must be a non-empty string; skipped`);
          return;
        }
        const key = `${metadata.namespace ?? 'default'}/${metadata.name}`;
        const first = documents.get(key);
        if (first) {
          problems.push(`${where}: ${key} is already defined at ${first.file}:${first.index}; skipped`);
          return;
        }
        const { status: _status, ...doc } = value;
        documents.set(key, {
          file,
          index: i + 1,
          key,
          doc,
          docHash: hashOf(doc),
          specHash: hashOf(doc.spec),
        });
      });
    }
    return { documents, brokenFiles, problems };
  }

  private async listFiles(): Promise<FileInfo[]> {
    const files: FileInfo[] = [];
    const visited = new Set<string>();
    const walk = async (dir: string, top: boolean): Promise<void> => {
      let real: string;
      let names;
      try {
        real = await realpath(dir);
        names = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (top) {
          throw new Error(`cannot read the manifests folder ${dir}: ${(error as Error).message}`, {
            cause: error,
          });
        }
        return; // removed while we walked
      }
      // A symlinked folder can point back up the tree.
      if (visited.has(real)) return;
      visited.add(real);
      for (const entry of names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (entry.name.startsWith('.')) continue;
        const path = join(dir, entry.name);
        let info;
        try {
          info =
            entry.isSymbolicLink() || entry.isFile() || entry.isDirectory() ? await stat(path) : undefined;
        } catch {
          continue; // dangling symlink, or removed while we walked
        }
        if (!info) continue;
        if (info.isDirectory()) await walk(path, false);
        else if (info.isFile() && /\.ya?ml$/i.test(entry.name)) {
          files.push({ path, mtimeMs: info.mtimeMs, size: info.size });
        }
      }
    };
    await walk(this.dir, true);
    return files;
  }

  private startWatching(): void {
    const onEvent = () => this.scheduleRescan();
    try {
      this.watcher = watch(this.dir, { recursive: true, persistent: false }, onEvent);
    } catch {
      try {
        // Recursive watching is not available everywhere; polling covers the subfolders.
        this.watcher = watch(this.dir, { persistent: false }, onEvent);
      } catch (error) {
        this.logger.warn('cannot watch the manifests folder; relying on polling', {
          manifests: this.dir,
          error,
        });
        return;
      }
    }
    this.watcher.on('error', (error) => {
      this.logger.warn('watching the manifests folder failed; relying on polling', {
        manifests: this.dir,
        error,
      });
      this.watcher?.close();
      this.watcher = undefined;
    });
  }

  private scheduleRescan(): void {
    if (!this.running || this.cancelDebounce) return;
    this.cancelDebounce = this.clock.setTimer(() => {
      this.cancelDebounce = undefined;
      this.rescanLogged();
    }, this.debounceMs);
  }

  private schedulePoll(): void {
    if (!this.running) return;
    this.cancelPoll = this.clock.setTimer(() => {
      this.cancelPoll = undefined;
      void this.poll().finally(() => this.schedulePoll());
    }, this.pollIntervalMs);
  }

  /** One polling tick: re-read only when a file was added, removed or touched. */
  async poll(): Promise<void> {
    try {
      const signature = signatureOf(await this.listFiles());
      if (signature === this.lastSignature && !this.unsaved) return;
    } catch (error) {
      this.logger.error('cannot list the manifests folder; keeping the resources read before', {
        manifests: this.dir,
        error,
      });
      return;
    }
    await this.rescanLogged();
  }

  private async rescanLogged(): Promise<void> {
    if (!this.running) return;
    try {
      await this.rescan();
    } catch (error) {
      this.logger.error('cannot re-read the manifests; keeping the resources read before', {
        manifests: this.dir,
        error,
      });
    }
  }
}

function signatureOf(files: readonly FileInfo[]): string {
  return files.map((f) => `${f.path}\u0000${f.mtimeMs}\u0000${f.size}`).join('\n');
}
