// Retries and the dead letter end to end: the real controller binary against the real API server,
// ECS served by the simulator (its tasks exit 1, which moto cannot do) and SQS by moto. A run of a
// failing task definition is retried maxRetries times, each attempt launched exactly once (the
// simulator's ledger counts RunTask per startedBy), then one message reaches the FIFO dead-letter
// queue, and the resource reads LastRunSucceeded=False, which the Argo CD health check (run in
// fengari) shows as Degraded.
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { RUN_NOW_ANNOTATION } from '../../src/api/constants.js';
import type { RunRecord } from '../../src/api/types.js';
import { argoCdHealth } from '../support/argocd-health.js';
import { startEcsSimulatorServer, type EcsSimulatorServer } from '../support/ecs-simulator/server.js';
import {
  customObjects,
  loadTestEnv,
  sqsClient,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import { eventsFor, getScheduledTask, metricSum, scrapeMetrics, waitFor } from './support/scheduled-runs.js';
import { EST, kubeConfig } from './support/kube.js';

const MAX_RETRIES = 2;

describe('retries and the dead letter (controller, API server, ECS simulator, moto SQS)', function () {
  // Each attempt is seen to stop at the tracker's next poll (every 10 s): about 15 s per attempt.
  this.timeout(240_000);
  const ns = useTestNamespace('retry');
  const env = loadTestEnv();
  const api = customObjects();
  const sqs = sqsClient();
  let simulator: EcsSimulatorServer | undefined;
  let controller: ControllerProcess | undefined;
  let queueUrl: string | undefined;
  const queueName = `it-dead-letters-${Date.now().toString(36)}.fifo`;

  before(async () => {
    simulator = await startEcsSimulatorServer({
      quotas: 'off',
      region: env.region,
      clusters: ['batch'],
      // Every task runs briefly and its essential container exits 1.
      lifecycle: { provisioningMs: 100, pendingMs: 100, runningMs: 500, failShare: 1, failExitCode: 1 },
      taskDefinitions: [
        {
          family: 'always-fails',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'app', image: 'busybox', essential: true }],
        },
      ],
    });
    queueUrl = (
      await sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: { FifoQueue: 'true' } }))
    ).QueueUrl;
    controller = await startController([
      '--namespace',
      ns.name,
      '--policy',
      'off',
      '--ecs-endpoint',
      simulator.endpoint,
      '--sqs-endpoint',
      env.awsEndpoint,
      // The second test's letter is given up at its second failed send, 15 s after the first.
      '--dead-letter-max-attempts',
      '2',
    ]);
  });
  after(async () => {
    await controller?.kill('SIGKILL');
    await simulator?.close();
    if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    sqs.destroy();
  });

  it('retries a task that exits 1 maxRetries times, dead-letters the run once, and is Degraded', async () => {
    await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: {
        apiVersion: 'ecs-scheduler.dev/v1alpha1',
        kind: 'EcsScheduledTask',
        metadata: { name: 'always-fails', namespace: ns.name, annotations: { [RUN_NOW_ANNOTATION]: 'go' } },
        spec: {
          // Far away: the run-now annotation makes the one run of this test.
          schedule: '0 0 1 1 *',
          retryPolicy: { maxRetries: MAX_RETRIES, backoffSeconds: 1 },
          deadLetter: { sqs: { queueName } },
          task: {
            cluster: 'batch',
            taskDefinition: 'always-fails',
            launchType: 'FARGATE',
            networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
          },
        },
      },
    });

    const done = await waitFor(
      'the run failed on its last attempt and its dead letter was sent',
      async () => {
        const r = await getScheduledTask(api, ns.name, 'always-fails');
        const run = r.status?.runs?.[0];
        return run?.result === 'Failed' && run.deadLetter?.state === 'Sent' ? r : undefined;
      },
      180_000,
    );
    const run = done.status!.runs![0]!;
    expect(run).to.include({ result: 'Failed', reason: 'NonZeroExit', attempt: MAX_RETRIES + 1 });
    expect(run.attempts!.map((a) => `${a.attempt} ${a.result}/${a.reason}`)).to.deep.equal([
      '1 Failed/NonZeroExit',
      '2 Failed/NonZeroExit',
    ]);
    expect(run.attempts![0]!.taskCounts).to.deep.equal({ Failed: 1 });
    expect(run.tasks![0]!.exitCodes).to.deep.equal({ app: 1 });

    // Each attempt was one accepted RunTask under its own startedBy: nothing launched twice.
    const launches = simulator!.simulator.ledger
      .runs()
      .filter((r) => r.startedBy.includes(done.metadata.uid!))
      .map((r) => ({ suffix: r.startedBy.replace(/^.*\/now-[0-9a-f]{8}/, ''), accepted: r.acceptedLaunches }))
      .sort((a, b) => a.suffix.localeCompare(b.suffix));
    expect(launches).to.deep.equal([
      { suffix: '', accepted: 1 },
      { suffix: '-r1', accepted: 1 },
      { suffix: '-r2', accepted: 1 },
    ]);

    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['MessageDeduplicationId', 'MessageGroupId'],
      }),
    );
    expect(received.Messages ?? [], 'one message per finally-failed run').to.have.length(1);
    const message = received.Messages![0]!;
    const body = JSON.parse(message.Body!) as {
      kind: string;
      runId: string;
      resource: Record<string, string>;
      run: RunRecord;
    };
    expect(body.kind).to.equal('EcsScheduledTaskRunFailed');
    expect(body.resource).to.include({ namespace: ns.name, name: 'always-fails', uid: done.metadata.uid });
    expect(body.run).to.include({ result: 'Failed', attempt: MAX_RETRIES + 1 });
    expect(body.run.attempts).to.have.length(MAX_RETRIES);
    expect(message.Attributes?.MessageDeduplicationId).to.equal(body.runId);
    expect(message.Attributes?.MessageGroupId).to.equal(`${ns.name}/always-fails`);
    expect(message.MessageAttributes?.['ecs-scheduler-run-id']?.StringValue).to.equal(body.runId);
    expect(run.deadLetter!.messageId).to.equal(message.MessageId);

    const lastRun = done.status!.conditions!.find((c) => c.type === 'LastRunSucceeded');
    expect(lastRun).to.include({ status: 'False', reason: 'Failed' });
    const health = argoCdHealth(done);
    expect(health.status, JSON.stringify(done.status?.conditions)).to.equal('Degraded');
  });

  it('gives up a dead letter whose queue does not exist, with a Warning event and the abandoned metric', async () => {
    const name = 'letter-to-nowhere';
    await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: {
        apiVersion: 'ecs-scheduler.dev/v1alpha1',
        kind: 'EcsScheduledTask',
        metadata: { name, namespace: ns.name, annotations: { [RUN_NOW_ANNOTATION]: 'go' } },
        spec: {
          schedule: '0 0 1 1 *',
          deadLetter: { sqs: { queueName: `it-never-created-${Date.now().toString(36)}` } },
          task: {
            cluster: 'batch',
            taskDefinition: 'always-fails',
            launchType: 'FARGATE',
            networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
          },
        },
      },
    });
    const done = await waitFor(
      'the dead letter was given up',
      async () => {
        const r = await getScheduledTask(api, ns.name, name);
        const run = r.status?.runs?.[0];
        return run?.result === 'Failed' && run.deadLetter?.state === 'Failed' ? r : undefined;
      },
      120_000,
    );
    const letter = done.status!.runs![0]!.deadLetter!;
    expect(letter.attempts).to.equal(2);
    expect(letter.error).to.match(/^gave up after 2 failed attempt\(s\): .*does not exist/);
    // Events and metrics follow the status write that explains them.
    await waitFor(
      'a Warning DeadLetterGaveUp event',
      async () => {
        const events = await eventsFor(kubeConfig(), ns.name, name);
        return events.some((e) => e.type === 'Warning' && e.reason === 'DeadLetterGaveUp') || undefined;
      },
      15_000,
    );
    const outcomes = await waitFor(
      'the abandoned dead letter counted',
      async () => {
        const text = await scrapeMetrics(controller!.metricsPort);
        const count = (outcome: string) =>
          metricSum(text, 'ecs_scheduler_dead_letters_total', { namespace: ns.name, name, outcome });
        return count('abandoned') === undefined
          ? undefined
          : { failed: count('failed'), abandoned: count('abandoned') };
      },
      15_000,
    );
    expect(outcomes).to.deep.equal({ failed: 1, abandoned: 1 });
  });
});
