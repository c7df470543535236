// --task-events-queue with the real binary, the real API server and moto's ECS and SQS: the queue
// an EventBridge rule would fill with ECS Task State Change events. A stop event gets the run
// recorded before the tracker's first poll would have looked (10 s after launch), the queue is
// drained, and the metrics say which way tasks are followed. An idle queue is no error: after long
// polls that found nothing, a message is read at once.
import { DescribeTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import {
  customObjects,
  ecsClient,
  EST,
  loadTestEnv,
  sleep,
  sqsClient,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import { API_VERSION, KIND, RUN_NOW_ANNOTATION } from '../../src/api/constants.js';
import {
  fargateTask,
  getScheduledTask,
  metricSum,
  scrapeMetrics,
  waitFor,
} from './support/scheduled-runs.js';

const FIRST_POLL_MS = 10_000;
/** The controller's long poll: ReceiveMessage's WaitTimeSeconds, which moto honours. */
const LONG_POLL_MS = 20_000;
/** SQS's default visibility timeout: how long a message handed to a poll nobody reads stays hidden. */
const VISIBILITY_TIMEOUT_MS = 30_000;

describe('controller: --task-events-queue (real API server, moto ECS and SQS)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('task-events');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  const sqs = sqsClient();
  let queueUrl: string;
  let controller: ControllerProcess | undefined;

  before(async () => {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: `ecs-task-events-${randomUUID()}` }));
    queueUrl = created.QueueUrl!;
  });
  after(async () => {
    await controller?.kill('SIGKILL');
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    ecs.destroy();
    sqs.destroy();
  });

  it('a stop event gets the run recorded at once; the queue is drained; metrics say events', async () => {
    controller = await startController(['--namespace', ns.name, '--task-events-queue', queueUrl]);
    // A run now, on a schedule that is not due for months.
    await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: 'evented', namespace: ns.name, annotations: { [RUN_NOW_ANNOTATION]: 'go-1' } },
        spec: { schedule: '0 3 1 1 *', task: fargateTask(env) },
      },
    });
    const running = await waitFor(
      'the run-now to launch',
      async () =>
        (await getScheduledTask(api, ns.name, 'evented')).status?.runs?.find(
          (r) => (r.tasks?.length ?? 0) > 0,
        ),
      20_000,
    );
    const taskArn = running.tasks![0]!.taskArn;
    const launchedAt = Date.parse(running.launchedAt!);

    // What EventBridge would send once ECS stopped the task: the task itself as the detail.
    await ecs.send(new StopTaskCommand({ cluster: env.ecsCluster, task: taskArn, reason: 'by the test' }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: env.ecsCluster, tasks: [taskArn] }));
    const task = described.tasks![0]!;
    expect(task.lastStatus).to.equal('STOPPED');
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: '123456789012',
      time: new Date().toISOString(),
      region: env.region,
      resources: [taskArn],
      detail: task,
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }));
    const finished = await waitFor(
      'the run recorded as finished',
      async () => {
        const run = (await getScheduledTask(api, ns.name, 'evented')).status?.runs?.find(
          (r) => r.tasks?.[0]?.taskArn === taskArn,
        );
        return run && run.result !== 'Running' ? { run, at: Date.now() } : undefined;
      },
      20_000,
      100,
    );
    // moto reports the containers of a stopped task as exited 0.
    expect(finished.run.result).to.be.oneOf(['Succeeded', 'Failed']);
    expect(
      finished.at - launchedAt,
      'recorded before the first poll would have asked about the task',
    ).to.be.below(FIRST_POLL_MS);

    const metrics = await scrapeMetrics(controller.metricsPort);
    expect(metricSum(metrics, 'ecs_scheduler_task_tracking_mode', { mode: 'events' })).to.equal(1);
    expect(metricSum(metrics, 'ecs_scheduler_task_tracking_mode', { mode: 'polling' })).to.equal(0);
    expect(metricSum(metrics, 'ecs_scheduler_task_events_total', { outcome: 'stopped' })).to.equal(1);
    expect(metricSum(metrics, 'ecs_scheduler_task_tracker_hints_total', { outcome: 'tracked' })).to.equal(1);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(attributes.Attributes).to.deep.include({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    // SIGTERM ends the long poll in flight: the process exits at once and cleanly.
    const stopping = Date.now();
    expect(await controller.kill('SIGTERM')).to.equal(0);
    expect(Date.now() - stopping).to.be.below(10_000);
  });

  it('an idle queue is no error: after a long poll with nothing, a message is read at once', async () => {
    // Its own queue and controller, so nothing of the test above is in it.
    const idle = await sqs.send(
      new CreateQueueCommand({ QueueName: `ecs-task-events-idle-${randomUUID()}` }),
    );
    const idleUrl = idle.QueueUrl!;
    const idler = await startController(['--namespace', ns.name, '--task-events-queue', idleUrl]);
    try {
      // Longer than one long poll with the queue empty: a client whose request timeout is shorter
      // than the wait gives up first, counts a receive error and backs off, and moto then hands the
      // next message to the abandoned poll, where it stays hidden until the visibility timeout.
      await sleep(LONG_POLL_MS + 3_000);
      const quiet = await scrapeMetrics(idler.metricsPort);
      expect(
        metricSum(quiet, 'ecs_scheduler_task_events_receive_errors_total'),
        'receive errors while the queue was idle',
      ).to.equal(0);
      expect(
        idler.lines.filter((l) => l.level === 'warn' && /task state change events/.test(String(l.msg))),
        'warnings while the queue was idle',
      ).to.deep.equal([]);

      const sentAt = Date.now();
      // Any event will do: the count of messages read says it arrived.
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: idleUrl,
          MessageBody: JSON.stringify({
            version: '0',
            id: randomUUID(),
            'detail-type': 'ECS Container Instance State Change',
            source: 'aws.ecs',
            detail: {},
          }),
        }),
      );
      const readAt = await waitFor(
        'the message to be read',
        async () =>
          metricSum(await scrapeMetrics(idler.metricsPort), 'ecs_scheduler_task_events_total', {
            outcome: 'other',
          }) === 1 && Date.now(),
        VISIBILITY_TIMEOUT_MS + 10_000,
        100,
      );
      expect(readAt - sentAt, 'read by the long poll in flight, not after a visibility timeout').to.be.below(
        5_000,
      );
      const after = await scrapeMetrics(idler.metricsPort);
      expect(metricSum(after, 'ecs_scheduler_task_events_receive_errors_total')).to.equal(0);
    } finally {
      await idler.kill('SIGKILL');
      await sqs.send(new DeleteQueueCommand({ QueueUrl: idleUrl })).catch(() => undefined);
    }
  });
});
