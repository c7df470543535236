import { expect } from 'chai';
import { liveness, type LivenessFacts } from '../../../src/metrics/liveness.js';

const minute = 60_000;
const healthy: LivenessFacts = {
  oldestReconcileMs: 0,
  stuckReconcileMs: 10 * minute,
  informerSilentMs: 0,
  informerWatchdogMs: 5 * minute,
};

describe('liveness', () => {
  const cases: { name: string; facts: Partial<LivenessFacts>; live: boolean; reason?: RegExp }[] = [
    { name: 'idle and listening', facts: {}, live: true },
    { name: 'a reconcile running, under the bound', facts: { oldestReconcileMs: 10 * minute }, live: true },
    {
      name: 'a reconcile stuck past the bound',
      facts: { oldestReconcileMs: 10 * minute + 1 },
      live: false,
      reason: /reconcile has been running for 600 s \(limit 600 s\)/,
    },
    {
      name: 'informer silent for one watchdog period (it relists)',
      facts: { informerSilentMs: 5 * minute },
      live: true,
    },
    { name: 'informer silent for exactly two periods', facts: { informerSilentMs: 10 * minute }, live: true },
    {
      name: 'informer silent past two watchdog periods',
      facts: { informerSilentMs: 10 * minute + 1 },
      live: false,
      reason: /heard nothing from the API server for 600 s/,
    },
    {
      name: 'standalone mode has no informer',
      facts: { informerSilentMs: undefined, informerWatchdogMs: undefined },
      live: true,
    },
    {
      name: 'a disabled watchdog never fails liveness',
      facts: { informerSilentMs: 60 * minute, informerWatchdogMs: 0 },
      live: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const state = liveness({ ...healthy, ...c.facts });
      expect(state.ready).to.equal(c.live);
      if (c.reason) expect(state.reason).to.match(c.reason);
    });
  }
});
