// With the shared tracker a pass reads observations up to a poll interval old. A launch decision
// that depends on which tasks still run (Forbid, Replace, TopUp) must not be made on them: the pass
// asks ECS first. Passes that decide nothing keep to the tracker's polls.
import { expect } from 'chai';
import type { Spec } from '../../../../src/api/types.js';
import { harness } from './harness.js';

const fiveSecondsPastTen = '2026-03-01T10:00:05Z';

type Action = 'scheduled' | 'run-now' | 'nothing';

interface Case {
  readonly name: string;
  readonly spec: Partial<Spec>;
  /** The 10:00 run's task stops after the launch, before the tracker's next poll. */
  readonly stopped: boolean;
  readonly action: Action;
  readonly describeCalls: number;
  readonly launchesAfterFirst: number;
  /** The newest run after the second pass: `result[/reason]`. */
  readonly newest: string;
}

const cases: Case[] = [
  {
    name: 'TopUp: a run-now right after the task stopped launches (not AlreadyRunning)',
    spec: { concurrencyPolicy: 'TopUp' },
    stopped: true,
    action: 'run-now',
    describeCalls: 1,
    launchesAfterFirst: 1,
    newest: 'Running',
  },
  {
    name: 'Forbid: a due time after the task stopped launches (not ConcurrencyForbid)',
    spec: { concurrencyPolicy: 'Forbid' },
    stopped: true,
    action: 'scheduled',
    describeCalls: 1,
    launchesAfterFirst: 1,
    newest: 'Running',
  },
  {
    name: 'Replace: a due time after the task stopped launches without stopping anything',
    spec: { concurrencyPolicy: 'Replace' },
    stopped: true,
    action: 'scheduled',
    describeCalls: 1,
    launchesAfterFirst: 1,
    newest: 'Running',
  },
  {
    name: 'TopUp: a due time while the task still runs is AlreadyRunning, after one DescribeTasks',
    spec: { concurrencyPolicy: 'TopUp' },
    stopped: false,
    action: 'scheduled',
    describeCalls: 1,
    launchesAfterFirst: 0,
    newest: 'Skipped/AlreadyRunning',
  },
  {
    name: 'Allow: the decision does not depend on tasks, so no DescribeTasks',
    spec: { concurrencyPolicy: 'Allow' },
    stopped: false,
    action: 'scheduled',
    describeCalls: 0,
    launchesAfterFirst: 1,
    newest: 'Running',
  },
  {
    name: 'TopUp: a pass that decides nothing asks ECS nothing',
    spec: { concurrencyPolicy: 'TopUp' },
    stopped: true,
    action: 'nothing',
    describeCalls: 0,
    launchesAfterFirst: 0,
    newest: 'Running',
  },
];

describe('Reconciler: launch decisions on fresh task state (shared tracker)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const h = harness(c.spec, { sharedTracker: true });
      await h.reconcile(fiveSecondsPastTen);
      expect(h.launcher.runRequests).to.have.length(1);
      if (c.stopped) h.launcher.finishAll();
      // No timer fires: the tracker has not polled since the launch, so its cache is stale.
      if (c.action === 'run-now') {
        h.annotate({ 'ecs-scheduler.dev/run-now': 'manual-1' });
        await h.reconcile('2026-03-01T10:00:08Z');
      } else if (c.action === 'scheduled') {
        await h.reconcile('2026-03-01T11:00:05Z');
      } else {
        await h.reconcile('2026-03-01T10:00:08Z');
      }
      expect(h.launcher.describeRequests, 'DescribeTasks calls').to.have.length(c.describeCalls);
      expect(h.launcher.runRequests.length - 1, 'launches after the first').to.equal(c.launchesAfterFirst);
      expect(h.launcher.stopRequests).to.deep.equal([]);
      const newest = h.runs()[0]!;
      expect(`${newest.result}${newest.reason ? `/${newest.reason}` : ''}`).to.equal(c.newest);
    });
  }

  it('a failed DescribeTasks before a decision retries the pass instead of deciding on stale tasks', async () => {
    const h = harness({ concurrencyPolicy: 'Forbid' }, { sharedTracker: true });
    await h.reconcile(fiveSecondsPastTen);
    h.launcher.finishAll();
    h.launcher.errors.describe = new Error('ECONNRESET');
    let thrown: unknown;
    await h.reconcile('2026-03-01T11:00:05Z').catch((e: unknown) => (thrown = e));
    expect(thrown).to.be.instanceOf(Error);
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.runs().map((r) => r.result)).to.deep.equal(['Running']);
    delete h.launcher.errors.describe;
    await h.reconcile('2026-03-01T11:00:06Z');
    expect(h.launcher.runRequests).to.have.length(2);
    expect(h.runs().map((r) => r.result)).to.deep.equal(['Running', 'Succeeded']);
  });
});
