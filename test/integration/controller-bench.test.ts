// A short smoke of `npm run bench:controller` on the ECS simulator: the benchmark runs end to end
// against the real controller and apiserver, prints every figure it promises, and the simulator's
// ledger counts no duplicate launch. The long runs are not for CI; their command lines are in the
// README's Performance section.
import { expect } from 'chai';
import { join } from 'node:path';
import { captureRun, REPO_ROOT } from './support/index.js';

const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const BENCH = ['--import', 'tsx', 'bench/controller.bench.ts'];

interface BenchResult {
  scheduledRuns: number;
  launched: number;
  missed: number;
  duplicates: number | null;
  launchDelaySeconds: { p50: number; p99: number; max: number };
  ecsCallsPerRun: Record<string, number>;
  statusWritesPerRun: number;
  eventsPerRun: number;
  eventCreatesPerRun: number;
  eventUpdatesPerRun: number;
  writesPerRun: number;
  controllers: { cpuSecondsPerMinute: number; rssMiB: number }[];
}

describe('controller benchmark smoke (ECS simulator)', function () {
  this.timeout(120_000);

  it('prints every figure, and the simulator ledger counts no duplicate', async () => {
    // 20 resources firing every 5 s at hashed offsets, over a 15 s window: 60 scheduled runs.
    const run = await captureRun(NODE, [
      ...BENCH,
      '--ecs',
      'simulator',
      '--quotas',
      'off',
      '--resources',
      '20',
      '--schedule',
      'H/5 * * * * *',
      '--minutes',
      '0.25',
      '--align-seconds',
      '5',
      '--warmup-seconds',
      '3',
    ]);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.code, output).to.equal(0);
    for (const figure of [
      /^Missed: \d+ .*duplicates: \d+ \(simulator ledger/m,
      /^launch delay \(when the simulator accepted RunTask - scheduledTime, \d+ runs\): p50 [\d.]+ s, p99 [\d.]+ s, max [\d.]+ s; waiting for ECS quota: .*; our own: /m,
      /^ECS calls per run \(counted by the simulator\): RunTask [\d.]+, DescribeTasks [\d.]+, ListTasks [\d.]+/m,
      /^API writes per run: [\d.]+ status, [\d.]+ events \([\d.]+ created, [\d.]+ series updates\), [\d.]+ total/m,
      /^controller pid \d+: CPU [\d.]+ s per minute .* RSS max \d+ MiB/m,
    ])
      expect(run.stdout, output).to.match(figure);
    const line = run.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
    expect(line, output).to.be.a('string');
    const result = JSON.parse(line!.slice('BENCH_RESULT '.length)) as BenchResult;
    expect(result.scheduledRuns).to.equal(60);
    expect(result.duplicates).to.equal(0);
    expect(result.launched, output).to.be.greaterThan(0);
    expect(result.ecsCallsPerRun.RunTask).to.be.greaterThan(0);
    expect(result.eventsPerRun).to.be.closeTo(result.eventCreatesPerRun + result.eventUpdatesPerRun, 1e-9);
    expect(result.writesPerRun).to.be.closeTo(result.statusWritesPerRun + result.eventsPerRun, 1e-9);
    expect(result.controllers).to.have.length(1);
    expect(result.controllers[0]!.rssMiB).to.be.greaterThan(0);
  });

  const invalid: { name: string; args: string[]; message: RegExp }[] = [
    {
      name: '--quotas without the simulator',
      args: ['--ecs', 'moto', '--quotas', 'off'],
      message: /--quotas applies to --ecs simulator only/,
    },
    { name: 'an unknown backend', args: ['--ecs', 'localstack'], message: /--ecs must be moto or simulator/ },
    { name: 'a bad schedule', args: ['--schedule', 'every minute'], message: /^--schedule: / },
    {
      name: 'both --due-together and --schedule',
      args: ['--due-together', '--schedule', 'H * * * * *'],
      message: /exclude each other/,
    },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name} with exit code 2 and the usage`, async () => {
      const run = await captureRun(NODE, [...BENCH, ...c.args]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(c.message);
      expect(run.stderr).to.include('Usage: node scripts/with-testenv.js npm run bench:controller');
    });
  }
});
