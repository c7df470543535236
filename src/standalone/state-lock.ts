// One process per state file. Two controllers on one file would both launch every run (each
// believes its own copy of the run history), so the second one refuses to start and names the
// first.
//
// The lock is `<state file>.lock`, created with O_EXCL and holding who made it: pid, host, boot id,
// pid namespace and start time, and a lease: the holder rewrites the file every renew period (on
// the injected clock), so a process that stopped is told apart from one that runs even where its
// pid cannot be checked. lock-lease.ts decides when a lock found on disk may be taken over: at
// once when its pid, in our own pid namespace, no longer runs; otherwise once it has not changed
// for the holder's lease duration. That is what lets a new pod (a new hostname and pid namespace)
// start after an OOM kill or a SIGKILL, while two processes on a shared volume never both run.
// Why not proper-lockfile: it cannot say who holds the lock (the message is the whole point for a
// user who started a second copy by mistake), and it judges staleness by mtime, which is the file
// server's clock against ours.
//
// Taking over a stale lock is serialized by a second O_EXCL file, `<lock>.takeover`, itself
// judged the same way: only its holder may delete a lock, and only after reading it again
// unchanged. Creating the new lock stays O_EXCL, so however processes interleave, at most one
// holds the lock. Renewals replace the file by rename, so a reader never sees half of one.
//
// The holder's fence (holds()) closes when its last renewal is older than its lease minus the
// margin: a holder paused past its lease launches nothing when it resumes, and its next renewal
// finds the lock taken and reports the loss.
import { constants, readFileSync, readlinkSync } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock, type Clock } from '../controller/clock.js';
import type { Logger } from '../log/logger.js';
import { judgeLock, type LockHolder, type Observation, type ProcessProbe } from './lock-lease.js';
import { writeFileAtomic } from './state-file.js';

export type { LockHolder } from './lock-lease.js';

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
  /** Who we are. Defaults: this process, `host` (or this host), its boot id and pid namespace, now. */
  readonly self?: LockHolder;
  /** The host name written in the lock and compared with a holder's. Default: os.hostname(). */
  readonly host?: string;
  /** Whether a process with this pid runs on this host. Default: kill(pid, 0). */
  readonly isRunning?: (pid: number) => boolean;
  /** When the process with this pid started, in ticks since boot. Default: /proc on Linux. */
  readonly processStartTicks?: (pid: number) => number | undefined;
  /** The pause before looking again while another process takes over. Default 20 ms × attempt. */
  readonly pause?: (attempt: number) => Promise<void>;
  /** Renewal timers. Default: the system clock. */
  readonly clock?: Clock;
  /** Lease expiry, watching other holders and the fence, in ms. Default: performance.now(). */
  readonly monotonicNow?: () => number;
  /** Waits `ms` before reading a watched lock again. Default: a timer that keeps the process alive. */
  readonly wait?: (ms: number) => Promise<void>;
  /** How long our lock stays ours without a renewal. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** How often we renew. Default 2 s. */
  readonly renewPeriodMs?: number;
  /** Renewal failures and the loss of the lock. Default: nothing is logged. */
  readonly logger?: Logger;
  /** Called once when a renewal finds the lock no longer ours. */
  readonly onLost?: (holder: LockHolder | undefined) => void;
}

function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function currentPidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid') || undefined;
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
      ...(typeof value.pidNamespace === 'string' ? { pidNamespace: value.pidNamespace } : {}),
      ...(Number.isSafeInteger(value.startTicks) ? { startTicks: value.startTicks } : {}),
      ...(typeof value.leaseDurationMs === 'number' && value.leaseDurationMs > 0
        ? { leaseDurationMs: value.leaseDurationMs }
        : {}),
      ...(Number.isSafeInteger(value.renewals) ? { renewals: value.renewals } : {}),
      ...(typeof value.renewedAt === 'string' ? { renewedAt: value.renewedAt } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The content of a small file that must not be a symbolic link (the lock and its takeover file
 * are ours alone), or undefined when it does not exist. A symbolic link or a non-regular file
 * under that name is refused.
 */
async function readOwnFile(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP')
      throw new Error(`${path} is a symbolic link; refusing to follow it`, { cause: error });
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${path} is not a regular file`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

const TAKEOVER_ATTEMPTS = 10;
const DEFAULT_LEASE_MS = 15_000;
const DEFAULT_RENEW_MS = 2_000;

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
  readonly #probe: ProcessProbe;
  readonly #pause: (attempt: number) => Promise<void>;
  readonly #clock: Clock;
  readonly #monotonicNow: () => number;
  readonly #wait: (ms: number) => Promise<void>;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #logger: Logger | undefined;
  readonly #onLost: ((holder: LockHolder | undefined) => void) | undefined;
  #held = false;
  #lost = false;
  #renewals = 0;
  /** Our monotonic time when the last write of our lock started; the lease counts from there. */
  #renewedAtMs = 0;
  #cancelRenew: (() => void) | undefined;
  #renewing: Promise<void> | undefined;

  constructor(options: StateLockOptions) {
    this.path = `${options.statePath}.lock`;
    this.#leaseMs = options.leaseDurationMs ?? DEFAULT_LEASE_MS;
    this.#renewMs = options.renewPeriodMs ?? DEFAULT_RENEW_MS;
    const bootId = currentBootId();
    const pidNamespace = currentPidNamespace();
    const startTicks = procStartTicks(process.pid);
    this.#self = options.self ?? {
      pid: process.pid,
      host: options.host ?? hostname(),
      ...(bootId === undefined ? {} : { bootId }),
      ...(pidNamespace === undefined ? {} : { pidNamespace }),
      ...(startTicks === undefined ? {} : { startTicks }),
      startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    };
    this.#probe = {
      isRunning: options.isRunning ?? pidRuns,
      startTicks: options.processStartTicks ?? procStartTicks,
    };
    this.#pause = options.pause ?? ((attempt) => sleep(20 * attempt));
    this.#clock = options.clock ?? systemClock;
    this.#monotonicNow = options.monotonicNow ?? (() => performance.now());
    // The clock's timers do not keep the process alive; a start-up waiting on a lock must.
    this.#wait = options.wait ?? ((ms) => sleep(Math.max(0, ms)).then(() => undefined));
    this.#logger = options.logger;
    this.#onLost = options.onLost;
  }

  get held(): boolean {
    return this.#held;
  }

  /** True once a renewal found the lock taken over: this process must write nothing more. */
  get lost(): boolean {
    return this.#lost;
  }

  /**
   * The launch fence: true while the lock is ours, renewed recently enough to stay ours for
   * `marginMs` more on our own clock.
   */
  holds(marginMs: number): boolean {
    return (
      this.#held &&
      !this.#lost &&
      this.#monotonicNow() + Math.max(0, marginMs) < this.#renewedAtMs + this.#leaseMs
    );
  }

  /**
   * Takes the lock, taking over one left by a process that no longer runs or no longer renews
   * (which may take up to that holder's lease duration to tell). Throws StateFileLockedError,
   * naming the holder, when another live process has it. Returns the stale holder taken over
   * from, if any.
   */
  async acquire(): Promise<{ takenOverFrom?: LockHolder }> {
    if (this.#held) return {};
    const observed = new Map<string, Observation>();
    const takeoverPath = `${this.path}.takeover`;
    let contended = 0;
    for (;;) {
      if (await this.#create(this.path)) return this.#took(undefined);
      const text = await readOwnFile(this.path);
      if (text === undefined) continue; // released in between: try again
      const holder = parseHolder(text);
      const verdict = this.#judge(this.path, text, holder, observed);
      if (verdict.kind === 'refuse') throw new StateFileLockedError(this.path, holder, verdict.detail);
      if (verdict.kind === 'wait') {
        const waitMs = verdict.untilMs - this.#monotonicNow();
        this.#logger?.info(
          'the state file is locked by a process that cannot be checked from here: waiting for its lease ' +
            'to expire unrenewed (taken over then) or to be renewed (refused then)',
          { lock: this.path, holder, waitMs: Math.round(waitMs) },
        );
        await this.#wait(waitMs);
        continue;
      }
      if (await this.#takeOver(text)) return this.#took(holder);
      // Someone else holds the takeover file: judge it as a lock of its own.
      const other = await readOwnFile(takeoverPath);
      if (other !== undefined) {
        const otherVerdict = this.#judge(takeoverPath, other, parseHolder(other), observed);
        if (otherVerdict.kind === 'wait') {
          await this.#wait(otherVerdict.untilMs - this.#monotonicNow());
          continue;
        }
        // A takeover abandoned by a crash would block every later start.
        if (otherVerdict.kind === 'take') {
          await unlink(takeoverPath).catch(() => undefined);
          continue;
        }
      }
      // Another process is taking over, or took over: look again shortly.
      if (++contended >= TAKEOVER_ATTEMPTS) break;
      await this.#pause(contended);
    }
    // Still contended: someone is taking the lock over right now, and that one will hold it.
    const read = (path: string) =>
      readOwnFile(path).then((t) => (t === undefined ? undefined : parseHolder(t)));
    const holder = (await read(takeoverPath).catch(() => undefined)) ?? (await read(this.path));
    throw new StateFileLockedError(
      this.path,
      holder,
      'It is starting up on this state file; stop it first, or give this one another --state file.',
    );
  }

  /** Stops renewing and removes the lock, if it is still ours. */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    this.#cancelRenew?.();
    this.#cancelRenew = undefined;
    await this.#renewing;
    const text = await readOwnFile(this.path).catch(() => undefined);
    const holder = text === undefined ? undefined : parseHolder(text);
    if (holder && this.#isSelf(holder)) await unlink(this.path).catch(() => undefined);
  }

  #judge(path: string, text: string, holder: LockHolder | undefined, observed: Map<string, Observation>) {
    const verdict = judgeLock({
      text,
      holder,
      self: this.#self,
      nowMs: this.#monotonicNow(),
      observed: observed.get(path),
      probe: this.#probe,
    });
    if (verdict.kind === 'wait') observed.set(path, verdict.observation);
    return verdict;
  }

  #took(previous: LockHolder | undefined): { takenOverFrom?: LockHolder } {
    this.#held = true;
    this.#lost = false;
    this.#scheduleRenewal();
    void this.#removeStaleTemporaryFiles();
    return previous ? { takenOverFrom: previous } : {};
  }

  /** The record we write: who we are, and the lease. */
  #record(): LockHolder {
    return {
      ...this.#self,
      leaseDurationMs: this.#leaseMs,
      renewals: this.#renewals,
      renewedAt: this.#clock.now().toISOString(),
    };
  }

  #isSelf(holder: LockHolder): boolean {
    return (
      holder.pid === this.#self.pid &&
      holder.host === this.#self.host &&
      holder.startedAt === this.#self.startedAt
    );
  }

  #scheduleRenewal(): void {
    this.#cancelRenew = this.#clock.setTimer(() => {
      this.#cancelRenew = undefined;
      this.#renewing = this.renew().finally(() => {
        this.#renewing = undefined;
        if (this.#held && !this.#lost) this.#scheduleRenewal();
      });
    }, this.#renewMs);
  }

  /** Resolves once the renewal in flight, if any, has finished and the next one is scheduled. */
  async settled(): Promise<void> {
    await this.#renewing;
  }

  /**
   * One renewal: rewrites the lock if it is still ours. Tests call this directly instead of
   * waiting for the timer. A failed write is retried on the next period; the fence closes if
   * none lands within the lease.
   */
  async renew(): Promise<void> {
    if (!this.#held || this.#lost) return;
    const startedMs = this.#monotonicNow();
    try {
      const text = await readOwnFile(this.path);
      const holder = text === undefined ? undefined : parseHolder(text);
      if (!holder || !this.#isSelf(holder)) {
        this.#lost = true;
        this.#logger?.error(
          'the state file lock was taken over by another process: this one launches and writes nothing more; restart it',
          { lock: this.path, holder },
        );
        this.#onLost?.(holder);
        return;
      }
      this.#renewals += 1;
      await writeFileAtomic(this.path, `${JSON.stringify(this.#record())}\n`);
      this.#renewedAtMs = startedMs;
    } catch (error) {
      this.#logger?.warn('cannot renew the state file lock; retrying', { lock: this.path, error });
    }
  }

  /** Renewals a kill interrupted between create and rename; only the lock's holder removes them. */
  async #removeStaleTemporaryFiles(): Promise<void> {
    const prefix = `${basename(this.path)}.tmp-`;
    const names = await readdir(dirname(this.path)).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith(prefix)))
      await unlink(join(dirname(this.path), name)).catch(() => undefined);
  }

  /** O_EXCL create with our identity; false when the file exists. */
  async #create(path: string): Promise<boolean> {
    let handle;
    const startedMs = this.#monotonicNow();
    try {
      handle = await open(path, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      await handle.writeFile(`${JSON.stringify(this.#record())}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (path === this.path) this.#renewedAtMs = startedMs;
    return true;
  }

  /** Replaces the stale lock whose content was `staleText`, under the takeover lock. */
  async #takeOver(staleText: string): Promise<boolean> {
    const takeover = `${this.path}.takeover`;
    if (!(await this.#create(takeover))) return false;
    try {
      const now = await readOwnFile(this.path);
      // Still the same stale lock? Anything else (released, or a live holder's) is not ours to delete.
      if (now === staleText) await unlink(this.path);
      return await this.#create(this.path);
    } finally {
      await unlink(takeover).catch(() => undefined);
    }
  }
}
