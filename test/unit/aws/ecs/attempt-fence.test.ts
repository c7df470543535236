import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { expect } from 'chai';
import { Readable } from 'node:stream';
import { fencedOnEveryAttempt } from '../../../../src/aws/ecs/attempt-fence.js';

/** The SDK's request-handler port, in memory: answers each attempt from a list, in order. */
function scriptedHandler(answers: { status: number; body: unknown }[]) {
  const sent: string[] = [];
  return {
    sent,
    handler: {
      handle: async (request: { headers: Record<string, string> }) => {
        const answer = answers[Math.min(sent.length, answers.length - 1)]!;
        sent.push(request.headers['x-amz-target'] ?? '');
        return {
          response: {
            statusCode: answer.status,
            headers: { 'content-type': 'application/x-amz-json-1.1' },
            body: Readable.from([Buffer.from(JSON.stringify(answer.body))]),
          },
        };
      },
    },
  };
}

/** The SDK's retry-strategy port: up to `max` attempts, with no wait between them. */
function immediateRetries(max: number) {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (t: { getRetryCount(): number }) => {
      if (t.getRetryCount() + 1 >= max) throw new Error('out of attempts');
      return token(t.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
}

describe('the lease fence on every RunTask attempt (real SDK client, in-memory transport)', () => {
  const serverError = { status: 500, body: { __type: 'ServerException', message: 'boom' } };
  const launched = {
    status: 200,
    body: { tasks: [{ taskArn: 'arn:aws:ecs:us-east-1:1:task/c/t1' }], failures: [] },
  };
  const client = (handler: unknown) =>
    new ECSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler: handler as never,
      retryStrategy: immediateRetries(3) as never,
    });
  const input = { cluster: 'c', taskDefinition: 'td', startedBy: 'ecss/u/1', clientToken: 'u-1' };

  it('stops the SDK resending a failed RunTask once the fence has fallen', async () => {
    const { sent, handler } = scriptedHandler([serverError, launched]);
    let held = true;
    const fenced = new Error('lease lost: not launching');
    const command = fencedOnEveryAttempt(new RunTaskCommand(input), () => {
      if (!held) throw fenced;
      held = false; // falls while the first attempt is out (a pause in the SDK's backoff)
    });
    const error = await client(handler)
      .send(command)
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).to.equal(fenced);
    expect(sent, 'one attempt went out, the retry did not').to.have.length(1);
  });

  it('lets the SDK retry while the fence holds, checking before each attempt', async () => {
    const { sent, handler } = scriptedHandler([serverError, launched]);
    let checks = 0;
    const out = await client(handler).send(
      fencedOnEveryAttempt(new RunTaskCommand(input), () => void checks++),
    );
    expect(out.tasks?.map((t) => t.taskArn)).to.deep.equal(['arn:aws:ecs:us-east-1:1:task/c/t1']);
    expect(sent).to.have.length(2);
    expect(checks).to.equal(2);
  });

  it('without the fence the SDK resends: what the check prevents', async () => {
    const { sent, handler } = scriptedHandler([serverError, launched]);
    await client(handler).send(new RunTaskCommand(input));
    expect(sent).to.have.length(2);
  });
});
