import { expect } from 'chai';
import {
  idealLaunchTimes,
  median,
  quantile,
  splitLaunchDelays,
  type MeasuredRun,
} from '../../../bench/launch-delay.js';
import { AWS_QUOTAS, NO_QUOTAS } from '../../support/ecs-simulator/quotas.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const together = (n: number, fargate = true): MeasuredRun[] =>
  Array.from({ length: n }, () => ({ scheduledAt: T0, tasks: 1, fargate }));

describe('launch delay split', () => {
  const cases: { name: string; runs: MeasuredRun[]; quotas: typeof AWS_QUOTAS; lastLaunchSeconds: number }[] =
    [
      {
        name: 'quotas off: everything can launch when due',
        runs: together(1_000),
        quotas: NO_QUOTAS,
        lastLaunchSeconds: 0,
      },
      // Fargate RunTask calls: 20 burst, then 20 per second, so 1,000 calls take (1000 - 20) / 20 s.
      {
        name: '1,000 Fargate runs due together under AWS quotas',
        runs: together(1_000),
        quotas: AWS_QUOTAS,
        lastLaunchSeconds: 49,
      },
      // EC2: RunTask 100 burst then 40 per second.
      {
        name: '1,000 EC2 runs due together under AWS quotas',
        runs: together(1_000, false),
        quotas: AWS_QUOTAS,
        lastLaunchSeconds: 22.5,
      },
      // 10 tasks per call: the Fargate task bucket (100 burst, 20/s) binds: (1000 - 100) / 20 s.
      {
        name: '100 Fargate runs of 10 tasks due together',
        runs: Array.from({ length: 100 }, () => ({ scheduledAt: T0, tasks: 10, fargate: true })),
        quotas: AWS_QUOTAS,
        lastLaunchSeconds: 45,
      },
      {
        name: 'runs spread at 10 per second stay under the Fargate rate',
        runs: Array.from({ length: 600 }, (_, i) => ({ scheduledAt: T0 + i * 100, tasks: 1, fargate: true })),
        quotas: AWS_QUOTAS,
        lastLaunchSeconds: 59.9,
      },
    ];
  for (const c of cases) {
    it(c.name, () => {
      const ideal = idealLaunchTimes(c.runs, c.quotas);
      expect((Math.max(...ideal) - T0) / 1000).to.be.closeTo(c.lastLaunchSeconds, 0.06);
    });
  }

  it('splits each measured run into quota wait and our own, never negative', () => {
    const runs: MeasuredRun[] = [
      ...together(40).map((r) => ({ ...r, launchedAt: T0 + 3_000 })),
      { scheduledAt: T0 + 500, tasks: 1, fargate: true },
    ];
    const measured = runs.map((_, i) => i >= 20);
    const split = splitLaunchDelays(runs, measured, AWS_QUOTAS);
    // 20 measured runs launched: the first 20 calls use the burst, the next 20 wait 50 ms each in turn.
    expect(split.total).to.have.length(20);
    expect(split.total.every((t) => t === 3)).to.equal(true);
    expect(quantile(split.quota, 1)).to.be.closeTo(1, 0.001);
    expect(quantile(split.own, 0)).to.be.closeTo(2, 0.001);
    expect(split.own.every((o) => o >= 0)).to.equal(true);
  });

  it('runs due together take the quota slots in the order they launched', () => {
    // Launched in reverse index order, 50 ms apart: exactly the Fargate RunTask rate past the burst.
    const runs: MeasuredRun[] = Array.from({ length: 40 }, (_, i) => ({
      scheduledAt: T0,
      launchedAt: T0 + Math.max(0, 39 - i - 19) * 50,
      tasks: 1,
      fargate: true,
    }));
    const split = splitLaunchDelays(
      runs,
      runs.map(() => true),
      AWS_QUOTAS,
    );
    expect(split.own.every((o) => o < 1e-9)).to.equal(true);
  });

  it('quantile and median', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).to.equal(2);
    expect(quantile([1, 2, 3, 4], 0.99)).to.equal(4);
    expect(Number.isNaN(quantile([], 0.5))).to.equal(true);
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 2, 3])).to.equal(2.5);
    expect(median([NaN, 5])).to.equal(5);
  });
});
