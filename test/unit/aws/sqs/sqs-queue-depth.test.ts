import { expect } from 'chai';
import { TerminalError, ThrottledError, TransientError } from '../../../../src/controller/errors.js';
import { SqsQueueDepth } from '../../../../src/aws/sqs/sqs-queue-depth.js';
import { regionOfQueueUrl } from '../../../../src/aws/sqs/sqs-queue-url.js';
import { AWS_ERROR_TABLE } from '../../../../src/aws/aws-errors.js';
import { exampleAwsError } from '../aws-error-examples.js';
import type { AwsIdentity } from '../../../../src/controller/ports.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeAws, awsError } from '../ecs/support.js';

/** Any of our error classes, whatever its constructor takes. */
type ErrorType = abstract new (...args: never[]) => TransientError | TerminalError;

const url = (region: string, name: string) => `https://sqs.${region}.amazonaws.com/123456789012/${name}`;

function setup(handlers: ConstructorParameters<typeof FakeAws>[0], endpoint?: string) {
  const clients = new Map<string | undefined, FakeAws>();
  const identities: (AwsIdentity | undefined)[] = [];
  const source = new SqsQueueDepth({
    region: 'us-east-1',
    ...(endpoint === undefined ? {} : { endpoint }),
    // Like the real pool: one client per region, kept.
    sqsClientFor: (identity, region) => {
      identities.push(identity);
      let client = clients.get(region);
      if (client === undefined) {
        client = new FakeAws(handlers);
        clients.set(region, client);
      }
      return client;
    },
  });
  return { source, clients, identities };
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
    // A spec problem, as the README's error table says: Stalled, not retried until a change.
    {
      name: 'QueueDoesNotExist',
      error: awsError('QueueDoesNotExist'),
      type: TerminalError,
      reason: 'QueueNotFound',
    },
    {
      name: 'the query-protocol NonExistentQueue code',
      error: awsError('AWS.SimpleQueueService.NonExistentQueue'),
      type: TerminalError,
      reason: 'QueueNotFound',
    },
    {
      name: 'KMS.DisabledException',
      error: awsError('KMS.DisabledException'),
      type: TerminalError,
      reason: 'PolicyDenied',
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
          if (e instanceof TerminalError) expect(e.message).to.match(/^spec\.trigger\.sqs: /);
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

  const refused: { name: string; queueUrl: string; region?: string; endpoint?: string; problem: RegExp }[] = [
    { name: 'a loopback host', queueUrl: 'http://127.0.0.1:9324/123/q', problem: /host 127\.0\.0\.1:9324/ },
    { name: 'a foreign host', queueUrl: 'https://evil.example/123/q', problem: /not an SQS endpoint/ },
    {
      name: 'the SQS host of a region in no AWS partition',
      queueUrl: 'https://sqs.zz-top-1.amazonaws.com/123/q',
      problem: /not an SQS endpoint/,
    },
    {
      name: 'an AWS-looking prefix of a foreign domain',
      queueUrl: 'https://sqs.us-east-1.amazonaws.com.evil.example/123/q',
      problem: /not an SQS endpoint/,
    },
    {
      name: 'the SQS host on another port',
      queueUrl: 'https://sqs.us-east-1.amazonaws.com:8443/123/q',
      problem: /not an SQS endpoint/,
    },
    {
      name: 'credentials in the URL',
      queueUrl: 'https://a:b@sqs.us-east-1.amazonaws.com/123/q',
      problem: /credentials/,
    },
    { name: 'a file URL', queueUrl: 'file:///etc/passwd', problem: /scheme file:/ },
    { name: 'no URL at all', queueUrl: 'jobs', problem: /not a URL/ },
    {
      name: 'a queue of another region than spec.trigger.sqs.region',
      queueUrl: url('eu-west-1', 'jobs'),
      region: 'us-east-1',
      problem: /region eu-west-1/,
    },
    {
      name: 'the endpoint override host on another port',
      queueUrl: 'http://127.0.0.1:5001/123/q',
      endpoint: 'http://127.0.0.1:5000',
      problem: /allowed: sqs\.us-east-1\.amazonaws\.com, 127\.0\.0\.1:5000/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} as a queueUrl, naming the field, before any call`, async () => {
      const { source, clients, identities } = setup({ GetQueueAttributes: attributes('1') }, c.endpoint);
      const error = await source
        .queueDepth({ queueUrl: c.queueUrl, ...(c.region ? { region: c.region } : {}) })
        .then(
          () => expect.fail('expected a refusal'),
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(TerminalError);
      expect((error as TerminalError).reason).to.equal('QueueUrlRefused');
      expect((error as Error).message).to.match(/^spec\.trigger\.sqs\.queueUrl: /);
      expect((error as Error).message).to.match(c.problem);
      expect(identities, 'no client was even asked for').to.have.length(0);
      expect(clients.size).to.equal(0);
    });
  }

  for (const region of ['evil.example', 'us-east-1.evil', '127.0.0.1', 'us-east-1/x', '', 'zz-top-1']) {
    it(`refuses the region ${JSON.stringify(region)}, naming the field, before any call`, async () => {
      const { source, identities } = setup({ GetQueueUrl: () => ({ QueueUrl: url('us-east-1', 'q') }) });
      const error = await source.queueDepth({ queueName: 'jobs', region }).then(
        () => expect.fail('expected a refusal'),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(TerminalError);
      expect((error as Error).message).to.match(/^spec\.trigger\.sqs\.region: .* is not an AWS region/);
      expect((error as TerminalError).reason).to.equal('RegionRefused');
      expect(identities).to.have.length(0);
    });
  }

  const accepted: { name: string; queueUrl: string; endpoint?: string }[] = [
    { name: 'the regional endpoint', queueUrl: url('us-east-1', 'jobs') },
    { name: 'the legacy endpoint', queueUrl: 'https://us-east-1.queue.amazonaws.com/123/jobs' },
    { name: 'the China partition', queueUrl: 'https://sqs.cn-north-1.amazonaws.com.cn/123/jobs' },
    {
      name: 'the endpoint override (moto, LocalStack)',
      queueUrl: 'http://127.0.0.1:5000/123/jobs',
      endpoint: 'http://127.0.0.1:5000',
    },
  ];
  for (const c of accepted) {
    it(`reads a queueUrl on ${c.name}`, async () => {
      const { source } = setup({ GetQueueAttributes: attributes('4') }, c.endpoint);
      expect(await source.queueDepth({ queueUrl: c.queueUrl })).to.equal(4);
    });
  }

  it("asks the provider for the policy's identity and keeps queue URLs apart per identity", async () => {
    const { source, clients, identities } = setup({
      GetQueueUrl: (input) => ({ QueueUrl: url('us-east-1', String(input.QueueName)) }),
      GetQueueAttributes: attributes('2'),
    });
    const tenant = { roleArn: 'arn:aws:iam::123456789012:role/team-a', externalId: 'x' };
    await source.queueDepth({ queueName: 'jobs' }, { identity: tenant });
    await source.queueDepth({ queueName: 'jobs' });
    await source.queueDepth({ queueName: 'jobs' }, { identity: tenant });
    expect(identities).to.deep.equal([tenant, undefined, tenant]);
    // One lookup per identity: a URL resolved with one role's rights is not reused for another.
    expect(clients.get('us-east-1')?.of('GetQueueUrl')).to.have.length(2);
  });

  it('refuses an identity when no role provider is configured, instead of using its own role', async () => {
    const source = new SqsQueueDepth({ region: 'us-east-1' });
    const error = await source
      .queueDepth({ queueUrl: url('us-east-1', 'jobs') }, { identity: { roleArn: 'arn:aws:iam::1:role/r' } })
      .then(
        () => expect.fail('expected an error'),
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(TerminalError);
    expect((error as TerminalError).reason).to.equal('IdentityUnavailable');
    source.close();
  });

  it('gives up on a call that does not answer within the timeout', async () => {
    const clock = new FakeClock();
    const signals: (AbortSignal | undefined)[] = [];
    const source = new SqsQueueDepth({
      region: 'us-east-1',
      timeoutMs: 5_000,
      clock,
      sqsClientFor: () => ({
        send: (_command, options) => {
          signals.push(options?.abortSignal);
          return new Promise(() => undefined);
        },
      }),
    });
    const pending = source.queueDepth({ queueUrl: url('us-east-1', 'jobs') });
    const settled = pending.then(
      () => expect.fail('expected a timeout'),
      (e: unknown) => e,
    );
    clock.advance(4_999);
    expect(signals[0]?.aborted).to.equal(false);
    clock.advance(1);
    const error = await settled;
    expect(error).to.be.instanceOf(TransientError);
    expect((error as TransientError).reason).to.equal('SqsTimeout');
    expect(signals[0]?.aborted, 'the SDK call is cancelled too').to.equal(true);
    expect(clock.pendingDelays()).to.deep.equal([]);
  });

  it("stops at once when the caller's signal aborts, and does not start when it already has", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const source = new SqsQueueDepth({
      region: 'us-east-1',
      clock,
      sqsClientFor: () => ({
        send: () => {
          calls++;
          return new Promise(() => undefined);
        },
      }),
    });
    const shutdown = new AbortController();
    const pending = source.queueDepth({ queueUrl: url('us-east-1', 'jobs') }, { signal: shutdown.signal });
    shutdown.abort();
    const error = await pending.then(
      () => expect.fail('expected an abort'),
      (e: unknown) => e,
    );
    expect((error as TransientError).reason).to.equal('Aborted');
    await source.queueDepth({ queueUrl: url('us-east-1', 'jobs') }, { signal: shutdown.signal }).then(
      () => expect.fail('expected an abort'),
      (e: unknown) => expect((e as TransientError).reason).to.equal('Aborted'),
    );
    expect(calls).to.equal(1);
    expect(clock.pendingDelays(), 'no timer left behind').to.deep.equal([]);
  });

  it('rejects a depth beyond the safe integer range instead of rounding it', async () => {
    const { source } = setup({ GetQueueAttributes: attributes('1e400') });
    await source.queueDepth({ queueUrl: url('us-east-1', 'jobs') }).then(
      () => expect.fail('expected an error'),
      (e: unknown) => expect((e as TransientError).reason).to.equal('SqsBadResponse'),
    );
  });

  it('leaves the clients of an injected provider to the provider on close()', async () => {
    const { source, clients } = setup({ GetQueueAttributes: attributes('0') });
    await source.queueDepth({ queueUrl: url('us-east-1', 'jobs') });
    source.close();
    expect(clients.get('us-east-1')?.destroyed).to.equal(false);
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

// The same table, as the trigger reads it: a terminal-resource row stalls the resource with the
// row's reason; every other row is retried (a terminal-run row is only final for RunTask).
describe('SqsQueueDepth: every row of AWS_ERROR_TABLE, as the trigger reads it', () => {
  for (const row of AWS_ERROR_TABLE) {
    for (const entry of row.errors) {
      const example = exampleAwsError(entry);
      if (typeof example === 'string') continue;
      it(`${row.reason} (${row.disposition}): ${entry}`, async () => {
        const { source } = setup({
          GetQueueUrl: () => {
            throw example;
          },
        });
        const error = await source.queueDepth({ queueName: 'jobs' }).catch((e: unknown) => e);
        if (row.disposition === 'terminal-resource') {
          expect(error).to.be.instanceOf(TerminalError);
          expect((error as TerminalError).reason).to.equal(row.reason);
        } else {
          expect(error).to.be.instanceOf(TransientError);
        }
      });
    }
  }
});
