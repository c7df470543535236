import { expect } from 'chai';
import { Controller } from '../../../src/controller/controller.js';
import { ControllerTerms } from '../../../src/controller/controller-terms.js';
import { ConflictError, TerminalError, TransientError } from '../../../src/controller/errors.js';
import { PassAbortedError } from '../../../src/controller/runtime/fencing.js';
import type { Commit, ReconcileResult } from '../../../src/controller/pass/reconciler.js';
import { WriteLane } from '../../../src/flow/write-lane.js';
import { alwaysHeld } from '../../../src/controller/runtime/fencing.js';
import { Reconciler } from '../../../src/controller/pass/reconciler.js';
import { WorkQueue } from '../../../src/controller/runtime/work-queue.js';
import { createLogger, silentLogger } from '../../../src/log/logger.js';
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

function setup(reconciler: { reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult> }) {
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
    {
      name: 'transient: retried with backoff',
      answer: new TransientError('ECS said 503'),
      outcome: 'error',
      pending: [5],
      requeues: 1,
    },
    {
      name: 'fence down while the term lasts: counted as aborted, retried with backoff',
      answer: new PassAbortedError('the lease is not held for another 2000 ms: not launching'),
      outcome: 'aborted',
      pending: [5],
      requeues: 1,
    },
    {
      name: 'terminal: counted, not retried',
      answer: new TerminalError('spec.schedule: bad', 'InvalidSpec'),
      outcome: 'terminal',
      pending: [],
      requeues: 0,
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

  it('counts a requeue delay from the start of the pass, so a slow pass does not push the next run back', async () => {
    const ref: { clock?: FakeClock } = {};
    const slow = {
      reconcile: async (): Promise<ReconcileResult> => {
        // The pass read the clock at its start and asked for 5 s from then; ECS then took 2 s.
        ref.clock!.set(new Date(ref.clock!.now().getTime() + 2_000).toISOString());
        return { requeueAfterMs: 5_000 };
      },
    };
    const { clock, controller } = setup(slow);
    ref.clock = clock;
    controller.start(1);
    controller.enqueue(key);
    await flushPromises();
    expect(clock.pendingDelays()).to.deep.equal([3_000]);
    await controller.stop();
  });

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

  it('a terminal error forgets earlier backoff and waits for the next change to the resource', async () => {
    const reconciler = scripted(new Error('boom'), new TerminalError('bad spec', 'InvalidSpec'), {});
    const { clock, queue, controller } = setup(reconciler);
    controller.start(1);
    controller.enqueue(key);
    await flushPromises();
    clock.advance(5);
    await flushPromises();
    expect(reconciler.calls, 'the retry ran and failed terminally').to.have.length(2);
    expect(queue.numRequeues(key)).to.equal(0);
    clock.advance(3_600_000);
    await flushPromises();
    expect(reconciler.calls, 'no retry on its own').to.have.length(2);
    controller.enqueue(key);
    await flushPromises();
    expect(reconciler.calls, 'an informer event queues it again').to.have.length(3);
    await controller.stop();
  });

  it('abort() signals the passes in flight, counts them as aborted, and retries nothing', async () => {
    const seen: AbortSignal[] = [];
    const { clock, metrics, controller } = setup({
      reconcile: (_k, signal) => {
        seen.push(signal);
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted by the launcher'))),
        );
      },
    });
    controller.start(4);
    controller.enqueue('data/a');
    controller.enqueue('data/b');
    await flushPromises();
    expect(seen).to.have.length(2);
    expect(seen.every((s) => !s.aborted)).to.equal(true);
    await controller.abort(new Error('leadership lost'));
    expect(seen.every((s) => s.aborted)).to.equal(true);
    expect(metrics.reconciles.map((r) => r.outcome)).to.deep.equal(['aborted', 'aborted']);
    expect(clock.pendingDelays(), 'no retry scheduled').to.deep.equal([]);
    controller.enqueue('data/c');
    await flushPromises();
    expect(seen, 'no work after abort').to.have.length(2);
  });

  it('reports configured and busy workers, so a saturated pool shows in metrics', async () => {
    const samples: [number, number][] = [];
    class WorkerMetrics extends RecordingControllerMetrics {
      workers(max: number, active: number): void {
        samples.push([max, active]);
      }
    }
    const clock = new FakeClock('2026-03-01T09:45:00Z');
    const releases: (() => void)[] = [];
    const controller = new Controller({
      reconciler: {
        reconcile: () => new Promise<ReconcileResult>((resolve) => releases.push(() => resolve({}))),
      },
      queue: new WorkQueue({ clock }),
      clock,
      metrics: new WorkerMetrics(),
      logger: silentLogger,
    });
    controller.start(2);
    for (const k of ['data/a', 'data/b', 'data/c']) controller.enqueue(k);
    await flushPromises();
    expect(samples, 'two of two busy, the third key waits').to.deep.equal([
      [2, 0],
      [2, 1],
      [2, 2],
    ]);
    releases.shift()!();
    await flushPromises();
    expect(samples.slice(3)).to.deep.equal([
      [2, 1],
      [2, 2],
    ]);
    for (const release of releases) release();
    await controller.stop();
    expect(samples.at(-1)).to.deep.equal([2, 0]);
  });

  it('a pass gives its worker back at commit; its write waits in the lane behind deciding passes', async () => {
    const clock = new FakeClock('2026-03-01T09:45:00Z');
    const metrics = new RecordingControllerMetrics();
    const queue = new WorkQueue({ clock });
    const writeLane = new WriteLane({ concurrency: 4, concurrencyWhileDeciding: 1 });
    const log: string[] = [];
    const gates = new Map<string, () => void>();
    const gate = (name: string) => new Promise<void>((resolve) => gates.set(name, resolve));
    const reconciler = {
      reconcile: async (k: string, _signal: AbortSignal, commit: Commit): Promise<ReconcileResult> => {
        log.push(`decide ${k}`);
        await gate(`decided ${k}`);
        await commit(async () => {
          log.push(`write ${k}`);
          await gate(`written ${k}`);
        });
        log.push(`done ${k}`);
        return {};
      },
    };
    const controller = new Controller({ reconciler, queue, clock, metrics, logger: silentLogger, writeLane });
    controller.start(2);
    for (const k of ['ns/a', 'ns/b', 'ns/c']) controller.enqueue(k);
    await flushPromises();
    expect(log).to.deep.equal(['decide ns/a', 'decide ns/b']);
    gates.get('decided ns/a')!();
    await flushPromises();
    expect(log.slice(2), "ns/a's worker moved on to ns/c while ns/a writes").to.deep.equal([
      'write ns/a',
      'decide ns/c',
    ]);
    expect(controller.inFlight).to.equal(3);
    gates.get('decided ns/b')!();
    await flushPromises();
    expect(log.slice(4), "ns/b's write waits: ns/c decides, and one write is in flight").to.deep.equal([]);
    gates.get('written ns/a')!();
    await flushPromises();
    expect(log.slice(4)).to.deep.equal(['write ns/b', 'done ns/a']);
    gates.get('decided ns/c')!();
    await flushPromises();
    expect(log.slice(6), 'nobody decides: writes go up to the full concurrency').to.deep.equal([
      'write ns/c',
    ]);
    gates.get('written ns/b')!();
    gates.get('written ns/c')!();
    await flushPromises();
    expect(controller.inFlight).to.equal(0);
    await controller.stop();
  });

  it('backpressure: with the lane full, a pass keeps its worker until its write is done', async () => {
    const clock = new FakeClock('2026-03-01T09:45:00Z');
    const queue = new WorkQueue({ clock });
    const writeLane = new WriteLane({ concurrency: 1, concurrencyWhileDeciding: 1, maxWaiting: 1 });
    const decided: string[] = [];
    const finish = new Map<string, () => void>();
    const reconciler = {
      reconcile: async (k: string, _signal: AbortSignal, commit: Commit): Promise<ReconcileResult> => {
        decided.push(k);
        await commit(() => new Promise<void>((resolve) => finish.set(k, resolve)));
        return {};
      },
    };
    const controller = new Controller({
      reconciler,
      queue,
      clock,
      metrics: new RecordingControllerMetrics(),
      logger: silentLogger,
      writeLane,
    });
    controller.start(1);
    for (const k of ['ns/a', 'ns/b', 'ns/c', 'ns/d']) controller.enqueue(k);
    await flushPromises();
    // a writes, b waits (the lane's one waiting place), c finds the lane full and keeps the worker.
    expect(decided).to.deep.equal(['ns/a', 'ns/b', 'ns/c']);
    expect(writeLane.waiting).to.equal(2);
    finish.get('ns/a')!();
    await flushPromises();
    expect(decided, 'd waits for a worker: c still holds the only one').to.deep.equal([
      'ns/a',
      'ns/b',
      'ns/c',
    ]);
    finish.get('ns/b')!();
    await flushPromises();
    finish.get('ns/c')!();
    await flushPromises();
    expect(decided).to.deep.equal(['ns/a', 'ns/b', 'ns/c', 'ns/d']);
    finish.get('ns/d')!();
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

  it('stop writes what the passes left waiting once they are done; after abort nothing is written', async () => {
    for (const how of ['stop', 'abort'] as const) {
      const order: string[] = [];
      let release!: () => void;
      const { controller } = setup({
        reconcile: async () => {
          await new Promise<void>((resolve) => (release = resolve));
          order.push('pass');
          return {};
        },
        flush: async (signal: AbortSignal, commit: Commit) => {
          await commit(async () => {
            order.push(`flush aborted=${signal.aborted}`);
          });
        },
      } as { reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult> });
      controller.start(1);
      controller.enqueue(key);
      await flushPromises();
      const stopping = how === 'stop' ? controller.stop() : controller.abort();
      release();
      await stopping;
      expect(order, how).to.deep.equal(how === 'stop' ? ['pass', 'flush aborted=false'] : ['pass']);
    }
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
      fence: alwaysHeld,
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

  describe('ControllerTerms', () => {
    /** A reconciler whose passes stay open until the test settles them, and that logs overlap. */
    function gatedReconciler() {
      const open = new Map<string, { resolve: () => void; signal: AbortSignal; term: number }[]>();
      const overlaps: string[] = [];
      const starts: { key: string; term: number }[] = [];
      let term = 0;
      return {
        open,
        overlaps,
        starts,
        nextTerm: () => ++term,
        reconciler: {
          reconcile: (k: string, signal: AbortSignal) =>
            new Promise<ReconcileResult>((resolve) => {
              const running = open.get(k) ?? [];
              if (running.length > 0) overlaps.push(k);
              starts.push({ key: k, term });
              // A pass that ignores its abort for a while: it settles only when the test says.
              running.push({ resolve: () => resolve({}), signal, term });
              open.set(k, running);
            }),
        },
        settle(k: string) {
          const running = open.get(k) ?? [];
          const first = running.shift();
          if (running.length === 0) open.delete(k);
          first?.resolve();
        },
      };
    }

    function terms(
      reconciler: { reconcile(k: string, s: AbortSignal): Promise<ReconcileResult> },
      logger = silentLogger,
    ) {
      const clock = new FakeClock('2026-03-01T09:45:00Z');
      const metrics = new RecordingControllerMetrics();
      return new ControllerTerms({
        newController: () =>
          new Controller({
            reconciler,
            queue: new WorkQueue({ clock }),
            clock,
            metrics,
            logger: silentLogger,
          }),
        keys: () => [key, 'data/other'],
        concurrency: 8,
        logger,
      });
    }

    it("a new term does not start a pass until the lost term's passes have settled", async () => {
      const gate = gatedReconciler();
      const logged: { msg: string; passes?: number }[] = [];
      const logger = createLogger({ write: (line) => logged.push(JSON.parse(line) as { msg: string }) });
      const t = terms(gate.reconciler, logger);
      const first = new AbortController();
      gate.nextTerm();
      t.lead(first.signal);
      await flushPromises();
      expect(gate.starts.map((s) => s.key)).to.deep.equal([key, 'data/other']);

      first.abort(new Error('leadership lost'));
      const second = new AbortController();
      gate.nextTerm();
      t.lead(second.signal);
      t.enqueue(key);
      await flushPromises();
      expect(
        [...gate.open.values()].flat().every((p) => p.signal.aborted),
        'term 1 aborted',
      ).to.equal(true);
      expect(gate.starts, 'term 2 waits while term 1 is still settling').to.have.length(2);
      expect(logged.find((l) => l.msg.startsWith('new term waits'))?.passes).to.equal(2);

      gate.settle(key);
      await flushPromises();
      expect(gate.starts, 'one of two term-1 passes still open').to.have.length(2);
      gate.settle('data/other');
      await flushPromises();
      expect(gate.starts.filter((s) => s.term === 2).map((s) => s.key)).to.deep.equal([key, 'data/other']);
      expect(gate.overlaps).to.deep.equal([]);
      gate.settle(key);
      gate.settle('data/other');
      second.abort();
      await t.settled();
    });

    it('finish() lets passes complete without aborting them, and a term still waiting never starts', async () => {
      const gate = gatedReconciler();
      const t = terms(gate.reconciler);
      const first = new AbortController();
      t.lead(first.signal);
      await flushPromises();
      first.abort();
      const second = new AbortController();
      t.lead(second.signal);
      const finishing = t.finish();
      gate.settle(key);
      gate.settle('data/other');
      await finishing;
      await flushPromises();
      expect(gate.starts, 'the waiting term never started').to.have.length(2);
      expect(t.current).to.equal(undefined);
    });

    it('graceful finish of a running term: its passes see no abort', async () => {
      const gate = gatedReconciler();
      const t = terms(gate.reconciler);
      const lease = new AbortController();
      t.lead(lease.signal);
      await flushPromises();
      const signals = [...gate.open.values()].flat().map((p) => p.signal);
      let finished = false;
      const finishing = t.finish().then(() => (finished = true));
      await flushPromises();
      expect(finished, 'waits for the passes').to.equal(false);
      gate.settle(key);
      gate.settle('data/other');
      await finishing;
      expect(signals.map((s) => s.aborted)).to.deep.equal([false, false]);
      await t.settled();
    });
  });
});
