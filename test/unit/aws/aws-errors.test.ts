import { expect } from 'chai';
import { AccessDeniedError, ThrottledError, TransientError } from '../../../src/controller/errors.js';
import { readFileSync } from 'node:fs';
import {
  AWS_ERROR_TABLE,
  AwsRejectedError,
  classifyAwsError,
  IAM_PROPAGATION_MS,
  mapAwsError,
} from '../../../src/aws/aws-errors.js';
import { classifyKubeError, KUBE_ERROR_TABLE, RBAC_PROPAGATION_MS } from '../../../src/kube/api-errors.js';
import { exampleAwsError } from './aws-error-examples.js';
import { awsError } from './ecs/support.js';

describe('AWS_ERROR_TABLE: every entry of every row classifies as its row says', () => {
  for (const row of AWS_ERROR_TABLE) {
    describe(`${row.reason} (${row.disposition})`, () => {
      for (const entry of row.errors) {
        it(entry, () => {
          const cls = classifyAwsError(exampleAwsError(entry));
          expect(cls.reason).to.equal(row.reason);
          expect(cls.disposition).to.equal(row.disposition);
        });
      }
    });
  }

  it('an access denial stays retryable while IAM propagates, then is terminal for the resource', () => {
    const denied = awsError('AccessDeniedException', { fault: 'client' });
    expect(classifyAwsError(denied, { failingForMs: IAM_PROPAGATION_MS }).disposition).to.equal('retry');
    expect(classifyAwsError(denied, { failingForMs: IAM_PROPAGATION_MS + 1 }).disposition).to.equal(
      'terminal-resource',
    );
  });

  it('a network error wrapped as the cause of another error is still a network error', () => {
    const wrapped = new Error('fetch failed', {
      cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
    });
    expect(classifyAwsError(wrapped).reason).to.equal('NetworkError');
  });
});

describe('KUBE_ERROR_TABLE: every entry of every row classifies as its row says', () => {
  const example = (entry: number | string): unknown => {
    if (typeof entry === 'number') return Object.assign(new Error(`HTTP ${entry}`), { code: entry });
    if (entry === 'anything else') return new Error('something odd');
    if (entry === 'socket hang up') return new Error('socket hang up');
    if (entry === 'TimeoutError' || entry === 'AbortError')
      return Object.assign(new Error('t'), { name: entry });
    // client-node's fetch wraps the socket error as the cause.
    return new TypeError('fetch failed', { cause: Object.assign(new Error(entry), { code: entry }) });
  };
  for (const row of KUBE_ERROR_TABLE) {
    describe(`${row.reason} (${row.disposition})`, () => {
      for (const entry of row.errors) {
        it(String(entry), () => {
          const cls = classifyKubeError(example(entry));
          expect(cls.reason).to.equal(row.reason);
          expect(cls.disposition).to.equal(row.disposition);
        });
      }
    });
  }

  it('a watch Status body with a code counts like the HTTP status', () => {
    expect(classifyKubeError({ body: JSON.stringify({ kind: 'Status', code: 410 }) }).reason).to.equal(
      'Expired',
    );
  });

  it('an unlisted 5xx is a server error', () => {
    expect(classifyKubeError({ code: 507 }).reason).to.equal('ServerError');
  });

  it('a 403 is retried however long it lasts, as the Kubernetes adapters do (no row bounds it)', () => {
    expect(classifyKubeError({ code: 403 }, { failingForMs: RBAC_PROPAGATION_MS }).disposition).to.equal(
      'retry',
    );
    expect(classifyKubeError({ code: 403 }, { failingForMs: RBAC_PROPAGATION_MS + 1 }).disposition).to.equal(
      'retry',
    );
  });
});

describe('the Error handling tables (docs/concepts/error-handling.md)', () => {
  const section = readFileSync(new URL('../../../docs/concepts/error-handling.md', import.meta.url), 'utf8');
  const kubeAt = section.indexOf('| Kubernetes HTTP status');
  const tables = [
    { name: 'AWS', rows: AWS_ERROR_TABLE, text: section.slice(0, kubeAt) },
    { name: 'Kubernetes', rows: KUBE_ERROR_TABLE, text: section.slice(kubeAt) },
  ];
  for (const table of tables) {
    for (const row of table.rows) {
      it(`${table.name}: has the ${row.reason} row with the same class and every error of the code's row`, () => {
        const lines = table.text
          .split('\n')
          .filter((l) => l.includes(`| ${row.disposition} | \`${row.reason}\` |`));
        expect(lines, `docs rows for ${row.reason} (${row.disposition})`).to.have.length(1);
        for (const entry of row.errors) expect(lines[0]).to.include(String(entry));
      });
    }
  }
});

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
    {
      name: 'ExpiredTokenException is retried, not a rejection',
      error: awsError('ExpiredTokenException'),
      type: TransientError,
      reason: 'ExpiredTokenException',
    },
    {
      name: 'AccessDeniedException is retried while IAM propagates (the reconciler bounds it)',
      error: awsError('AccessDeniedException'),
      type: AccessDeniedError,
      reason: 'AccessDeniedException',
    },
    {
      name: 'AccessDenied (the STS and S3 spelling) is an access denial too',
      error: awsError('AccessDenied'),
      type: AccessDeniedError,
      reason: 'AccessDenied',
    },
    {
      name: 'QueueDoesNotExist is a rejection (a spec problem)',
      error: awsError('QueueDoesNotExist'),
      type: AwsRejectedError,
      reason: 'QueueDoesNotExist',
    },
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
