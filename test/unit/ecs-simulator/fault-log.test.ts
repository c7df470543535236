import { expect } from 'chai';
import { FaultLog } from '../../support/ecs-simulator/fault-log.js';
import { CLUSTER, START, runTask, simulator } from './support.js';

describe('ECS simulator fault log', () => {
  const cases: {
    name: string;
    faults: Record<string, unknown>;
    operation: 'RunTask' | 'ListTasks';
    expected: Record<string, unknown>[];
  }[] = [
    {
      name: 'a ServerException on RunTask, with its startedBy and clientToken',
      faults: { serverErrorRate: 1 },
      operation: 'RunTask',
      expected: [{ operation: 'RunTask', fault: 'serverError', startedBy: 's1', clientToken: 't1' }],
    },
    {
      name: 'an injected throttle',
      faults: { throttleRate: 1 },
      operation: 'RunTask',
      expected: [{ operation: 'RunTask', fault: 'throttle', startedBy: 's1', clientToken: 't1' }],
    },
    {
      name: 'a lost RunTask response',
      faults: { lostResponseRate: 1 },
      operation: 'RunTask',
      expected: [{ operation: 'RunTask', fault: 'lostResponse', startedBy: 's1' }],
    },
    {
      name: 'a placement failure, with the number of tasks not placed',
      faults: { capacityFailureRate: 1 },
      operation: 'RunTask',
      expected: [{ operation: 'RunTask', fault: 'capacity', startedBy: 's1', detail: 2 }],
    },
    {
      name: 'a latency spike, then the error it delayed',
      faults: { latencySpikeRate: 1, latencySpikeMs: 2000, serverErrorRate: 1 },
      operation: 'RunTask',
      expected: [
        { fault: 'latencySpike', detail: 2000, startedBy: 's1' },
        { fault: 'serverError', startedBy: 's1' },
      ],
    },
    {
      name: "a ListTasks by startedBy keeps the filter's startedBy",
      faults: { serverErrorRate: 1 },
      operation: 'ListTasks',
      expected: [{ operation: 'ListTasks', fault: 'serverError', startedBy: 's1' }],
    },
    {
      name: 'a call that no fault struck leaves no entry',
      faults: { serverErrorRate: 1, operations: ['StopTask'] },
      operation: 'RunTask',
      expected: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { sim, clock } = simulator({ faults: c.faults });
      clock.advance(5_000);
      try {
        if (c.operation === 'RunTask') runTask(sim, { startedBy: 's1', clientToken: 't1', count: 2 });
        else sim.call('ListTasks', { cluster: CLUSTER, startedBy: 's1' });
      } catch {
        /* the injected error is the point */
      }
      const entries = sim.faultLog.entries();
      expect(entries).to.have.length(c.expected.length);
      c.expected.forEach((e, i) => expect(entries[i]).to.include({ at: START + 5_000, ...e }));
      expect(sim.faultLog.report().total).to.equal(c.expected.length);
    });
  }

  it('keeps the newest entries past its bound, oldest first, with exact counts', () => {
    const log = new FaultLog(3);
    for (let i = 0; i < 5; i++) log.record({ at: i, operation: 'RunTask', fault: 'throttle' });
    expect(log.entries().map((e) => e.at)).to.deep.equal([2, 3, 4]);
    expect(log.report()).to.deep.include({ total: 5, dropped: 2 });
    expect(log.report().counts.throttle).to.equal(5);
  });

  it('filters by time and operation', () => {
    const log = new FaultLog();
    log.record({ at: 1, operation: 'RunTask', fault: 'throttle' });
    log.record({ at: 2, operation: 'ListTasks', fault: 'serverError' });
    log.record({ at: 3, operation: 'RunTask', fault: 'serverError' });
    expect(log.entries({ since: 2, operation: 'RunTask' }).map((e) => e.at)).to.deep.equal([3]);
  });

  it('is emptied by reset', () => {
    const { sim } = simulator({ faults: { serverErrorRate: 1 } });
    expect(() => runTask(sim, { startedBy: 's1' })).to.throw();
    sim.reset();
    expect(sim.faultLog.entries()).to.deep.equal([]);
    expect(sim.faultLog.report().total).to.equal(0);
  });
});
