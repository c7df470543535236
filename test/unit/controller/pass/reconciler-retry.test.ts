import { expect } from 'chai';
import type { RunRecord, Spec } from '../../../../src/api/types.js';
import { ConditionType, findCondition } from '../../../../src/controller/decide/conditions.js';
import { missingTaskDefinition } from '../../../support/recording-launcher.js';
import { harness } from './harness.js';

// The 10:00 run: launched at 10:00:05, each attempt's tasks stop 35 s after launch.
const firstLaunch = '2026-03-01T10:00:05.000Z';
const firstStop = '2026-03-01T10:00:40.000Z';
const firstSeen = '2026-03-01T10:01:00.000Z';
const justBeforeFirstRetry = '2026-03-01T10:01:29.000Z';
const firstRetry = '2026-03-01T10:01:30.000Z';
const secondStop = '2026-03-01T10:02:05.000Z';
const secondSeen = '2026-03-01T10:02:10.000Z';
const secondRetry = '2026-03-01T10:02:40.000Z';
const thirdStop = '2026-03-01T10:03:15.000Z';
const thirdSeen = '2026-03-01T10:03:20.000Z';

const retrying: Partial<Spec> = { retryPolicy: { maxRetries: 2, backoffSeconds: 30 } };

const only = (runs: readonly RunRecord[]) => {
  expect(runs).to.have.length(1);
  return runs[0]!;
};

/** Stops every running task of the fake ECS with these exit codes, at `at`. */
function failAll(h: ReturnType<typeof harness>, at: string, exitCodes: Record<string, number> = { app: 1 }) {
  h.clock.set(at);
  h.launcher.finishAll(exitCodes);
}

describe('Reconciler: retries (spec.retryPolicy)', () => {
  it('retries a non-zero exit after backoffSeconds, maxRetries times, each attempt launched once, and ends Failed', async () => {
    const h = harness(retrying);
    await h.reconcile(firstLaunch);
    failAll(h, firstStop);
    const afterFirst = await h.reconcile(firstSeen);

    const waiting = only(h.runs());
    expect(waiting).to.include({ result: 'Running', reason: 'Retrying', attempt: 2, retryAt: firstRetry });
    expect(waiting.tasks).to.equal(undefined);
    expect(waiting.attempts).to.deep.equal([
      {
        attempt: 1,
        result: 'Failed',
        reason: 'NonZeroExit',
        message: waiting.attempts![0]!.message,
        launchedAt: firstLaunch,
        finishedAt: firstStop,
        taskCounts: { Failed: 1 },
        failedTask: h.launcher.taskArns()[0],
      },
    ]);
    expect(waiting.attempts![0]!.message).to.match(/container app exited 1/);
    expect(afterFirst.requeueAfterMs).to.equal(30_000 + 25);
    const reconciling = findCondition(h.status().conditions, ConditionType.Reconciling);
    expect(reconciling).to.include({ status: 'True', reason: 'Retrying' });
    expect(h.events.events.at(-1)).to.include({ type: 'Warning', reason: 'RunFailed' });
    expect(h.events.events.at(-1)!.message).to.match(
      /attempt 1 of 3 failed .*attempt 2 at 2026-03-01T10:01:30/,
    );
    expect(h.metrics.runs, 'an attempt is not a run').to.deep.equal([]);

    await h.reconcile(justBeforeFirstRetry);
    expect(h.launcher.runRequests, 'backoff honoured').to.have.length(1);

    await h.reconcile(firstRetry);
    expect(h.launcher.runRequests).to.have.length(2);
    const second = h.launcher.runRequests[1]!;
    const first = h.launcher.runRequests[0]!;
    expect(second.startedBy).to.equal(`${first.startedBy}-r1`);
    expect(second.clientToken).to.equal(`${first.clientToken}-r1`);
    expect(second.count).to.equal(first.count);
    expect(only(h.runs())).to.include({ result: 'Running', attempt: 2, launchedAt: firstRetry });
    expect(only(h.runs()).retryAt).to.equal(undefined);

    failAll(h, secondStop);
    await h.reconcile(secondSeen);
    expect(only(h.runs())).to.include({ attempt: 3, retryAt: secondRetry });
    await h.reconcile(secondRetry);
    await h.reconcile(secondRetry);
    expect(h.launcher.runRequests, 'a second pass at the same time launches nothing more').to.have.length(3);
    expect(h.launcher.runRequests[2]!.startedBy).to.equal(`${first.startedBy}-r2`);

    failAll(h, thirdStop);
    await h.reconcile(thirdSeen);
    const final = only(h.runs());
    expect(final).to.include({ result: 'Failed', reason: 'NonZeroExit', attempt: 3, finishedAt: thirdStop });
    expect(final.retryAt).to.equal(undefined);
    expect(final.attempts!.map((a) => `${a.attempt} ${a.result}/${a.reason}`)).to.deep.equal([
      '1 Failed/NonZeroExit',
      '2 Failed/NonZeroExit',
    ]);
    expect(h.status().lastResult).to.equal('Failed');
    expect(findCondition(h.status().conditions, ConditionType.LastRunSucceeded)).to.include({
      status: 'False',
      reason: 'Failed',
    });
    expect(h.metrics.runs).to.deep.equal(['Failed']);
    expect(h.metrics.retries).to.deep.equal([
      { key: 'data/report', reason: 'NonZeroExit' },
      { key: 'data/report', reason: 'NonZeroExit' },
    ]);
    expect(h.launcher.launchedCount).to.equal(3);

    await h.reconcile('2026-03-01T10:30:00Z');
    expect(h.launcher.runRequests, 'no fourth attempt').to.have.length(3);
  });

  it('a retry that succeeds makes the run Succeeded, with the failed attempt kept', async () => {
    const h = harness(retrying);
    await h.reconcile(firstLaunch);
    failAll(h, firstStop);
    await h.reconcile(firstSeen);
    await h.reconcile(firstRetry);
    failAll(h, secondStop, { app: 0 });
    await h.reconcile(secondSeen);
    const run = only(h.runs());
    expect(run).to.include({ result: 'Succeeded', attempt: 2 });
    expect(run.attempts).to.have.length(1);
    expect(h.status().lastSuccessfulTime).to.equal(secondStop);
    expect(findCondition(h.status().conditions, ConditionType.LastRunSucceeded)).to.include({
      status: 'True',
    });
    expect(h.metrics.runs).to.deep.equal(['Succeeded']);
  });

  interface Case {
    readonly name: string;
    readonly spec?: Partial<Spec>;
    readonly act: (h: ReturnType<typeof harness>) => Promise<void>;
    readonly retried: boolean;
    readonly reason: string;
  }
  const cases: Case[] = [
    {
      name: 'tasks that vanish (TasksVanished) are retried',
      act: async (h) => {
        for (const arn of h.launcher.taskArns()) h.launcher.hide(arn);
        await h.reconcile('2026-03-01T10:03:00Z');
      },
      retried: true,
      reason: 'TasksVanished',
    },
    {
      name: 'a task stopped without an exit code (TaskStopped) is retried',
      act: async (h) => {
        h.clock.set(firstStop);
        for (const arn of h.launcher.taskArns())
          h.launcher.finish(arn, {}, { stopCode: 'TaskFailedToStart' });
        await h.reconcile(firstSeen);
      },
      retried: true,
      reason: 'TaskStopped',
    },
    {
      name: 'a run stopped by activeDeadlineSeconds is not retried',
      spec: { activeDeadlineSeconds: 60 },
      act: async (h) => {
        await h.reconcile('2026-03-01T10:01:10Z');
        failAll(h, '2026-03-01T10:01:20Z', { app: 143 });
        await h.reconcile('2026-03-01T10:01:30Z');
      },
      retried: false,
      reason: 'DeadlineExceeded',
    },
    {
      name: 'maxRetries 0 retries nothing',
      spec: { retryPolicy: { maxRetries: 0 } },
      act: async (h) => {
        failAll(h, firstStop);
        await h.reconcile(firstSeen);
      },
      retried: false,
      reason: 'NonZeroExit',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const h = harness({ ...retrying, ...c.spec });
      await h.reconcile(firstLaunch);
      await c.act(h);
      const run = only(h.runs());
      if (c.retried) {
        expect(run).to.include({ result: 'Running', reason: 'Retrying', attempt: 2 });
        expect(run.attempts![0]!.reason).to.equal(c.reason);
      } else {
        expect(run).to.include({ result: 'Failed', reason: c.reason });
        expect(run.attempts).to.equal(undefined);
      }
    });
  }

  it('a launch refused by ECS (LaunchFailed) is retried, and the retry launches', async () => {
    const h = harness(retrying);
    h.launcher.script({ launch: 0, failure: missingTaskDefinition });
    await h.reconcile(firstLaunch);
    const waiting = only(h.runs());
    expect(waiting).to.include({ result: 'Running', attempt: 2, retryAt: '2026-03-01T10:00:35.000Z' });
    expect(waiting.attempts![0]).to.include({ result: 'LaunchFailed', reason: 'RunTaskFailure' });
    expect(h.events.reasons()).to.include('LaunchFailed');
    await h.reconcile('2026-03-01T10:00:35Z');
    expect(h.launcher.runRequests).to.have.length(2);
    expect(only(h.runs())).to.include({ result: 'Running', attempt: 2 });
    expect(only(h.runs()).tasks).to.have.length(1);
  });

  it('a retry whose launch fails again uses up its attempt, and the last one ends LaunchFailed', async () => {
    const h = harness({ retryPolicy: { maxRetries: 1, backoffSeconds: 10 } });
    h.launcher.script(
      { launch: 0, failure: missingTaskDefinition },
      { launch: 0, failure: missingTaskDefinition },
    );
    await h.reconcile(firstLaunch);
    await h.reconcile('2026-03-01T10:00:15Z');
    const run = only(h.runs());
    expect(run).to.include({ result: 'LaunchFailed', reason: 'RunTaskFailure', attempt: 2 });
    expect(h.launcher.runRequests).to.have.length(2);
    expect(h.metrics.runs).to.deep.equal(['LaunchFailed']);
  });

  it('an attempt whose RunTask answer was lost is adopted by startedBy, not launched twice', async () => {
    const h = harness(retrying);
    await h.reconcile(firstLaunch);
    failAll(h, firstStop);
    await h.reconcile(firstSeen);
    h.launcher.script({ lostAnswer: new Error('socket hang up') });
    await h.reconcile(firstRetry).then(
      () => expect.fail('the lost answer is a transient error'),
      (error: Error) => expect(error.message).to.match(/socket hang up/),
    );
    expect(only(h.runs()).retryAt, 'nothing recorded yet').to.equal(firstRetry);
    await h.reconcile('2026-03-01T10:01:35Z');
    expect(h.launcher.launchedCount, 'one task per attempt').to.equal(2);
    const run = only(h.runs());
    expect(run).to.include({ result: 'Running', attempt: 2 });
    expect(run.tasks!.map((t) => t.taskArn)).to.deep.equal([h.launcher.taskArns()[1]]);
    expect(h.launcher.findRequests.at(-1)!.startedBy).to.match(/-r1$/);
  });

  it('a restarted process finds the attempt whose status write was lost and starts nothing new', async () => {
    const h = harness(retrying);
    h.launcher.honourTokens = true;
    await h.reconcile(firstLaunch);
    failAll(h, firstStop);
    await h.reconcile(firstSeen);
    // The status write of the retry's launch is lost: the process dies right after RunTask.
    h.store.beforeNextWrite(() => {
      throw new Error('process killed');
    });
    await h.reconcile(firstRetry).catch(() => undefined);
    // A new reconciler (a restarted process) over the same object and the same fake ECS.
    const replay = harness(retrying, { deps: { launcher: h.launcher, store: h.store, clock: h.clock } });
    await replay.reconciler.reconcile('data/report');
    expect(h.launcher.launchedCount, 'the replayed attempt started nothing new').to.equal(2);
    const tokens = new Set(h.launcher.runRequests.slice(1).map((r) => r.clientToken));
    expect([...tokens], 'any repeated RunTask is the same request').to.have.length(1);
    expect(only(h.runs())).to.include({ result: 'Running', attempt: 2 });
    expect(only(h.runs()).tasks!.map((t) => t.taskArn)).to.deep.equal([h.launcher.taskArns()[1]]);
  });

  it('a replica that no longer holds the lease does not launch the retry', async () => {
    let held = true;
    const h = harness(retrying, { deps: { fence: { holds: () => held } } });
    await h.reconcile(firstLaunch);
    failAll(h, firstStop);
    await h.reconcile(firstSeen);
    held = false;
    const error = await h.reconcile(firstRetry).catch((e: unknown) => e);
    expect((error as Error).name).to.equal('PassAbortedError');
    expect(h.launcher.runRequests).to.have.length(1);
    expect(only(h.runs()), 'nothing written').to.include({ attempt: 2, retryAt: firstRetry });
  });

  it('run-now runs are retried under their own identity', async () => {
    const h = harness(retrying);
    h.annotate({ 'ecs-scheduler.dev/run-now': 'please' });
    await h.reconcile('2026-03-01T09:50:00Z');
    const first = h.launcher.runRequests[0]!;
    expect(first.startedBy).to.match(/\/now-[0-9a-f]{8}$/);
    failAll(h, '2026-03-01T09:50:30Z');
    await h.reconcile('2026-03-01T09:50:40Z');
    expect(only(h.runs()).runNowKey).to.be.a('string');
    await h.reconcile('2026-03-01T09:51:10Z');
    expect(h.launcher.runRequests[1]!.startedBy).to.equal(`${first.startedBy}-r1`);
  });

  describe('concurrency policies', () => {
    // A backoff past the next hour: the 11:00 run is due while the 10:00 run waits.
    const longBackoff = { maxRetries: 1, backoffSeconds: 3600 };
    const elevenOClock = '2026-03-01T11:00:05Z';

    it('Forbid: a waiting retry skips the next run, and the retry itself is not blocked', async () => {
      const h = harness({
        retryPolicy: { maxRetries: 1, backoffSeconds: 3598 },
        concurrencyPolicy: 'Forbid',
      });
      await h.reconcile(firstLaunch);
      failAll(h, firstStop);
      await h.reconcile('2026-03-01T10:00:42Z');
      await h.reconcile(elevenOClock);
      const eleven = h.runs().find((r) => r.scheduledTime === '2026-03-01T11:00:00.000Z')!;
      expect(eleven).to.include({ result: 'Skipped', reason: 'ConcurrencyForbid' });
      expect(eleven.message).to.match(/waiting for attempt 2/);
      await h.reconcile('2026-03-01T11:00:40Z');
      expect(h.launcher.runRequests, 'the retry of the 10:00 run launched').to.have.length(2);
      expect(h.runs().find((r) => r.scheduledTime === '2026-03-01T10:00:00.000Z')).to.include({
        result: 'Running',
        attempt: 2,
      });
    });

    for (const policy of ['Replace', 'TopUp'] as const) {
      it(`${policy}: the next run takes over and the waiting run ends with its last attempt's result`, async () => {
        const h = harness({ retryPolicy: longBackoff, concurrencyPolicy: policy, failedRunsHistoryLimit: 5 });
        await h.reconcile(firstLaunch);
        failAll(h, firstStop);
        await h.reconcile(firstSeen);
        await h.reconcile(elevenOClock);
        const ten = h.runs().find((r) => r.scheduledTime === '2026-03-01T10:00:00.000Z')!;
        expect(ten).to.include({ result: 'Failed', reason: 'NonZeroExit', attempt: 1 });
        expect(ten.retryAt).to.equal(undefined);
        expect(ten.attempts).to.equal(undefined);
        expect(ten.message).to.match(/no retry: the run scheduled at 2026-03-01T11:00:00.000Z took over/);
        await h.reconcile('2026-03-01T11:01:30Z');
        expect(h.launcher.runRequests, 'the 10:00 run is never retried').to.have.length(2);
      });
    }
  });
});
