// Times passed over after a failover that the dead leader launched without recording them: each is
// looked up in ECS before it is recorded, out of one paced budget, and none is recorded Missed
// while its tasks ran. Also: a half-launched passed-over time is completed under its tokens.
import { expect } from 'chai';
import type { RunRecord } from '../../../../src/api/types.js';
import type { Clock } from '../../../../src/controller/clock.js';
import { scheduledRunIdentity } from '../../../../src/controller/decide/run-identity.js';
import { Reconciler } from '../../../../src/controller/pass/reconciler.js';
import { alwaysHeld } from '../../../../src/controller/runtime/fencing.js';
import { LookupBudget } from '../../../../src/controller/runtime/lookup-budget.js';
import { launchClientToken } from '../../../../src/controller/runtime/run-ledger.js';
import { AwsTaskLauncher } from '../../../../src/aws/ecs/aws-task-launcher.js';
import { createEcsRateLimiters } from '../../../../src/aws/ecs/ecs-rate-limiters.js';
import type { AwsApi } from '../../../../src/aws/ecs/ports.js';
import type { TaskLauncher } from '../../../../src/controller/ports.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { EcsApiError } from '../../../support/ecs-simulator/ecs-api-error.js';
import { EcsSimulator, type EcsOperation } from '../../../support/ecs-simulator/ecs-simulator.js';
import type { FakeClock } from '../../../support/fake-clock.js';
import { RecordingEvents } from '../../../support/recording-events.js';
import { RecordingControllerMetrics } from '../../../support/recording-metrics.js';
import { harness, key } from './harness.js';

const minute = (hhmm: string) => new Date(`2026-03-01T${hhmm}:00Z`);
const hhmm = (iso: string) => iso.slice(11, 16);

/** Launches `count` tasks for `time` as the dead leader's first attempt did: its startedBy and token. */
async function launchedByDeadLeader(
  launcher: TaskLauncher,
  resource: Parameters<typeof scheduledRunIdentity>[0],
  time: Date,
  count = 1,
): Promise<void> {
  const identity = scheduledRunIdentity(resource, time);
  await launcher.runTasks({
    cluster: 'default',
    task: resource.spec.task,
    count,
    startedBy: identity.startedBy,
    clientToken: launchClientToken(identity, 0),
    tags: identity.tags,
  });
}

describe('Reconciler: passed-over times after a failover', () => {
  const PER_SECOND = 2;
  const BURST = 4;

  function setup() {
    const h = harness(
      { schedule: '* * * * *' },
      { now: '2026-03-01T11:01:05Z', status: { lastScheduleTime: '2026-03-01T10:00:00Z' } },
    );
    // The process's one budget, on the fake clock.
    const budget = new LookupBudget({
      perSecond: PER_SECOND,
      burst: BURST,
      now: () => h.clock.now().getTime(),
    });
    const reconciler = new Reconciler({
      store: h.store,
      launcher: h.launcher,
      events: h.events,
      clock: h.clock,
      metrics: h.metrics,
      logger: silentLogger,
      defaultCluster: 'default',
      fence: alwaysHeld,
      adoptionLookups: budget,
    });
    return { h, reconciler };
  }

  it('60 passed-over times, tasks for some (the oldest, one in the middle, the newest): every one is looked up before it is recorded, none of those is Missed, within the budget; the due time launches in the first pass, once', async () => {
    const { h, reconciler } = setup();
    // The dead leader launched 10:01, 10:30 and 11:00, and lost its Lease before writing.
    const launched = ['10:01', '10:30', '11:00'];
    for (const t of launched) await launchedByDeadLeader(h.launcher, h.resource(), minute(t));
    const deadLeaderLaunches = h.launcher.runRequests.length;

    // When each passed-over lookup was made, on the fake clock.
    const lookupsAt: number[] = [];
    const find = h.launcher.findTasks.bind(h.launcher);
    const passedOver = new Set(
      Array.from(
        { length: 60 },
        (_, i) =>
          scheduledRunIdentity(h.resource(), new Date(minute('10:01').getTime() + i * 60_000)).startedBy,
      ),
    );
    h.launcher.findTasks = async (cluster, startedBy, options) => {
      if (passedOver.has(startedBy)) lookupsAt.push(h.clock.now().getTime());
      return find(cluster, startedBy, options);
    };
    const started = h.clock.now().getTime();
    const signal = new AbortController().signal; // one leadership term

    const first = await reconciler.reconcile(key, signal);
    const due = scheduledRunIdentity(h.resource(), minute('11:01')).startedBy;
    expect(
      h.launcher.runRequests.slice(deadLeaderLaunches).map((r) => r.startedBy),
      'the due time launches in the first pass',
    ).to.deep.equal([due]);
    expect(lookupsAt, 'the first pass takes the burst').to.have.length(BURST);
    expect(h.status().pendingLookups, 'the rest wait, oldest first').to.deep.equal([
      { from: '2026-03-01T10:05:00.000Z', to: '2026-03-01T11:00:00.000Z' },
    ]);
    expect(h.status().lastScheduleTime, 'the watermark moved to the due time').to.equal(
      '2026-03-01T11:01:00.000Z',
    );
    expect(first.requeueAfterMs, 'back when the budget has refilled').to.equal(1000 / PER_SECOND);

    let passes = 1;
    let result = first;
    while (h.status().pendingLookups && passes < 200) {
      h.clock.advance(result.requeueAfterMs!);
      result = await reconciler.reconcile(key, signal);
      passes++;
    }
    expect(h.status().pendingLookups, 'every time looked up').to.equal(undefined);
    expect(lookupsAt, 'each passed-over time looked up once').to.have.length(60);
    for (const [i, at] of lookupsAt.entries()) {
      const allowed = BURST + Math.floor(((at - started) / 1000) * PER_SECOND);
      expect(i + 1, `lookup ${i + 1} at +${at - started} ms is within the budget`).to.be.at.most(allowed);
    }

    const byTime = new Map(h.runs().map((r): [string, RunRecord] => [hhmm(r.scheduledTime), r]));
    for (const t of launched) {
      expect(byTime.get(t), `${t} adopted with its tasks`).to.include({ result: 'Running' });
      expect(byTime.get(t)!.tasks).to.have.length(1);
    }
    expect(h.status().missedRunsTotal, 'the 57 times nobody launched, each after its lookup').to.equal(57);
    expect(h.metrics.runs.filter((r) => r === 'Missed')).to.have.length(57);
    const relaunched = h.launcher.runRequests
      .slice(deadLeaderLaunches)
      .map((r) => r.startedBy)
      .filter((s) => passedOver.has(s));
    expect(relaunched, 'no passed-over time launched again').to.deep.equal([]);
    expect(
      h.launcher.runRequests.filter((r) => r.startedBy === due),
      'the due time launched once over all the passes',
    ).to.have.length(1);
    const done = h.metrics.adoptionLookupCalls.reduce((n, c) => n + c.found + c.none, 0);
    expect(done, 'the metric counts every lookup').to.equal(60);
    expect(h.metrics.adoptionLookupCalls.at(-1)!.waiting, 'and nothing waits at the end').to.equal(false);
    expect(h.metrics.adoptionLookupCalls[0]!.waiting, 'something waited after the first pass').to.equal(true);
  });

  it('times still waiting for the budget are never recorded Missed, and a new leader takes them up', async () => {
    const { h, reconciler } = setup();
    await launchedByDeadLeader(h.launcher, h.resource(), minute('10:30'));
    await reconciler.reconcile(key, new AbortController().signal);
    expect(h.status().missedRunsTotal, 'only the looked-up times (10:01-10:04)').to.equal(BURST);
    expect(h.status().pendingLookups).to.have.length(1);

    // This leader dies; the next one (a new process) starts 30 s later with a full budget.
    h.clock.advance(30_000);
    const next = new Reconciler({
      store: h.store,
      launcher: h.launcher,
      events: new RecordingEvents(),
      clock: h.clock as Clock,
      metrics: new RecordingControllerMetrics(),
      logger: silentLogger,
      defaultCluster: 'default',
      fence: alwaysHeld,
      adoptionLookups: new LookupBudget({ perSecond: 1000, burst: 100, now: () => h.clock.now().getTime() }),
    });
    await next.reconcile(key, new AbortController().signal);
    expect(h.status().pendingLookups).to.equal(undefined);
    const run = h.runs().find((r) => hhmm(r.scheduledTime) === '10:30');
    expect(run, '10:30 adopted').to.include({ result: 'Running' });
    expect(h.status().missedRunsTotal).to.equal(59);
  });
});

/** The simulator behind the SDK client port, its errors shaped as the SDK throws them. */
function simulatorApi(sim: EcsSimulator): AwsApi {
  return {
    async send(command: unknown): Promise<unknown> {
      const c = command as { constructor: { name: string }; input: Record<string, unknown> };
      const operation = c.constructor.name.replace(/Command$/, '') as EcsOperation;
      try {
        return sim.call(operation, structuredClone(c.input) as never);
      } catch (err) {
        if (!(err instanceof EcsApiError)) throw err;
        throw Object.assign(new Error(err.message), {
          name: err.type,
          $fault: err.status >= 500 ? 'server' : 'client',
          $metadata: { httpStatusCode: err.status },
          ...err.fields,
        });
      }
    },
  };
}

describe('Reconciler: a passed-over time the dead leader launched half of', () => {
  const TASK_COUNT = 30;

  function setup(now: string) {
    const made: { clock?: FakeClock } = {};
    const time: Clock = {
      now: () => made.clock?.now() ?? new Date(now),
      setTimer: (fn, delayMs) => made.clock!.setTimer(fn, delayMs),
    };
    const sim = new EcsSimulator({
      now: () => time.now().getTime(),
      random: () => 0.5,
      quotas: 'off',
      taskDefinitions: [{ family: 'report', containerDefinitions: [{ name: 'app', image: 'busybox' }] }],
      lifecycle: { runningMs: null },
    });
    const sleep = () => Promise.resolve();
    const launcher = new AwsTaskLauncher({
      client: simulatorApi(sim),
      clock: time,
      sleep,
      limiters: createEcsRateLimiters(time, sleep, 'off'),
    });
    const h = harness(
      { schedule: '* * * * *', taskCount: TASK_COUNT },
      { now, status: { lastScheduleTime: '2026-03-01T10:00:00Z' }, deps: { launcher } },
    );
    made.clock = h.clock;
    return { h, sim, launcher };
  }

  it('inside its launch window: adopted as an unconfirmed launch, the missing batch sent under its original token; the due time launches too', async () => {
    const { h, sim, launcher } = setup('2026-03-01T10:02:05Z');
    // Batches 0 and 1 (20 tasks) went out for 10:01; the leader died before batch 2.
    await launchedByDeadLeader(launcher, h.resource(), minute('10:01'), 20);
    const startedBy = scheduledRunIdentity(h.resource(), minute('10:01')).startedBy;

    await h.reconcile();
    const ledger = sim.ledger.run(startedBy)!;
    expect(ledger.tasks, 'the run holds its task count in ECS').to.equal(TASK_COUNT);
    const tokens = sim.ledger
      .entries()
      .filter((e) => e.outcome === 'accepted' && e.startedBy === startedBy)
      .map((e) => e.clientToken!.replace(/^.*?(-b\d+)?$/, 'token$1'));
    expect(tokens, 'the missing batch under its own original token').to.deep.equal([
      'token',
      'token-b1',
      'token-b2',
    ]);
    const run = h.runs().find((r) => hhmm(r.scheduledTime) === '10:01')!;
    expect(run).to.include({ result: 'Running', launchCount: TASK_COUNT });
    expect(run.unconfirmedLaunch).to.equal(undefined);
    expect(run.tasks).to.have.length(TASK_COUNT);
    const due = scheduledRunIdentity(h.resource(), minute('10:02')).startedBy;
    expect(sim.ledger.run(due)?.tasks, 'the due time launched in the same pass').to.equal(TASK_COUNT);
  });

  it('past its launch window: adopted with what was found, saying why no more are launched', async () => {
    const { h, sim, launcher } = setup('2026-03-01T10:08:05Z');
    await launchedByDeadLeader(launcher, h.resource(), minute('10:01'), 20);
    const startedBy = scheduledRunIdentity(h.resource(), minute('10:01')).startedBy;
    await h.reconcile();
    expect(sim.ledger.run(startedBy)!.tasks).to.equal(20);
    const run = h.runs().find((r) => hhmm(r.scheduledTime) === '10:01')!;
    expect(run).to.include({ result: 'Running', launchCount: 20, desiredCount: TASK_COUNT });
    expect(run.message).to.contain('past startingDeadlineSeconds');
  });
});
