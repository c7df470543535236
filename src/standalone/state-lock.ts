// One process per state file. Two controllers on one file would both launch every run (each
// believes its own copy of the run history), so the second one refuses to start and names the
// first.
//
// The lock is `<state file>.lock`, created with O_EXCL and holding who made it: pid, host, boot id
// and start time. Why not proper-lockfile: it cannot say who holds the lock (the message is the
// whole point for a user who started a second copy by mistake), it decides staleness by an mtime
// that the holder must refresh on a timer (a process paused longer than that silently loses the
// lock), and it adds a dependency. Here, staleness is decided by asking the system whether the
// holder still runs: on the same host and boot, `kill(pid, 0)`. A lock from another host cannot
// be checked (a shared volume): it is never taken over, and the message says how to remove it.
//
// Taking over a stale lock is serialized by a second O_EXCL file, `<lock>.takeover`, itself
// checked the same way: only its holder may delete a lock, and only after reading it again as
// stale. Creating the new lock stays O_EXCL, so however processes interleave, at most one holds
// the lock.
import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** Linux boot id: the same pid after a reboot is another process. */
  readonly bootId?: string;
  /** Linux: when the process started, in clock ticks since boot; tells a reused pid apart. */
  readonly startTicks?: number;
  readonly startedAt: string;
}

export class StateFileLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
    detail: string,
  ) {
    super(
      holder
        ? `the state file is in use by pid ${holder.pid} on host ${holder.host}, running since ${holder.startedAt} ` +
            `(lock ${lockPath}). ${detail}`
        : `the state file is locked by ${lockPath}, which names no holder. ${detail}`,
    );
    this.name = 'StateFileLockedError';
  }
}

export interface StateLockOptions {
  /** Path of the state file; the lock is this path plus `.lock`. */
  readonly statePath: string;
  /** Who we are. Defaults: this process, this host, its boot id, now. */
  readonly self?: LockHolder;
  /** Whether a process with this pid runs on this host. Default: kill(pid, 0). */
  readonly isRunning?: (pid: number) => boolean;
  /** When the process with this pid started, in ticks since boot. Default: /proc on Linux. */
  readonly processStartTicks?: (pid: number) => number | undefined;
  /** The pause before looking again while another process takes over. Default 20 ms × attempt. */
  readonly pause?: (attempt: number) => Promise<void>;
}

function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (
      typeof value.pid !== 'number' ||
      typeof value.host !== 'string' ||
      typeof value.startedAt !== 'string'
    )
      return undefined;
    return {
      pid: value.pid,
      host: value.host,
      startedAt: value.startedAt,
      ...(typeof value.bootId === 'string' ? { bootId: value.bootId } : {}),
      ...(Number.isSafeInteger(value.startTicks) ? { startTicks: value.startTicks } : {}),
    };
  } catch {
    return undefined;
  }
}

const TAKEOVER_ATTEMPTS = 10;
/**
 * When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined
 * off Linux. Together with the boot id it names one process for good, whatever the wall clock does.
 */
function procStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Counted after the command name, which is in parentheses and may hold spaces.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

export class StateLock {
  readonly path: string;
  readonly #self: LockHolder;
  readonly #isRunning: (pid: number) => boolean;
  readonly #processStartTicks: (pid: number) => number | undefined;
  readonly #pause: (attempt: number) => Promise<void>;
  #held = false;

  constructor(options: StateLockOptions) {
    this.path = `${options.statePath}.lock`;
    const bootId = currentBootId();
    const startTicks = procStartTicks(process.pid);
    this.#self = options.self ?? {
      pid: process.pid,
      host: hostname(),
      ...(bootId === undefined ? {} : { bootId }),
      ...(startTicks === undefined ? {} : { startTicks }),
      startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    };
    this.#isRunning = options.isRunning ?? pidRuns;
    this.#processStartTicks = options.processStartTicks ?? procStartTicks;
    this.#pause = options.pause ?? ((attempt) => sleep(20 * attempt));
  }

  get held(): boolean {
    return this.#held;
  }

  /**
   * Takes the lock, taking over one left by a process that no longer runs. Throws
   * StateFileLockedError, naming the holder, when another live (or uncheckable) process has it.
   * Returns the stale holder taken over from, if any.
   */
  async acquire(): Promise<{ takenOverFrom?: LockHolder }> {
    if (this.#held) return {};
    for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
      if (await this.#create(this.path)) {
        this.#held = true;
        return {};
      }
      const text = await readFile(this.path, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // released in between: try again
      const holder = parseHolder(text);
      const verdict = this.#staleness(holder);
      if (verdict !== 'stale') throw new StateFileLockedError(this.path, holder, verdict);
      if (await this.#takeOver(text)) {
        this.#held = true;
        return holder ? { takenOverFrom: holder } : {};
      }
      // Another process is taking over, or took over: look again shortly.
      await this.#pause(attempt + 1);
    }
    // Still contended: someone is taking the lock over right now, and that one will hold it.
    const read = (path: string) => readFile(path, 'utf8').then(parseHolder, () => undefined);
    const holder = (await read(`${this.path}.takeover`)) ?? (await read(this.path));
    throw new StateFileLockedError(
      this.path,
      holder,
      'It is starting up on this state file; stop it first, or give this one another --state file.',
    );
  }

  /** Removes the lock, if it is still ours. */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    const text = await readFile(this.path, 'utf8').catch(() => undefined);
    const holder = text === undefined ? undefined : parseHolder(text);
    if (holder && this.#isSelf(holder)) await unlink(this.path).catch(() => undefined);
  }

  /** 'stale' when the holder certainly no longer runs; otherwise why we must not take over. */
  #staleness(holder: LockHolder | undefined): 'stale' | string {
    if (!holder) return `If no ecs-scheduler uses this state file, delete ${this.path} and start again.`;
    if (holder.host !== this.#self.host) {
      return (
        `It runs on another host, whose processes cannot be checked from here; if it is gone, ` +
        `delete ${this.path} and start again.`
      );
    }
    // After a reboot (or in a restarted container, where we may even have the same pid), the
    // recorded process is gone whatever runs under its pid now.
    if (holder.bootId !== undefined && this.#self.bootId !== undefined && holder.bootId !== this.#self.bootId)
      return 'stale';
    if (holder.pid === this.#self.pid && holder.startedAt !== this.#self.startedAt) return 'stale';
    if (!this.#isRunning(holder.pid)) return 'stale';
    // The pid was reused: what runs under it now is not the process that wrote the lock.
    if (holder.startTicks !== undefined && holder.bootId === this.#self.bootId) {
      const ticks = this.#processStartTicks(holder.pid);
      if (ticks !== undefined && ticks !== holder.startTicks) return 'stale';
    }
    return 'Stop that process first, or give this one another --state file.';
  }

  #isSelf(holder: LockHolder): boolean {
    return (
      holder.pid === this.#self.pid &&
      holder.host === this.#self.host &&
      holder.startedAt === this.#self.startedAt
    );
  }

  /** O_EXCL create with our identity; false when the file exists. */
  async #create(path: string): Promise<boolean> {
    let handle;
    try {
      handle = await open(path, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      await handle.writeFile(`${JSON.stringify(this.#self)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  }

  /** Replaces the stale lock whose content was `staleText`, under the takeover lock. */
  async #takeOver(staleText: string): Promise<boolean> {
    const takeover = `${this.path}.takeover`;
    if (!(await this.#create(takeover))) {
      const other = parseHolder((await readFile(takeover, 'utf8').catch(() => undefined)) ?? '');
      // A takeover abandoned by a crash would block every later start: clear it when its owner is gone.
      if (other !== undefined && this.#staleness(other) === 'stale')
        await unlink(takeover).catch(() => undefined);
      return false;
    }
    try {
      const now = await readFile(this.path, 'utf8').catch(() => undefined);
      // Still the same stale lock? Anything else (released, or a live holder's) is not ours to delete.
      if (now === staleText) await unlink(this.path);
      return await this.#create(this.path);
    } finally {
      await unlink(takeover).catch(() => undefined);
    }
  }
}
