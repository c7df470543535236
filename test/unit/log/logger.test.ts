import { expect } from 'chai';
import { createServer } from 'node:net';
import { describeErrorChain, errorFields } from '../../../src/log/error-fields.js';
import { createLogger, type LogFormat } from '../../../src/log/logger.js';

const at = new Date('2026-03-01T10:00:05.000Z');

function capture(format: LogFormat, level: 'debug' | 'info' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ format, level, now: () => at, write: (l) => lines.push(l) });
  return { logger, lines };
}

/** The shape undici's fetch throws when nothing listens: a bare "fetch failed" with the reason as cause. */
function refusedFetch(): TypeError {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
    address: '127.0.0.1',
    port: 6443,
  });
  return new TypeError('fetch failed', { cause });
}

/** How @aws-sdk/* errors look: the HTTP status and request id under $metadata. */
function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: 'req-1', attempts: 3 },
    secretAccessKey: 'never logged',
  });
}

describe('logger', () => {
  describe('error fields (both formats keep the cause chain)', () => {
    const cases: { name: string; error: unknown; fields: object; text: RegExp }[] = [
      {
        name: 'fetch failed, caused by ECONNREFUSED with address and port',
        error: refusedFetch(),
        fields: {
          name: 'TypeError',
          message: 'fetch failed',
          cause: {
            name: 'Error',
            message: 'connect ECONNREFUSED 127.0.0.1:6443',
            code: 'ECONNREFUSED',
            errno: -111,
            syscall: 'connect',
            address: '127.0.0.1',
            port: 6443,
          },
        },
        text: /^TypeError: fetch failed <- caused by Error \[ECONNREFUSED\]: connect ECONNREFUSED 127\.0\.0\.1:6443 \(syscall=connect address=127\.0\.0\.1 port=6443\)$/,
      },
      {
        name: 'an AWS SDK error: HTTP status and request id, nothing else of the object',
        error: throttled(),
        fields: {
          name: 'ThrottlingException',
          message: 'Rate exceeded',
          httpStatus: 400,
          requestId: 'req-1',
        },
        text: /^ThrottlingException: Rate exceeded \(httpStatus=400 requestId=req-1\)$/,
      },
      {
        name: 'a URL and a host on the error',
        error: Object.assign(new Error('getaddrinfo ENOTFOUND ecs.example'), {
          code: 'ENOTFOUND',
          hostname: 'ecs.example',
          url: new URL('https://ecs.example/'),
        }),
        fields: { code: 'ENOTFOUND', hostname: 'ecs.example', url: 'https://ecs.example/' },
        text: /\[ENOTFOUND\].*hostname=ecs\.example url=https:\/\/ecs\.example\//,
      },
      {
        name: 'an AggregateError (one error per address tried)',
        error: new AggregateError(
          [
            Object.assign(new Error('connect ECONNREFUSED ::1:443'), { code: 'ECONNREFUSED' }),
            Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }),
          ],
          '',
        ),
        fields: { name: 'AggregateError', errors: [{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }] },
        text: /^AggregateError \{Error \[ECONNREFUSED\]: connect ECONNREFUSED ::1:443; Error \[ECONNREFUSED\]/,
      },
      {
        name: 'a thrown string as cause',
        error: new Error('outer', { cause: 'disk on fire' }),
        fields: { message: 'outer', cause: { name: 'string', message: 'disk on fire' } },
        text: /^Error: outer <- caused by string: disk on fire$/,
      },
    ];
    for (const c of cases) {
      it(`json: ${c.name}`, () => {
        const { logger, lines } = capture('json');
        logger.warn('request failed', { error: c.error });
        const entry = JSON.parse(lines[0]!) as { error: unknown };
        expect(entry.error).to.containSubset(c.fields);
        expect(lines[0]).to.not.contain('never logged');
      });
      it(`text: ${c.name}`, () => {
        const { logger, lines } = capture('text');
        logger.warn('request failed', { error: c.error });
        const value = JSON.parse(/ error=(".*")$/.exec(lines[0]!)![1]!) as string;
        expect(value).to.match(c.text);
      });
    }

    it('stops on a cyclic cause chain', () => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      expect(describeErrorChain(errorFields(a))).to.equal('Error: a <- caused by Error: b');
    });

    it('keeps what a real refused fetch carries', async () => {
      // A port that was just free: nothing listens, so the kernel refuses at once.
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      const error = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
      const chain = describeErrorChain(errorFields(error));
      expect(chain).to.match(/^TypeError: fetch failed <- caused by .*ECONNREFUSED/);
      expect(chain).to.contain(`port=${port}`);
    });
  });

  describe('text format', () => {
    it('puts the resource right after the message and quotes only what needs it', () => {
      const { logger, lines } = capture('text');
      logger
        .child({ resource: 'data/nightly' })
        .warn('launch failed', { reason: 'no capacity', tasks: 2, when: at, ok: false });
      expect(lines).to.deep.equal([
        '2026-03-01T10:00:05.000Z WARN  launch failed resource=data/nightly reason="no capacity" tasks=2 when=2026-03-01T10:00:05.000Z ok=false',
      ]);
    });

    it('renders objects as compact JSON', () => {
      const { logger, lines } = capture('text');
      logger.info('request', { request: { cluster: 'prod', count: 1 } });
      expect(lines[0]).to.equal(
        '2026-03-01T10:00:05.000Z INFO  request request={"cluster":"prod","count":1}',
      );
    });
  });

  describe('control characters (a value from a user or AWS cannot forge a line)', () => {
    // A cluster name with a newline once printed a second, made-up log line in text format.
    const forged = 'prod\n2026-03-01T10:00:06.000Z INFO  launched tasks resource=other/job';
    const nasty = [
      'a\rb',
      'a\tb',
      'a\u001b[31mred',
      'a\u0007b',
      'a\u007fb',
      'a\u0085b',
      'a\u009b31mb',
      'a\u2028b',
      'a\u2029b',
    ];
    // eslint-disable-next-line no-control-regex -- what must never appear raw in a line
    const raw = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

    it('text: a cluster name with a newline stays in its field, escaped, on one line', () => {
      const { logger, lines } = capture('text');
      logger.child({ resource: 'data/nightly' }).info('RunTask done', { cluster: forged });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.not.match(raw);
      expect(lines[0]).to.equal(
        '2026-03-01T10:00:05.000Z INFO  RunTask done resource=data/nightly cluster="prod\\n2026-03-01T10:00:06.000Z INFO  launched tasks resource=other/job"',
      );
    });

    it('text: the message is escaped too', () => {
      const { logger, lines } = capture('text');
      logger.warn(`run failed: cluster ${forged}`);
      expect(lines[0]).to.not.match(raw);
      expect(lines[0]).to.include('cluster prod\\n2026-03-01T10:00:06.000Z');
    });

    for (const value of nasty) {
      const name = JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `U+${c.charCodeAt(0).toString(16)}`);
      it(`text and json: ${name} in a value, a key, an object, an error and the message leaves no raw control`, () => {
        for (const format of ['text', 'json'] as const) {
          const { logger, lines } = capture(format);
          logger.info(`m ${value}`, {
            [`k${value}`]: value,
            object: { cluster: value },
            error: new Error(`boom ${value}`),
          });
          expect(lines, format).to.have.length(1);
          expect(lines[0], format).to.not.match(raw);
          if (format === 'json') {
            const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
            expect(entry.msg, 'json keeps the value').to.equal(`m ${value}`);
            expect(entry[`k${value}`]).to.equal(value);
          }
        }
      });
    }
  });

  describe('json format', () => {
    it('writes one object per line with ts, level, msg and the bound fields', () => {
      const { logger, lines } = capture('json');
      logger.child({ resource: 'data/nightly' }).child({ component: 'events' }).info('sent', { n: 1 });
      expect(JSON.parse(lines[0]!)).to.deep.equal({
        ts: '2026-03-01T10:00:05.000Z',
        level: 'info',
        msg: 'sent',
        resource: 'data/nightly',
        component: 'events',
        n: 1,
      });
    });

    it('does not lose a line to a cyclic field', () => {
      const { logger, lines } = capture('json');
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      logger.error('odd', { loop });
      expect(JSON.parse(lines[0]!)).to.include({ level: 'error', msg: 'odd' });
    });
  });

  const levels: { name: string; level: 'debug' | 'info'; written: string[] }[] = [
    { name: 'info drops debug', level: 'info', written: ['info', 'warn', 'error'] },
    { name: 'debug keeps all', level: 'debug', written: ['debug', 'info', 'warn', 'error'] },
  ];
  for (const c of levels) {
    it(`level threshold: ${c.name}`, () => {
      const { logger, lines } = capture('json', c.level);
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).to.deep.equal(c.written);
    });
  }
});
