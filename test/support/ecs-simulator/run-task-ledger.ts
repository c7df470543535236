// Every RunTask the simulator served, by clientToken and startedBy, so that a test or a benchmark
// counts duplicate launches from what ECS did rather than from what the controller says it did.

/**
 * accepted: tasks were launched (new token, or no token). replay: the token was seen with the
 * same parameters and the earlier tasks were returned. conflict: the token was seen with other
 * parameters (ConflictException). unplaced: nothing launched (every task failed to place).
 */
export type LaunchOutcome = 'accepted' | 'replay' | 'conflict' | 'unplaced';

export interface LedgerEntry {
  /** Epoch ms on the simulator's clock. */
  readonly at: number;
  readonly outcome: LaunchOutcome;
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly startedBy?: string;
  readonly clientToken?: string;
  /**
   * The access key id the call was signed with (SigV4), when it came over HTTP signed: tests that
   * give each controller process its own key tell from the ledger which process sent a RunTask.
   */
  readonly caller?: string;
  /** Tasks asked for. */
  readonly count: number;
  /** Tasks launched by this call (accepted) or returned again (replay, conflict). */
  readonly taskArns: readonly string[];
  /** Placement failures in the answer. */
  readonly failures: number;
}

export interface RunSummary {
  readonly startedBy: string;
  /** Calls that launched tasks. */
  readonly acceptedLaunches: number;
  readonly replays: number;
  readonly conflicts: number;
  readonly tasks: number;
  readonly firstLaunchAt: number;
  readonly lastLaunchAt: number;
}

export interface DuplicateExpectation {
  /**
   * Tasks one run asks for. The launches a run needs are ceil(tasksPerRun / 10) (RunTask starts
   * at most 10); every accepted launch beyond that is a duplicate. Default 1.
   */
  readonly tasksPerRun?: number;
}

export interface LedgerReport {
  readonly accepted: number;
  readonly replays: number;
  readonly conflicts: number;
  readonly unplaced: number;
  readonly tasksLaunched: number;
  /** Distinct startedBy values with at least one accepted launch. */
  readonly runs: number;
  /** Accepted launches beyond what each run needs (see DuplicateExpectation). */
  readonly duplicates: number;
  /** Tasks beyond tasksPerRun, summed over runs. */
  readonly extraTasks: number;
  /** The runs with duplicates, at most 100 of them. */
  readonly duplicateRuns: readonly RunSummary[];
  /** Entries not kept because the ledger was full (counts above still include them). */
  readonly dropped: number;
}

interface MutableRun {
  acceptedLaunches: number;
  replays: number;
  conflicts: number;
  tasks: number;
  firstLaunchAt: number;
  lastLaunchAt: number;
}

const NO_STARTED_BY = '';

export class RunTaskLedger {
  readonly #limit: number;
  #entries: LedgerEntry[] = [];
  #dropped = 0;
  #runs = new Map<string, MutableRun>();
  #counts = { accepted: 0, replays: 0, conflicts: 0, unplaced: 0, tasksLaunched: 0 };

  /** `limit` bounds the entries kept (not the per-run summary, which stays exact). */
  // 200,000 entries is about 60 MiB: a 10,000-resource benchmark of several minutes fits.
  constructor(limit = 200_000) {
    this.#limit = limit;
  }

  record(entry: LedgerEntry): void {
    if (this.#entries.length < this.#limit) this.#entries.push(entry);
    else this.#dropped++;
    const key = entry.startedBy ?? NO_STARTED_BY;
    let run = this.#runs.get(key);
    if (run === undefined) {
      run = {
        acceptedLaunches: 0,
        replays: 0,
        conflicts: 0,
        tasks: 0,
        firstLaunchAt: NaN,
        lastLaunchAt: NaN,
      };
      this.#runs.set(key, run);
    }
    switch (entry.outcome) {
      case 'accepted':
        this.#counts.accepted++;
        this.#counts.tasksLaunched += entry.taskArns.length;
        run.acceptedLaunches++;
        run.tasks += entry.taskArns.length;
        if (Number.isNaN(run.firstLaunchAt)) run.firstLaunchAt = entry.at;
        run.lastLaunchAt = entry.at;
        break;
      case 'replay':
        this.#counts.replays++;
        run.replays++;
        break;
      case 'conflict':
        this.#counts.conflicts++;
        run.conflicts++;
        break;
      case 'unplaced':
        this.#counts.unplaced++;
        break;
    }
  }

  entries(): readonly LedgerEntry[] {
    return this.#entries;
  }

  /** The summary of one run, by its startedBy. */
  run(startedBy: string): RunSummary | undefined {
    const run = this.#runs.get(startedBy);
    return run === undefined ? undefined : { startedBy, ...run };
  }

  /** Every run with at least one accepted launch (launches without startedBy are not a run). */
  runs(): RunSummary[] {
    const out: RunSummary[] = [];
    for (const [startedBy, run] of this.#runs)
      if (startedBy !== NO_STARTED_BY && run.acceptedLaunches > 0) out.push({ startedBy, ...run });
    return out;
  }

  report(expect: DuplicateExpectation = {}): LedgerReport {
    const tasksPerRun = expect.tasksPerRun ?? 1;
    const launchesPerRun = Math.max(1, Math.ceil(tasksPerRun / 10));
    let duplicates = 0;
    let extraTasks = 0;
    let runs = 0;
    const duplicateRuns: RunSummary[] = [];
    for (const run of this.runs()) {
      runs++;
      const extra = Math.max(0, run.acceptedLaunches - launchesPerRun);
      duplicates += extra;
      extraTasks += Math.max(0, run.tasks - tasksPerRun);
      if (extra > 0 && duplicateRuns.length < 100) duplicateRuns.push(run);
    }
    return { ...this.#counts, runs, duplicates, extraTasks, duplicateRuns, dropped: this.#dropped };
  }

  clear(): void {
    this.#entries = [];
    this.#dropped = 0;
    this.#runs = new Map();
    this.#counts = { accepted: 0, replays: 0, conflicts: 0, unplaced: 0, tasksLaunched: 0 };
  }
}
