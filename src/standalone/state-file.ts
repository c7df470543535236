// Standalone mode's local database: one JSON file holding, per resource, what the API server would
// otherwise keep (uid, generation, resourceVersion, creationTimestamp) and the status the
// reconciler wrote. Run records live in that status, so a write that tears would lose history.
//
// Writes are atomic: the new content goes to a temporary file in the same directory, is fsynced,
// renamed over the target, and then the directory is fsynced. rename(2) within one file system
// replaces the target in one step, so after a crash at any point the file holds either the old or
// the new complete content. Temporary files left behind by a crash are removed by the next load.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Status } from '../api/types.js';
import type { ResourceKey } from '../controller/ports.js';
import type { Logger } from '../log/logger.js';

export const STATE_FILE_VERSION = 1;

export interface StateRecord {
  uid: string;
  generation: number;
  /** The store-wide counter value of this record's last change, as a string (as Kubernetes does). */
  resourceVersion: string;
  /** First time the resource was seen in the manifests folder. */
  creationTimestamp: string;
  /** Hash of the spec that `generation` was computed for; a different spec bumps the generation. */
  specHash: string;
  /** Set while the resource's manifest is absent; see ManifestStore for why the record is kept. */
  removedAt?: string;
  status?: Status;
}

export interface StateData {
  version: typeof STATE_FILE_VERSION;
  resources: Record<ResourceKey, StateRecord>;
}

export function emptyState(): StateData {
  return { version: STATE_FILE_VERSION, resources: {} };
}

/** The state file exists but cannot be used: not JSON, or not the shape this version writes. */
export class StateFileCorruptError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`state file ${path} is corrupt: ${detail}`);
    this.name = 'StateFileCorruptError';
  }
}

export class StateFileMissingError extends Error {
  constructor(readonly path: string) {
    super(`state file ${path} does not exist`);
    this.name = 'StateFileMissingError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the shape we rely on; the status itself is the reconciler's business. */
export function parseState(path: string, text: string): StateData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateFileCorruptError(path, `invalid JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new StateFileCorruptError(path, 'the top level is not an object');
  if (value.version !== STATE_FILE_VERSION) {
    throw new StateFileCorruptError(
      path,
      `unsupported version ${JSON.stringify(value.version)} (this ecs-scheduler reads version ${STATE_FILE_VERSION})`,
    );
  }
  if (!isObject(value.resources)) throw new StateFileCorruptError(path, '"resources" is not an object');
  for (const [key, record] of Object.entries(value.resources)) {
    const where = `resources[${JSON.stringify(key)}]`;
    if (!isObject(record)) throw new StateFileCorruptError(path, `${where} is not an object`);
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'specHash'] as const) {
      if (typeof record[field] !== 'string') {
        throw new StateFileCorruptError(path, `${where}.${field} is not a string`);
      }
    }
    if (!Number.isInteger(record.generation)) {
      throw new StateFileCorruptError(path, `${where}.generation is not an integer`);
    }
    if (record.status !== undefined && !isObject(record.status)) {
      throw new StateFileCorruptError(path, `${where}.status is not an object`);
    }
  }
  return value as unknown as StateData;
}

/**
 * Reads and checks a state file. Throws StateFileMissingError or StateFileCorruptError. The file
 * is opened without following a symbolic link and checked on the open handle: every write
 * replaces it by rename, so a link there was put by someone else, and its target is not ours.
 */
export async function readStateFile(path: string): Promise<StateData> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StateFileMissingError(path);
    if (code === 'ELOOP')
      throw new StateFileCorruptError(path, 'it is a symbolic link; refusing to follow it');
    throw error;
  }
  let text: string;
  try {
    if (!(await handle.stat()).isFile()) throw new StateFileCorruptError(path, 'it is not a regular file');
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  return parseState(path, text);
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

const TMP_MARKER = '.tmp-';

/** Replaces `path` with `content` so that a crash leaves either the old or the new file, whole. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `${basename(path)}${TMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
  const handle = await open(tmp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dir);
}

interface PendingWrite {
  state: StateData;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface StateFileOptions {
  readonly path: string;
  readonly logger: Logger;
  /**
   * What `load()` does with a corrupt file. `fail` (default) throws StateFileCorruptError and
   * leaves the file alone: it holds the uids that make RunTask idempotent, so a human should decide.
   * `reset` renames it to `<path>.corrupt-<timestamp>`, logs where it went, and starts empty.
   */
  readonly onCorrupt?: 'fail' | 'reset';
  /** For the `.corrupt-<timestamp>` name only. Default: the system time. */
  readonly now?: () => Date;
  /** How a complete content replaces the file. Default: writeFileAtomic. Tests substitute it. */
  readonly writeFile?: (path: string, content: string) => Promise<void>;
}

/**
 * The state file of one process. Writes are serialized: one at a time, and every `save()` made
 * while a write is in flight is coalesced into the single write that follows it. The state is
 * serialized when that write starts, so it carries every change made up to then.
 */
export class StateFile {
  readonly path: string;
  private readonly logger: Logger;
  private readonly onCorrupt: 'fail' | 'reset';
  private readonly now: () => Date;
  private readonly writeFile: (path: string, content: string) => Promise<void>;
  private inFlight: Promise<void> | undefined;
  private pending: PendingWrite | undefined;

  constructor(options: StateFileOptions) {
    this.path = options.path;
    this.logger = options.logger;
    this.onCorrupt = options.onCorrupt ?? 'fail';
    this.now = options.now ?? (() => new Date());
    this.writeFile = options.writeFile ?? writeFileAtomic;
  }

  /** The stored state; an empty one when the file does not exist yet. */
  async load(): Promise<StateData> {
    await this.removeStaleTemporaryFiles();
    try {
      return await readStateFile(this.path);
    } catch (error) {
      if (error instanceof StateFileMissingError) return emptyState();
      if (error instanceof StateFileCorruptError && this.onCorrupt === 'reset') {
        const aside = `${this.path}.corrupt-${this.now().toISOString().replace(/[:.]/g, '-')}`;
        await rename(this.path, aside);
        this.logger.error('state file is corrupt; moved it aside and starting with an empty state', {
          path: this.path,
          movedTo: aside,
          problem: error.detail,
        });
        return emptyState();
      }
      throw error;
    }
  }

  /**
   * Persists `state`. Resolves once a write that started after this call has reached the disk,
   * so the caller's changes are durable; rejects when that write failed.
   */
  save(state: StateData): Promise<void> {
    if (this.pending) {
      this.pending.state = state;
      return this.pending.promise;
    }
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.pending = { state, promise, resolve, reject };
    if (!this.inFlight) this.startNext();
    return promise;
  }

  /** Waits until every save() made so far has finished (successfully or not). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private startNext(): void {
    const job = this.pending;
    if (!job) return;
    this.pending = undefined;
    this.inFlight = (async () => {
      try {
        await this.writeFile(this.path, `${JSON.stringify(job.state, null, 2)}\n`);
        job.resolve();
      } catch (error) {
        job.reject(error);
      }
    })().finally(() => {
      this.inFlight = undefined;
      this.startNext();
    });
  }

  private async removeStaleTemporaryFiles(): Promise<void> {
    const dir = dirname(this.path);
    const prefix = `${basename(this.path)}${TMP_MARKER}`;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names.filter((n) => n.startsWith(prefix))) {
      // Left by a crash between create and rename; the target is still the previous complete file.
      await unlink(join(dir, name)).catch(() => undefined);
      this.logger.debug('removed a temporary state file left by an earlier crash', { file: join(dir, name) });
    }
  }
}
