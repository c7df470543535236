// status.runs[].launchedAt is "when RunTask accepted the tasks": under the client-side RunTask quota
// that is later than the pass's start, and the launch-delay metric must say so.
import { expect } from 'chai';
import { harness } from './harness.js';

const fiveSecondsPastTen = '2026-03-01T10:00:05Z';

describe('Reconciler: launchedAt is when ECS accepted the tasks', () => {
  const cases: {
    readonly name: string;
    readonly spec: { taskCount?: number };
    /** One script per RunTask call, as the fake launcher takes them. */
    readonly scripts: { launch?: number; quotaWaitMs?: number }[];
    /** Passes after the first, at these times. */
    readonly later: string[];
    readonly launchedAt: string;
    readonly delays: number[];
  }[] = [
    {
      name: 'no quota wait: the pass time',
      spec: {},
      scripts: [{}],
      later: [],
      launchedAt: '2026-03-01T10:00:05.000Z',
      delays: [5],
    },
    {
      name: 'a 2.5 s quota wait is part of the launch delay',
      spec: {},
      scripts: [{ quotaWaitMs: 2500 }],
      later: [],
      launchedAt: '2026-03-01T10:00:07.500Z',
      delays: [7.5],
    },
    {
      name: 'a capacity retry that launches first: its acceptance, not the retry pass start',
      spec: { taskCount: 2 },
      scripts: [{ launch: 0 }, { launch: 2, quotaWaitMs: 1200 }],
      later: ['2026-03-01T10:00:10Z'],
      launchedAt: '2026-03-01T10:00:11.200Z',
      delays: [11.2],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const h = harness(c.spec);
      h.launcher.script(...c.scripts);
      await h.reconcile(fiveSecondsPastTen);
      for (const at of c.later) await h.reconcile(at);
      expect(h.runs()[0]).to.include({ result: 'Running', launchedAt: c.launchedAt });
      expect(h.metrics.launchDelays).to.deep.equal(c.delays);
    });
  }
});
