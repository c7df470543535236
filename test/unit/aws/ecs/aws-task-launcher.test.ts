import { InvalidParameterException, ServerException } from '@aws-sdk/client-ecs';
import { expect } from 'chai';
import { ThrottledError, TransientError } from '../../../../src/controller/errors.js';
import { PassAbortedError } from '../../../../src/controller/runtime/fencing.js';
import type { LaunchRequest } from '../../../../src/controller/ports.js';
import {
  AwsTaskLauncher,
  isCapacityFailure,
  toLaunchFailure,
} from '../../../../src/aws/ecs/aws-task-launcher.js';
import type { EcsRequestOutcome } from '../../../../src/aws/ecs/ports.js';
import { createEcsRateLimiters } from '../../../../src/aws/ecs/ecs-rate-limiters.js';
import { FakeAws, FakeClock, awsError } from './support.js';

/** Any of our error classes, whatever its constructor takes. */
type ErrorType = abstract new (...args: never[]) => TransientError;

const cluster = 'default';

function launchRequest(count: number, overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    cluster,
    task: { taskDefinition: 'sleeper-task' },
    count,
    startedBy: 'ecss-test',
    clientToken: 'token-1',
    tags: [{ key: 'ecs-scheduler.dev/resource', value: 'ns/name' }],
    ...overrides,
  };
}

/** RunTask answering with `count` fresh ARNs per call. */
function runTaskOk() {
  let n = 0;
  return (input: Record<string, unknown>) => ({
    tasks: Array.from({ length: Number(input.count) }, () => ({
      taskArn: `arn:aws:ecs:us-east-1:123456789012:task/${cluster}/t${++n}`,
      lastStatus: 'PROVISIONING',
    })),
    failures: [],
  });
}

function setup(
  handlers: ConstructorParameters<typeof FakeAws>[0],
  options: { throttleRetries?: number } = {},
) {
  const clock = new FakeClock();
  const api = new FakeAws(handlers);
  const requests: [string, EcsRequestOutcome][] = [];
  const launcher = new AwsTaskLauncher({
    client: api,
    clock,
    sleep: clock.sleep,
    random: () => 0.5,
    metrics: { request: (operation, outcome) => requests.push([operation, outcome]) },
    limiters: createEcsRateLimiters(clock, clock.sleep),
    ...options,
  });
  return { clock, api, launcher, requests };
}

describe('AwsTaskLauncher', () => {
  describe('runTasks', () => {
    it('launches 25 tasks as 3 RunTask calls of 10, 10 and 5 with distinct client tokens', async () => {
      const { api, launcher, requests } = setup({ RunTask: runTaskOk() });
      const result = await launcher.runTasks(launchRequest(25));
      expect(api.of('RunTask').map((c) => c.input.count)).to.deep.equal([10, 10, 5]);
      expect(api.of('RunTask').map((c) => c.input.clientToken)).to.deep.equal([
        'token-1',
        'token-1-b1',
        'token-1-b2',
      ]);
      expect(api.of('RunTask').every((c) => c.input.startedBy === 'ecss-test')).to.equal(true);
      expect(result.tasks).to.have.length(25);
      expect(result.failures).to.deep.equal([]);
      expect(requests).to.deep.equal([
        ['RunTask', 'success'],
        ['RunTask', 'success'],
        ['RunTask', 'success'],
      ]);
    });

    it('maps RunTask failures[], marking capacity ones retryable', async () => {
      const { launcher } = setup({
        RunTask: () => ({
          tasks: [{ taskArn: 'arn:t1' }],
          failures: [
            { arn: 'arn:ci/1', reason: 'RESOURCE:MEMORY' },
            { reason: 'AGENT' },
            {
              reason:
                'Capacity is unavailable at this time. Please try again later or in a different availability zone',
            },
          ],
        }),
      });
      const result = await launcher.runTasks(launchRequest(4));
      expect(result.tasks).to.deep.equal([{ taskArn: 'arn:t1' }]);
      expect(result.failures).to.deep.equal([
        { arn: 'arn:ci/1', reason: 'RESOURCE:MEMORY', capacity: true },
        { reason: 'AGENT', capacity: true },
        {
          reason:
            'Capacity is unavailable at this time. Please try again later or in a different availability zone',
          capacity: true,
        },
      ]);
    });

    const rejections: { name: string; error: unknown; reason: string }[] = [
      {
        name: 'InvalidParameterException (unknown task definition)',
        error: new InvalidParameterException({ message: 'TaskDefinition not found.', $metadata: {} }),
        reason: 'InvalidParameterException',
      },
      { name: 'ClientException', error: awsError('ClientException'), reason: 'ClientException' },
      {
        name: 'ClusterNotFoundException',
        error: awsError('ClusterNotFoundException'),
        reason: 'ClusterNotFoundException',
      },
    ];
    for (const c of rejections) {
      it(`reports ${c.name} as a non-capacity launch failure, without retrying`, async () => {
        const { api, launcher, requests } = setup({
          RunTask: () => {
            throw c.error;
          },
        });
        const result = await launcher.runTasks(launchRequest(25));
        expect(api.of('RunTask')).to.have.length(1);
        expect(result.tasks).to.deep.equal([]);
        expect(result.failures).to.have.length(1);
        expect(result.failures[0]).to.include({ reason: c.reason, capacity: false });
        expect(requests).to.deep.equal([['RunTask', 'error']]);
      });
    }

    const transients: { name: string; error: unknown; type: ErrorType; reason: string }[] = [
      {
        name: 'ServerException',
        error: new ServerException({ message: 'boom', $metadata: {} }),
        type: TransientError,
        reason: 'ServerException',
      },
      {
        name: 'a network error',
        error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' }),
        type: TransientError,
        reason: 'ECONNREFUSED',
      },
      { name: 'a non-Error value', error: 'weird', type: TransientError, reason: 'UnknownError' },
      // Retried within the run's deadline (see AWS_ERROR_TABLE): IAM propagation, credential refresh, quotas.
      ...['AccessDeniedException', 'ExpiredTokenException', 'LimitExceededException'].map((name) => ({
        name,
        error: awsError(name),
        type: TransientError,
        reason: name,
      })),
      {
        name: 'ThrottlingException',
        error: awsError('ThrottlingException'),
        type: ThrottledError,
        reason: 'Throttled',
      },
      {
        name: 'HTTP 429',
        error: awsError('SomethingElse', { status: 429 }),
        type: ThrottledError,
        reason: 'Throttled',
      },
      {
        name: 'TooManyRequestsException',
        error: awsError('TooManyRequestsException'),
        type: ThrottledError,
        reason: 'Throttled',
      },
    ];
    for (const c of transients) {
      it(`throws ${c.name} as ${c.type.name} when nothing launched`, async () => {
        const { launcher } = setup(
          {
            RunTask: () => {
              throw c.error;
            },
          },
          { throttleRetries: 2 },
        );
        const error = await launcher.runTasks(launchRequest(3)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(c.type);
        expect((error as TransientError).reason).to.equal(c.reason);
        expect(error).not.to.equal(c.error);
      });
    }

    it('backs off with growing waits while throttled, then succeeds', async () => {
      const { api, clock, launcher, requests } = setup({
        RunTask: (input, call) => {
          if (call < 3) throw awsError('ThrottlingException', { message: 'Rate exceeded' });
          return runTaskOk()(input);
        },
      });
      const result = await launcher.runTasks(launchRequest(1));
      expect(result.tasks).to.have.length(1);
      expect(api.of('RunTask')).to.have.length(4);
      // Equal jitter at random()=0.5: 3/4 of 500, 1000, 2000 ms.
      expect(clock.sleeps).to.deep.equal([375, 750, 1500]);
      expect(requests.map(([, o]) => o)).to.deep.equal(['throttled', 'throttled', 'throttled', 'success']);
    });

    it('gives up after the bounded number of throttle retries', async () => {
      const { api, clock, launcher } = setup(
        {
          RunTask: () => {
            throw awsError('ThrottlingException');
          },
        },
        { throttleRetries: 3 },
      );
      await launcher.runTasks(launchRequest(1)).then(
        () => expect.fail('expected ThrottledError'),
        (e: unknown) => expect(e).to.be.instanceOf(ThrottledError),
      );
      expect(api.of('RunTask')).to.have.length(4);
      expect(clock.sleeps).to.have.length(3);
    });

    it('keeps launched ARNs when a later batch gets no answer, reporting it and the rest unconfirmed, not as capacity', async () => {
      const ok = runTaskOk();
      const { api, launcher } = setup({
        RunTask: (input, call) => {
          if (call === 1) throw new ServerException({ message: 'boom', $metadata: {} });
          return ok(input);
        },
      });
      const result = await launcher.runTasks(launchRequest(30));
      expect(api.of('RunTask'), 'nothing sent after the batch without an answer').to.have.length(2);
      expect(result.tasks).to.have.length(10);
      expect(result.failures, 'a lost answer is no capacity shortfall').to.deep.equal([]);
      expect(result.unconfirmed).to.include({ fromBatch: 1, count: 20 });
      expect(result.unconfirmed?.error).to.be.instanceOf(TransientError);
    });

    it("resends from `firstBatch` under each batch's original token", async () => {
      const { api, launcher } = setup({ RunTask: runTaskOk() });
      const result = await launcher.runTasks(launchRequest(15, { firstBatch: 1 }));
      expect(api.of('RunTask').map((c) => [c.input.clientToken, c.input.count])).to.deep.equal([
        ['token-1-b1', 10],
        ['token-1-b2', 5],
      ]);
      expect(result.unconfirmed).to.equal(undefined);
    });

    it('numbers an unconfirmed batch of a resend from `firstBatch`', async () => {
      const ok = runTaskOk();
      const { launcher } = setup({
        RunTask: (input, call) => {
          if (call === 1) throw new ServerException({ message: 'boom', $metadata: {} });
          return ok(input);
        },
      });
      const result = await launcher.runTasks(launchRequest(20, { firstBatch: 1 }));
      expect(result.unconfirmed).to.include({ fromBatch: 2, count: 10 });
    });

    it('keeps the Fargate RunTask call rate: calls beyond the burst of 20 wait 50 ms each', async () => {
      const { clock, launcher } = setup({ RunTask: runTaskOk() });
      const task = { taskDefinition: 't', launchType: 'FARGATE' };
      for (let i = 0; i < 25; i++) await launcher.runTasks(launchRequest(1, { task }));
      expect(clock.sleeps).to.deep.equal([50, 50, 50, 50, 50]);
    });

    it('keeps the Fargate task launch rate: tasks beyond the burst of 100 accrue at 20/s', async () => {
      const { api, clock, launcher } = setup({ RunTask: runTaskOk() });
      const task = { taskDefinition: 't', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }] };
      await launcher.runTasks(launchRequest(110, { task }));
      expect(api.of('RunTask')).to.have.length(11);
      expect(clock.sleeps).to.deep.equal([500]);
    });

    it('answers when ECS accepted the first tasks, after the wait for the quota', async () => {
      const { clock, launcher } = setup({ RunTask: runTaskOk() });
      const task = { taskDefinition: 't', launchType: 'FARGATE' };
      const start = clock.now().getTime();
      const first = await launcher.runTasks(launchRequest(100, { task }));
      expect(first.acceptedAt?.getTime(), 'within the burst: no wait').to.equal(start);
      // The burst of 100 Fargate tasks is spent: 10 more accrue at 20/s.
      const second = await launcher.runTasks(launchRequest(10, { task, clientToken: 'token-2' }));
      expect(clock.sleeps).to.deep.equal([500]);
      expect(second.acceptedAt?.getTime()).to.equal(start + 500);
    });

    it('has no acceptedAt when nothing started', async () => {
      const { launcher } = setup({ RunTask: () => ({ tasks: [], failures: [{ reason: 'RESOURCE:CPU' }] }) });
      const result = await launcher.runTasks(launchRequest(1));
      expect(result.acceptedAt).to.equal(undefined);
    });

    it('does not throttle EC2 launches at the Fargate rate', async () => {
      const { clock, launcher } = setup({ RunTask: runTaskOk() });
      for (let i = 0; i < 50; i++)
        await launcher.runTasks(launchRequest(1, { task: { taskDefinition: 't', launchType: 'EC2' } }));
      expect(clock.sleeps).to.deep.equal([]);
    });
  });

  describe('failure classification', () => {
    const cases: { reason: string; detail?: string; capacity: boolean }[] = [
      { reason: 'RESOURCE:MEMORY', capacity: true },
      { reason: 'RESOURCE:CPU', capacity: true },
      { reason: 'RESOURCE:ENI', capacity: true },
      { reason: 'capacity is unavailable at this time', capacity: true },
      { reason: 'Unknown', detail: 'Capacity is unavailable at this time.', capacity: true },
      // A lost container instance: another placement may succeed (AWS_ERROR_TABLE).
      { reason: 'AGENT', capacity: true },
      { reason: 'MISSING', capacity: true },
      { reason: 'ATTRIBUTE', capacity: false },
      { reason: 'SomethingNew', capacity: false },
    ];
    for (const c of cases) {
      it(`${c.reason}${c.detail ? ` (${c.detail})` : ''} → capacity ${c.capacity}`, () => {
        expect(isCapacityFailure(c.reason, c.detail)).to.equal(c.capacity);
        expect(toLaunchFailure({ reason: c.reason, detail: c.detail }).capacity).to.equal(c.capacity);
      });
    }
  });

  describe('findTasks', () => {
    it('lists RUNNING and STOPPED tasks by startedBy, following nextToken', async () => {
      const pages: Record<string, { taskArns: string[]; nextToken?: string }[]> = {
        RUNNING: [{ taskArns: ['a', 'b'], nextToken: 'p2' }, { taskArns: ['c'] }],
        STOPPED: [{ taskArns: ['d'], nextToken: 'p2' }, { taskArns: ['a', 'e'] }],
      };
      const { api, launcher } = setup({
        ListTasks: (input) => pages[String(input.desiredStatus)]?.[input.nextToken === undefined ? 0 : 1],
      });
      expect(await launcher.findTasks(cluster, 'ecss-test')).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
      expect(
        api.of('ListTasks').map((c) => [c.input.desiredStatus, c.input.nextToken, c.input.startedBy]),
      ).to.deep.equal([
        ['RUNNING', undefined, 'ecss-test'],
        ['RUNNING', 'p2', 'ecss-test'],
        ['STOPPED', undefined, 'ecss-test'],
        ['STOPPED', 'p2', 'ecss-test'],
      ]);
    });

    it('throws a client refusal as a TransientError with the SDK name as reason', async () => {
      const { launcher } = setup({
        ListTasks: () => {
          throw awsError('ClusterNotFoundException', { message: 'Cluster not found.' });
        },
      });
      await launcher.findTasks(cluster, 'x').then(
        () => expect.fail('expected an error'),
        (e: unknown) => {
          expect(e).to.be.instanceOf(TransientError);
          expect((e as TransientError).reason).to.equal('ClusterNotFoundException');
        },
      );
    });
  });

  describe('describeTasks', () => {
    const arn = (i: number) => `arn:aws:ecs:us-east-1:123456789012:task/${cluster}/${i}`;
    const definition = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:3';

    it('batches at 100 ARNs and reports unknown or MISSING ones as MISSING', async () => {
      const arns = Array.from({ length: 250 }, (_, i) => arn(i));
      const { api, launcher } = setup({
        DescribeTasks: (input) => {
          const asked = input.tasks as string[];
          return {
            // Every third ARN is absent, every fifth is reported MISSING.
            tasks: asked
              .filter((_, i) => i % 3 !== 0 && i % 5 !== 0)
              .map((taskArn) => ({ taskArn, lastStatus: 'RUNNING', containers: [] })),
            failures: asked.filter((_, i) => i % 5 === 0).map((a) => ({ arn: a, reason: 'MISSING' })),
          };
        },
      });
      const observed = await launcher.describeTasks(cluster, arns);
      expect(api.of('DescribeTasks').map((c) => (c.input.tasks as string[]).length)).to.deep.equal([
        100, 100, 50,
      ]);
      expect(observed.map((o) => o.taskArn)).to.deep.equal(arns);
      const expected = arns.map((_, j) =>
        (j % 100) % 3 === 0 || (j % 100) % 5 === 0 ? 'MISSING' : 'RUNNING',
      );
      expect(observed.map((o) => o.lastStatus)).to.deep.equal(expected);
    });

    it('maps a stopped task: times, stop code, exit codes and essential containers from the task definition', async () => {
      const started = new Date('2026-01-01T00:00:05Z');
      const stopped = new Date('2026-01-01T00:00:15Z');
      const { api, launcher } = setup({
        DescribeTasks: () => ({
          tasks: [
            {
              taskArn: arn(1),
              taskDefinitionArn: definition,
              lastStatus: 'STOPPED',
              startedAt: started,
              stoppedAt: stopped,
              stopCode: 'EssentialContainerExited',
              stoppedReason: 'Essential container in task exited',
              containers: [
                { name: 'app', exitCode: 0 },
                { name: 'sidecar', exitCode: 137 },
                { name: 'init' },
              ],
            },
          ],
        }),
        DescribeTaskDefinition: () => ({
          taskDefinition: {
            containerDefinitions: [
              { name: 'app', essential: true },
              { name: 'sidecar', essential: false },
              { name: 'init' },
            ],
          },
        }),
      });
      const [o] = await launcher.describeTasks(cluster, [arn(1)]);
      expect(o).to.deep.equal({
        taskArn: arn(1),
        lastStatus: 'STOPPED',
        startedAt: started,
        stoppedAt: stopped,
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        exitCodes: { app: 0, sidecar: 137 },
        essentialContainers: ['app', 'init'],
      });
      await launcher.describeTasks(cluster, [arn(1)]);
      expect(api.of('DescribeTaskDefinition'), 'cached per ARN').to.have.length(1);
    });

    it('treats every container as essential when the task definition cannot be read', async () => {
      const { api, launcher } = setup({
        DescribeTasks: () => ({
          tasks: [
            {
              taskArn: arn(1),
              taskDefinitionArn: definition,
              lastStatus: 'RUNNING',
              containers: [{ name: 'a' }, { name: 'b' }],
            },
          ],
        }),
        DescribeTaskDefinition: () => {
          throw new ServerException({ message: 'boom', $metadata: {} });
        },
      });
      const [o] = await launcher.describeTasks(cluster, [arn(1)]);
      expect(o?.essentialContainers).to.deep.equal(['a', 'b']);
      await launcher.describeTasks(cluster, [arn(1)]);
      expect(api.of('DescribeTaskDefinition'), 'a failure is not cached').to.have.length(2);
    });

    it('makes no call for no ARNs', async () => {
      const { api, launcher } = setup({});
      expect(await launcher.describeTasks(cluster, [])).to.deep.equal([]);
      expect(api.calls).to.deep.equal([]);
    });
  });

  describe('stopTasks', () => {
    it('stops each task with the reason cut to 255 characters, ignoring tasks already gone', async () => {
      const { api, launcher } = setup({
        StopTask: (input) => {
          if (input.task === 'gone')
            throw new InvalidParameterException({
              message: 'The referenced task was not found.',
              $metadata: {},
            });
          return { task: { taskArn: input.task } };
        },
      });
      await launcher.stopTasks(cluster, ['a', 'gone', 'b'], 'r'.repeat(300));
      expect(api.of('StopTask').map((c) => c.input.task)).to.deep.equal(['a', 'gone', 'b']);
      expect(api.of('StopTask').every((c) => (c.input.reason as string).length === 255)).to.equal(true);
    });

    it('tries every task, then throws the first real error as ours', async () => {
      const { api, launcher } = setup({
        StopTask: (input) => {
          if (input.task === 'a') throw new ServerException({ message: 'boom', $metadata: {} });
          return {};
        },
      });
      await launcher.stopTasks(cluster, ['a', 'b'], 'deadline').then(
        () => expect.fail('expected an error'),
        (e: unknown) => expect(e).to.be.instanceOf(TransientError),
      );
      expect(api.of('StopTask')).to.have.length(2);
    });
  });

  describe('launching once', () => {
    it('adopts the tasks a ConflictException names for a batch, and launches the other batches', async () => {
      const ok = runTaskOk();
      const existing = [
        'arn:aws:ecs:us-east-1:123456789012:task/default/old1',
        'arn:aws:ecs:us-east-1:123456789012:task/default/old2',
      ];
      const { launcher } = setup({
        RunTask: (input) => {
          if (input.clientToken === 'token-1')
            throw Object.assign(awsError('ConflictException'), { resourceIds: existing });
          return ok(input);
        },
      });
      const result = await launcher.runTasks(launchRequest(15));
      expect(result.tasks.map((t) => t.taskArn).slice(0, 2)).to.deep.equal(existing);
      expect(result.tasks).to.have.length(7);
      expect(result.failures, 'never a failure').to.deep.equal([]);
    });

    it("calls ECS through the identity's client", async () => {
      const own = new FakeAws({ RunTask: runTaskOk(), ListTasks: () => ({ taskArns: [] }) });
      const assumed = new FakeAws({ RunTask: runTaskOk(), ListTasks: () => ({ taskArns: [] }) });
      const role = { roleArn: 'arn:aws:iam::123456789012:role/team' };
      const seen: (string | undefined)[] = [];
      const launcher = new AwsTaskLauncher({
        client: own,
        ecsClientFor: (identity) => (seen.push(identity?.roleArn), identity ? assumed : own),
      });
      await launcher.runTasks(launchRequest(1, { identity: role }));
      await launcher.findTasks(cluster, 'ecss-test', { identity: role });
      await launcher.runTasks(launchRequest(1));
      expect(assumed.calls.map((c) => c.operation)).to.deep.equal(['RunTask', 'ListTasks', 'ListTasks']);
      expect(own.calls.map((c) => c.operation)).to.deep.equal(['RunTask']);
      expect(seen.every((r) => r === role.roleArn)).to.equal(true);
    });
  });

  describe('the fence before every RunTask call', () => {
    /** A fence that holds for the first `calls` checks, then not. */
    function fenceFor(calls: number) {
      const checks: number[] = [];
      return {
        checks,
        mayLaunch: () => {
          checks.push(checks.length);
          if (checks.length > calls) throw new PassAbortedError('the lease is not held: not launching');
        },
      };
    }

    it('asks before each batch, after its wait for the rate limiter', async () => {
      const { api, clock, launcher } = setup({ RunTask: runTaskOk() });
      const fence = fenceFor(Infinity);
      // Fargate: the 20-call burst is spent first, so every batch below waits 50 ms for the limiter.
      const task = { taskDefinition: 't', launchType: 'FARGATE' };
      for (let i = 0; i < 20; i++) await launcher.runTasks(launchRequest(1, { task }));
      const order: string[] = [];
      const sleep = clock.sleep;
      const waited = new AwsTaskLauncher({
        client: api,
        clock,
        sleep: (ms) => (order.push('wait'), sleep(ms)),
        random: () => 0.5,
        limiters: createEcsRateLimiters(clock, (ms) => (order.push('wait'), sleep(ms))),
      });
      await waited.runTasks(launchRequest(30, { task }), {
        mayLaunch: () => (order.push('check'), fence.mayLaunch()),
      });
      expect(order.filter((o) => o === 'check')).to.have.length(3);
      expect(order.at(-1), 'the last check comes after the last wait').to.equal('check');
      expect(order.indexOf('check'), 'the first check comes after the first wait').to.be.greaterThan(
        order.indexOf('wait'),
      );
    });

    it('asks before each retry after throttling', async () => {
      const ok = runTaskOk();
      const { api, launcher } = setup({
        RunTask: (input, call) => {
          if (call === 1) throw awsError('ThrottlingException');
          return ok(input);
        },
      });
      const fence = fenceFor(2);
      const result = await launcher.runTasks(launchRequest(20), { mayLaunch: fence.mayLaunch });
      expect(api.of('RunTask'), 'the retry after the backoff is not sent').to.have.length(2);
      expect(result.tasks).to.have.length(10);
      expect(result.unconfirmed).to.include({ fromBatch: 1, count: 10 });
    });

    it('lost after the first call (taskCount 30): no further RunTask call, the first tasks kept', async () => {
      const { api, launcher } = setup({ RunTask: runTaskOk() });
      const fence = fenceFor(1);
      const result = await launcher.runTasks(launchRequest(30), { mayLaunch: fence.mayLaunch });
      expect(api.of('RunTask')).to.have.length(1);
      expect(fence.checks).to.have.length(2);
      expect(result.tasks).to.have.length(10);
      expect(result.unconfirmed).to.include({ fromBatch: 1, count: 20 });
      expect(result.unconfirmed?.error).to.be.instanceOf(PassAbortedError);
    });

    it("lost while a call fails: the fence's error, not a transient one to retry", async () => {
      let held = true;
      const { launcher } = setup({
        RunTask: () => {
          held = false; // the replica paused during the call, past its Lease
          throw awsError('ServerException');
        },
      });
      const mayLaunch = () => {
        if (!held) throw new PassAbortedError('the lease is not held: not launching');
      };
      const error = await launcher.runTasks(launchRequest(1), { mayLaunch }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(PassAbortedError);
    });

    it('lost before the first call: nothing sent, PassAbortedError thrown', async () => {
      const { api, launcher } = setup({ RunTask: runTaskOk() });
      const error = await launcher.runTasks(launchRequest(30), { mayLaunch: fenceFor(0).mayLaunch }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(PassAbortedError);
      expect(api.of('RunTask')).to.deep.equal([]);
    });
  });

  describe('timeouts and cancellation', () => {
    /** A client whose calls hang until aborted, as a black-holed endpoint does. */
    const hanging = {
      calls: 0,
      send(_command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
        this.calls++;
        return new Promise((_, reject) =>
          options?.abortSignal?.addEventListener('abort', () => reject(new Error('Request aborted'))),
        );
      },
    };

    it('abandons a call that outlives callTimeoutMs as a TransientError', async () => {
      const clock = new FakeClock();
      const launcher = new AwsTaskLauncher({ client: hanging, clock, callTimeoutMs: 5_000 });
      const pending = launcher.describeTasks(cluster, ['a']).then(
        () => expect.fail('expected a timeout'),
        (e: unknown) => e,
      );
      clock.advance(5_000);
      const error = (await pending) as TransientError;
      expect(error).to.be.instanceOf(TransientError);
      expect(error.reason).to.equal('Timeout');
    });

    it("abandons a call when the pass's signal aborts, and makes no call once aborted", async () => {
      const clock = new FakeClock();
      const launcher = new AwsTaskLauncher({ client: hanging, clock });
      const pass = new AbortController();
      const pending = launcher.runTasks(launchRequest(1), { signal: pass.signal }).then(
        () => expect.fail('expected an abort'),
        (e: unknown) => e,
      );
      pass.abort();
      const error = (await pending) as TransientError;
      expect(error.reason).to.equal('Aborted');
      const calls = hanging.calls;
      await launcher.stopTasks(cluster, ['a'], 'r', { signal: pass.signal }).catch(() => undefined);
      expect(hanging.calls, 'nothing sent after the abort').to.equal(calls);
    });
  });

  it('close() releases the client', () => {
    const { api, launcher } = setup({});
    launcher.close();
    expect(api.destroyed).to.equal(true);
  });
});
