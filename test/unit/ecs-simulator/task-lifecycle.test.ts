import { expect } from 'chai';
import { lifecycleConfig } from '../../support/ecs-simulator/task-lifecycle.js';
import { CLUSTER, describe1, errorOf, runTask, scriptedRandom, simulator, type TaskJson } from './support.js';

const exitCodes = (t: TaskJson) => Object.fromEntries(t.containers.map((c) => [c.name, c.exitCode]));

describe('ECS simulator task lifecycle', () => {
  const lifecycle = { provisioningMs: 1_000, pendingMs: 2_000, runningMs: 10_000, stoppingMs: 4_000 };
  const timeline: { atMs: number; lastStatus: string; desiredStatus: string }[] = [
    { atMs: 0, lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' },
    { atMs: 1_000, lastStatus: 'PENDING', desiredStatus: 'RUNNING' },
    { atMs: 3_000, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
    { atMs: 13_000, lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED' },
    { atMs: 15_000, lastStatus: 'STOPPING', desiredStatus: 'STOPPED' },
    { atMs: 17_000, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' },
  ];
  for (const step of timeline) {
    it(`${step.atMs} ms after launch the task is ${step.lastStatus}`, () => {
      const { sim, clock } = simulator({ lifecycle });
      const arn = runTask(sim).tasks[0]!.taskArn;
      clock.advance(step.atMs);
      expect(describe1(sim, arn).tasks[0]).to.include({
        lastStatus: step.lastStatus,
        desiredStatus: step.desiredStatus,
      });
    });
  }

  it('a task that ends by itself reports its containers exit codes', () => {
    const { sim, clock } = simulator({ lifecycle: { ...lifecycle, exitCodes: { sidecar: 3 } } });
    const arn = runTask(sim).tasks[0]!.taskArn;
    clock.advance(17_000);
    const task = describe1(sim, arn).tasks[0]!;
    expect(task.stopCode).to.equal('EssentialContainerExited');
    expect(exitCodes(task)).to.deep.equal({ main: 0, sidecar: 3 });
  });

  it('a failing share of tasks exits non-zero in their essential containers', () => {
    // One draw per task for failure: 0.1 < 0.5 fails, 0.9 does not.
    const { sim, clock } = simulator({
      random: scriptedRandom([0.1, 0.9]),
      lifecycle: { ...lifecycle, failShare: 0.5, failExitCode: 137 },
    });
    const [failing, passing] = runTask(sim, { count: 2 }).tasks.map((t) => t.taskArn);
    clock.advance(17_000);
    const out = sim.call('DescribeTasks', { cluster: CLUSTER, tasks: [failing, passing] }) as {
      tasks: TaskJson[];
    };
    expect(out.tasks.map(exitCodes)).to.deep.equal([
      { main: 137, sidecar: 0 },
      { main: 0, sidecar: 0 },
    ]);
  });

  it('StopTask stops a running task: UserInitiated, the reason, exit code 143', () => {
    const { sim, clock } = simulator({ lifecycle: { ...lifecycle, stoppingMs: 0 } });
    const arn = runTask(sim).tasks[0]!.taskArn;
    clock.advance(5_000);
    const stopped = (
      sim.call('StopTask', { cluster: CLUSTER, task: arn, reason: 'deadline' }) as { task: TaskJson }
    ).task;
    expect(stopped).to.include({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'deadline',
    });
    expect(exitCodes(stopped)).to.deep.equal({ main: 143, sidecar: 143 });
    // Stopping again is harmless and keeps the first reason.
    clock.advance(1_000);
    expect(
      (sim.call('StopTask', { cluster: CLUSTER, task: arn, reason: 'again' }) as { task: TaskJson }).task
        .stoppedReason,
    ).to.equal('deadline');
  });

  it('a task stopped before it ran has no exit codes', () => {
    const { sim } = simulator({ lifecycle });
    const arn = runTask(sim).tasks[0]!.taskArn;
    const stopped = (sim.call('StopTask', { cluster: CLUSTER, task: arn }) as { task: TaskJson }).task;
    expect(exitCodes(stopped)).to.deep.equal({ main: undefined, sidecar: undefined });
  });

  it('runningMs null runs until StopTask', () => {
    const { sim, clock } = simulator({ lifecycle: { runningMs: null } });
    const arn = runTask(sim).tasks[0]!.taskArn;
    clock.advance(1_000_000_000);
    expect(describe1(sim, arn).tasks[0]!.lastStatus).to.equal('RUNNING');
  });

  it('stopped tasks leave DescribeTasks (MISSING) and ListTasks after the retention', () => {
    const { sim, clock } = simulator({
      lifecycle: { ...lifecycle, stoppingMs: 0 },
      stoppedTaskRetentionMs: 3_600_000,
    });
    const arn = runTask(sim, { startedBy: 's' }).tasks[0]!.taskArn;
    clock.advance(13_000 + 3_600_000 - 1);
    expect(describe1(sim, arn).tasks).to.have.length(1);
    expect(sim.call('ListTasks', { cluster: CLUSTER, desiredStatus: 'STOPPED' }).taskArns).to.deep.equal([
      arn,
    ]);
    clock.advance(1);
    expect(describe1(sim, arn)).to.deep.equal({ tasks: [], failures: [{ arn, reason: 'MISSING' }] });
    expect(sim.call('ListTasks', { cluster: CLUSTER, desiredStatus: 'STOPPED' }).taskArns).to.deep.equal([]);
    expect(
      sim.call('ListTasks', { cluster: CLUSTER, startedBy: 's', desiredStatus: 'STOPPED' }).taskArns,
    ).to.deep.equal([]);
    // The sweep forgets it, so memory stays bounded.
    clock.advance(10_000);
    sim.call('ListTasks', { cluster: CLUSTER });
    expect(sim.stats().tasks.tracked).to.equal(0);
  });

  it('per-family overrides apply to that family only', () => {
    const { sim, clock } = simulator({
      lifecycle: { runningMs: null, byFamily: { app: { runningMs: 0, provisioningMs: 0, pendingMs: 0 } } },
    });
    const app = runTask(sim).tasks[0]!.taskArn;
    const web = runTask(sim, {
      taskDefinition: 'web',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } },
    }).tasks[0]!.taskArn;
    clock.advance(10_000);
    const out = sim.call('DescribeTasks', { cluster: CLUSTER, tasks: [app, web] }) as { tasks: TaskJson[] };
    expect(out.tasks.map((t) => t.lastStatus)).to.deep.equal(['STOPPED', 'RUNNING']);
  });

  const invalid: { name: string; input: unknown; message: RegExp }[] = [
    { name: 'a negative duration', input: { pendingMs: -1 }, message: /^lifecycle\.pendingMs:/ },
    { name: 'a share above 1', input: { failShare: 1.5 }, message: /^lifecycle\.failShare:/ },
    {
      name: 'a fractional exit code',
      input: { exitCodes: { main: 1.5 } },
      message: /^lifecycle\.exitCodes\.main:/,
    },
    { name: 'an unknown field', input: { runMs: 5 }, message: /^lifecycle\.runMs: unknown field/ },
    {
      name: 'a bad family override',
      input: { byFamily: { app: { failShare: 'x' } } },
      message: /^lifecycle\.byFamily\.app\.failShare:/,
    },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name}, naming the field`, () => {
      expect(() => lifecycleConfig(c.input)).to.throw(c.message);
    });
  }

  it('refuses StopTask of an unknown task', () => {
    const { sim } = simulator();
    expect(errorOf(() => sim.call('StopTask', { cluster: CLUSTER, task: 'nope' }))).to.include({
      type: 'InvalidParameterException',
      message: 'The referenced task was not found.',
    });
  });
});
