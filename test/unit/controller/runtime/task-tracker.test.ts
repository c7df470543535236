import { expect } from 'chai';
import { TaskTracker, type TrackedTask } from '../../../../src/controller/runtime/task-tracker.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { FakeClock, flushPromises } from '../../../support/fake-clock.js';
import { RecordingLauncher } from '../../../support/recording-launcher.js';

const start = '2026-03-01T10:00:00Z';
const role = { roleArn: 'arn:aws:iam::123456789012:role/team-b' };

function setup(options: { wakeOnStart?: boolean; maxPollMs?: number } = {}) {
  const clock = new FakeClock(start);
  const launcher = new RecordingLauncher(clock);
  const woken: string[] = [];
  const polls: { outcome: string; calls: number }[] = [];
  const hints: string[] = [];
  const tracker = new TaskTracker({
    launcher,
    clock,
    logger: silentLogger,
    onWake: (key) => woken.push(key),
    metrics: {
      tracked: () => undefined,
      polled: (outcome, calls) => polls.push({ outcome, calls }),
      hinted: (outcome) => hints.push(outcome),
    },
    ...options,
  });
  /** Launches `n` tasks in `cluster` and returns them as the tracker follows them. */
  const launch = async (cluster: string, n: number): Promise<TrackedTask[]> => {
    const result = await launcher.runTasks({
      cluster,
      task: { taskDefinition: 'x' },
      count: n,
      startedBy: `s-${cluster}`,
      clientToken: `t-${cluster}-${launcher.runRequests.length}`,
      tags: [],
    });
    return result.tasks.map((t) => ({ taskArn: t.taskArn, cluster, launchedAt: clock.now() }));
  };
  const tick = async (ms = 10_000) => {
    clock.advance(ms);
    await flushPromises();
  };
  return { clock, launcher, tracker, woken, polls, hints, launch, tick };
}

describe('TaskTracker', () => {
  it('checkBy passed while a slow poll was out: asked at the next poll, not an interval later', async () => {
    const clock = new FakeClock(start);
    const launcher = new RecordingLauncher(clock);
    let answer: (() => void) | undefined;
    const slow = Object.assign(Object.create(launcher) as RecordingLauncher, {
      describeTasks: async (...args: Parameters<RecordingLauncher['describeTasks']>) => {
        await new Promise<void>((resolve) => (answer = resolve));
        return launcher.describeTasks(...args);
      },
    });
    const woken: string[] = [];
    const tracker = new TaskTracker({
      launcher: slow,
      clock,
      logger: silentLogger,
      onWake: (k) => woken.push(k),
    });
    const launch = async (startedBy: string) =>
      (
        await launcher.runTasks({
          cluster: 'prod',
          task: { taskDefinition: 'x' },
          count: 1,
          startedBy,
          clientToken: startedBy,
          tags: [],
        })
      ).tasks.map((t) => ({ taskArn: t.taskArn, cluster: 'prod', launchedAt: clock.now() }));
    tracker.follow('a/plain', await launch('plain'));
    clock.advance(1_000);
    tracker.follow('a/waiting', await launch('waiting'), { checkBy: new Date(Date.parse(start) + 10_500) });
    launcher.finishAll();
    clock.advance(9_000); // the plain task's first check, at 10 s: DescribeTasks is slow to answer
    await flushPromises();
    clock.advance(1_000); // the waiting launch's checkBy passes meanwhile
    answer!();
    await flushPromises();
    expect(woken).to.deep.equal(['a/plain']);
    clock.advance(1_000);
    await flushPromises();
    answer?.();
    await flushPromises();
    expect(woken, 'a second later, not ten').to.deep.equal(['a/plain', 'a/waiting']);
  });

  it('checkBy: tasks of a launch whose write waits are asked about by then, in one batch, and woken if ended', async () => {
    const t = setup();
    const early = await t.launch('prod', 1);
    t.tracker.follow('a/early', early, { checkBy: new Date(Date.parse(start) + 8_000) });
    t.tracker.follow('a/plain', await t.launch('prod', 1));
    t.launcher.finishAll();
    await t.tick(7_999);
    expect(t.launcher.describeRequests, 'not before checkBy').to.deep.equal([]);
    await t.tick(1);
    expect(t.launcher.describeRequests.map((d) => d.taskArns)).to.deep.equal([[early[0]!.taskArn]]);
    expect(t.woken).to.deep.equal(['a/early']);
    // The other key waits for the ordinary poll, a poll interval after the last one.
    await t.tick(9_999);
    expect(t.woken).to.deep.equal(['a/early']);
    await t.tick(1);
    expect(t.woken).to.deep.equal(['a/early', 'a/plain']);
    expect(t.launcher.describeRequests).to.have.length(2);
  });

  it('asks ECS in batches of 100 per cluster across resources', async () => {
    const t = setup();
    t.tracker.follow('a/one', await t.launch('prod', 60));
    t.tracker.follow('a/two', await t.launch('prod', 60));
    t.tracker.follow('b/three', await t.launch('batch', 5));
    await t.tick();
    // 120 ARNs in prod (the launcher batches at 100: 2 calls) and 5 in batch: 2 port calls.
    expect(t.launcher.describeRequests.map((d) => `${d.cluster}:${d.taskArns.length}`)).to.deep.equal([
      'prod:120',
      'batch:5',
    ]);
    expect(t.polls).to.deep.equal([{ outcome: 'success', calls: 3 }]);
    expect(t.tracker.observations('a/one')).to.have.length(60);
  });

  it('asks separately per AWS identity, as that identity', async () => {
    const t = setup();
    t.tracker.follow('a/one', await t.launch('prod', 1));
    t.tracker.follow('b/two', await t.launch('prod', 1), { identity: role });
    await t.tick();
    expect(t.launcher.identities.filter((i) => i.startsWith('DescribeTasks'))).to.deep.equal([
      'DescribeTasks own',
      `DescribeTasks ${role.roleArn}`,
    ]);
  });

  it("asks separately per namespace under one role: each namespace's STS session describes its own tasks", async () => {
    const t = setup();
    t.tracker.follow('a/one', await t.launch('prod', 1), { identity: { ...role, namespace: 'a' } });
    t.tracker.follow('a/two', await t.launch('prod', 1), { identity: { ...role, namespace: 'a' } });
    t.tracker.follow('b/three', await t.launch('prod', 1), { identity: { ...role, namespace: 'b' } });
    await t.tick();
    expect(t.launcher.describeRequests.map((r) => r.taskArns.length)).to.deep.equal([2, 1]);
  });

  interface WakeCase {
    readonly name: string;
    readonly wakeOnStart?: boolean;
    readonly act: (t: ReturnType<typeof setup>, arn: string) => void;
    readonly after: number;
    readonly wakes: number;
  }
  const cases: WakeCase[] = [
    { name: 'first seen RUNNING: no wake by default', act: () => undefined, after: 10_000, wakes: 0 },
    {
      name: 'first seen RUNNING with wakeOnStart: one wake',
      wakeOnStart: true,
      act: () => undefined,
      after: 10_000,
      wakes: 1,
    },
    { name: 'STOPPED: one wake', act: (t, arn) => t.launcher.finish(arn), after: 10_000, wakes: 1 },
    {
      name: 'MISSING inside the grace period: no wake',
      act: (t, arn) => t.launcher.hide(arn),
      after: 60_000,
      wakes: 0,
    },
    {
      name: 'MISSING past the grace period: one wake, not repeated',
      act: (t, arn) => t.launcher.hide(arn),
      after: 180_000,
      wakes: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const t = setup({ wakeOnStart: c.wakeOnStart });
      const tasks = await t.launch('prod', 1);
      t.tracker.follow('a/one', tasks);
      c.act(t, tasks[0]!.taskArn);
      for (let waited = 0; waited < c.after; waited += 10_000) await t.tick();
      await t.tick();
      expect(t.woken).to.have.length(c.wakes);
    });
  }

  it('polls sooner when an activeDeadlineSeconds falls due before the interval, never below the minimum', async () => {
    const t = setup();
    t.tracker.follow('a/one', await t.launch('prod', 1), { deadline: new Date('2026-03-01T10:00:03Z') });
    expect(t.clock.pendingDelays()).to.deep.equal([3_000]);
    t.tracker.follow('a/one', await t.launch('prod', 1), { deadline: new Date('2026-03-01T10:00:00.200Z') });
    expect(t.clock.pendingDelays()).to.deep.equal([1_000]);
  });

  it('checks a long-running task less often: after a quarter of its age, at most every 60 s', async () => {
    const t = setup();
    const [young] = await t.launch('prod', 1);
    const [old] = await t.launch('prod', 1);
    t.tracker.follow('a/young', [young!]);
    t.tracker.follow('a/old', [{ ...old!, launchedAt: new Date('2026-03-01T09:00:00Z') }]);
    await t.tick(); // 10:00:10, both checked for the first time
    for (let i = 0; i < 6; i++) await t.tick(); // to 10:01:10
    const checks = (arn: string) =>
      t.launcher.describeRequests.filter((d) => d.taskArns.includes(arn)).length;
    // 10:00:10 .. 10:00:50 every 10 s; at 50 s old the next check is 12.5 s later, at the 10:01:10 round.
    expect(checks(young!.taskArn)).to.equal(6);
    expect(checks(old!.taskArn), 'at 10:00:10 and 10:01:10').to.equal(2);
  });

  describe('task state change events (hints)', () => {
    it('a stop event brings the stopped task into a poll within the hint delay, batched, and wakes its key', async () => {
      const t = setup({ maxPollMs: 300_000 });
      const [a1, a2] = await t.launch('prod', 2);
      const [b1] = await t.launch('batch', 1);
      t.tracker.follow('a/one', [a1!, a2!]);
      t.tracker.follow('b/two', [b1!]);
      await t.tick(10_000); // the first check: all running
      await t.tick(20 * 60_000 - 10_000); // long-running now: next checks are minutes apart
      const asked = t.launcher.describeRequests.length;
      t.launcher.finish(a1!.taskArn, { app: 0 });
      t.launcher.finish(b1!.taskArn, { app: 1 });
      t.tracker.hint(a1!.taskArn);
      t.tracker.hint(b1!.taskArn);
      await t.tick(499);
      expect(t.launcher.describeRequests.length, 'not before the hint delay').to.equal(asked);
      await t.tick(1);
      const calls = t.launcher.describeRequests.slice(asked);
      expect(
        calls.map((d) => d.cluster),
        'one call per cluster, at the hint delay',
      ).to.deep.equal(['prod', 'batch']);
      expect(calls[0]!.taskArns).to.include(a1!.taskArn);
      expect(calls[1]!.taskArns).to.deep.equal([b1!.taskArn]);
      expect(t.woken.sort()).to.deep.equal(['a/one', 'b/two']);
      expect(t.hints).to.deep.equal(['tracked', 'tracked']);
    });

    it('ignores events about tasks it does not follow or already saw stop; polling still finds a lost event', async () => {
      const t = setup();
      const [a1] = await t.launch('prod', 1);
      t.tracker.follow('a/one', [a1!]);
      t.tracker.hint('arn:aws:ecs:us-east-1:123456789012:task/prod/not-ours');
      await t.tick(10_000);
      t.launcher.finish(a1!.taskArn, { app: 0 });
      // The stop event is lost: the ordinary poll finds the stop.
      await t.tick(10_000);
      expect(t.woken).to.deep.equal(['a/one']);
      t.tracker.hint(a1!.taskArn); // a late duplicate
      expect(t.hints).to.deep.equal(['ignored', 'ignored']);
    });
  });

  it('keeps the last observations when ECS fails, and asks again at the next poll', async () => {
    const t = setup();
    const tasks = await t.launch('prod', 1);
    t.tracker.follow('a/one', tasks);
    await t.tick();
    t.launcher.errors.describe = new Error('throttled');
    t.launcher.finish(tasks[0]!.taskArn);
    await t.tick();
    expect(t.tracker.observations('a/one')[0]!.lastStatus).to.equal('RUNNING');
    expect(t.polls.map((p) => p.outcome)).to.deep.equal(['success', 'error']);
    t.launcher.errors.describe = undefined;
    await t.tick();
    expect(t.tracker.observations('a/one')[0]!.lastStatus).to.equal('STOPPED');
    expect(t.woken).to.deep.equal(['a/one']);
  });

  it('stops asking about a stopped task and stops polling when nothing is followed', async () => {
    const t = setup();
    const tasks = await t.launch('prod', 2);
    t.tracker.follow('a/one', tasks);
    t.launcher.finish(tasks[0]!.taskArn);
    await t.tick();
    await t.tick();
    expect(t.launcher.describeRequests.map((d) => d.taskArns.length)).to.deep.equal([2, 1]);
    t.tracker.follow('a/one', []);
    expect(t.tracker.size).to.equal(0);
    await t.tick();
    expect(t.launcher.describeRequests).to.have.length(2);
    expect(t.clock.pendingDelays()).to.deep.equal([]);
  });

  it('clear() (leadership lost) forgets every task and stops polling; a later follow() starts again', async () => {
    const t = setup();
    const tracked: number[] = [];
    const tracker = new TaskTracker({
      launcher: t.launcher,
      clock: t.clock,
      logger: silentLogger,
      onWake: () => undefined,
      metrics: { tracked: (n) => tracked.push(n), polled: () => undefined },
    });
    tracker.follow('a/one', await t.launch('prod', 2));
    tracker.follow('b/two', await t.launch('batch', 1));
    tracker.clear();
    expect(tracker.size).to.equal(0);
    expect(tracked.at(-1), 'the gauge drops to 0').to.equal(0);
    expect(tracker.observations('a/one')).to.deep.equal([]);
    expect(t.clock.pendingDelays(), 'no poll timer left').to.deep.equal([]);
    await t.tick(60_000);
    expect(t.launcher.describeRequests).to.deep.equal([]);

    tracker.follow('a/one', await t.launch('prod', 1));
    await t.tick();
    expect(t.launcher.describeRequests.map((d) => d.taskArns.length)).to.deep.equal([1]);
  });
});
