import { expect } from 'chai';
import { ThrottledError, TransientError } from '../../../src/controller/errors.js';
import { AwsRejectedError, backoffDelayMs, mapAwsError } from '../../../src/ecs/aws-errors.js';
import { awsError } from './support.js';

/** Any of our error classes, whatever its constructor takes. */
type ErrorType = abstract new (...args: never[]) => TransientError;

describe('mapAwsError', () => {
  const cases: { name: string; error: unknown; type: ErrorType; reason: string }[] = [
    {
      name: 'ThrottlingException',
      error: awsError('ThrottlingException'),
      type: ThrottledError,
      reason: 'Throttled',
    },
    {
      name: 'RequestThrottled (SQS)',
      error: awsError('RequestThrottled'),
      type: ThrottledError,
      reason: 'Throttled',
    },
    {
      name: 'any name containing Throttl',
      error: awsError('KmsThrottled'),
      type: ThrottledError,
      reason: 'Throttled',
    },
    {
      name: 'HTTP 429',
      error: awsError('Whatever', { status: 429, fault: 'server' }),
      type: ThrottledError,
      reason: 'Throttled',
    },
    {
      name: 'SDK $retryable.throttling',
      error: Object.assign(new Error('slow down'), { name: 'X', $retryable: { throttling: true } }),
      type: ThrottledError,
      reason: 'Throttled',
    },
    {
      name: 'InvalidParameterException',
      error: awsError('InvalidParameterException'),
      type: AwsRejectedError,
      reason: 'InvalidParameterException',
    },
    {
      name: 'a client-fault timeout is not a rejection',
      error: awsError('RequestTimeout'),
      type: TransientError,
      reason: 'RequestTimeout',
    },
    {
      name: 'ServerException',
      error: awsError('ServerException', { fault: 'server', status: 500 }),
      type: TransientError,
      reason: 'ServerException',
    },
    {
      name: 'SDK TimeoutError',
      error: Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      type: TransientError,
      reason: 'TimeoutError',
    },
    {
      name: 'a socket error code',
      error: Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
      type: TransientError,
      reason: 'ECONNRESET',
    },
    { name: 'undefined', error: undefined, type: TransientError, reason: 'UnknownError' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.type.name} (${c.reason})`, () => {
      const mapped = mapAwsError('ECS RunTask', c.error);
      expect(mapped).to.be.instanceOf(c.type);
      expect(mapped.constructor).to.equal(c.type);
      expect(mapped.reason).to.equal(c.reason);
      expect(mapped.message).to.match(/^ECS RunTask failed: /);
    });
  }

  it('passes our own errors through unchanged', () => {
    const ours = new TransientError('x', 'Mine');
    expect(mapAwsError('ECS RunTask', ours)).to.equal(ours);
  });
});

describe('backoffDelayMs', () => {
  const cases: { name: string; attempt: number; random: number; expected: number }[] = [
    { name: 'first attempt, least jitter', attempt: 0, random: 0, expected: 250 },
    { name: 'first attempt, most jitter', attempt: 0, random: 0.999999, expected: 500 },
    { name: 'doubles per attempt', attempt: 3, random: 0, expected: 2000 },
    { name: 'capped', attempt: 30, random: 0, expected: 10_000 },
  ];
  for (const c of cases) {
    it(c.name, () => expect(backoffDelayMs(c.attempt, 500, 20_000, () => c.random)).to.equal(c.expected));
  }
});
