// ECS's per-account request quotas as token buckets (the same TokenBucket the controller keeps on
// its side). A call that finds any of its buckets short is refused with ThrottlingException and
// takes no tokens, as a real bucket refuses a request it cannot serve.
import { TokenBucket } from '../../../src/flow/token-bucket.js';

export interface BucketQuota {
  /** Burst: tokens the bucket holds when full. */
  readonly burst: number;
  /** Sustained rate: tokens added per second. */
  readonly perSecond: number;
}

/** One bucket per action group. Omitting a group means it is not throttled. */
export interface QuotaProfile {
  /** Every RunTask call. */
  readonly runTask?: BucketQuota;
  /** RunTask calls that launch on Fargate (launchType FARGATE or a FARGATE* capacity provider). */
  readonly fargateRunTask?: BucketQuota;
  /** Tasks launched on Fargate: one token per task, not per call. */
  readonly fargateTasks?: BucketQuota;
  /** DescribeTasks and ListTasks. */
  readonly taskRead?: BucketQuota;
  /** StopTask. */
  readonly taskModify?: BucketQuota;
  /** DescribeTaskDefinition. */
  readonly taskDefinitionRead?: BucketQuota;
  /** DescribeClusters. */
  readonly clusterRead?: BucketQuota;
}

/**
 * ECS's documented defaults per account and Region. Fargate ("AWS Fargate throttling quotas"):
 * 100 task launches burst at 20 per second, and RunTask calls on Fargate at 20 per second, burst
 * and sustained. Request throttling ("Request throttling for the Amazon ECS API"): RunTask 100 at
 * 40/s, cluster reads 50 at 20/s. The task read, task modification and task definition read
 * buckets are the table's values as we read them (100 at 20/s, 100 at 40/s, 20 at 20/s); each can
 * be overridden with a custom profile where an account's quotas differ.
 */
export const AWS_QUOTAS: QuotaProfile = {
  runTask: { burst: 100, perSecond: 40 },
  fargateRunTask: { burst: 20, perSecond: 20 },
  fargateTasks: { burst: 100, perSecond: 20 },
  taskRead: { burst: 100, perSecond: 20 },
  taskModify: { burst: 100, perSecond: 40 },
  taskDefinitionRead: { burst: 20, perSecond: 20 },
  clusterRead: { burst: 50, perSecond: 20 },
};

export const NO_QUOTAS: QuotaProfile = {};

export type QuotaSetting = 'aws' | 'off' | QuotaProfile;

const GROUPS = [
  'runTask',
  'fargateRunTask',
  'fargateTasks',
  'taskRead',
  'taskModify',
  'taskDefinitionRead',
  'clusterRead',
] as const;
export type QuotaGroup = (typeof GROUPS)[number];

/** Resolves and validates a setting; the error names the offending field. */
export function quotaProfile(setting: unknown): QuotaProfile {
  if (setting === 'aws') return AWS_QUOTAS;
  if (setting === 'off') return NO_QUOTAS;
  if (typeof setting !== 'object' || setting === null || Array.isArray(setting))
    throw new Error(`quotas: expected "aws", "off" or an object of buckets, got ${JSON.stringify(setting)}`);
  const profile: Record<string, BucketQuota> = {};
  for (const [key, value] of Object.entries(setting)) {
    if (!(GROUPS as readonly string[]).includes(key))
      throw new Error(`quotas.${key}: unknown bucket (known: ${GROUPS.join(', ')})`);
    const { burst, perSecond } = (value ?? {}) as Partial<BucketQuota>;
    if (typeof burst !== 'number' || !(burst > 0))
      throw new Error(`quotas.${key}.burst: must be a number > 0`);
    if (typeof perSecond !== 'number' || !(perSecond > 0))
      throw new Error(`quotas.${key}.perSecond: must be a number > 0`);
    profile[key] = { burst, perSecond };
  }
  return profile;
}

/** The buckets of one simulated account. */
export class QuotaGate {
  readonly #buckets = new Map<QuotaGroup, { readonly bucket: TokenBucket; readonly burst: number }>();

  constructor(profile: QuotaProfile, now: () => number) {
    for (const group of GROUPS) {
      const quota = profile[group];
      if (quota === undefined) continue;
      const bucket = new TokenBucket({
        capacity: quota.burst,
        refillPerSecond: quota.perSecond,
        now,
        // The simulator never waits on a bucket: it refuses.
        sleep: () => Promise.resolve(),
      });
      this.#buckets.set(group, { bucket, burst: quota.burst });
    }
  }

  /**
   * Takes `tokens` from each group's bucket if every one of them has enough; otherwise takes
   * nothing and returns false. A demand beyond a bucket's burst needs a full bucket.
   */
  take(demands: readonly (readonly [QuotaGroup, number])[]): boolean {
    const wanted: [TokenBucket, number][] = [];
    for (const [group, tokens] of demands) {
      const entry = this.#buckets.get(group);
      if (entry === undefined) continue;
      const need = Math.min(tokens, entry.burst);
      if (entry.bucket.available < need) return false;
      wanted.push([entry.bucket, need]);
    }
    for (const [bucket, need] of wanted) bucket.reserve(need);
    return true;
  }
}
