// Launch delay, and how much of it ECS's quotas impose. Pure: the benchmark feeds it the runs it
// measured and the quota profile they ran under.
import { TokenBucket } from '../src/flow/token-bucket.js';
import type { QuotaProfile } from '../test/support/ecs-simulator/quotas.js';

export interface MeasuredRun {
  /** Epoch ms the run was due. */
  readonly scheduledAt: number;
  /** Epoch ms RunTask accepted its tasks; undefined when it never launched. */
  readonly launchedAt?: number;
  /** Tasks the run launches. */
  readonly tasks: number;
  readonly fargate: boolean;
}

export interface DelaySplit {
  /** launchedAt - scheduledAt, seconds, sorted. */
  readonly total: number[];
  /** What an ideal client, calling RunTask for every run the moment it is due, would wait for the quota. */
  readonly quota: number[];
  /** The rest: total - quota, never negative. */
  readonly own: number[];
}

/** RunTask takes at most 10 tasks per call. */
const TASKS_PER_CALL = 10;

/**
 * When each run could launch at the earliest under `quotas`, in the order the runs fell due: the
 * quota's share of the delay. `runs` may include runs before the measured window (they drain the
 * buckets as they did in the benchmark); the result is aligned with `runs`.
 */
export function idealLaunchTimes(runs: readonly MeasuredRun[], quotas: QuotaProfile): number[] {
  let now = 0;
  const bucket = (q: QuotaProfile[keyof QuotaProfile]) =>
    q === undefined
      ? undefined
      : new TokenBucket({
          capacity: q.burst,
          refillPerSecond: q.perSecond,
          now: () => now,
          sleep: () => Promise.resolve(),
        });
  // Runs due at the same time take the quota's slots in the order they actually launched, so
  // that each run's own share compares like with like.
  const launched = (i: number) => runs[i]!.launchedAt ?? Infinity;
  const order = runs
    .map((_, i) => i)
    .sort((a, b) => runs[a]!.scheduledAt - runs[b]!.scheduledAt || launched(a) - launched(b) || a - b);
  const first = order.length > 0 ? runs[order[0]!]!.scheduledAt : 0;
  now = first;
  const runTask = bucket(quotas.runTask);
  const fargateRunTask = bucket(quotas.fargateRunTask);
  const fargateTasks = bucket(quotas.fargateTasks);
  const out = new Array<number>(runs.length);
  let clientTime = first;
  for (const i of order) {
    const run = runs[i]!;
    // One client, calls in due order: a call cannot go before the previous one went.
    let t = Math.max(run.scheduledAt, clientTime);
    for (let left = run.tasks; left > 0; left -= TASKS_PER_CALL) {
      const count = Math.min(TASKS_PER_CALL, left);
      const demands: [TokenBucket | undefined, number][] = [[runTask, 1]];
      if (run.fargate) demands.push([fargateRunTask, 1], [fargateTasks, count]);
      for (const [b, n] of demands) {
        if (b === undefined) continue;
        now = t;
        t += b.reserve(n);
      }
    }
    clientTime = t;
    out[i] = t;
  }
  return out;
}

const sorted = (xs: number[]) => xs.sort((a, b) => a - b);

/** Splits the delay of the runs with `measured` true; the others only drain the quota. */
export function splitLaunchDelays(
  runs: readonly MeasuredRun[],
  measured: readonly boolean[],
  quotas: QuotaProfile,
): DelaySplit {
  const ideal = idealLaunchTimes(runs, quotas);
  const total: number[] = [];
  const quota: number[] = [];
  const own: number[] = [];
  runs.forEach((run, i) => {
    if (!measured[i] || run.launchedAt === undefined) return;
    const t = (run.launchedAt - run.scheduledAt) / 1000;
    const q = (ideal[i]! - run.scheduledAt) / 1000;
    total.push(t);
    quota.push(q);
    own.push(Math.max(0, t - q));
  });
  return { total: sorted(total), quota: sorted(quota), own: sorted(own) };
}

/** The q-quantile of sorted values (nearest rank); NaN when empty. */
export function quantile(sortedValues: readonly number[], q: number): number {
  if (sortedValues.length === 0) return NaN;
  return sortedValues[
    Math.min(sortedValues.length - 1, Math.max(0, Math.ceil(q * sortedValues.length) - 1))
  ]!;
}

export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}
