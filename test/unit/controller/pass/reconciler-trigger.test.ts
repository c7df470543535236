import { expect } from 'chai';
import type { Spec } from '../../../../src/api/types.js';
import { TransientError } from '../../../../src/controller/errors.js';
import { harness, key } from './harness.js';

const fiveSecondsPastTen = '2026-03-01T10:00:05Z';
const fiveSecondsPastEleven = '2026-03-01T11:00:05Z';
const sqs = { queueName: 'consumer-task-queue', messagesPerTask: 100 };

describe('Reconciler: SQS trigger', () => {
  const cases: {
    name: string;
    depth: number;
    spec?: Partial<Spec>;
    count: number | undefined;
    result: string;
  }[] = [
    { name: '0 messages: no task, Skipped QueueEmpty', depth: 0, count: undefined, result: 'Skipped' },
    { name: '1 message: 1 task', depth: 1, count: 1, result: 'Running' },
    { name: '100 messages: 1 task', depth: 100, count: 1, result: 'Running' },
    { name: '250 messages: 3 tasks', depth: 250, count: 3, result: 'Running' },
    {
      name: '5000 messages capped by maxCount 10',
      depth: 5000,
      spec: { maxCount: 10 },
      count: 10,
      result: 'Running',
    },
    { name: 'taskCount is the floor', depth: 50, spec: { taskCount: 2 }, count: 2, result: 'Running' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const h = harness({ trigger: { sqs }, maxCount: 1000, ...c.spec });
      h.queueDepth.depth = c.depth;
      await h.reconcile(fiveSecondsPastTen);
      expect(h.launcher.runRequests[0]?.count).to.equal(c.count);
      const run = h.runs()[0]!;
      expect(run).to.include({ result: c.result, queueDepth: c.depth, desiredCount: c.count ?? 0 });
      if (c.depth === 0) expect(run.reason).to.equal('QueueEmpty');
      expect(h.metrics.queueDepths.get(key)).to.equal(c.depth);
      expect(h.queueDepth.calls[0]).to.deep.equal(sqs);
    });
  }

  it('TopUp counts running tasks, so the next check tops up rather than doubling', async () => {
    const h = harness({
      trigger: { sqs },
      concurrencyPolicy: 'TopUp',
      maxCount: 10,
      failedRunsHistoryLimit: 3,
    });
    h.queueDepth.depth = 250;
    await h.reconcile(fiveSecondsPastTen);
    await h.reconcile(fiveSecondsPastEleven);
    expect(h.runs()[0]).to.include({ result: 'Skipped', reason: 'AlreadyRunning' });
    h.queueDepth.depth = 500;
    await h.reconcile('2026-03-01T12:00:05Z');
    expect(h.launcher.runRequests.map((r) => r.count)).to.deep.equal([3, 2]);
    expect(h.status().activeCount).to.equal(5);
  });

  it('a failing queue read is transient and leaves the time due', async () => {
    const h = harness({ trigger: { sqs }, maxCount: 10 });
    h.queueDepth.error = new Error('AccessDenied? no: a timeout');
    let error: unknown;
    await h.reconcile(fiveSecondsPastTen).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(TransientError);
    h.queueDepth.error = undefined;
    h.queueDepth.depth = 1;
    await h.reconcile('2026-03-01T10:00:10Z');
    expect(h.launcher.runRequests).to.have.length(1);
  });
});
