import { expect } from 'chai';
import { CLUSTER, errorOf, runTask, simulator } from './support.js';

const HOUR = 3_600_000;

describe('ECS simulator clientToken', () => {
  it('the same token with the same parameters returns the same tasks and launches nothing', () => {
    const { sim, clock } = simulator();
    const request = {
      clientToken: 'run-1',
      startedBy: 'ecss/u/1',
      count: 3,
      tags: [{ key: 'a', value: 'b' }],
    };
    const first = runTask(sim, request);
    clock.advance(2_000);
    // Key order differs: parameters are compared, not bytes.
    const again = runTask(sim, {
      count: 3,
      tags: [{ value: 'b', key: 'a' }],
      startedBy: 'ecss/u/1',
      clientToken: 'run-1',
    });
    expect(again.tasks.map((t) => t.taskArn)).to.deep.equal(first.tasks.map((t) => t.taskArn));
    expect(again.tasks[0]!.lastStatus).to.equal('RUNNING');
    expect(sim.ledger.report()).to.include({ accepted: 1, replays: 1, tasksLaunched: 3, duplicates: 0 });
  });

  const conflicts: { name: string; change: Record<string, unknown> }[] = [
    { name: 'another count', change: { count: 2 } },
    { name: 'another startedBy', change: { startedBy: 'ecss/u/2' } },
    {
      name: 'other overrides',
      change: { overrides: { containerOverrides: [{ name: 'main', command: ['x'] }] } },
    },
    {
      name: 'another task definition',
      change: { taskDefinition: 'web', networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } } },
    },
  ];
  for (const c of conflicts) {
    it(`the same token with ${c.name} is a ConflictException naming the existing tasks`, () => {
      const { sim } = simulator();
      const request = { clientToken: 'run-1', startedBy: 'ecss/u/1', count: 1 };
      const first = runTask(sim, request);
      const err = errorOf(() => runTask(sim, { ...request, ...c.change }));
      expect(err).to.include({ type: 'ConflictException', status: 400 });
      expect(err.fields.resourceIds).to.deep.equal([first.tasks[0]!.taskArn]);
      expect(sim.ledger.report()).to.include({ accepted: 1, conflicts: 1, tasksLaunched: 1 });
    });
  }

  it('a token is forgotten after its window (24 hours by default)', () => {
    const { sim, clock } = simulator({ stoppedTaskRetentionMs: 100 * HOUR });
    const first = runTask(sim, { clientToken: 't', startedBy: 's' });
    clock.advance(24 * HOUR);
    const second = runTask(sim, { clientToken: 't', startedBy: 's' });
    expect(second.tasks[0]!.taskArn).to.not.equal(first.tasks[0]!.taskArn);
    expect(sim.ledger.report()).to.include({ accepted: 2, duplicates: 1 });
  });

  it('a call that placed nothing leaves its token free for the retry', () => {
    const { sim } = simulator({ faults: { capacityFailureRate: 1 } });
    const refused = runTask(sim, { clientToken: 't', startedBy: 's' });
    expect(refused.tasks).to.deep.equal([]);
    expect(refused.failures).to.deep.equal([{ reason: 'RESOURCE:CPU' }]);
    sim.setFaults({});
    expect(runTask(sim, { clientToken: 't', startedBy: 's' }).tasks).to.have.length(1);
    expect(sim.ledger.report()).to.include({ unplaced: 1, accepted: 1, duplicates: 0 });
  });

  it('without a token every call launches', () => {
    const { sim } = simulator();
    runTask(sim, { startedBy: 's' });
    runTask(sim, { startedBy: 's' });
    expect(sim.ledger.report()).to.include({ accepted: 2, duplicates: 1, extraTasks: 1 });
  });

  it('refuses a token over 64 characters', () => {
    const { sim } = simulator();
    expect(errorOf(() => runTask(sim, { clientToken: 'x'.repeat(65) }))).to.include({
      type: 'InvalidParameterException',
    });
    expect(sim.call('ListTasks', { cluster: CLUSTER }).taskArns).to.deep.equal([]);
  });
});
