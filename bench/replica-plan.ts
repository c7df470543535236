// The controller bench's scale steps (--replica-plan "3,5@60s,2@120s", --kill-replica-at 60s) and
// the figures of each step: the share of resources moved against the ideal, the handover time,
// runs lost inside and outside the handover windows, and how soon a killed replica's resources
// were launched by the others. Pure: the bench gathers the labels and the ledger, this judges them.
import { assignShard } from '../src/shard/shard-assignment.js';

export interface ReplicaStep {
  /** Milliseconds after the window starts. */
  readonly atMs: number;
  readonly replicas: number;
}

export interface ReplicaPlan {
  readonly initial: number;
  readonly steps: readonly ReplicaStep[];
}

/** "60s", "1.5m", "500ms", or a bare number of seconds, as milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) throw new Error(`"${text}" is not a duration such as 60s, 1.5m or 500ms`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}

/**
 * "3,5@60s,2@120s": start 3 replicas; 60 s into the window scale to 5; at 120 s to 2. Steps must
 * come in time order and change the count, so that every step has a handover to measure.
 */
export function parseReplicaPlan(text: string): ReplicaPlan {
  const parts = text.split(',').map((p) => p.trim());
  const count = (raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`replica plan "${text}": "${raw}" is not a count >= 1`);
    return n;
  };
  const initial = count(parts[0] ?? '');
  const steps: ReplicaStep[] = [];
  let previous = { atMs: -1, replicas: initial };
  for (const part of parts.slice(1)) {
    const [replicas, at, ...rest] = part.split('@');
    if (at === undefined || rest.length > 0)
      throw new Error(`replica plan "${text}": "${part}" is not <replicas>@<time>, e.g. 5@60s`);
    const step = { atMs: parseDuration(at), replicas: count(replicas!) };
    if (step.atMs <= previous.atMs) throw new Error(`replica plan "${text}": steps must come in time order`);
    if (step.replicas === previous.replicas)
      throw new Error(`replica plan "${text}": "${part}" does not change the number of replicas`);
    steps.push(step);
    previous = step;
  }
  return { initial, steps };
}

/** A resource's labels as the bench reads them: its owner, and whether it is being drained. */
export interface OwnerLabels {
  readonly owner: string | undefined;
  readonly draining: boolean;
}

/** Resources per owner ("(none)" for unlabelled ones). */
export function ownerCounts(labels: ReadonlyMap<string, OwnerLabels>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { owner } of labels.values())
    counts.set(owner ?? '(none)', (counts.get(owner ?? '(none)') ?? 0) + 1);
  return counts;
}

/**
 * The handover is over: every resource sits where rendezvous hashing over the live replicas puts
 * it (keys are uids), and none is draining. "Some live owner" is not enough after a scale-up: the
 * labels are all live before the new replicas have won anything.
 */
export function settledOn(labels: ReadonlyMap<string, OwnerLabels>, live: readonly string[]): boolean {
  for (const [uid, { owner, draining }] of labels)
    if (draining || owner === undefined || owner !== assignShard(uid, live)) return false;
  return true;
}

/**
 * The share a scale step from `from` to `to` replicas moves under consistent hashing: a joining
 * replica takes 1/to of everything, a leaving one gives up its 1/from, so |to - from| / max.
 */
export function idealMovedShare(from: number, to: number): number {
  return Math.abs(to - from) / Math.max(from, to);
}

/** Resources whose owner differs between two readings, among those that had an owner before. */
export function movedShare(
  before: ReadonlyMap<string, OwnerLabels>,
  after: ReadonlyMap<string, OwnerLabels>,
): { moved: number; total: number; share: number; unownedBefore: number } {
  // A resource with no owner before the step was being assigned, not moved (a ring still forming).
  let moved = 0;
  let unownedBefore = 0;
  for (const [key, { owner }] of after) {
    const was = before.get(key)?.owner;
    if (was === undefined) unownedBefore++;
    else if (was !== owner) moved++;
  }
  const total = after.size - unownedBefore;
  return { moved, total, share: total === 0 ? NaN : moved / total, unownedBefore };
}

export interface HandoverWindow {
  readonly from: number;
  /** When every resource sat with a live owner again; Infinity if it never did. */
  readonly to: number;
}

export interface ScheduledRun {
  readonly key: string;
  readonly scheduledAt: number;
  /** When ECS first accepted its RunTask (the simulator's ledger); undefined if never. */
  readonly launchedAt?: number;
}

/**
 * Runs never launched, split by the handover window their scheduled time falls in (a window is
 * [step, settled]); `outside` is what the issue counts against us.
 */
export function lostRuns(
  runs: readonly ScheduledRun[],
  windows: readonly HandoverWindow[],
): { lost: number; inWindow: number[]; outside: number } {
  const inWindow = windows.map(() => 0);
  let lost = 0;
  let outside = 0;
  for (const run of runs) {
    if (run.launchedAt !== undefined) continue;
    lost++;
    const i = windows.findIndex((w) => run.scheduledAt >= w.from && run.scheduledAt <= w.to);
    if (i < 0) outside++;
    else inWindow[i]!++;
  }
  return { lost, inWindow, outside };
}

export interface TakeoverFigures {
  /** Resources the killed replica owned. */
  readonly resources: number;
  /** Seconds, ascending: each resource's first launch after the kill minus the kill. */
  readonly sinceKill: number[];
  /**
   * Seconds, ascending: the same launch minus the later of the kill and its scheduled time, i.e.
   * how late the others were. With a schedule such as "H * * * * *", sinceKill mostly measures
   * the wait for the next scheduled time, this the takeover.
   */
  readonly late: number[];
  /** Resources whose first run after the kill was never launched. */
  readonly unlaunched: number;
}

/**
 * How soon the killed replica's resources were launched by the others: for each, its first run
 * not launched before the kill (the dead replica launched nothing after it) that was launched.
 */
export function takeoverAfterKill(
  killedAt: number,
  runsOfKilled: ReadonlyMap<string, readonly ScheduledRun[]>,
): TakeoverFigures {
  const sinceKill: number[] = [];
  const late: number[] = [];
  let unlaunched = 0;
  for (const runs of runsOfKilled.values()) {
    const pending = [...runs]
      .sort((a, b) => a.scheduledAt - b.scheduledAt)
      .filter((r) => r.launchedAt === undefined || r.launchedAt >= killedAt);
    if (pending[0] !== undefined && pending[0].launchedAt === undefined) unlaunched++;
    // A lost run is counted above; the takeover is timed on the first run that was launched.
    const first = pending.find((r) => r.launchedAt !== undefined);
    if (first?.launchedAt === undefined) continue;
    sinceKill.push((first.launchedAt - killedAt) / 1000);
    late.push((first.launchedAt - Math.max(killedAt, first.scheduledAt)) / 1000);
  }
  const ascending = (a: number, b: number) => a - b;
  return {
    resources: runsOfKilled.size,
    sinceKill: sinceKill.sort(ascending),
    late: late.sort(ascending),
    unlaunched,
  };
}

/** "a=1000, b=1000" in a stable order (by owner name). */
export function formatCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([o, n]) => `${o}=${n}`)
    .join(', ');
}

/** What the bench saw of one step (the I/O side, replica-steps.ts, records it). */
export interface ObservedStep {
  readonly label: string;
  readonly from: number;
  readonly to: number;
  readonly at: number;
  readonly before: ReadonlyMap<string, OwnerLabels>;
  readonly after: ReadonlyMap<string, OwnerLabels>;
  readonly settledAt: number;
  readonly killed?: { readonly identity: string; readonly wasSharder: boolean };
  readonly stoppedSharder?: boolean;
}

const seconds = (n: number, digits = 2) => (Number.isFinite(n) ? `${n.toFixed(digits)} s` : 'n/a');
const pct = (share: number) => (Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : 'n/a');
const quantileOf = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

export interface StepFigures {
  readonly label: string;
  readonly movedShare: number;
  readonly idealShare: number;
  readonly withinTenPoints: boolean;
  readonly handoverSeconds: number;
  readonly lostInWindow: number | null;
  readonly takeover?: {
    resources: number;
    unlaunched: number;
    lateMaxSeconds: number;
    lateP50Seconds: number;
  };
}

/**
 * The lines the bench prints for its steps, and their figures for BENCH_RESULT. `runs` are the
 * measured runs keyed by resource uid with their ledger launch; undefined without a ledger (moto).
 */
export function reportSteps(
  steps: readonly ObservedStep[],
  runs: readonly ScheduledRun[] | undefined,
  leaseSeconds: number,
): { lines: string[]; figures: StepFigures[]; lostOutside: number | null } {
  const lines: string[] = [];
  const windows = steps.map((s) => ({ from: s.at, to: s.settledAt }));
  const lost = runs === undefined ? undefined : lostRuns(runs, windows);
  const figures = steps.map((s, i): StepFigures => {
    const moved = movedShare(s.before, s.after);
    const ideal = idealMovedShare(s.from, s.to);
    const handover = (s.settledAt - s.at) / 1000;
    lines.push(
      `step ${s.label}${s.killed ? ` (killed ${s.killed.identity})` : ''}${s.stoppedSharder ? ' (the sharder was among the replicas stopped)' : ''}: ` +
        `owned before ${formatCounts(ownerCounts(s.before))}; after ${formatCounts(ownerCounts(s.after))}`,
    );
    lines.push(
      `  moved ${moved.moved} of ${moved.total} (${pct(moved.share)}; ideal ${pct(ideal)}, ` +
        `${Math.abs(moved.share - ideal) <= 0.1 ? 'within' : 'NOT within'} 10 points` +
        `${moved.unownedBefore > 0 ? `; ${moved.unownedBefore} more had no owner before the step: the ring had not settled` : ''}); ` +
        `handover ${seconds(handover)} ` +
        `(step to every resource with its live owner, none draining); runs lost in this window: ${lost ? lost.inWindow[i] : 'n/a (no ledger)'}`,
    );
    let takeover: StepFigures['takeover'];
    if (s.killed && runs !== undefined) {
      const killed = new Set(
        [...s.before].filter(([, l]) => l.owner === s.killed!.identity).map(([uid]) => uid),
      );
      const byResource = new Map<string, ScheduledRun[]>();
      for (const run of runs)
        if (killed.has(run.key)) byResource.set(run.key, [...(byResource.get(run.key) ?? []), run]);
      const t = takeoverAfterKill(s.at, byResource);
      takeover = {
        resources: killed.size,
        unlaunched: t.unlaunched,
        lateMaxSeconds: t.late.at(-1) ?? NaN,
        lateP50Seconds: quantileOf(t.late, 0.5),
      };
      lines.push(
        `  the killed replica's ${killed.size} resources, first launch by the others (simulator ledger): ` +
          `late by (launch - max(kill, scheduled time)) p50 ${seconds(takeover.lateP50Seconds)}, max ${seconds(takeover.lateMaxSeconds)} ` +
          `(${takeover.lateMaxSeconds <= leaseSeconds ? 'within' : 'NOT within'} the ${leaseSeconds} s Lease duration); ` +
          `since the kill p50 ${seconds(quantileOf(t.sinceKill, 0.5))}, max ${seconds(t.sinceKill.at(-1) ?? NaN)} ` +
          `(includes the wait for each one's next scheduled time); ${t.unlaunched} whose first run after the kill was never launched`,
      );
    }
    return {
      label: s.label,
      movedShare: moved.share,
      idealShare: ideal,
      withinTenPoints: Math.abs(moved.share - ideal) <= 0.1,
      handoverSeconds: handover,
      lostInWindow: lost ? lost.inWindow[i]! : null,
      ...(takeover ? { takeover } : {}),
    };
  });
  if (lost)
    lines.push(
      `runs lost (never launched per the ledger): ${lost.lost}; inside the handover windows ${lost.inWindow.reduce((a, b) => a + b, 0)}, ` +
        `outside them ${lost.outside}`,
    );
  return { lines, figures, lostOutside: lost ? lost.outside : null };
}
