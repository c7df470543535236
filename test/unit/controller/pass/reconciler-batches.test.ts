// A launch of several RunTask batches, end to end in memory: the reconciler, the real AWS launcher
// and the ECS simulator (which honours clientToken and keeps a ledger of every RunTask), all on
// the fake clock. Counted in the simulator's ledger, a run holds exactly taskCount tasks whatever
// batch loses its answer or whenever the fence falls, and status names every one of them.
import { expect } from 'chai';
import { PassAbortedError } from '../../../../src/controller/runtime/fencing.js';
import type { Clock } from '../../../../src/controller/clock.js';
import type { LeaseFence } from '../../../../src/controller/ports.js';
import { scheduledRunIdentity } from '../../../../src/controller/decide/run-identity.js';
import { AwsTaskLauncher } from '../../../../src/aws/ecs/aws-task-launcher.js';
import { createEcsRateLimiters } from '../../../../src/aws/ecs/ecs-rate-limiters.js';
import type { AwsApi } from '../../../../src/aws/ecs/ports.js';
import { EcsApiError } from '../../../support/ecs-simulator/ecs-api-error.js';
import { EcsSimulator, type EcsOperation } from '../../../support/ecs-simulator/ecs-simulator.js';
import type { FakeClock } from '../../../support/fake-clock.js';
import { harness } from './harness.js';

const ten = new Date('2026-03-01T10:00:00Z');
const fiveSecondsPastTen = '2026-03-01T10:00:05Z';
const sixSecondsPastTen = '2026-03-01T10:00:06Z';
const tenSecondsPastTen = '2026-03-01T10:00:10Z';
const halfPastTen = '2026-03-01T10:30:00Z';
const fiveSecondsPastEleven = '2026-03-01T11:00:05Z';
const tenSecondsPastEleven = '2026-03-01T11:00:10Z';
const TASK_COUNT = 30;

/** What the in-memory wire does besides passing calls on. */
interface Wire {
  /** ListTasks sees nothing yet (ECS's eventual consistency). */
  listLagging?: boolean;
  /** ListTasks fails. */
  listFails?: boolean;
  /** Called after every RunTask that reached the simulator. */
  afterRunTask?: () => void;
}

/** The simulator behind the SDK client port, its errors shaped as the SDK throws them. */
function simulatorApi(sim: EcsSimulator, wire: Wire): AwsApi {
  return {
    async send(command: unknown): Promise<unknown> {
      const c = command as { constructor: { name: string }; input: Record<string, unknown> };
      const operation = c.constructor.name.replace(/Command$/, '') as EcsOperation;
      if (operation === 'ListTasks' && wire.listFails)
        throw Object.assign(new Error('Service Unavailable'), {
          name: 'ServerException',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        });
      try {
        const out = sim.call(operation, structuredClone(c.input) as never);
        if (operation === 'ListTasks' && wire.listLagging) return { taskArns: [] };
        return out;
      } catch (err) {
        if (!(err instanceof EcsApiError)) throw err;
        throw Object.assign(new Error(err.message), {
          name: err.type,
          $fault: err.status >= 500 ? 'server' : 'client',
          $metadata: { httpStatusCode: err.status },
          ...err.fields,
        });
      } finally {
        if (operation === 'RunTask') wire.afterRunTask?.();
      }
    },
  };
}

function setup(options: { fence?: LeaseFence } = {}) {
  const wire: Wire = {};
  // The harness makes the fake clock; the launcher and the simulator read it once it exists.
  const made: { clock?: FakeClock } = {};
  const time: Clock = {
    // The harness's start, until the harness exists.
    now: () => made.clock?.now() ?? new Date('2026-03-01T09:45:00Z'),
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
    client: simulatorApi(sim, wire),
    clock: time,
    sleep,
    limiters: createEcsRateLimiters(time, sleep, 'off'),
  });
  const h = harness(
    { taskCount: TASK_COUNT },
    { deps: { launcher, ...(options.fence ? { fence: options.fence } : {}) } },
  );
  made.clock = h.clock;
  const startedBy = scheduledRunIdentity(h.resource(), ten).startedBy;
  const accepted = () => sim.ledger.entries().filter((e) => e.outcome === 'accepted');
  return { h, sim, wire, startedBy, accepted };
}

/** One pass, whether it ends in an error (it does after a lost answer: the key is retried soon) or not. */
async function pass(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('Reconciler: a launch of several RunTask batches', () => {
  describe('a batch whose answer is lost', () => {
    it('batch 2 of 3: the next pass finds its tasks and sends only batch 3, under its original token', async () => {
      const { h, sim, startedBy, accepted } = setup();
      sim.setFaults({ lostResponseCalls: [2] });
      await pass(h.reconcile(fiveSecondsPastTen));
      const [run] = h.runs();
      expect(run, 'the run is recorded with what is known').to.include({
        result: 'Running',
        reason: 'LaunchUnconfirmed',
        launchCount: TASK_COUNT,
      });
      expect(run!.tasks).to.have.length(10);
      expect(run!.unconfirmedLaunch).to.deep.equal({ launchAttempt: 0, fromBatch: 1, count: 20 });

      await h.reconcile(sixSecondsPastTen);
      await h.reconcile(halfPastTen);
      const ledger = sim.ledger.run(startedBy)!;
      expect(ledger.tasks, 'tasks in ECS').to.equal(TASK_COUNT);
      expect(ledger.acceptedLaunches).to.equal(3);
      const tokens = accepted().map((e) => e.clientToken!.replace(/^.*?(-b\d+)?$/, 'token$1'));
      expect(tokens, 'every batch under its own first token').to.deep.equal([
        'token',
        'token-b1',
        'token-b2',
      ]);
      const [confirmed] = h.runs();
      expect(confirmed).to.include({ result: 'Running', launchCount: TASK_COUNT });
      expect(confirmed!.reason).to.equal(undefined);
      expect(confirmed!.unconfirmedLaunch).to.equal(undefined);
      expect((confirmed!.tasks ?? []).map((t) => t.taskArn).sort(), 'status names every task').to.deep.equal(
        accepted()
          .flatMap((e) => e.taskArns)
          .sort(),
      );
      expect(h.status().active, 'every task tracked').to.have.length(TASK_COUNT);
    });

    it('with ListTasks lagging, resends the unanswered batches under their original tokens: ECS answers with the tasks it started', async () => {
      const { h, sim, wire, startedBy } = setup();
      sim.setFaults({ lostResponseCalls: [2] });
      await pass(h.reconcile(fiveSecondsPastTen));
      wire.listLagging = true;
      await h.reconcile(sixSecondsPastTen);
      const ledger = sim.ledger.run(startedBy)!;
      expect(ledger).to.include({ tasks: TASK_COUNT, acceptedLaunches: 3, replays: 1 });
      expect(h.runs()[0]!.tasks).to.have.length(TASK_COUNT);
      expect(h.runs()[0]!.unconfirmedLaunch).to.equal(undefined);
    });

    it('a spec moved to another cluster meanwhile: the lost batches are looked up, never resent to the old cluster', async () => {
      const { h, sim, wire } = setup();
      sim.setFaults({ lostResponseCalls: [2] });
      await pass(h.reconcile(fiveSecondsPastTen));
      const calls = sim.ledger.entries().length;
      const task = h.resource().spec.task;
      h.apply({ task: { ...task, cluster: `${task.cluster ?? 'default'}-moved` } });
      // ECS's list lags: a resend would have been the way to learn about batch 2's tasks.
      wire.listLagging = true;
      await pass(h.reconcile(sixSecondsPastTen));
      expect(sim.ledger.entries().length, 'no RunTask for the unjudged old cluster').to.equal(calls);
      expect(h.runs()[0]!.unconfirmedLaunch, 'the run is settled, not retried forever').to.equal(undefined);
    });

    it('nothing new launches before the batches are confirmed', async () => {
      const { h, sim, wire, startedBy } = setup();
      sim.setFaults({ lostResponseCalls: [2] });
      await pass(h.reconcile(fiveSecondsPastTen));
      wire.listFails = true;
      const calls = sim.ledger.entries().length;
      await pass(h.reconcile(fiveSecondsPastEleven));
      expect(sim.ledger.entries().length, 'no RunTask while the 10:00 run is unconfirmed').to.equal(calls);
      expect(h.runs().map((r) => r.scheduledTime)).to.deep.equal([ten.toISOString()]);
      expect(h.runs()[0]!.unconfirmedLaunch).to.not.equal(undefined);

      wire.listFails = false;
      await h.reconcile(tenSecondsPastEleven);
      expect(sim.ledger.run(startedBy)!.tasks).to.equal(TASK_COUNT);
      expect(h.runs().map((r) => `${r.scheduledTime.slice(11, 16)} ${r.tasks?.length}`)).to.have.members([
        '10:00 30',
        '11:00 30',
      ]);
    });
  });

  describe('the fence before every RunTask call', () => {
    it('lease lost after the first RunTask (taskCount 30): no further call; the next leader launches the rest once', async () => {
      let held = true;
      const fence: LeaseFence = { holds: () => held };
      const { h, sim, wire, startedBy } = setup({ fence });
      wire.afterRunTask = () => {
        held = false;
      };
      const term = new AbortController();
      const error = await pass(h.reconcile(fiveSecondsPastTen, term.signal));
      expect(sim.ledger.entries(), 'RunTask calls').to.have.length(1);
      expect(error).to.be.instanceOf(PassAbortedError);
      expect(h.runs(), 'nothing written without the lease').to.deep.equal([]);

      // The lease comes back in a new term (this replica, or another one reading the same status).
      term.abort();
      wire.afterRunTask = undefined;
      held = true;
      await h.reconcile(tenSecondsPastTen, new AbortController().signal);
      expect(sim.ledger.run(startedBy)!.tasks).to.equal(TASK_COUNT);
      expect(h.runs()[0]!.tasks).to.have.length(TASK_COUNT);
    });
  });
});
