// The ResourceStore of standalone mode: manifests from a folder stand in for the API server, and
// the state file stands in for etcd. The reconciler cannot tell the difference. The pieces:
// - manifest-files.ts turns the folder into YAML documents (and refuses what it must not read);
// - object-metadata.ts assigns uid, generation and resourceVersion, and keeps them in the state
//   file's records;
// - folder-read.ts sorts a read of the folder into resources (and reports anything else), and
//   folder-watcher.ts says when to read again (fs.watch and polling);
// - this store applies each read to its cache, writes status, and holds the state file's lock so
//   that a second process on the same file refuses to start.
//
// `kind: EcsScheduleCalendar` documents are the calendars (this.calendars) the resources name.
// Only `kind: EcsScheduledTask` documents become resources. `EcsSchedulerPolicy` and `Namespace`
// documents are reported and not honoured: tenants write this folder, so policies come from their
// own folder (policy-folder.ts, `--policies`). A document that is not YAML, or has
// no usable name, is logged as `file:document: problem` and skipped. When a file cannot be read
// or has a YAML syntax error (often a half-saved edit), what it held last is kept until it reads
// cleanly again, as `kubectl apply` of a broken file would not delete anything either. Schema
// problems do not hide a resource: it is stored, and the reconciler marks it Stalled.
import type { EcsScheduleCalendarResource } from '../api/calendar-types.js';
import { validateCalendar } from '../api/calendar-validation.js';
import type { EcsScheduledTaskResource, Status } from '../api/types.js';
import type { CalendarSource } from '../controller/calendar-port.js';
import { validateResource } from '../api/validation.js';
import type { Clock } from '../controller/clock.js';
import { ConflictError, TransientError } from '../controller/errors.js';
import { keyOf, type ResourceKey, type ResourceStore } from '../controller/ports.js';
import type { Logger } from '../log/logger.js';
import { folderSignature, readFolder, type FolderRead, type ParsedDocument } from './folder-read.js';
import { FolderWatcher } from './folder-watcher.js';
import { listManifestFiles } from './manifest-files.js';
import { ObjectMetadata } from './object-metadata.js';
import { StateFile } from './state-file.js';
import { StateLock } from './state-lock.js';

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
  /** Hold `<state file>.lock` while running. Default true; read-only tools turn it off. */
  readonly lock?: StateLock | boolean;
  /** Folders inside `dir` not to read: the policies folder, when it sits there. */
  readonly skip?: readonly string[];
}

export type ChangeListener = (key: ResourceKey) => void;

interface Entry extends ParsedDocument {
  readonly resource: EcsScheduledTaskResource;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class ManifestStore implements ResourceStore {
  private readonly dir: string;
  private readonly stateFile: StateFile;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly removedRetentionMs: number;
  private readonly lock: StateLock | undefined;
  private readonly skip: readonly string[];

  private metadata: ObjectMetadata | undefined;
  private entries = new Map<ResourceKey, Entry>();
  private readonly listeners = new Set<ChangeListener>();
  private calendarEntries = new Map<
    ResourceKey,
    { readonly file: string; readonly docHash: string; readonly calendar: EcsScheduleCalendarResource }
  >();
  private readonly calendarListeners: ((namespace: string, name: string) => void)[] = [];

  /** The EcsScheduleCalendars of the folder, for spec.excludeCalendars. */
  readonly calendars: CalendarSource = {
    get: (namespace, name) => this.calendarEntries.get(`${namespace}/${name}`)?.calendar,
    onChange: (listener) => void this.calendarListeners.push(listener),
  };
  /** Set when the in-memory state has changes a failed write did not persist. */
  private unsaved = false;
  private synced = false;
  private running = false;
  private lastSignature = '';
  /** Problems logged by the previous read; a problem is logged again only after it went away. */
  private reportedProblems = new Set<string>();

  private scanChain: Promise<void> = Promise.resolve();
  private queuedScan: Promise<void> | undefined;
  private readonly watcher: FolderWatcher;

  constructor(options: ManifestStoreOptions) {
    this.dir = options.dir;
    this.logger = options.logger;
    this.clock = options.clock;
    this.stateFile =
      typeof options.stateFile === 'string'
        ? new StateFile({ path: options.stateFile, logger: options.logger })
        : options.stateFile;
    this.watcher = new FolderWatcher({
      dir: options.dir,
      clock: options.clock,
      logger: options.logger,
      watch: options.watch ?? true,
      debounceMs: options.debounceMs ?? 200,
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      onEvent: () => this.rescanLogged(),
      onPoll: () => this.poll(),
    });
    this.removedRetentionMs = options.removedRetentionMs ?? 30 * DAY_MS;
    this.lock =
      options.lock instanceof StateLock
        ? options.lock
        : options.lock === false
          ? undefined
          : new StateLock({ statePath: this.stateFile.path, clock: options.clock, logger: options.logger });
    this.skip = options.skip ?? [];
  }

  /**
   * Takes the state file's lock, loads the state, reads the folder once (listeners hear about
   * every resource found), and then follows the folder. Throws StateFileLockedError when another
   * process holds the state file, and when the state file is corrupt or the folder unreadable.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const taken = await this.lock?.acquire();
    if (taken?.takenOverFrom) {
      this.logger.warn('took over the lock of a process that no longer runs', {
        lock: this.lock?.path,
        previous: taken.takenOverFrom,
      });
    }
    try {
      this.metadata = new ObjectMetadata(await this.stateFile.load(), {
        removedRetentionMs: this.removedRetentionMs,
      });
      this.running = true;
      await this.rescan();
    } catch (error) {
      this.running = false;
      await this.lock?.release();
      throw error;
    }
    this.synced = true;
    this.watcher.start();
  }

  /** Stops following the folder, waits for pending reads and state writes, and releases the lock. */
  async stop(): Promise<void> {
    this.running = false;
    this.watcher.stop();
    await this.scanChain;
    try {
      await this.stateFile.flush();
    } finally {
      await this.lock?.release();
    }
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
    const metadata = this.requireMetadata();
    if (!this.entries.has(key)) throw new ConflictError(`${key} no longer exists`);
    const undo = metadata.writeStatus(key, resource.metadata.resourceVersion, status);
    try {
      await this.persist();
    } catch (error) {
      undo();
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

  private requireMetadata(): ObjectMetadata {
    if (!this.metadata) throw new Error('ManifestStore used before start()');
    return this.metadata;
  }

  private async persist(): Promise<void> {
    // Another process took the file over (we were paused past our lease): its state wins.
    if (this.lock?.lost) throw new Error(`the lock ${this.lock.path} was taken over by another process`);
    this.unsaved = false;
    try {
      await this.stateFile.save(this.requireMetadata().state);
    } catch (error) {
      this.unsaved = true;
      throw error;
    }
  }

  private async scanOnce(): Promise<void> {
    const metadata = this.requireMetadata();
    const { files, skipped } = await listManifestFiles(this.dir, { skip: this.skip });
    const read = await readFolder(files, 'manifests');
    for (const entry of skipped) {
      read.problems.push(`${entry.path}: skipped: ${entry.problem}`);
      read.brokenFiles.add(entry.path);
    }
    this.lastSignature = folderSignature(files, skipped);
    this.reportProblems(read.problems);

    // Keep what a half-saved or unreadable file held, until it reads cleanly again.
    const { documents, brokenFiles } = read;
    for (const entry of this.entries.values()) {
      if (brokenFiles.has(entry.file) && !documents.has(entry.key)) documents.set(entry.key, entry);
    }
    const calendarsChanged = this.applyCalendars(read.calendars, brokenFiles);

    const now = this.clock.now();
    const changed: ParsedDocument[] = [];
    let dirty = this.unsaved;
    for (const parsed of documents.values()) {
      const current = this.entries.get(parsed.key);
      if (current && current.docHash === parsed.docHash) continue;
      if (metadata.observe(parsed.key, parsed.specHash, now, current !== undefined)) dirty = true;
      changed.push(parsed);
    }
    const removed = [...this.entries.keys()].filter((key) => !documents.has(key));
    const absent = metadata.forgetAbsent(new Set(documents.keys()), now);
    if (absent.dirty) dirty = true;
    for (const key of absent.dropped) {
      this.logger.info('dropped the state of a manifest removed long ago', { resource: key });
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
      const entry = this.install(parsed);
      this.logger.info(added ? 'resource loaded from the manifests' : 'resource changed in the manifests', {
        resource: parsed.key,
        file: parsed.file,
        generation: entry.resource.metadata.generation,
      });
      this.logValidation(parsed);
      notify.push(parsed.key);
    }
    for (const key of notify) this.emit(key);
    for (const key of calendarsChanged) this.emitCalendar(key);
  }

  /**
   * Replaces the calendars with a read's (keeping what a broken file held). Returns the keys of
   * the calendars added, changed or removed.
   */
  private applyCalendars(read: FolderRead['calendars'], brokenFiles: ReadonlySet<string>): ResourceKey[] {
    const next = new Map<
      ResourceKey,
      { file: string; docHash: string; calendar: EcsScheduleCalendarResource }
    >();
    for (const [key, located] of read) {
      next.set(key, { file: located.file, docHash: located.docHash, calendar: located.value });
    }
    for (const [key, entry] of this.calendarEntries) {
      if (brokenFiles.has(entry.file) && !next.has(key)) next.set(key, entry);
    }
    const changed: ResourceKey[] = [];
    for (const [key, entry] of next) {
      if (this.calendarEntries.get(key)?.docHash === entry.docHash) continue;
      changed.push(key);
      const located = read.get(key);
      for (const issue of located ? validateCalendar(entry.calendar) : []) {
        this.logger.warn(`${located!.file}:${located!.index}: ${issue.path}: ${issue.message}`, {
          calendar: key,
          file: located!.file,
          document: located!.index,
          field: issue.path,
        });
      }
    }
    for (const key of this.calendarEntries.keys()) if (!next.has(key)) changed.push(key);
    this.calendarEntries = next;
    return changed;
  }

  private emitCalendar(key: ResourceKey): void {
    const slash = key.indexOf('/');
    for (const listener of this.calendarListeners) {
      try {
        listener(key.slice(0, slash), key.slice(slash + 1));
      } catch (error) {
        this.logger.error('calendar change listener failed', { calendar: key, error });
      }
    }
  }

  /** Builds the cached object from the manifest and its assigned metadata. */
  private install(parsed: ParsedDocument): Entry {
    const assigned = this.requireMetadata().get(parsed.key);
    if (!assigned) throw new ConflictError(`${parsed.key} no longer exists`);
    const resource = structuredClone(parsed.doc) as unknown as EcsScheduledTaskResource;
    const [namespace] = parsed.key.split('/') as [string];
    // An object: folder-read.ts accepts only documents with a metadata.name.
    resource.metadata = {
      ...resource.metadata,
      namespace,
      uid: assigned.uid,
      generation: assigned.generation,
      resourceVersion: assigned.resourceVersion,
      creationTimestamp: assigned.creationTimestamp,
    };
    if (assigned.status) resource.status = structuredClone(assigned.status);
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

  /** One polling tick: re-read only when a file was added, removed or touched. */
  async poll(): Promise<void> {
    try {
      const { files, skipped } = await listManifestFiles(this.dir, { skip: this.skip });
      if (folderSignature(files, skipped) === this.lastSignature && !this.unsaved) return;
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
