import { expect } from 'chai';
import { decideFaults, faultConfig } from '../../support/ecs-simulator/faults.js';
import { CLUSTER, errorOf, runTask, scriptedRandom, simulator } from './support.js';

describe('ECS simulator faults', () => {
  const calls: {
    name: string;
    faults: Record<string, unknown>;
    expectType: string;
    expectStatus: number;
    statKey: 'serverErrors' | 'throttled';
    launched: number;
  }[] = [
    {
      name: 'serverErrorRate answers ServerException (500) and does nothing',
      faults: { serverErrorRate: 1 },
      expectType: 'ServerException',
      expectStatus: 500,
      statKey: 'serverErrors',
      launched: 0,
    },
    {
      name: 'throttleRate answers ThrottlingException (400) and does nothing',
      faults: { throttleRate: 1 },
      expectType: 'ThrottlingException',
      expectStatus: 400,
      statKey: 'throttled',
      launched: 0,
    },
    {
      name: 'lostResponseRate launches, then answers ServerException',
      faults: { lostResponseRate: 1 },
      expectType: 'ServerException',
      expectStatus: 500,
      statKey: 'serverErrors',
      launched: 1,
    },
  ];
  for (const c of calls) {
    it(c.name, () => {
      const { sim } = simulator({ faults: c.faults });
      expect(errorOf(() => runTask(sim, { startedBy: 's' }))).to.include({
        type: c.expectType,
        status: c.expectStatus,
      });
      expect(sim.stats().operations.RunTask![c.statKey]).to.equal(1);
      expect(sim.ledger.report().tasksLaunched).to.equal(c.launched);
    });
  }

  it('after a lost response, the retry with the same token gets the launched task back', () => {
    const { sim } = simulator({ faults: { lostResponseRate: 1 } });
    expect(errorOf(() => runTask(sim, { clientToken: 't', startedBy: 's' })).type).to.equal(
      'ServerException',
    );
    sim.setFaults({});
    const retry = runTask(sim, { clientToken: 't', startedBy: 's' });
    expect(retry.tasks).to.have.length(1);
    expect(sim.ledger.report()).to.include({ accepted: 1, replays: 1, duplicates: 0 });
  });

  it('lostResponseCalls loses the answer of exactly the numbered RunTask calls, counted from when faults were set', () => {
    const { sim } = simulator({ faults: { lostResponseCalls: [2] } });
    runTask(sim, { startedBy: 'before' });
    expect(errorOf(() => runTask(sim, { startedBy: 'before' })).type).to.equal('ServerException');
    sim.setFaults({ lostResponseCalls: [2], operations: ['DescribeTasks'] });
    expect(runTask(sim, { clientToken: 'b0', startedBy: 's' }).tasks).to.have.length(1);
    expect(errorOf(() => runTask(sim, { clientToken: 'b1', startedBy: 's' })).type).to.equal(
      'ServerException',
    );
    expect(runTask(sim, { clientToken: 'b2', startedBy: 's' }).tasks).to.have.length(1);
    expect(sim.ledger.run('s')).to.include({ acceptedLaunches: 3, tasks: 3 });
    const struck = sim.faultLog.entries().filter((f) => f.startedBy === 's');
    expect(struck.map((f) => [f.fault, f.clientToken])).to.deep.equal([['lostResponse', 'b1']]);
    sim.reset();
    runTask(sim, { startedBy: 'after' });
    expect(
      errorOf(() => runTask(sim, { startedBy: 'after' })).type,
      'reset keeps the start-up faults',
    ).to.equal('ServerException');
  });

  it('hangAfterLaunchRate launches, then never answers; the retry with the same token gets the task', () => {
    const { sim } = simulator({ faults: { hangAfterLaunchRate: 1 } });
    const input = { cluster: CLUSTER, taskDefinition: 'app', clientToken: 't', startedBy: 's' };
    expect(sim.serve('RunTask', input)).to.deep.equal({ kind: 'blackHole' });
    expect(sim.stats().operations.RunTask).to.include({ blackHoled: 1 });
    sim.setFaults({});
    expect(runTask(sim, { clientToken: 't', startedBy: 's' }).tasks).to.have.length(1);
    expect(sim.ledger.report()).to.include({ accepted: 1, replays: 1, duplicates: 0, tasksLaunched: 1 });
  });

  it('capacityFailureRate turns a share of the tasks into failures with the configured reason', () => {
    // One draw per task: 0.1 and 0.3 fail (< 0.5), 0.7 places.
    const { sim } = simulator({
      random: scriptedRandom([0.1, 0.7, 0.3]),
      faults: { capacityFailureRate: 0.5, capacityReason: 'Capacity is unavailable at this time.' },
    });
    const out = runTask(sim, { count: 3 });
    expect(out.tasks).to.have.length(1);
    expect(out.failures).to.deep.equal([
      { reason: 'Capacity is unavailable at this time.' },
      { reason: 'Capacity is unavailable at this time.' },
    ]);
  });

  it('faults limited to some operations leave the others alone', () => {
    const { sim } = simulator({ faults: { serverErrorRate: 1, operations: ['DescribeTasks'] } });
    const arn = runTask(sim).tasks[0]!.taskArn;
    expect(errorOf(() => sim.call('DescribeTasks', { cluster: CLUSTER, tasks: [arn] })).type).to.equal(
      'ServerException',
    );
  });

  it('a black hole is counted and never answered', () => {
    const { sim } = simulator({ faults: { blackHoleRate: 1 } });
    expect(sim.serve('ListTasks', { cluster: CLUSTER })).to.deep.equal({ kind: 'blackHole' });
    expect(sim.stats().operations.ListTasks).to.include({ calls: 1, blackHoled: 1, ok: 0 });
  });

  const latency: { name: string; random: number[]; delayMs: number }[] = [
    { name: 'fixed latency without a spike', random: [0.9], delayMs: 20 },
    { name: 'fixed latency plus a spike', random: [0.05], delayMs: 2_020 },
  ];
  for (const c of latency) {
    it(`latency: ${c.name}`, () => {
      const config = faultConfig({ latencyMs: 20, latencySpikeRate: 0.1, latencySpikeMs: 2_000 });
      expect(decideFaults(config, 'RunTask', scriptedRandom(c.random)).delayMs).to.equal(c.delayMs);
    });
  }

  it('faults set at runtime replace the previous ones', () => {
    const { sim } = simulator({ faults: { serverErrorRate: 1 } });
    expect(sim.setFaults({ throttleRate: 1 })).to.include({ serverErrorRate: 0, throttleRate: 1 });
    expect(errorOf(() => runTask(sim)).type).to.equal('ThrottlingException');
  });

  const invalid: { name: string; input: unknown; message: RegExp }[] = [
    {
      name: 'a share above 1',
      input: { serverErrorRate: 2 },
      message: /^faults\.serverErrorRate: must be a number in \[0, 1\]/,
    },
    { name: 'a negative latency', input: { latencyMs: -5 }, message: /^faults\.latencyMs:/ },
    {
      name: 'a misspelt field',
      input: { throttleRatio: 0.1 },
      message: /^faults\.throttleRatio: unknown field/,
    },
    {
      name: 'operations that are not names',
      input: { operations: 'RunTask' },
      message: /^faults\.operations:/,
    },
    { name: 'an array', input: [], message: /^faults: expected a JSON object/ },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name}, naming the field`, () => {
      expect(() => faultConfig(c.input)).to.throw(c.message);
    });
  }
});
