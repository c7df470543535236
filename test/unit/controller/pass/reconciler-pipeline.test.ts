import { expect } from 'chai';
import { alwaysHeld, PassAbortedError } from '../../../../src/controller/runtime/fencing.js';
import { Reconciler } from '../../../../src/controller/pass/reconciler.js';
import { silentLogger } from '../../../../src/log/logger.js';
import type { PolicyDecision, PolicyGate } from '../../../../src/controller/ports.js';
import { flushPromises } from '../../../support/fake-clock.js';
import { harness, key } from './harness.js';

const nineFifty = '2026-03-01T09:50:00Z';
const fiveSecondsPastTen = '2026-03-01T10:00:05Z';
const tenSecondsPastTen = '2026-03-01T10:00:10Z';
const role = { roleArn: 'arn:aws:iam::123456789012:role/ecs-scheduler-data', externalId: 'data' };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function gate(decision: PolicyDecision): PolicyGate {
  return { evaluate: () => decision, onChange: () => undefined };
}

describe('Reconciler: launch once, fenced, per tenant', () => {
  describe('launch once by construction', () => {
    it('in steady state a due run goes straight to RunTask: no ListTasks on the launch path', async () => {
      const h = harness();
      await h.reconcile(nineFifty);
      await h.reconcile(fiveSecondsPastTen);
      h.launcher.finishAll();
      await h.reconcile('2026-03-01T10:30:00Z');
      await h.reconcile('2026-03-01T11:00:05Z');
      expect(h.launcher.runRequests).to.have.length(2);
      expect(h.launcher.findRequests, 'no ListTasks').to.deep.equal([]);
    });

    it('a lost RunTask answer is looked up before anything else is launched (moto: no token help)', async () => {
      const h = harness({ taskCount: 3 });
      await h.reconcile(nineFifty);
      h.launcher.script({ lostAnswer: new Error('socket timeout') });
      await rejection(h.reconcile(fiveSecondsPastTen));
      await h.reconcile(tenSecondsPastTen);
      expect(h.launcher.findRequests).to.have.length(1);
      expect(h.launcher.runRequests, 'no second RunTask').to.have.length(1);
      expect(h.launcher.launchedCount).to.equal(3);
      expect(h.runs()[0]!.tasks).to.have.length(3);
    });

    it('a lost RunTask answer is repeated as the identical request, and ECS replays it: one set of tasks', async () => {
      const h = harness({ taskCount: 3 });
      h.launcher.honourTokens = true;
      h.launcher.listLagging = true; // ListTasks has not caught up with the launch yet
      await h.reconcile(nineFifty);
      h.launcher.script({ lostAnswer: new Error('socket timeout') });
      await rejection(h.reconcile(fiveSecondsPastTen));
      await h.reconcile(tenSecondsPastTen);
      const [first, second] = h.launcher.runRequests;
      expect(second, 'the same request').to.deep.equal(first);
      expect(h.launcher.launchedCount, 'no duplicates').to.equal(3);
      expect(h.runs()[0]!.tasks).to.have.length(3);
      expect(h.runs()[0]!.launchAttempts).to.equal(1);
    });

    describe('a crash at every step of a launch leaves exactly one set of tasks', () => {
      const steps = ['before RunTask', 'after RunTask', 'after the status write'] as const;
      for (const step of steps) {
        for (const tokens of ['ECS honours clientToken', 'moto ignores clientToken']) {
          it(`${step} (${tokens})`, async () => {
            const h = harness({ taskCount: 12 });
            h.launcher.honourTokens = tokens.startsWith('ECS');
            if (step === 'before RunTask') {
              // The process dies on the way to ECS: the request never arrives.
              h.launcher.script({ error: new Error('process killed') });
            }
            if (step === 'after RunTask') {
              h.store.beforeNextWrite(() => {
                throw new Error('process killed');
              });
            }
            await h.reconcile(fiveSecondsPastTen).catch(() => undefined);
            // A new process (a fresh reconciler: empty memory, a new term) over the same store and ECS.
            const restarted = new Reconciler({
              store: h.store,
              launcher: h.launcher,
              events: h.events,
              clock: h.clock,
              metrics: h.metrics,
              logger: silentLogger,
              defaultCluster: 'default',
              fence: alwaysHeld,
            });
            h.clock.set(tenSecondsPastTen);
            await restarted.reconcile(key);
            expect(h.launcher.launchedCount, 'tasks in ECS').to.equal(12);
            expect(h.runs().map((r) => `${r.result} ${r.tasks?.length}`)).to.deep.equal(['Running 12']);
          });
        }
      }
    });

    it('records the cluster and the attempt, so a capacity retry sends its own deterministic token', async () => {
      const h = harness({ taskCount: 2, task: { taskDefinition: 'report', cluster: 'batch' } });
      h.launcher.script({ launch: 1 }, { launch: 0 });
      await h.reconcile(nineFifty);
      await h.reconcile(fiveSecondsPastTen);
      expect(h.runs()[0]).to.include({ cluster: 'batch', launchAttempts: 1 });
      await h.reconcile(tenSecondsPastTen);
      const tokens = h.launcher.runRequests.map((r) => r.clientToken);
      expect(tokens[1]).to.equal(`${tokens[0]}-a1`);
      expect(h.runs()[0]).to.include({ launchAttempts: 2 });
      // The spec moves to another cluster: the run's tasks stay where they were launched, and no
      // remainder goes there (the policy judged the new cluster, not the old).
      h.apply({ task: { taskDefinition: 'report', cluster: 'other' } });
      await h.reconcile('2026-03-01T10:00:30Z');
      expect(h.launcher.runRequests.map((r) => r.cluster)).to.deep.equal(['batch', 'batch']);
      expect(h.runs()[0]).to.include({ cluster: 'batch', launchCount: 1 });
      expect(h.launcher.describeRequests.every((d) => d.cluster === 'batch')).to.equal(true);
    });
  });

  describe('fencing and cancellation', () => {
    it('checks the lease with the margin right before RunTask; not held: no launch, no write', async () => {
      const margins: number[] = [];
      const h = harness(
        {},
        { deps: { fence: { holds: (m) => (margins.push(m), false) }, fenceMarginMs: 2500 } },
      );
      const error = await rejection(h.reconcile(fiveSecondsPastTen));
      expect(error).to.be.instanceOf(PassAbortedError);
      expect(margins).to.deep.equal([2500]);
      expect(h.launcher.runRequests).to.deep.equal([]);
      expect(h.store.statusWrites, 'nothing half-decided is written').to.deep.equal([]);
      expect(h.events.events).to.deep.equal([]);
    });

    it('asks the fence about the resource itself: a resource no longer ours (sharding) launches nothing', async () => {
      const asked: (string | undefined)[] = [];
      const h = harness(
        {},
        { deps: { fence: { holds: (_m, k) => (asked.push(k), k !== key) }, fenceMarginMs: 2500 } },
      );
      const error = await rejection(h.reconcile(fiveSecondsPastTen));
      expect(error).to.be.instanceOf(PassAbortedError);
      expect(asked).to.deep.equal([key]);
      expect(h.launcher.runRequests).to.deep.equal([]);
      expect(h.store.statusWrites).to.deep.equal([]);
    });

    it("passes the term's signal to every ECS call, and a cancelled pass launches nothing", async () => {
      const h = harness({ activeDeadlineSeconds: 60 });
      const term = new AbortController();
      await h.reconcile(fiveSecondsPastTen, term.signal);
      await h.reconcile('2026-03-01T10:01:10Z', term.signal);
      expect(h.launcher.signals.length).to.be.greaterThan(2);
      expect(h.launcher.signals.every((s) => s === term.signal)).to.equal(true);

      term.abort();
      const error = await rejection(h.reconcile('2026-03-01T11:00:05Z', term.signal));
      expect(error).to.be.instanceOf(PassAbortedError);
      expect(h.launcher.runRequests).to.have.length(1);
    });

    it('a term lost while the status write waits its turn in the lane: no write, the pass aborts', async () => {
      const h = harness();
      const term = new AbortController();
      h.clock.set(fiveSecondsPastTen);
      const error = await rejection(
        h.reconciler.reconcile(key, term.signal, (write) => {
          // The launch went out; leadership ends before the lane lets the write go.
          term.abort();
          return write();
        }),
      );
      expect(error).to.be.instanceOf(PassAbortedError);
      expect(h.launcher.runRequests).to.have.length(1);
      expect(h.store.statusWrites, 'the next leader decides from the clientToken').to.deep.equal([]);
      expect(h.events.events).to.deep.equal([]);
    });
  });

  describe('tenancy', () => {
    it('a denied resource stalls with PolicyDenied before any AWS call, warns once, and is not requeued', async () => {
      const denied = gate({
        allowed: false,
        field: 'spec.task.cluster',
        value: 'prod',
        policies: ['team-data'],
        message: 'spec.task.cluster "prod" is not allowed by EcsSchedulerPolicy team-data',
      });
      const h = harness({}, { deps: { policy: denied } });
      const first = await h.reconcile(fiveSecondsPastTen);
      await h.reconcile(tenSecondsPastTen);
      expect(first).to.deep.equal({});
      expect(h.launcher.identities, 'no AWS call').to.deep.equal([]);
      const stalled = h.status().conditions?.find((c) => c.type === 'Stalled');
      expect(stalled).to.include({ status: 'True', reason: 'PolicyDenied' });
      expect(stalled?.message).to.contain('team-data');
      expect(h.status().conditions?.find((c) => c.type === 'Ready')?.status).to.equal('False');
      expect(h.events.events.map((e) => `${e.type} ${e.reason}`)).to.deep.equal(['Warning PolicyDenied']);
      expect(h.metrics.denials).to.deep.equal([
        { key, field: 'spec.task.cluster' },
        { key, field: 'spec.task.cluster' },
      ]);
    });

    it("an allowed resource calls ECS and SQS as the policy's role", async () => {
      const h = harness(
        {
          activeDeadlineSeconds: 60,
          maxCount: 5,
          trigger: { sqs: { queueName: 'jobs', messagesPerTask: 10 } },
        },
        { deps: { policy: gate({ allowed: true, policy: 'team-data', identity: role }) } },
      );
      h.queueDepth.depth = 5;
      await h.reconcile(fiveSecondsPastTen);
      await h.reconcile('2026-03-01T10:01:10Z');
      // The role acts for the resource's namespace: its STS session is named and tagged after it.
      const acting = { ...role, namespace: 'data' };
      expect(h.launcher.runRequests[0]!.identity).to.deep.equal(acting);
      expect(new Set(h.launcher.identities.map((i) => i.split(' ')[1]))).to.deep.equal(
        new Set([role.roleArn]),
      );
      expect(h.launcher.identities.map((i) => i.split(' ')[0])).to.include.members(['RunTask', 'StopTask']);
      expect(h.queueDepth.options[0]?.identity).to.deep.equal(acting);
    });

    interface CapCase {
      readonly name: string;
      readonly controllerCap?: number;
      readonly policyCap?: number;
      readonly launched: number;
    }
    const caps: CapCase[] = [
      { name: 'the controller default caps at 100', launched: 100 },
      { name: 'the controller flag caps', controllerCap: 20, launched: 20 },
      { name: "the policy's cap, when lower, wins", controllerCap: 20, policyCap: 7, launched: 7 },
    ];
    for (const c of caps) {
      it(`maxTasksPerRun: ${c.name}, and the run says so`, async () => {
        const h = harness(
          { taskCount: 150, maxCount: 150 },
          {
            deps: {
              ...(c.controllerCap ? { maxTasksPerRun: c.controllerCap } : {}),
              policy: gate({ allowed: true, ...(c.policyCap ? { maxTasksPerRun: c.policyCap } : {}) }),
            },
          },
        );
        await h.reconcile(fiveSecondsPastTen);
        expect(h.launcher.runRequests.map((r) => r.count)).to.deep.equal([c.launched]);
        expect(h.runs()[0]!.desiredCount).to.equal(c.launched);
        expect(h.runs()[0]!.message).to.contain(`capped from 150 by maxTasksPerRun ${c.launched}`);
      });
    }
  });

  describe('LastRunSucceeded', () => {
    interface Case {
      readonly name: string;
      readonly exit: number;
      readonly status: string;
      readonly reason: string;
    }
    const cases: Case[] = [
      { name: 'True after a success', exit: 0, status: 'True', reason: 'Succeeded' },
      {
        name: 'False after a failure, with the result as reason',
        exit: 3,
        status: 'False',
        reason: 'Failed',
      },
    ];
    for (const c of cases) {
      it(`${c.name}; the last-run metric follows the newest finished run`, async () => {
        const h = harness();
        await h.reconcile(fiveSecondsPastTen);
        expect(h.status().conditions?.find((x) => x.type === 'LastRunSucceeded')).to.equal(undefined);
        h.launcher.finishAll({ app: c.exit });
        await h.reconcile('2026-03-01T10:01:00Z');
        await h.reconcile('2026-03-01T10:02:00Z');
        expect(h.status().conditions?.find((x) => x.type === 'LastRunSucceeded')).to.include({
          status: c.status,
          reason: c.reason,
        });
        expect(
          h.metrics.lastRuns.map((r) => `${r.key} ${r.result}`),
          'reported once',
        ).to.deep.equal([`${key} ${c.reason}`]);
      });
    }
  });

  describe('with the shared task tracker', () => {
    it('an ordinary run costs two status writes and one event; a stop wakes the resource', async () => {
      const h = harness({}, { sharedTracker: true });
      const woken = h.woken;
      await h.reconcile(nineFifty);
      const writesBefore = h.store.statusWrites.length;
      const launched = await h.reconcile(fiveSecondsPastTen);
      expect(launched.requeueAfterMs, 'no polling requeue: the tracker wakes it').to.equal(
        Date.parse('2026-03-01T11:00:00Z') - Date.parse(fiveSecondsPastTen) + 25,
      );
      h.clock.advance(10_000);
      await flushPromises();
      expect(woken, 'RUNNING is not worth a write').to.deep.equal([]);
      h.launcher.finishAll();
      h.clock.advance(10_000);
      await flushPromises();
      expect(woken).to.deep.equal([key]);
      await h.reconcile();
      expect(h.runs()[0]!.result).to.equal('Succeeded');
      expect(h.store.statusWrites.length - writesBefore).to.equal(2);
      expect(h.events.reasons()).to.deep.equal(['Launched', 'RunSucceeded']);
      // The next ordinary run: one event only.
      await h.reconcile('2026-03-01T11:00:05Z');
      h.launcher.finishAll();
      h.clock.advance(10_000);
      await flushPromises();
      await h.reconcile();
      expect(h.events.reasons()).to.deep.equal(['Launched', 'RunSucceeded', 'Launched']);
      expect(h.status().conditions?.find((c) => c.type === 'LastRunSucceeded')).to.include({
        status: 'True',
        reason: 'Succeeded',
      });
      expect(h.metrics.lastRuns.map((r) => r.result)).to.deep.equal(['Succeeded', 'Succeeded']);
      expect(h.tracker!.size, 'nothing left to follow').to.equal(0);
    });
  });
});
