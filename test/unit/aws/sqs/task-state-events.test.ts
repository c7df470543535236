import { expect } from 'chai';
import {
  createTaskEventsSqsClient,
  readTaskEvent,
  RECEIVE_MARGIN_MS,
  receiveRequestTimeoutMs,
  TASK_EVENTS_WAIT_SECONDS,
  taskEventsClientTimeouts,
  TaskStateEvents,
  type TaskEventOutcome,
} from '../../../../src/aws/sqs/task-state-events.js';
import { createLogger, type Logger } from '../../../../src/log/logger.js';
import { FakeClock, flushPromises } from '../../../support/fake-clock.js';
import { FakeAws, awsError } from '../ecs/support.js';

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef';
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/ecs-task-events';

/** An ECS Task State Change event as EventBridge delivers it to an SQS target. */
function event(detail: Record<string, unknown>, detailType = 'ECS Task State Change'): string {
  return JSON.stringify({
    version: '0',
    id: 'e1',
    'detail-type': detailType,
    source: 'aws.ecs',
    account: '123456789012',
    time: '2026-03-01T10:00:00Z',
    region: 'us-east-1',
    resources: [TASK],
    detail: { taskArn: TASK, clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod', ...detail },
  });
}

const ours = { startedBy: 'ecss/0a1b/1772359200' };

describe('readTaskEvent', () => {
  const cases: { name: string; body: string | undefined; outcome: TaskEventOutcome; taskArn?: string }[] = [
    {
      name: 'a stop of one of our tasks',
      body: event({ ...ours, lastStatus: 'STOPPED' }),
      outcome: 'stopped',
      taskArn: TASK,
    },
    {
      name: 'the same event wrapped by an SNS subscription',
      body: JSON.stringify({ Type: 'Notification', Message: event({ ...ours, lastStatus: 'STOPPED' }) }),
      outcome: 'stopped',
      taskArn: TASK,
    },
    {
      name: 'our task starting: nothing to record',
      body: event({ ...ours, lastStatus: 'RUNNING' }),
      outcome: 'other',
    },
    {
      name: "another tool's task",
      body: event({ startedBy: 'ecs-svc/123', lastStatus: 'STOPPED' }),
      outcome: 'foreign',
    },
    { name: 'a task without startedBy', body: event({ lastStatus: 'STOPPED' }), outcome: 'foreign' },
    {
      name: 'another kind of ECS event',
      body: event({ ...ours, lastStatus: 'STOPPED' }, 'ECS Container Instance State Change'),
      outcome: 'other',
    },
    { name: 'not JSON', body: 'hello', outcome: 'malformed' },
    { name: 'no body', body: undefined, outcome: 'malformed' },
    { name: 'JSON without detail', body: '{"detail-type":"ECS Task State Change"}', outcome: 'malformed' },
    { name: 'an ARN that is not a string', body: event({ ...ours, taskArn: 42 }), outcome: 'malformed' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const read = readTaskEvent(c.body);
      expect(read.outcome).to.equal(c.outcome);
      expect(read.taskArn).to.equal(c.taskArn);
    });
  }
});

describe('TaskStateEvents', () => {
  function setup(receive: (call: number) => unknown) {
    const clock = new FakeClock('2026-03-01T10:00:00Z');
    const warnings: string[] = [];
    const logger: Logger = createLogger({
      write: (line) => {
        const entry = JSON.parse(line) as { level: string; msg: string };
        if (entry.level === 'warn' || entry.level === 'error') warnings.push(entry.msg);
      },
    });
    const stopped: string[] = [];
    const outcomes: string[] = [];
    let failures = 0;
    let calls = 0;
    let release: (() => void) | undefined;
    const sqs = new FakeAws({
      ReceiveMessage: async () => {
        const call = calls++;
        const answer = receive(call);
        if (answer === 'hold') {
          // A long poll with nothing to say, until the test (or stop()) ends it.
          await new Promise<void>((resolve) => (release = resolve));
          throw Object.assign(new Error('aborted'), { name: 'AbortError' });
        }
        if (answer instanceof Error) throw answer;
        return answer;
      },
      DeleteMessageBatch: () => ({ Successful: [] }),
    });
    const events = new TaskStateEvents({
      sqs,
      queueUrl: QUEUE,
      clock,
      logger,
      onStopped: (arn) => stopped.push(arn),
      metrics: { received: (o) => outcomes.push(o), failed: () => failures++ },
    });
    return {
      clock,
      sqs,
      events,
      stopped,
      outcomes,
      warnings,
      failures: () => failures,
      release: () => release?.(),
    };
  }

  it('an idle queue is no error: empty long polls follow each other, without warning or backoff', async () => {
    // SQS answers an idle long poll with no Messages when the wait ends.
    const t = setup((call) => (call < 3 ? {} : call === 3 ? { Messages: [] } : 'hold'));
    t.events.start();
    await flushPromises();
    expect(
      t.sqs.of('ReceiveMessage'),
      'three empty answers, one empty list, then the poll in flight',
    ).to.have.length(5);
    expect(t.failures()).to.equal(0);
    expect(t.warnings).to.deep.equal([]);
    expect(t.clock.pendingDelays(), 'no backoff timer').to.deep.equal([]);
    expect(t.sqs.of('DeleteMessageBatch')).to.deep.equal([]);
    const stopping = t.events.stop();
    t.release();
    await stopping;
  });

  it('hints each stop of our tasks, deletes every message it read, and long-polls again', async () => {
    const t = setup((call) =>
      call === 0
        ? {
            Messages: [
              { MessageId: 'm1', ReceiptHandle: 'r1', Body: event({ ...ours, lastStatus: 'STOPPED' }) },
              { MessageId: 'm2', ReceiptHandle: 'r2', Body: event({ ...ours, lastStatus: 'RUNNING' }) },
              { MessageId: 'm3', ReceiptHandle: 'r3', Body: 'garbage' },
            ],
          }
        : 'hold',
    );
    t.events.start();
    await flushPromises();
    expect(t.stopped).to.deep.equal([TASK]);
    expect(t.outcomes).to.deep.equal(['stopped', 'other', 'malformed']);
    const [receive] = t.sqs.of('ReceiveMessage');
    expect(receive!.input).to.deep.include({ QueueUrl: QUEUE, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 });
    const [deleted] = t.sqs.of('DeleteMessageBatch');
    expect((deleted!.input.Entries as { ReceiptHandle: string }[]).map((e) => e.ReceiptHandle)).to.deep.equal(
      ['r1', 'r2', 'r3'],
    );
    expect(t.sqs.of('ReceiveMessage')).to.have.length(2);
    const stopping = t.events.stop();
    t.release();
    await stopping;
  });

  it('backs off after a failed read (1 s, then 2 s) and recovers; stop() ends a backoff at once', async () => {
    const t = setup((call) => (call < 2 ? awsError('AccessDenied') : call === 2 ? {} : 'hold'));
    t.events.start();
    await flushPromises();
    expect(t.failures()).to.equal(1);
    t.clock.advance(499); // the first delay is 0.5-1 s (half jittered)
    await flushPromises();
    expect(t.sqs.of('ReceiveMessage')).to.have.length(1);
    t.clock.advance(501);
    await flushPromises();
    expect(t.sqs.of('ReceiveMessage')).to.have.length(2);
    t.clock.advance(2_000);
    await flushPromises();
    expect(t.sqs.of('ReceiveMessage').length, 'an empty answer, then the next long poll').to.equal(4);
    expect(t.failures()).to.equal(2);
    const stopping = t.events.stop();
    t.release();
    await stopping;

    const u = setup(() => awsError('AccessDenied'));
    u.events.start();
    await flushPromises();
    await u.events.stop(); // mid-backoff: no timer left to wait for
    expect(u.sqs.of('ReceiveMessage')).to.have.length(1);
  });
});

describe('task events: the long poll and the client that waits for it', () => {
  it('the client waits longer than the long poll, by a margin (the default relation)', () => {
    const { requestTimeoutMs, connectionTimeoutMs } = taskEventsClientTimeouts();
    expect(TASK_EVENTS_WAIT_SECONDS).to.equal(20);
    // An idle queue answers only when the wait ends: a timeout at or below it fails every idle poll.
    expect(requestTimeoutMs).to.equal(TASK_EVENTS_WAIT_SECONDS * 1000 + RECEIVE_MARGIN_MS);
    expect(requestTimeoutMs - TASK_EVENTS_WAIT_SECONDS * 1000).to.be.at.least(5_000);
    expect(connectionTimeoutMs).to.be.below(TASK_EVENTS_WAIT_SECONDS * 1000);
    expect(receiveRequestTimeoutMs(3)).to.equal(3_000 + RECEIVE_MARGIN_MS);
  });

  it('the client built for the queue carries those deadlines to the SDK', async () => {
    const client = createTaskEventsSqsClient({ region: 'us-east-1' });
    try {
      // The SDK's NodeHttpHandler resolves the options we gave it as its configProvider.
      const handler = client.config.requestHandler as unknown as {
        configProvider: Promise<{
          requestTimeout?: number;
          connectionTimeout?: number;
          throwOnRequestTimeout?: boolean;
        }>;
      };
      const resolved = await handler.configProvider;
      expect(resolved.requestTimeout).to.equal(receiveRequestTimeoutMs(TASK_EVENTS_WAIT_SECONDS));
      expect(resolved.requestTimeout).to.be.above(TASK_EVENTS_WAIT_SECONDS * 1000);
      expect(resolved.connectionTimeout).to.equal(RECEIVE_MARGIN_MS);
      expect(resolved.throwOnRequestTimeout).to.equal(true);
    } finally {
      client.destroy();
    }
  });

  it('TaskStateEvents asks for the same wait by default, and refuses a wait SQS would not long-poll', async () => {
    const sqs = new FakeAws({
      ReceiveMessage: () => new Promise(() => undefined),
    });
    const events = new TaskStateEvents({
      sqs,
      queueUrl: QUEUE,
      clock: new FakeClock('2026-03-01T10:00:00Z'),
      logger: createLogger({ write: () => undefined }),
      onStopped: () => undefined,
    });
    events.start();
    await flushPromises();
    expect(sqs.of('ReceiveMessage')[0]!.input.WaitTimeSeconds).to.equal(TASK_EVENTS_WAIT_SECONDS);
    void events.stop();
    for (const waitSeconds of [0, 21, 2.5]) {
      expect(
        () =>
          new TaskStateEvents({
            sqs,
            queueUrl: QUEUE,
            clock: new FakeClock('2026-03-01T10:00:00Z'),
            logger: createLogger({ write: () => undefined }),
            onStopped: () => undefined,
            waitSeconds,
          }),
      ).to.throw(RangeError, /waitSeconds/);
    }
  });
});
