// The torture scorecard: what happened to every scheduled time, judged from the simulator's
// RunTask ledger (what ECS did) and from every status version a watch saw (what we recorded),
// never from our final status alone. Pure: the driver gathers the facts, this counts them.
import type { FaultKind } from './fault-plan.js';

export interface ExpectedRun {
  /** namespace/name */
  readonly resource: string;
  /** ECS startedBy of this run (`ecss/<uid>/<epochSeconds>`): the ledger's key. */
  readonly startedBy: string;
  readonly scheduledTimeMs: number;
  /** The resource's next scheduled time, even past the load's end (the controller runs on). */
  readonly nextScheduledTimeMs?: number;
  /** Tasks one run asks for (taskCount); more than this in the ledger is a duplicate. */
  readonly tasksWanted: number;
}

export interface LedgerRun {
  readonly startedBy: string;
  readonly acceptedLaunches: number;
  /** Tasks launched under this startedBy, over every accepted RunTask. */
  readonly tasks: number;
  readonly firstLaunchAt: number;
}

export interface FaultWindow {
  readonly kind: FaultKind | 'crash' | 'shard-assignment';
  readonly startMs: number;
  /** When the system had recovered (a new leader running, the API server ready, ECS answering). */
  readonly endMs: number;
}

/** One fault the ECS simulator injected (its fault log), with the request it struck. */
export interface EcsFault {
  readonly at: number;
  readonly operation: string;
  readonly fault: string;
  readonly startedBy?: string;
  readonly clientToken?: string;
  /** latencySpike: the ms added. */
  readonly detail?: number;
}

export interface Crash {
  readonly replica: string;
  readonly atMs: number;
  readonly exit: string;
  readonly lastLine?: string;
}

export interface ScorecardInput {
  readonly scenario: string;
  readonly seed: number;
  readonly command: string;
  readonly expected: readonly ExpectedRun[];
  readonly ledgerRuns: readonly LedgerRun[];
  readonly recorded: ReadonlyMap<string, ReadonlyMap<number, ReadonlySet<string>>>;
  /**
   * status.missedRunsTotal last seen, by resource. A pass that passes over many times keeps only
   * some as run records; the rest are counted here, and are recorded (as Missed) all the same.
   */
  readonly missedRunsTotal: ReadonlyMap<string, number>;
  readonly windows: readonly FaultWindow[];
  /** How long after a window's end a missed run still counts as explained by it. */
  readonly explainSlackMs: number;
  /** How long before a window's start: a run scheduled then may still be in flight when it strikes. */
  readonly explainLeadMs: number;
  /**
   * Every fault the ECS simulator injected. Beside the discrete windows, a missed time is
   * explained by them only when one struck a request of the same resource (its startedBy or
   * clientToken) between the resource's previous scheduled time and the missed time plus
   * `ecsFaultMarginMs`: its launch was being retried when the time came due (coalescing).
   */
  readonly ecsFaults: readonly EcsFault[];
  readonly ecsFaultMarginMs: number;
  /**
   * Every RunTask the simulator answered (its ledger entries). With the faults they show whether a
   * resource was still held up by ECS when its next time came due, or had been free meanwhile.
   */
  readonly ledgerEntries: readonly {
    readonly at: number;
    readonly outcome: string;
    readonly startedBy?: string;
  }[];
  /** How long before the next time a call may end and the pass still not get round to the missed one. */
  readonly passSlackMs: number;
  readonly statusVersionsSeen: number;
  readonly invalidStatuses: readonly { resource: string; resourceVersion: string; issues: string[] }[];
  readonly unexpectedCrashes: readonly Crash[];
  readonly injected: Readonly<Record<string, number>>;
}

/** The injected ECS faults that explain a missed time: how many, and the first few. */
export interface EcsFaultEvidence {
  readonly kind: 'ecs-faults';
  /** The window searched: from the resource's previous scheduled time to the margin's end. */
  readonly start: string;
  readonly end: string;
  readonly faults: number;
  readonly examples: readonly { at: string; operation: string; fault: string; startedBy?: string }[];
  /** What held the resource up until its next time came due: a failed call, or one in flight. */
  readonly heldUpBy: { readonly at: string; readonly what: string };
}

/** Faults that fail the call, so the pass ends with an error and comes back after a backoff. */
const FAILING = new Set(['serverError', 'throttle', 'lostResponse', 'hangAfterLaunch', 'blackHole']);
/** A call held this long by the simulator; the others are answered at once. */
const heldMs = (f: EcsFault) => (f.fault === 'latencySpike' ? (f.detail ?? 0) : 0);

export interface MissedRun {
  readonly resource: string;
  readonly scheduledTime: string;
  readonly explainedBy: { kind: string; start: string; end: string } | EcsFaultEvidence | null;
  /** Why injected faults found around an unexplained miss do not explain it. */
  readonly notExplainedBecause?: string;
}

export interface DuplicateRun {
  readonly resource: string;
  readonly scheduledTime: string;
  readonly tasks: number;
  readonly wanted: number;
  readonly launches: number;
}

export interface Scorecard {
  readonly scenario: string;
  readonly seed: number;
  readonly command: string;
  readonly injected: Readonly<Record<string, number>>;
  readonly scheduledTimes: number;
  /** Launched, and with no more tasks than the run asked for. */
  readonly launchedExactlyOnce: number;
  /** Tasks beyond what their run asked for, from the simulator's ledger (never from status). */
  readonly duplicates: number;
  /** The runs with duplicates (at most 20). */
  readonly duplicateRuns: readonly DuplicateRun[];
  /** Not launched and recorded with another result (Skipped by Forbid, LaunchFailed...). */
  readonly notLaunchedByResult: Readonly<Record<string, number>>;
  /** Recorded Missed: as a run record, or only counted in status.missedRunsTotal. */
  readonly missed: {
    readonly total: number;
    readonly countedOnly: number;
    /** Explained by a kill, pause, restart, black hole or crash window. */
    readonly explainedByFaultWindows: number;
    /** Explained by injected ECS faults on the same resource's launches (see ScorecardInput.ecsFaults). */
    readonly explainedByEcsFaults: number;
    readonly unexplained: number;
    readonly runs: readonly MissedRun[];
  };
  /** Neither launched nor ever recorded. */
  readonly lost: {
    readonly total: number;
    readonly runs: readonly { resource: string; scheduledTime: string }[];
  };
  /**
   * Launched (the ledger says so) but never seen in a status, with the first few: the status
   * watch may miss a version, so each one is a lead to follow in the replicas' logs.
   */
  readonly launchedButUnrecorded: {
    readonly total: number;
    readonly runs: readonly { resource: string; scheduledTime: string; startedBy: string }[];
  };
  /**
   * Launched (the ledger says so) yet recorded `Missed`: the controller lost track of a launch,
   * e.g. one made by a past owner that its successor did not look up. Always a failure.
   */
  readonly launchedButMissed: {
    readonly total: number;
    readonly runs: readonly { resource: string; scheduledTime: string; startedBy: string }[];
  };
  readonly statusVersionsSeen: number;
  readonly invalidStatus: { readonly total: number; readonly examples: ScorecardInput['invalidStatuses'] };
  readonly unexpectedCrashes: readonly Crash[];
  readonly launchDelayOutsideFaultsMs: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly runs: number;
  };
  /** The Done criteria of the torture suite: all must be 0. */
  readonly verdict: { readonly pass: boolean; readonly failures: readonly string[] };
}

const iso = (ms: number) => new Date(ms).toISOString();
const EVIDENCE_EXAMPLES = 5;
/** Duplicated and unrecorded runs listed in the JSON; the counts cover them all. */
const EXAMPLES_KEPT = 20;

/**
 * The faults that struck one resource's requests, by resource, oldest first. A resource's requests
 * are known by the run identity: startedBy `ecss/<uid>/<suffix>`, clientToken `<uid>-<suffix>`.
 */
function byResource<T extends { at: number; startedBy?: string; clientToken?: string }>(
  expected: readonly ExpectedRun[],
  faults: readonly T[],
): Map<string, T[]> {
  const prefixes = new Map<string, { startedBy: string; token: string }>();
  for (const run of expected) {
    if (prefixes.has(run.resource)) continue;
    const startedBy = run.startedBy.slice(0, run.startedBy.lastIndexOf('/') + 1);
    prefixes.set(run.resource, { startedBy, token: `${startedBy.slice('ecss/'.length, -1)}-` });
  }
  const out = new Map<string, T[]>();
  for (const [resource, p] of prefixes) {
    const mine = faults.filter(
      (f) => f.startedBy?.startsWith(p.startedBy) === true || f.clientToken?.startsWith(p.token) === true,
    );
    out.set(
      resource,
      mine.sort((a, b) => a.at - b.at),
    );
  }
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function scorecard(input: ScorecardInput): Scorecard {
  const ledger = new Map(input.ledgerRuns.map((r) => [r.startedBy, r]));
  const within = (t: number) =>
    input.windows.find((w) => t >= w.startMs - input.explainLeadMs && t <= w.endMs + input.explainSlackMs);
  let exactlyOnce = 0;
  const unrecorded: { resource: string; scheduledTime: string; startedBy: string }[] = [];
  let unrecordedTotal = 0;
  const launchedMissed: { resource: string; scheduledTime: string; startedBy: string }[] = [];
  let launchedMissedTotal = 0;
  let duplicates = 0;
  let countedOnly = 0;
  const duplicateRuns: DuplicateRun[] = [];
  // Missed times counted but not kept as records, per resource: what is left to account for.
  const countedBudget = new Map<string, number>();
  for (const [resource, total] of input.missedRunsTotal) {
    let listed = 0;
    for (const results of input.recorded.get(resource)?.values() ?? []) if (results.has('Missed')) listed++;
    countedBudget.set(resource, Math.max(0, total - listed));
  }
  const notLaunched: Record<string, number> = {};
  const missed: MissedRun[] = [];
  const lost: { resource: string; scheduledTime: string }[] = [];
  const delays: number[] = [];
  const resourceFaults = byResource(input.expected, input.ecsFaults);
  const resourceLaunches = byResource(input.expected, input.ledgerEntries);
  const previousTime = new Map<string, number>();
  const nextTime = new Map<string, number>();
  {
    const last = new Map<string, number>();
    for (const run of [...input.expected].sort((a, b) => a.scheduledTimeMs - b.scheduledTimeMs)) {
      const before = last.get(run.resource);
      if (before !== undefined) {
        previousTime.set(`${run.resource} ${run.scheduledTimeMs}`, before);
        nextTime.set(`${run.resource} ${before}`, run.scheduledTimeMs);
      }
      last.set(run.resource, run.scheduledTimeMs);
    }
  }
  /**
   * A missed time is explained by ECS faults when (1) a fault struck the resource's requests
   * between its previous time and the missed time + margin, and (2) ECS still held the resource up
   * when the next time came due: its last call before then failed (the pass ended in an error and
   * backed off), or was answered less than passSlackMs before it (or after it). Otherwise a pass
   * could have launched the missed time alone, late but inside its deadline; coalescing it then is
   * the controller's doing, and the miss stays unexplained with the reason.
   */
  const ecsEvidence = (run: ExpectedRun): { evidence: EcsFaultEvidence | null; because?: string } => {
    const key = `${run.resource} ${run.scheduledTimeMs}`;
    // The first time has no previous one in the load: a lead as long as a window's stands in.
    const from = previousTime.get(key) ?? run.scheduledTimeMs - input.explainLeadMs;
    const to = run.scheduledTimeMs + input.ecsFaultMarginMs;
    const faults = resourceFaults.get(run.resource) ?? [];
    const hits = faults.filter((f) => f.at >= from && f.at <= to);
    if (hits.length === 0) return { evidence: null };
    const found = `${hits.length} injected fault(s) on its requests from ${iso(from)} to ${iso(to)}`;
    const next = run.nextScheduledTimeMs ?? nextTime.get(key);
    // A time with no next one in the load was coalesced by no later time: nothing held it up.
    if (next === undefined) return { evidence: null, because: `${found}, but no later time was due` };
    // The resource's calls sent before the next time, by when they were answered. A latency spike delays the answer of the call it struck, whatever that answer is; the other
    // entries of that call (same moment, operation and startedBy) are answered as late.
    const spikes = new Map<string, number>();
    const callKey = (at: number, operation: string, startedBy?: string) => `${at} ${operation} ${startedBy}`;
    for (const f of faults) if (heldMs(f) > 0) spikes.set(callKey(f.at, f.operation, f.startedBy), heldMs(f));
    const answered = [
      ...(resourceLaunches.get(run.resource) ?? []).map((e) => ({
        at: e.at,
        answeredAt: e.at + (spikes.get(callKey(e.at, 'RunTask', e.startedBy)) ?? 0),
        what: `RunTask ${e.outcome}`,
        fault: '',
      })),
      ...faults.map((f) => ({
        at: f.at,
        answeredAt: f.at + (spikes.get(callKey(f.at, f.operation, f.startedBy)) ?? 0),
        what: `${f.operation} ${f.fault}`,
        fault: f.fault,
      })),
    ]
      .filter((e) => e.at < next)
      // On a tie the fault is the answer (a lost response is logged with its launch).
      .sort((a, b) => a.answeredAt - b.answeredAt || (a.fault === '' ? -1 : 0) - (b.fault === '' ? -1 : 0));
    const last = answered[answered.length - 1];
    const describe = (e: { at: number; answeredAt: number; what: string }) => ({
      at: iso(e.at),
      what: e.answeredAt > e.at ? `${e.what}, answered ${e.answeredAt - e.at} ms late` : e.what,
    });
    // Held: its last call before the next time failed (the pass ends in an error and backs off), or
    // was answered so close to the next time (or after it) that no pass could plan before then.
    const held =
      last !== undefined && (FAILING.has(last.fault) || last.answeredAt >= next - input.passSlackMs)
        ? describe(last)
        : undefined;
    if (held === undefined)
      return {
        evidence: null,
        because:
          `${found}, but its last ECS call before the next time ${iso(next)} ` +
          (last === undefined
            ? 'was none'
            : `(${last.what}, sent ${iso(last.at)}, answered ${iso(last.answeredAt)})`) +
          ': it was free to launch this one alone, inside its deadline',
      };
    return {
      evidence: {
        kind: 'ecs-faults',
        start: iso(from),
        end: iso(to),
        faults: hits.length,
        examples: hits.slice(0, EVIDENCE_EXAMPLES).map((f) => ({
          at: iso(f.at),
          operation: f.operation,
          fault: f.fault,
          ...(f.startedBy === undefined ? {} : { startedBy: f.startedBy }),
        })),
        heldUpBy: held,
      },
    };
  };
  for (const run of input.expected) {
    const launched = ledger.get(run.startedBy);
    const results = input.recorded.get(run.resource)?.get(run.scheduledTimeMs) ?? new Set<string>();
    if (launched !== undefined && launched.acceptedLaunches > 0) {
      const extra = Math.max(0, launched.tasks - run.tasksWanted);
      if (extra === 0) exactlyOnce++;
      duplicates += extra;
      if (extra > 0 && duplicateRuns.length < EXAMPLES_KEPT)
        duplicateRuns.push({
          resource: run.resource,
          scheduledTime: iso(run.scheduledTimeMs),
          tasks: launched.tasks,
          wanted: run.tasksWanted,
          launches: launched.acceptedLaunches,
        });
      if (results.size === 0) {
        unrecordedTotal++;
        if (unrecorded.length < EXAMPLES_KEPT)
          unrecorded.push({
            resource: run.resource,
            scheduledTime: iso(run.scheduledTimeMs),
            startedBy: run.startedBy,
          });
      }
      if (results.has('Missed')) {
        launchedMissedTotal++;
        if (launchedMissed.length < EXAMPLES_KEPT)
          launchedMissed.push({
            resource: run.resource,
            scheduledTime: iso(run.scheduledTimeMs),
            startedBy: run.startedBy,
          });
      }
      if (within(run.scheduledTimeMs) === undefined)
        delays.push(launched.firstLaunchAt - run.scheduledTimeMs);
      continue;
    }
    const budget = countedBudget.get(run.resource) ?? 0;
    const counted = results.size === 0 && budget > 0;
    if (counted) {
      countedBudget.set(run.resource, budget - 1);
      countedOnly++;
    }
    if (results.size === 0 && !counted) {
      lost.push({ resource: run.resource, scheduledTime: iso(run.scheduledTimeMs) });
    } else if (counted || results.has('Missed')) {
      const w = within(run.scheduledTimeMs);
      const ecs = w ? undefined : ecsEvidence(run);
      missed.push({
        resource: run.resource,
        scheduledTime: iso(run.scheduledTimeMs),
        explainedBy: w ? { kind: w.kind, start: iso(w.startMs), end: iso(w.endMs) } : (ecs?.evidence ?? null),
        ...(ecs?.because === undefined ? {} : { notExplainedBecause: ecs.because }),
      });
    } else {
      for (const result of results) notLaunched[result] = (notLaunched[result] ?? 0) + 1;
    }
  }
  delays.sort((a, b) => a - b);
  const unexplained = missed.filter((m) => m.explainedBy === null).length;
  const byEcsFaults = missed.filter((m) => m.explainedBy?.kind === 'ecs-faults').length;
  const failures: string[] = [];
  if (duplicates > 0) failures.push(`${duplicates} duplicate task(s)`);
  if (lost.length > 0) failures.push(`${lost.length} lost run(s)`);
  if (input.invalidStatuses.length > 0)
    failures.push(`${input.invalidStatuses.length} invalid status version(s)`);
  if (unexplained > 0) failures.push(`${unexplained} unexplained missed run(s)`);
  if (launchedMissedTotal > 0) failures.push(`${launchedMissedTotal} launched run(s) recorded as Missed`);
  if (input.unexpectedCrashes.length > 0)
    failures.push(`${input.unexpectedCrashes.length} unexpected crash(es)`);
  return {
    scenario: input.scenario,
    seed: input.seed,
    command: input.command,
    injected: input.injected,
    scheduledTimes: input.expected.length,
    launchedExactlyOnce: exactlyOnce,
    duplicates,
    duplicateRuns,
    notLaunchedByResult: notLaunched,
    missed: {
      total: missed.length,
      countedOnly,
      explainedByFaultWindows: missed.length - byEcsFaults - unexplained,
      explainedByEcsFaults: byEcsFaults,
      unexplained,
      runs: missed,
    },
    lost: { total: lost.length, runs: lost },
    launchedButUnrecorded: { total: unrecordedTotal, runs: unrecorded },
    launchedButMissed: { total: launchedMissedTotal, runs: launchedMissed },
    statusVersionsSeen: input.statusVersionsSeen,
    invalidStatus: { total: input.invalidStatuses.length, examples: input.invalidStatuses.slice(0, 10) },
    unexpectedCrashes: input.unexpectedCrashes,
    launchDelayOutsideFaultsMs: {
      p50: percentile(delays, 50),
      p99: percentile(delays, 99),
      max: delays.length === 0 ? 0 : delays[delays.length - 1]!,
      runs: delays.length,
    },
    verdict: { pass: failures.length === 0, failures },
  };
}

/** The scorecard as a few lines of text, for the terminal and the README. */
export function formatScorecard(s: Scorecard): string {
  const d = s.launchDelayOutsideFaultsMs;
  const notLaunched = Object.entries(s.notLaunchedByResult)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  return [
    `torture scorecard: ${s.scenario}, seed ${s.seed}`,
    `  command:                      ${s.command}`,
    `  injected:                     ${Object.entries(s.injected)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  scheduled times:              ${s.scheduledTimes}`,
    `  launched exactly once:        ${s.launchedExactlyOnce}`,
    `  duplicate tasks (ledger):     ${s.duplicates}`,
    `  not launched, recorded as:    ${notLaunched || 'none'}`,
    `  missed:                       ${s.missed.total} (${s.missed.countedOnly} only counted)`,
    `  missed, explained by fault windows:       ${s.missed.explainedByFaultWindows}`,
    `  missed, explained by injected ECS faults: ${s.missed.explainedByEcsFaults}`,
    `  missed, unexplained:                      ${s.missed.unexplained}`,
    `  lost:                         ${s.lost.total}`,
    `  launched but never recorded:  ${s.launchedButUnrecorded.total}`,
    `  launched but recorded Missed: ${s.launchedButMissed.total}`,
    `  status versions seen/invalid: ${s.statusVersionsSeen} / ${s.invalidStatus.total}`,
    `  unexpected crashes:           ${s.unexpectedCrashes.length}`,
    `  launch delay outside faults:  p50 ${d.p50} ms, p99 ${d.p99} ms, max ${d.max} ms (${d.runs} runs)`,
    `  verdict:                      ${s.verdict.pass ? 'PASS' : `FAIL: ${s.verdict.failures.join('; ')}`}`,
  ].join('\n');
}
