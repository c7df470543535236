// The SSRF guard with the real SDK client and real sockets on loopback: a tenant's queueUrl never
// becomes the host a signed request goes to.
import { expect } from 'chai';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { TerminalError } from '../../../../src/controller/errors.js';
import { createSqsClient } from '../../../../src/aws/sqs/sqs-client.js';
import { SqsQueueDepth } from '../../../../src/aws/sqs/sqs-queue-depth.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' };

/** A host a tenant would like the controller to call: it only counts who knocks. */
async function listenTrap(): Promise<{ server: NetServer; url: string; connections: () => number }> {
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, connections: () => connections };
}

/** The configured endpoint override, answering GetQueueAttributes in the SQS JSON protocol. */
async function listenSqs(depth: number): Promise<{ server: HttpServer; url: string; targets: string[] }> {
  const targets: string[] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      targets.push(`${String(req.headers['x-amz-target'])} ${body}`);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ Attributes: { ApproximateNumberOfMessages: String(depth) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, targets };
}

const close = (server: NetServer | HttpServer) =>
  new Promise<void>((resolve) => server.close(() => resolve()));

describe('SQS queueUrl host (real SDK client, loopback sockets)', () => {
  let trap: Awaited<ReturnType<typeof listenTrap>>;
  let sqs: Awaited<ReturnType<typeof listenSqs>>;

  beforeEach(async () => {
    trap = await listenTrap();
    sqs = await listenSqs(42);
  });
  afterEach(async () => {
    await close(trap.server);
    await close(sqs.server);
  });

  it('refuses a queueUrl on a foreign host and opens no connection to it, nor to the endpoint', async () => {
    const source = new SqsQueueDepth({ region: 'us-east-1', endpoint: sqs.url, maxAttempts: 1 });
    try {
      const error = await source.queueDepth({ queueUrl: `${trap.url}/123456789012/jobs` }).then(
        () => expect.fail('expected a refusal'),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(TerminalError);
      expect((error as Error).message).to.contain('spec.trigger.sqs.queueUrl');
    } finally {
      source.close();
    }
    expect(trap.connections()).to.equal(0);
    expect(sqs.targets).to.deep.equal([]);
  });

  it('reads a queue on the endpoint override through the real client', async () => {
    const client = createSqsClient({ region: 'us-east-1', endpoint: sqs.url, maxAttempts: 1, credentials });
    const source = new SqsQueueDepth({ region: 'us-east-1', endpoint: sqs.url, sqsClientFor: () => client });
    try {
      expect(await source.queueDepth({ queueUrl: `${sqs.url}/123456789012/jobs` })).to.equal(42);
    } finally {
      client.destroy();
    }
    expect(sqs.targets).to.have.length(1);
    expect(sqs.targets[0]).to.match(/^AmazonSQS\.GetQueueAttributes /);
  });

  it('sends to its own endpoint even when handed a foreign QueueUrl directly', async () => {
    // Below the guard, with an override: the request goes to the override, whatever the QueueUrl.
    const client = createSqsClient({ region: 'us-east-1', endpoint: sqs.url, maxAttempts: 1, credentials });
    try {
      await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: `${trap.url}/123456789012/jobs`,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
    } finally {
      client.destroy();
    }
    expect(trap.connections()).to.equal(0);
    expect(sqs.targets).to.have.length(1);
  });

  it('resolves its endpoint from the region, not from the QueueUrl, when there is no override', async () => {
    // Without an override the SDK default would switch the endpoint to the QueueUrl's origin.
    const client = createSqsClient({ region: 'us-east-1', maxAttempts: 1, credentials });
    const hosts: string[] = [];
    client.middlewareStack.add(
      (_next) => (args) => {
        hosts.push((args.request as { hostname: string }).hostname);
        return Promise.reject(new Error('stopped before the network'));
      },
      { step: 'finalizeRequest', priority: 'low', name: 'captureHost' },
    );
    try {
      await client
        .send(
          new GetQueueAttributesCommand({
            QueueUrl: `${trap.url}/123456789012/jobs`,
            AttributeNames: ['ApproximateNumberOfMessages'],
          }),
        )
        .catch((e: unknown) => expect((e as Error).message).to.equal('stopped before the network'));
    } finally {
      client.destroy();
    }
    expect(hosts).to.deep.equal(['sqs.us-east-1.amazonaws.com']);
    expect(trap.connections()).to.equal(0);
  });
});
