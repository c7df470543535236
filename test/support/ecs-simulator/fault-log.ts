// Every fault the simulator injected, with the request it struck, so that a test can tell a run
// delayed by injected ECS errors from one the controller lost on its own. The log is bounded: the
// newest entries are kept, and counts stay exact beyond the bound.

/**
 * serverError: ServerException, nothing done. throttle: ThrottlingException (injected, not a
 * quota). lostResponse: RunTask launched, then ServerException. hangAfterLaunch: RunTask launched,
 * then no answer. blackHole: never answered. capacity: RunTask tasks that failed to place.
 * latencySpike: answered `latencySpikeMs` late.
 */
export type InjectedFaultKind =
  'serverError' | 'throttle' | 'lostResponse' | 'hangAfterLaunch' | 'blackHole' | 'capacity' | 'latencySpike';

export interface InjectedFault {
  /** Epoch ms on the simulator's clock. */
  readonly at: number;
  readonly operation: string;
  readonly fault: InjectedFaultKind;
  /** The request's startedBy (RunTask, or the ListTasks filter), when it had one. */
  readonly startedBy?: string;
  readonly clientToken?: string;
  /** capacity: tasks not placed; latencySpike: the added ms. */
  readonly detail?: number;
}

export interface FaultLogReport {
  /** Faults by kind, over the whole run (exact even when entries were dropped). */
  readonly counts: Readonly<Record<InjectedFaultKind, number>>;
  readonly total: number;
  /** The oldest entries no longer kept. */
  readonly dropped: number;
}

const emptyCounts = (): Record<InjectedFaultKind, number> => ({
  serverError: 0,
  throttle: 0,
  lostResponse: 0,
  hangAfterLaunch: 0,
  blackHole: 0,
  capacity: 0,
  latencySpike: 0,
});

export class FaultLog {
  readonly #limit: number;
  // A ring: #entries[#head] is the oldest once it is full.
  #entries: InjectedFault[] = [];
  #head = 0;
  #dropped = 0;
  #counts = emptyCounts();

  /** 100,000 entries are about 20 MiB: the long torture run's faults fit. */
  constructor(limit = 100_000) {
    if (!(Number.isInteger(limit) && limit >= 1))
      throw new Error(`fault log limit: must be >= 1, got ${limit}`);
    this.#limit = limit;
  }

  record(entry: InjectedFault): void {
    this.#counts[entry.fault]++;
    if (this.#entries.length < this.#limit) {
      this.#entries.push(entry);
      return;
    }
    this.#entries[this.#head] = entry;
    this.#head = (this.#head + 1) % this.#limit;
    this.#dropped++;
  }

  /** Oldest first; `since` (epoch ms) and `operation` narrow it down. */
  entries(filter: { readonly since?: number; readonly operation?: string } = {}): InjectedFault[] {
    const ordered = [...this.#entries.slice(this.#head), ...this.#entries.slice(0, this.#head)];
    return ordered.filter(
      (e) =>
        (filter.since === undefined || e.at >= filter.since) &&
        (filter.operation === undefined || e.operation === filter.operation),
    );
  }

  report(): FaultLogReport {
    const total = Object.values(this.#counts).reduce((a, b) => a + b, 0);
    return { counts: { ...this.#counts }, total, dropped: this.#dropped };
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#dropped = 0;
    this.#counts = emptyCounts();
  }
}
