import { expect } from 'chai';
import { ThrottledError, TransientError } from '../../../src/controller/errors.js';
import { SqsQueueDepth, regionOfQueueUrl } from '../../../src/trigger/sqs-queue-depth.js';
import { FakeAws, awsError } from '../ecs/support.js';

/** Any of our error classes, whatever its constructor takes. */
type ErrorType = abstract new (...args: never[]) => TransientError;

const url = (region: string, name: string) => `https://sqs.${region}.amazonaws.com/123456789012/${name}`;

function setup(handlers: ConstructorParameters<typeof FakeAws>[0]) {
  const clients = new Map<string | undefined, FakeAws>();
  const source = new SqsQueueDepth({
    region: 'us-east-1',
    clientFactory: (region) => {
      const client = new FakeAws(handlers);
      clients.set(region, client);
      return client;
    },
  });
  return { source, clients };
}

const attributes =
  (visible: string, inFlight = '7') =>
  () => ({
    Attributes: { ApproximateNumberOfMessages: visible, ApproximateNumberOfMessagesNotVisible: inFlight },
  });

describe('SqsQueueDepth', () => {
  const cases: {
    name: string;
    trigger: Parameters<SqsQueueDepth['queueDepth']>[0];
    expected: number;
    attributeNames: string[];
  }[] = [
    {
      name: 'visible messages only, by default',
      trigger: { queueName: 'jobs' },
      expected: 250,
      attributeNames: ['ApproximateNumberOfMessages'],
    },
    {
      name: 'visible plus in-flight with includeInFlight',
      trigger: { queueName: 'jobs', includeInFlight: true },
      expected: 257,
      attributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    },
    {
      name: 'by queueUrl, without GetQueueUrl',
      trigger: { queueUrl: url('us-east-1', 'jobs') },
      expected: 250,
      attributeNames: ['ApproximateNumberOfMessages'],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { source, clients } = setup({
        GetQueueUrl: (input) => ({ QueueUrl: url('us-east-1', String(input.QueueName)) }),
        GetQueueAttributes: attributes('250'),
      });
      expect(await source.queueDepth(c.trigger)).to.equal(c.expected);
      const client = clients.get('us-east-1');
      expect(client?.of('GetQueueAttributes')[0]?.input).to.deep.equal({
        QueueUrl: url('us-east-1', 'jobs'),
        AttributeNames: c.attributeNames,
      });
    });
  }

  it('resolves a queue name once per region and keeps one client per region', async () => {
    const { source, clients } = setup({
      GetQueueUrl: (input) => ({ QueueUrl: url('x', String(input.QueueName)) }),
      GetQueueAttributes: attributes('1'),
    });
    await source.queueDepth({ queueName: 'jobs' });
    await source.queueDepth({ queueName: 'jobs' });
    await source.queueDepth({ queueName: 'jobs', region: 'eu-west-1' });
    await source.queueDepth({ queueUrl: url('ap-south-1', 'other') });
    expect([...clients.keys()]).to.deep.equal(['us-east-1', 'eu-west-1', 'ap-south-1']);
    expect(clients.get('us-east-1')?.of('GetQueueUrl')).to.have.length(1);
    expect(clients.get('us-east-1')?.of('GetQueueAttributes')).to.have.length(2);
    expect(clients.get('eu-west-1')?.of('GetQueueUrl')).to.have.length(1);
  });

  const errors: { name: string; error: unknown; type: ErrorType; reason: string }[] = [
    {
      name: 'QueueDoesNotExist',
      error: awsError('QueueDoesNotExist'),
      type: TransientError,
      reason: 'QueueNotFound',
    },
    {
      name: 'the query-protocol NonExistentQueue code',
      error: awsError('AWS.SimpleQueueService.NonExistentQueue'),
      type: TransientError,
      reason: 'QueueNotFound',
    },
    {
      name: 'RequestThrottled',
      error: awsError('RequestThrottled'),
      type: ThrottledError,
      reason: 'Throttled',
    },
    { name: 'AccessDenied', error: awsError('AccessDenied'), type: TransientError, reason: 'AccessDenied' },
  ];
  for (const c of errors) {
    it(`maps ${c.name} to ${c.type.name} (${c.reason})`, async () => {
      const { source } = setup({
        GetQueueUrl: () => {
          throw c.error;
        },
      });
      await source.queueDepth({ queueName: 'jobs' }).then(
        () => expect.fail('expected an error'),
        (e: unknown) => {
          expect(e).to.be.instanceOf(c.type);
          expect((e as TransientError).reason).to.equal(c.reason);
        },
      );
    });
  }

  it('forgets a cached URL when its queue disappears, and resolves it again', async () => {
    let gone = false;
    const { source, clients } = setup({
      GetQueueUrl: () => ({ QueueUrl: url('us-east-1', 'jobs') }),
      GetQueueAttributes: () => {
        if (gone) throw awsError('QueueDoesNotExist');
        return attributes('3')();
      },
    });
    expect(await source.queueDepth({ queueName: 'jobs' })).to.equal(3);
    gone = true;
    await source.queueDepth({ queueName: 'jobs' }).then(
      () => expect.fail('expected an error'),
      (e: unknown) => expect((e as TransientError).reason).to.equal('QueueNotFound'),
    );
    gone = false;
    expect(await source.queueDepth({ queueName: 'jobs' })).to.equal(3);
    expect(clients.get('us-east-1')?.of('GetQueueUrl')).to.have.length(2);
  });

  it('rejects a reply without the attribute instead of reading it as an empty queue', async () => {
    const { source } = setup({ GetQueueAttributes: () => ({ Attributes: {} }) });
    await source.queueDepth({ queueUrl: url('us-east-1', 'jobs') }).then(
      () => expect.fail('expected an error'),
      (e: unknown) => expect((e as TransientError).reason).to.equal('SqsBadResponse'),
    );
  });

  it('close() releases every client', async () => {
    const { source, clients } = setup({ GetQueueAttributes: attributes('0') });
    await source.queueDepth({ queueUrl: url('us-east-1', 'jobs') });
    source.close();
    expect(clients.get('us-east-1')?.destroyed).to.equal(true);
  });
});

describe('regionOfQueueUrl', () => {
  const cases: { url: string; expected: string | undefined }[] = [
    { url: 'https://sqs.eu-west-1.amazonaws.com/123/q', expected: 'eu-west-1' },
    { url: 'https://us-west-2.queue.amazonaws.com/123/q', expected: 'us-west-2' },
    { url: 'https://sqs.cn-north-1.amazonaws.com.cn/123/q', expected: 'cn-north-1' },
    { url: 'http://127.0.0.1:5000/123456789012/q', expected: undefined },
    { url: 'not a url', expected: undefined },
  ];
  for (const c of cases) it(c.url, () => expect(regionOfQueueUrl(c.url)).to.equal(c.expected));
});
