// Whether a state-file lock found on disk may be taken over: the pure decision behind StateLock.
//
// Two ways to know that the holder is gone:
// - It shares our kernel and pid namespace (same host, boot id and pid namespace): ask the system
//   whether its pid still runs the process that wrote the lock. Certain, and immediate.
// - Anything else (another host on a shared volume; a new pod, whose hostname and pid namespace
//   are new; a reboot): the holder renews its lock on a period, so a lock whose content has not
//   changed for the holder's lease duration, counted on OUR clock from when we first read it, was
//   left by a process that stopped renewing. Only the content is compared, never the holder's
//   timestamps, so clock skew between hosts does not matter (the same rule as a Kubernetes Lease).
//   A change while we watch means the holder (or a newer one) is alive: we refuse.
// A holder paused for longer than its lease may be taken over; its own fence (StateLock.holds)
// has closed by then, so it launches nothing when it resumes, and its next renewal sees the loss.

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** Linux boot id: the same pid after a reboot is another process. */
  readonly bootId?: string;
  /** Linux pid namespace (`pid:[inode]`): pids are comparable only within one. */
  readonly pidNamespace?: string;
  /** Linux: when the process started, in clock ticks since boot; tells a reused pid apart. */
  readonly startTicks?: number;
  readonly startedAt: string;
  /** How long the lock stays the holder's without a renewal, in ms. */
  readonly leaseDurationMs?: number;
  /** Renewals so far: every renewal changes the file, which is what a watcher looks for. */
  readonly renewals?: number;
  /** When the holder last renewed, on its own clock: for people reading the file only. */
  readonly renewedAt?: string;
}

/** A lock's content as first read, and when (our monotonic clock, ms). */
export interface Observation {
  readonly text: string;
  readonly sinceMs: number;
}

/** What runs on this machine: consulted only for a holder in our own pid namespace. */
export interface ProcessProbe {
  isRunning(pid: number): boolean;
  /** When the process with this pid started, in ticks since boot; undefined when unknown. */
  startTicks(pid: number): number | undefined;
}

export type LockVerdict =
  | { readonly kind: 'take' }
  | { readonly kind: 'refuse'; readonly detail: string }
  /** Look again at `untilMs` (our monotonic clock), remembering `observation`. */
  | { readonly kind: 'wait'; readonly untilMs: number; readonly observation: Observation };

/** A lock written by a version without leases: it never renews, so it expires after this. */
export const DEFAULT_LEASE_DURATION_MS = 15_000;

export interface JudgeInput {
  /** The lock file's content, as read. */
  readonly text: string;
  /** That content parsed; undefined when it names no holder. */
  readonly holder: LockHolder | undefined;
  readonly self: LockHolder;
  /** Our monotonic clock, ms. */
  readonly nowMs: number;
  /** What this same path held when we read it before, if we did. */
  readonly observed: Observation | undefined;
  readonly probe: ProcessProbe;
}

/** True when pids of `holder` can be checked from `self`'s process: same kernel, same namespace. */
export function sharesProcessSpace(holder: LockHolder, self: LockHolder): boolean {
  if (holder.host !== self.host) return false;
  // Off Linux neither side knows its boot id: the host decides, as kill(pid, 0) is all there is.
  if (holder.bootId !== self.bootId) return false;
  // Missing on either side (not Linux, or a lock from an older version): host and boot decide.
  if (holder.pidNamespace !== undefined && self.pidNamespace !== undefined)
    return holder.pidNamespace === self.pidNamespace;
  return true;
}

export function judgeLock(input: JudgeInput): LockVerdict {
  const { holder, self, probe } = input;
  // A lock that names no holder (a kill between its create and its write) can only be watched.
  if (holder && sharesProcessSpace(holder, self)) {
    // Our own pid, but not us: the process that wrote it is gone (a restarted container).
    if (holder.pid === self.pid && holder.startedAt !== self.startedAt) return { kind: 'take' };
    if (!probe.isRunning(holder.pid)) return { kind: 'take' };
    // The pid was reused: what runs under it now is not the process that wrote the lock.
    if (holder.startTicks !== undefined) {
      const ticks = probe.startTicks(holder.pid);
      if (ticks !== undefined && ticks !== holder.startTicks) return { kind: 'take' };
    }
    return { kind: 'refuse', detail: 'Stop that process first, or give this one another --state file.' };
  }
  if (input.observed !== undefined && input.observed.text !== input.text) {
    return {
      kind: 'refuse',
      detail:
        'It renewed its lock while this process watched, so it runs; stop it first, or give this one ' +
        'another --state file.',
    };
  }
  const leaseMs =
    holder?.leaseDurationMs !== undefined && holder.leaseDurationMs > 0
      ? holder.leaseDurationMs
      : DEFAULT_LEASE_DURATION_MS;
  const observation = input.observed ?? { text: input.text, sinceMs: input.nowMs };
  const untilMs = observation.sinceMs + leaseMs;
  if (input.nowMs >= untilMs) return { kind: 'take' };
  return { kind: 'wait', untilMs, observation };
}
