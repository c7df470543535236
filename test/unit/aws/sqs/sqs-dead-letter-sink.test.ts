import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import type { DeadLetterMessage } from '../../../../src/controller/pass/dead-letter.js';
import { TerminalError, ThrottledError, TransientError } from '../../../../src/controller/errors.js';
import { AWS_ERROR_TABLE } from '../../../../src/aws/aws-errors.js';
import { exampleAwsError } from '../aws-error-examples.js';
import type { AwsIdentity } from '../../../../src/controller/ports.js';
import { RUN_ID_ATTRIBUTE, SqsDeadLetterSink } from '../../../../src/aws/sqs/sqs-dead-letter-sink.js';
import { FakeClock } from '../../../support/fake-clock.js';

const message: DeadLetterMessage = {
  body: '{"kind":"EcsScheduledTaskRunFailed"}',
  deduplicationId: '5f0c2a3e-8d4b-4c1a-9e7f-2b6d8a1c3e5f-1772359200',
  groupId: 'data/report',
};

/** An SQS client that answers from a script and remembers what it was sent, and as whom. */
class FakeSqs {
  readonly commands: { name: string; input: Record<string, unknown> }[] = [];
  readonly clientsFor: string[] = [];
  error: Error | undefined;
  hang = false;
  send(command: unknown): Promise<unknown> {
    const c = command as { constructor: { name: string }; input: Record<string, unknown> };
    this.commands.push({ name: c.constructor.name, input: c.input });
    if (this.error) return Promise.reject(this.error);
    if (this.hang) return new Promise(() => undefined);
    if (command instanceof GetQueueUrlCommand)
      return Promise.resolve({ QueueUrl: `http://localhost:5000/123456789012/${String(c.input.QueueName)}` });
    if (command instanceof SendMessageCommand) return Promise.resolve({ MessageId: 'm-1' });
    return Promise.reject(new Error('unexpected command'));
  }
}

function setup(options: { endpoint?: string } = {}) {
  const sqs = new FakeSqs();
  const clock = new FakeClock('2026-03-01T10:00:00Z');
  const sink = new SqsDeadLetterSink({
    sqsClientFor: (identity: AwsIdentity | undefined, region: string | undefined) => {
      sqs.clientsFor.push(`${identity?.roleArn ?? 'own'} ${region ?? '-'}`);
      return sqs;
    },
    region: 'eu-west-1',
    clock,
    ...options,
  });
  return { sqs, sink, clock };
}

describe('SqsDeadLetterSink', () => {
  it('resolves a queue name once, sends the body with the run id attribute, and returns the message id', async () => {
    const { sqs, sink } = setup();
    expect(await sink.send({ queueName: 'failed-runs' }, message)).to.deep.equal({ messageId: 'm-1' });
    await sink.send({ queueName: 'failed-runs' }, message);
    expect(sqs.commands.map((c) => c.name)).to.deep.equal([
      'GetQueueUrlCommand',
      'SendMessageCommand',
      'SendMessageCommand',
    ]);
    const send = sqs.commands[1]!.input;
    expect(send).to.deep.equal({
      QueueUrl: 'http://localhost:5000/123456789012/failed-runs',
      MessageBody: message.body,
      MessageAttributes: { [RUN_ID_ATTRIBUTE]: { DataType: 'String', StringValue: message.deduplicationId } },
    });
  });

  it('a FIFO queue gets the run identity as MessageDeduplicationId and the resource as MessageGroupId', async () => {
    const { sqs, sink } = setup();
    await sink.send({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/failed.fifo' }, message);
    expect(sqs.commands[0]!.input).to.include({
      MessageDeduplicationId: message.deduplicationId,
      MessageGroupId: 'data/report',
    });
  });

  it('sends as the policy role, in the region of the queue URL', async () => {
    const { sqs, sink } = setup();
    await sink.send({ queueUrl: 'https://sqs.us-east-2.amazonaws.com/123456789012/q' }, message, {
      identity: { roleArn: 'arn:aws:iam::123456789012:role/data' },
    });
    expect(sqs.clientsFor).to.deep.equal(['arn:aws:iam::123456789012:role/data us-east-2']);
  });

  const refused: { name: string; queue: Record<string, string>; field: RegExp }[] = [
    {
      name: 'a queueUrl on a foreign host',
      queue: { queueUrl: 'https://evil.example/123456789012/q' },
      field: /^spec\.deadLetter\.sqs\.queueUrl: host evil\.example is not an SQS endpoint/,
    },
    {
      name: 'a queueUrl in another region than the one named',
      queue: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q', region: 'eu-west-1' },
      field: /^spec\.deadLetter\.sqs\.queueUrl: .*\(spec\.deadLetter\.sqs\.region\)/,
    },
    {
      name: 'a region that is a host',
      queue: { queueName: 'q', region: 'evil.example' },
      field: /^spec\.deadLetter\.sqs\.region: /,
    },
    {
      name: 'a region in no AWS partition',
      queue: { queueName: 'q', region: 'zz-top-1' },
      field: /^spec\.deadLetter\.sqs\.region: "zz-top-1" is not an AWS region/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} before any call, naming the field`, async () => {
      const { sqs, sink } = setup();
      const error = await sink.send(c.queue, message).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(TerminalError);
      expect((error as Error).message).to.match(c.field);
      expect(sqs.commands).to.deep.equal([]);
      expect(sqs.clientsFor).to.deep.equal([]);
    });
  }

  it('accepts a queueUrl on the endpoint override (moto)', async () => {
    const { sqs, sink } = setup({ endpoint: 'http://localhost:5000' });
    await sink.send({ queueUrl: 'http://localhost:5000/123456789012/q' }, message);
    expect(sqs.commands).to.have.length(1);
  });

  it('a missing queue is transient (it may be created later)', async () => {
    const { sqs, sink } = setup();
    sqs.error = Object.assign(new Error('The specified queue does not exist.'), {
      name: 'QueueDoesNotExist',
    });
    const error = await sink.send({ queueName: 'later' }, message).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TransientError);
    expect((error as TransientError).reason).to.equal('QueueNotFound');
  });

  it('a call with no answer fails after the timeout on the injected clock', async () => {
    const { sqs, sink, clock } = setup();
    sqs.hang = true;
    const pending = sink.send({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q' }, message);
    clock.advance(10_000);
    const error = await pending.catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TransientError);
    expect((error as TransientError).reason).to.equal('SqsTimeout');
  });
});

// The one error table calls QueueNotFound and PolicyDenied terminal-resource (the trigger stalls);
// the dead letter is retried with backoff and given up by the controller, so for the sink every
// row is a failed send.
describe('SqsDeadLetterSink: every row of AWS_ERROR_TABLE is a failed send, never a TerminalError', () => {
  for (const row of AWS_ERROR_TABLE) {
    for (const entry of row.errors) {
      const example = exampleAwsError(entry);
      // RunTask failures[].reason strings are no SQS error.
      if (typeof example === 'string') continue;
      it(`${row.reason} (${row.disposition}): ${entry}`, async () => {
        const { sqs, sink } = setup();
        sqs.error = example as Error;
        const error = await sink.send({ queueName: 'later' }, message).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(TransientError);
        expect(error).not.to.be.instanceOf(TerminalError);
        if (row.reason === 'QueueNotFound') {
          expect((error as TransientError).reason).to.equal('QueueNotFound');
          expect((error as Error).message).to.equal('SQS dead-letter queue later does not exist (yet)');
        }
        if (row.reason === 'Throttled') expect(error).to.be.instanceOf(ThrottledError);
      });
    }
  }
});
