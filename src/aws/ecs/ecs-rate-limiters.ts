// ECS's documented per-account RunTask throttles as client-side token buckets, so that we stay
// inside them instead of discovering them through ThrottlingException.
import type { Clock } from '../../controller/clock.js';
import { TokenBucket } from '../../flow/token-bucket.js';

/** A sleep driven by the Clock port, so a fake clock also drives every wait. */
export function clockSleep(clock: Clock): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve) => {
      clock.setTimer(resolve, ms);
    });
}

/** The RunTask limiters for one AWS account and region. */
export interface EcsRateLimiters {
  /** Every RunTask call. */
  readonly runTask: TokenBucket;
  /** RunTask calls that launch on Fargate, on top of `runTask`. */
  readonly fargateRunTask: TokenBucket;
  /** Tasks launched on Fargate (one token per task, not per call). */
  readonly fargateTasks: TokenBucket;
}

/**
 * ECS's documented per-account, per-region defaults: RunTask burst 100 at 40/s (request
 * throttling); on Fargate, RunTask calls at 20/s burst and sustained, and task launches burst 100
 * at 20/s (Fargate throttling quotas). Staying below them keeps one busy resource from starving
 * the others with ThrottlingException retries.
 */
export function createEcsRateLimiters(
  clock: Clock,
  sleep: (ms: number) => Promise<void> = clockSleep(clock),
  mode: 'aws' | 'off' = 'aws',
) {
  const now = () => clock.now().getTime();
  if (mode === 'off') {
    // Large enough never to wait, so the same code path runs with and without quotas.
    const unlimited = () => new TokenBucket({ capacity: 1e9, refillPerSecond: 1e9, now, sleep });
    return {
      runTask: unlimited(),
      fargateRunTask: unlimited(),
      fargateTasks: unlimited(),
    } satisfies EcsRateLimiters;
  }
  return {
    runTask: new TokenBucket({ capacity: 100, refillPerSecond: 40, now, sleep }),
    fargateRunTask: new TokenBucket({ capacity: 20, refillPerSecond: 20, now, sleep }),
    fargateTasks: new TokenBucket({ capacity: 100, refillPerSecond: 20, now, sleep }),
  } satisfies EcsRateLimiters;
}
