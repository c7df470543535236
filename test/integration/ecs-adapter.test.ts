// The ECS adapter and the SQS trigger against moto: what the unit tests' fakes assume about the
// AWS APIs is checked here against a real implementation of them.
import { DescribeTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { TerminalError } from '../../src/controller/errors.js';
import type { LaunchRequest, TaskObservation } from '../../src/controller/ports.js';
import { createAwsTaskLauncher, type AwsTaskLauncher } from '../../src/aws/ecs/aws-task-launcher.js';
import { SqsQueueDepth } from '../../src/aws/sqs/sqs-queue-depth.js';
import {
  ecsClient,
  loadTestEnv,
  resetEcsTaskTransition,
  setEcsTaskTransition,
  sqsClient,
  type TestEnv,
} from './support/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ECS adapter and SQS trigger against moto', function () {
  this.timeout(90_000);
  let env: TestEnv;
  let endpoint: string;
  let launcher: AwsTaskLauncher;
  let ecs: ECSClient;
  const run = `it-${Date.now().toString(36)}`;

  before(function () {
    env = loadTestEnv();
    // scripts/with-testenv.js exports these; a bare `mocha` after `npm run testenv:up` gets them here.
    for (const [key, value] of Object.entries(env.vars)) process.env[key] ??= value;
    endpoint = process.env.AWS_ENDPOINT_URL ?? env.awsEndpoint;
    launcher = createAwsTaskLauncher({ region: env.region, endpoint, maxAttempts: 1 });
    ecs = ecsClient(env);
  });

  after(async () => {
    launcher.close();
    ecs.destroy();
    await resetEcsTaskTransition(env);
  });

  function request(
    startedBy: string,
    count: number,
    task: Partial<LaunchRequest['task']> = {},
  ): LaunchRequest {
    return {
      cluster: env.ecsCluster,
      task: {
        taskDefinition: 'sleeper-task',
        launchType: 'EC2',
        tags: [{ key: 'team', value: 'data' }],
        ...task,
      },
      count,
      startedBy,
      clientToken: `${startedBy}-token`,
      tags: [
        { key: 'ecs-scheduler.dev/resource', value: `it/${startedBy}` },
        { key: 'ecs-scheduler.dev/scheduled-time', value: '2026-01-01T00:00:00Z' },
      ],
    };
  }

  async function waitFor(
    arns: readonly string[],
    done: (o: TaskObservation) => boolean,
    deadlineMs: number,
  ): Promise<TaskObservation[]> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const observed = await launcher.describeTasks(env.ecsCluster, arns);
      if (observed.every(done) || Date.now() > until) return observed;
      await sleep(1100);
    }
  }

  describe('one launch, from RunTask to STOPPED', () => {
    const startedBy = `ecss-${run}-a`;
    let arns: string[] = [];

    it('runTasks launches 12 tasks in two batches, with our startedBy and merged tags', async () => {
      const result = await launcher.runTasks(request(startedBy, 12));
      expect(result.failures).to.deep.equal([]);
      expect(result.tasks).to.have.length(12);
      arns = result.tasks.map((t) => t.taskArn);
      expect(new Set(arns).size).to.equal(12);

      const described = await ecs.send(
        new DescribeTasksCommand({ cluster: env.ecsCluster, tasks: arns.slice(0, 1), include: ['TAGS'] }),
      );
      const task = described.tasks?.[0];
      expect(task?.startedBy).to.equal(startedBy);
      expect(task?.tags).to.deep.include.members([
        { key: 'team', value: 'data' },
        { key: 'ecs-scheduler.dev/resource', value: `it/${startedBy}` },
        { key: 'ecs-scheduler.dev/scheduled-time', value: '2026-01-01T00:00:00Z' },
      ]);
    });

    it('findTasks finds exactly those tasks by startedBy', async () => {
      expect(arns).to.have.length(12);
      expect((await launcher.findTasks(env.ecsCluster, startedBy)).sort()).to.deep.equal([...arns].sort());
      expect(await launcher.findTasks(env.ecsCluster, `ecss-${run}-nobody`)).to.deep.equal([]);
    });

    it('describeTasks sees them RUNNING, with their containers essential, and an unknown ARN as MISSING', async () => {
      const unknown = arns[0]?.replace(/[^/]+$/, '00000000000000000000000000000000') ?? '';
      const observed = await launcher.describeTasks(env.ecsCluster, [...arns, unknown]);
      expect(observed).to.have.length(13);
      for (const o of observed.slice(0, 12)) {
        expect(o.lastStatus).to.equal('RUNNING');
        expect(o.essentialContainers).to.have.length.greaterThan(0);
      }
      expect(observed[12]).to.deep.equal({
        taskArn: unknown,
        lastStatus: 'MISSING',
        exitCodes: {},
        essentialContainers: [],
      });
    });

    it('describeTasks sees them STOPPED after moto moves them on', async () => {
      await setEcsTaskTransition(1, env);
      const observed = await waitFor(arns, (o) => o.lastStatus === 'STOPPED', 40_000);
      expect(observed.map((o) => o.lastStatus)).to.deep.equal(arns.map(() => 'STOPPED'));
      // Stopped tasks are still found by startedBy: the core relies on it after a crash.
      expect((await launcher.findTasks(env.ecsCluster, startedBy)).sort()).to.deep.equal([...arns].sort());
      await resetEcsTaskTransition(env);
    });
  });

  it('stopTasks stops running tasks, and stopping them again is harmless', async () => {
    const startedBy = `ecss-${run}-b`;
    const result = await launcher.runTasks(request(startedBy, 2));
    const arns = result.tasks.map((t) => t.taskArn);
    expect(arns).to.have.length(2);
    await launcher.stopTasks(
      env.ecsCluster,
      arns,
      'DeadlineExceeded: activeDeadlineSeconds reached '.repeat(10),
    );
    const observed = await launcher.describeTasks(env.ecsCluster, arns);
    expect(observed.map((o) => o.lastStatus)).to.deep.equal(['STOPPED', 'STOPPED']);
    expect(observed[0]?.stoppedReason).to.have.length.at.most(255);
    await launcher.stopTasks(env.ecsCluster, arns, 'again');
  });

  it('an unknown task definition is a non-capacity launch failure, not an exception', async () => {
    const result = await launcher.runTasks(
      request(`ecss-${run}-c`, 3, { taskDefinition: `no-such-task-${run}` }),
    );
    expect(result.tasks).to.deep.equal([]);
    expect(result.failures).to.have.length(1);
    expect(result.failures[0]?.capacity).to.equal(false);
    expect(result.failures[0]?.reason).to.match(/Exception$/);
  });

  describe('SqsQueueDepth', () => {
    const queueName = `ecs-adapter-${run}`;
    let sqs: SQSClient;
    let queueUrl: string;
    let depth: SqsQueueDepth;

    before(async () => {
      sqs = sqsClient(env);
      depth = new SqsQueueDepth({ region: env.region, endpoint, maxAttempts: 1 });
      queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl ?? '';
    });

    after(async () => {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      depth.close();
      sqs.destroy();
    });

    it('reads 0 for an empty queue', async () => {
      expect(await depth.queueDepth({ queueName })).to.equal(0);
    });

    it('reads the depth after messages are sent, by name and by URL', async () => {
      for (let batch = 0; batch < 3; batch++) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Array.from({ length: 10 }, (_, i) => ({
              Id: `m${i}`,
              MessageBody: `message ${batch}-${i}`,
            })),
          }),
        );
      }
      expect(await depth.queueDepth({ queueName })).to.equal(30);
      expect(await depth.queueDepth({ queueUrl })).to.equal(30);
    });

    it('counts in-flight messages only with includeInFlight', async () => {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 4, VisibilityTimeout: 600 }),
      );
      const inFlight = received.Messages?.length ?? 0;
      expect(inFlight).to.be.greaterThan(0);
      expect(await depth.queueDepth({ queueName })).to.equal(30 - inFlight);
      expect(await depth.queueDepth({ queueName, includeInFlight: true })).to.equal(30);
    });

    it('a queue that does not exist is a TerminalError QueueNotFound naming the field (the error table)', async () => {
      await depth.queueDepth({ queueName: `${queueName}-missing` }).then(
        () => expect.fail('expected an error'),
        (e: unknown) => {
          expect(e).to.be.instanceOf(TerminalError);
          expect((e as TerminalError).reason).to.equal('QueueNotFound');
          expect((e as TerminalError).message).to.match(/^spec\.trigger\.sqs: .*QueueDoesNotExist/);
        },
      );
    });
  });
});
