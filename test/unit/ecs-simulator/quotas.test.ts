import { expect } from 'chai';
import { quotaProfile } from '../../support/ecs-simulator/quotas.js';
import { CLUSTER, errorOf, runTask, simulator, SUBNETS } from './support.js';

const fargate = { taskDefinition: 'web', launchType: 'FARGATE', networkConfiguration: SUBNETS };

describe('ECS simulator quotas', () => {
  const cases: {
    name: string;
    /** Each step: RunTask calls to make (all must pass), then how many ms to wait. */
    input: Record<string, unknown>;
    burstCalls: number;
    afterOneSecond: number;
  }[] = [
    {
      name: 'RunTask on EC2: 100 calls burst, 40 per second',
      input: {},
      burstCalls: 100,
      afterOneSecond: 40,
    },
    {
      name: 'RunTask on Fargate: 20 calls per second, burst and sustained',
      input: fargate,
      burstCalls: 20,
      afterOneSecond: 20,
    },
    {
      name: 'Fargate tasks: 100 burst, then 20 per second (10 tasks per call)',
      input: { ...fargate, count: 10 },
      burstCalls: 10,
      afterOneSecond: 2,
    },
    {
      name: 'a Fargate capacity provider counts as Fargate',
      input: {
        taskDefinition: 'web',
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        networkConfiguration: SUBNETS,
        count: 10,
      },
      burstCalls: 10,
      afterOneSecond: 2,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { sim, clock } = simulator({ quotas: 'aws' });
      for (let i = 0; i < c.burstCalls; i++) runTask(sim, c.input);
      expect(errorOf(() => runTask(sim, c.input))).to.include({ type: 'ThrottlingException', status: 400 });
      clock.advance(1_000);
      for (let i = 0; i < c.afterOneSecond; i++) runTask(sim, c.input);
      expect(errorOf(() => runTask(sim, c.input)).type).to.equal('ThrottlingException');
      const stats = sim.stats().operations.RunTask!;
      expect(stats).to.include({ ok: c.burstCalls + c.afterOneSecond, throttled: 2 });
      expect(sim.ledger.report().accepted).to.equal(c.burstCalls + c.afterOneSecond);
    });
  }

  it('DescribeTasks and ListTasks share the task read bucket: 100 burst, 20 per second', () => {
    const { sim, clock } = simulator({ quotas: 'aws' });
    const arn = runTask(sim).tasks[0]!.taskArn;
    for (let i = 0; i < 50; i++) {
      sim.call('DescribeTasks', { cluster: CLUSTER, tasks: [arn] });
      sim.call('ListTasks', { cluster: CLUSTER });
    }
    expect(errorOf(() => sim.call('ListTasks', { cluster: CLUSTER })).type).to.equal('ThrottlingException');
    clock.advance(500);
    for (let i = 0; i < 10; i++) sim.call('DescribeTasks', { cluster: CLUSTER, tasks: [arn] });
    expect(errorOf(() => sim.call('DescribeTasks', { cluster: CLUSTER, tasks: [arn] })).type).to.equal(
      'ThrottlingException',
    );
    // RunTask has its own bucket.
    runTask(sim);
  });

  it('a call refused by one bucket takes no token from the others', () => {
    const { sim, clock } = simulator({
      quotas: { runTask: { burst: 5, perSecond: 1 }, fargateTasks: { burst: 10, perSecond: 10 } },
    });
    runTask(sim, { ...fargate, count: 10 });
    // The Fargate task bucket is empty: these are refused, and must not drain the RunTask bucket.
    for (let i = 0; i < 10; i++)
      expect(errorOf(() => runTask(sim, fargate)).type).to.equal('ThrottlingException');
    clock.advance(1_000);
    for (let i = 0; i < 4; i++) runTask(sim, fargate);
  });

  it('quotas off never throttles', () => {
    const { sim } = simulator({ quotas: 'off' });
    for (let i = 0; i < 2_000; i++) runTask(sim, { ...fargate, count: 10 });
    expect(sim.stats().totals.throttled).to.equal(0);
    expect(sim.ledger.report().tasksLaunched).to.equal(20_000);
  });

  it('switching quotas at runtime starts with full buckets', () => {
    const { sim } = simulator({ quotas: 'off' });
    sim.setQuotas({ runTask: { burst: 2, perSecond: 1 } });
    runTask(sim);
    runTask(sim);
    expect(errorOf(() => runTask(sim)).type).to.equal('ThrottlingException');
    sim.setQuotas('off');
    runTask(sim);
  });

  const invalid: { name: string; input: unknown; message: RegExp }[] = [
    { name: 'an unknown word', input: 'fast', message: /^quotas: expected "aws", "off"/ },
    {
      name: 'an unknown bucket',
      input: { runtask: { burst: 1, perSecond: 1 } },
      message: /^quotas\.runtask: unknown bucket/,
    },
    {
      name: 'a zero burst',
      input: { runTask: { burst: 0, perSecond: 1 } },
      message: /^quotas\.runTask\.burst:/,
    },
    { name: 'a missing rate', input: { taskRead: { burst: 5 } }, message: /^quotas\.taskRead\.perSecond:/ },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name}, naming the field`, () => {
      expect(() => quotaProfile(c.input)).to.throw(c.message);
    });
  }
});
