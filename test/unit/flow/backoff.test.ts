import { expect } from 'chai';
import { backoffDelayMs, type BackoffPolicy } from '../../../src/flow/backoff.js';
import { WATCH_BACKOFF } from '../../../src/kube/resource-informer.js';

const least = 0;
const most = 0.999999;

// The three policies the codebase uses, each with the delays it must produce.
const workQueue: BackoffPolicy = { initialMs: 5, maxMs: 1_000_000 };
const ecsThrottle: BackoffPolicy = { initialMs: 500, maxMs: 20_000, jitter: 0.5 };

describe('backoffDelayMs', () => {
  const cases: { name: string; policy: BackoffPolicy; attempt: number; random: number; expected: number }[] =
    [
      {
        name: 'work queue: first retry after 5 ms',
        policy: workQueue,
        attempt: 0,
        random: most,
        expected: 5,
      },
      { name: 'work queue: doubles, no jitter', policy: workQueue, attempt: 3, random: least, expected: 40 },
      {
        name: 'work queue: capped at 1000 s',
        policy: workQueue,
        attempt: 40,
        random: most,
        expected: 1_000_000,
      },
      {
        name: 'work queue: a huge attempt count stays capped, never Infinity',
        policy: workQueue,
        attempt: 1e9,
        random: most,
        expected: 1_000_000,
      },
      {
        name: 'ECS throttle: least jitter is half the step',
        policy: ecsThrottle,
        attempt: 0,
        random: least,
        expected: 250,
      },
      {
        name: 'ECS throttle: most jitter is the full step',
        policy: ecsThrottle,
        attempt: 0,
        random: most,
        expected: 500,
      },
      {
        name: 'ECS throttle: doubles per attempt',
        policy: ecsThrottle,
        attempt: 3,
        random: least,
        expected: 2_000,
      },
      { name: 'ECS throttle: capped', policy: ecsThrottle, attempt: 30, random: least, expected: 10_000 },
      {
        name: 'watch restart: first after 1 s at most',
        policy: WATCH_BACKOFF,
        attempt: 0,
        random: most,
        expected: 1_000,
      },
      {
        name: 'watch restart: jitter shortens by up to 40 %',
        policy: WATCH_BACKOFF,
        attempt: 0,
        random: least,
        expected: 600,
      },
      {
        name: 'watch restart: never above the 30 s cap',
        policy: WATCH_BACKOFF,
        attempt: 20,
        random: most,
        expected: 30_000,
      },
      {
        name: 'a negative attempt is the first',
        policy: WATCH_BACKOFF,
        attempt: -3,
        random: most,
        expected: 1_000,
      },
      {
        name: 'another factor',
        policy: { initialMs: 100, maxMs: 10_000, factor: 3 },
        attempt: 2,
        random: least,
        expected: 900,
      },
    ];
  for (const c of cases) {
    it(c.name, () => expect(backoffDelayMs(c.attempt, c.policy, () => c.random)).to.equal(c.expected));
  }
});
