import { expect } from 'chai';
import { readTaskEvent, TaskStateEvents, type TaskEventOutcome } from '../../../src/ecs/task-state-events.js';
import { silentLogger } from '../../../src/log/logger.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';
import { FakeAws, awsError } from './support.js';

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
      logger: silentLogger,
      onStopped: (arn) => stopped.push(arn),
      metrics: { received: (o) => outcomes.push(o), failed: () => failures++ },
    });
    return { clock, sqs, events, stopped, outcomes, failures: () => failures, release: () => release?.() };
  }

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
