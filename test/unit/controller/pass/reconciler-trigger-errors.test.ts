// What the queue-depth source's errors do to a resource: a TerminalError (a refused queueUrl host
// or region, an unavailable identity) stalls it like an invalid spec; anything else is retried and
// shown as Reconciling, with one Warning event, never silently.
import { expect } from 'chai';
import { TerminalError, TransientError } from '../../../../src/controller/errors.js';
import { harness } from './harness.js';

const fiveSecondsPastTen = '2026-03-01T10:00:05Z';
const sqs = { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', messagesPerTask: 10 };
const refused = 'spec.trigger.sqs.queueUrl: host sqs.eu-west-1.amazonaws.com is outside the allowed regions';

const condition = (h: ReturnType<typeof harness>, type: string) =>
  h.status().conditions?.find((c) => c.type === type);

async function reconcileCatching(h: ReturnType<typeof harness>, at: string): Promise<unknown> {
  try {
    await h.reconcile(at);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('Reconciler: queue depth errors', () => {
  const cases: {
    readonly name: string;
    readonly error: Error;
    readonly thrown: typeof TerminalError | typeof TransientError;
    readonly ready: { status: string; reason: string };
    readonly stalled: { status: string; reason: string };
    readonly reconciling: { status: string; reason: string };
    /** The message of the condition that explains it (Stalled, else Reconciling) starts with this. */
    readonly message: string;
    readonly event: string;
  }[] = [
    {
      name: 'a refused queueUrl stalls the resource, naming the field',
      error: new TerminalError(refused, 'QueueUrlRefused'),
      thrown: TerminalError,
      ready: { status: 'False', reason: 'QueueUrlRefused' },
      stalled: { status: 'True', reason: 'QueueUrlRefused' },
      reconciling: { status: 'False', reason: 'QueueUrlRefused' },
      message: 'spec.trigger.sqs.queueUrl: ',
      event: 'Warning QueueUrlRefused',
    },
    {
      name: 'a queue that does not exist stalls the resource',
      error: new TerminalError(
        'spec.trigger.sqs: SQS GetQueueUrl (jobs) failed: QueueDoesNotExist: The specified queue does not exist.',
        'QueueNotFound',
      ),
      thrown: TerminalError,
      ready: { status: 'False', reason: 'QueueNotFound' },
      stalled: { status: 'True', reason: 'QueueNotFound' },
      reconciling: { status: 'False', reason: 'QueueNotFound' },
      message: 'spec.trigger.sqs: SQS GetQueueUrl',
      event: 'Warning QueueNotFound',
    },
    {
      name: 'an unavailable identity stalls the resource',
      error: new TerminalError(
        'spec.trigger.sqs: no credentials for role arn:aws:iam::1:role/x',
        'IdentityUnavailable',
      ),
      thrown: TerminalError,
      ready: { status: 'False', reason: 'IdentityUnavailable' },
      stalled: { status: 'True', reason: 'IdentityUnavailable' },
      reconciling: { status: 'False', reason: 'IdentityUnavailable' },
      message: 'spec.trigger.sqs: ',
      event: 'Warning IdentityUnavailable',
    },
    {
      name: 'a throttled read is retried and shown as Reconciling',
      error: new TransientError('SQS GetQueueAttributes failed: ThrottlingException: slow down', 'Throttled'),
      thrown: TransientError,
      ready: { status: 'True', reason: 'Scheduled' },
      stalled: { status: 'False', reason: 'ValidSpec' },
      reconciling: { status: 'True', reason: 'QueueDepthUnavailable' },
      message: 'could not read the trigger queue depth, retrying: SQS GetQueueAttributes failed: Throttling',
      event: 'Warning QueueDepthUnavailable',
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const h = harness({ trigger: { sqs }, maxCount: 10 });
      h.queueDepth.error = c.error;
      // A run-now in the same pass as the due time: the queue is asked, and reported, once.
      h.annotate({ 'ecs-scheduler.dev/run-now': 'now-1' });
      const first = await reconcileCatching(h, fiveSecondsPastTen);
      expect(first).to.be.instanceOf(c.thrown);
      expect(condition(h, 'Ready')).to.include(c.ready);
      expect(condition(h, 'Stalled')).to.include(c.stalled);
      expect(condition(h, 'Reconciling')).to.include(c.reconciling);
      const explaining = c.stalled.status === 'True' ? condition(h, 'Stalled') : condition(h, 'Reconciling');
      expect(explaining?.message.startsWith(c.message), explaining?.message).to.equal(true);
      expect(h.queueDepth.calls).to.have.length(1);
      expect(h.events.events).to.have.length(1);
      expect(h.launcher.runRequests).to.deep.equal([]);
      expect(h.runs(), 'the due time is neither run nor recorded').to.deep.equal([]);
      expect(h.status().lastRunNow, 'the run-now waits too').to.equal(undefined);
      expect(h.status().lastScheduleTime, 'the watermark does not move').to.equal(undefined);
      // Seen again (a retry, or a wake by the tracker): no second event, the same conditions.
      const second = await reconcileCatching(h, '2026-03-01T10:00:20Z');
      expect(second).to.be.instanceOf(c.thrown);
      expect(h.events.events.map((e) => `${e.type} ${e.reason}`)).to.deep.equal([c.event]);
      expect(condition(h, 'Stalled')).to.include(c.stalled);
      // Once the queue answers, the run launches and the conditions clear.
      h.queueDepth.error = undefined;
      h.queueDepth.depth = 10;
      await h.reconcile('2026-03-01T10:00:30Z');
      expect(h.launcher.runRequests, 'the due time and the run-now').to.have.length(2);
      expect(condition(h, 'Ready')).to.include({ status: 'True' });
      expect(condition(h, 'Stalled')).to.include({ status: 'False' });
      expect(condition(h, 'Reconciling')).to.include({ status: 'False', reason: 'Idle' });
    });
  }
});
