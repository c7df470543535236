// forget() of a deleted resource removes every series labelled with it, from every metric. The
// cycles call every method of the controller port (the table must name each one, so a method added
// later is exercised here too), and the check reads every registered metric, so a per-resource
// metric added later that forget() misses fails this test.
import { expect } from 'chai';
import type { ControllerMetrics } from '../../../src/controller/metrics-port.js';
import { createMetrics } from '../../../src/metrics/index.js';

type Calls = {
  [K in keyof ControllerMetrics]-?: (m: Required<ControllerMetrics>, key: string, i: number) => void;
};

const at = new Date('2026-01-01T00:00:00Z');
const everyMethod: Calls = {
  reconciled: (m) => m.reconciled('error', 0.1),
  runRecorded: (m, key) => {
    m.runRecorded('Failed', key);
    m.runRecorded('Succeeded', key);
  },
  launchDelay: (m) => m.launchDelay(1),
  scheduleTimes: (m, key) => m.scheduleTimes(key, at, at),
  queueDepth: (m, key, i) => m.queueDepth(key, i),
  lastRun: (m, key) => {
    m.lastRun(key, 'Succeeded', at);
    m.lastRun(key, 'Failed', at);
  },
  // A free-text reason, different every cycle: no fixed list of label values can remove these.
  runRetried: (m, key, i) => m.runRetried(key, `NonZeroExit-${i}`),
  deadLetter: (m, key) => {
    m.deadLetter(key, 'failed');
    m.deadLetter(key, 'sent');
    m.deadLetter(key, 'refused');
  },
  policyDenied: (m, key) => m.policyDenied(key, 'spec.task.cluster'),
  workers: (m) => m.workers(4, 1),
  adoptionLookups: (m, key) => m.adoptionLookups(key, { found: 1, none: 1 }, true),
  forget: () => undefined,
};

describe('createMetrics: forget() after create/fail/delete cycles', () => {
  it('the cycles call every method of the controller port', () => {
    const m = createMetrics({ defaultMetrics: false });
    expect(Object.keys(everyMethod).sort()).to.deep.equal(Object.keys(m.controller).sort());
  });

  it('leaves no series labelled with a deleted resource in any registered metric', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.leader.setLeader(true);
    const controller = m.controller as Required<ControllerMetrics>;
    const deleted = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const name = `cycle-${i}`;
      for (const call of Object.values(everyMethod)) call(controller, `team/${name}`, i);
      controller.forget(`team/${name}`);
      deleted.add(name);
    }
    // One resource that stays, so the check also sees that forget() removes nothing else.
    for (const call of Object.values(everyMethod)) call(controller, 'team/kept', 0);

    const metrics = await m.registry.getMetricsAsJSON();
    // A resource's series carry namespace and name (workqueue_* has a `name` of its own).
    const resourceMetrics = metrics.filter((metric) =>
      metric.values.some((v) => v.labels['namespace'] !== undefined && v.labels['name'] !== undefined),
    );
    expect(resourceMetrics.map((metric) => metric.name)).to.include.members([
      'ecs_scheduler_runs_total',
      'ecs_scheduler_run_retries_total',
      'ecs_scheduler_dead_letters_total',
      'ecs_scheduler_last_run_result',
    ]);
    for (const metric of resourceMetrics) {
      const left = metric.values.filter((v) => deleted.has(String(v.labels['name'])));
      expect(left, `${metric.name} keeps series of deleted resources`).to.deep.equal([]);
      expect(
        metric.values.some((v) => v.labels['name'] === 'kept'),
        `${metric.name} lost the series of a resource that stays`,
      ).to.equal(true);
    }
  });
});
