import { expect } from 'chai';
import { Controller } from '../../../src/controller/controller.js';
import { ConflictError } from '../../../src/controller/errors.js';
import type { ReconcileResult } from '../../../src/controller/reconciler.js';
import { Reconciler } from '../../../src/controller/reconciler.js';
import { WorkQueue } from '../../../src/controller/work-queue.js';
import { silentLogger } from '../../../src/log/logger.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';
import { MemoryResourceStore } from '../../support/memory-store.js';
import { RecordingEvents } from '../../support/recording-events.js';
import { RecordingLauncher } from '../../support/recording-launcher.js';
import { RecordingControllerMetrics } from '../../support/recording-metrics.js';
import { scheduledTask } from '../../support/resources.js';

const key = 'data/report';

function scripted(...answers: (ReconcileResult | Error)[]) {
  const calls: string[] = [];
  return {
    calls,
    reconcile: async (k: string): Promise<ReconcileResult> => {
      calls.push(k);
      const answer = answers.shift() ?? {};
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

function setup(reconciler: { reconcile(key: string): Promise<ReconcileResult> }) {
  const clock = new FakeClock('2026-03-01T09:45:00Z');
  const metrics = new RecordingControllerMetrics();
  const queue = new WorkQueue({ clock });
  const controller = new Controller({ reconciler, queue, clock, metrics, logger: silentLogger });
  return { clock, metrics, queue, controller };
}

describe('Controller', () => {
  const cases: {
    name: string;
    answer: ReconcileResult | Error;
    outcome: string;
    pending: number[];
    requeues: number;
  }[] = [
    {
      name: 'success: nothing pending, backoff reset',
      answer: {},
      outcome: 'success',
      pending: [],
      requeues: 0,
    },
    {
      name: 'requeue after: a delayed add',
      answer: { requeueAfterMs: 60_000 },
      outcome: 'requeue_after',
      pending: [60_000],
      requeues: 0,
    },
    {
      name: 'error: retried with backoff',
      answer: new Error('boom'),
      outcome: 'error',
      pending: [5],
      requeues: 1,
    },
    {
      name: 'conflict: retried with backoff',
      answer: new ConflictError(),
      outcome: 'error',
      pending: [5],
      requeues: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const reconciler = scripted(c.answer);
      const { clock, metrics, queue, controller } = setup(reconciler);
      controller.start(2);
      controller.enqueue(key);
      await flushPromises();
      expect(reconciler.calls).to.deep.equal([key]);
      expect(metrics.reconciles.map((r) => r.outcome)).to.deep.equal([c.outcome]);
      expect(clock.pendingDelays()).to.deep.equal(c.pending);
      expect(queue.numRequeues(key)).to.equal(c.requeues);
      await controller.stop();
    });
  }

  it('a retry after an error runs again and a success forgets the backoff', async () => {
    const reconciler = scripted(new Error('boom'), {});
    const { clock, queue, controller } = setup(reconciler);
    controller.start(1);
    controller.enqueue(key);
    await flushPromises();
    clock.advance(5);
    await flushPromises();
    expect(reconciler.calls).to.have.length(2);
    expect(queue.numRequeues(key)).to.equal(0);
    await controller.stop();
  });

  it('stop waits for the pass in flight and then takes no more work', async () => {
    let release!: () => void;
    const calls: string[] = [];
    const { controller } = setup({
      reconcile: async (k) => {
        calls.push(k);
        await new Promise<void>((resolve) => (release = resolve));
        return {};
      },
    });
    controller.start(1);
    controller.enqueue(key);
    await flushPromises();
    let stopped = false;
    const stopping = controller.stop().then(() => (stopped = true));
    await flushPromises();
    expect(stopped).to.equal(false);
    release();
    await stopping;
    controller.enqueue('data/other');
    await flushPromises();
    expect(calls).to.deep.equal([key]);
  });

  it('drives the real reconciler end to end on the fake clock: one launch per hour', async () => {
    const clock = new FakeClock('2026-03-01T09:45:00Z');
    const store = new MemoryResourceStore();
    const launcher = new RecordingLauncher(clock);
    store.put(scheduledTask());
    const metrics = new RecordingControllerMetrics();
    const reconciler = new Reconciler({
      store,
      launcher,
      events: new RecordingEvents(),
      clock,
      metrics,
      logger: silentLogger,
      defaultCluster: 'default',
    });
    const queue = new WorkQueue({ clock });
    const controller = new Controller({ reconciler, queue, clock, metrics, logger: silentLogger });
    controller.start(1);
    controller.enqueue(key);
    await flushPromises();
    for (let minute = 0; minute < 150; minute++) {
      clock.advance(60_000);
      await flushPromises();
      if (minute === 30) launcher.finishAll();
    }
    expect(launcher.runRequests.map((r) => r.startedBy.split('/').at(-1))).to.deep.equal([
      String(Date.parse('2026-03-01T10:00:00Z') / 1000),
      String(Date.parse('2026-03-01T11:00:00Z') / 1000),
      String(Date.parse('2026-03-01T12:00:00Z') / 1000),
    ]);
    expect(store.get(key)?.status?.runs?.map((r) => r.result)).to.deep.equal([
      'Running',
      'Running',
      'Succeeded',
    ]);
    await controller.stop();
  });
});
