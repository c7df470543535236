// Property-based fuzzing of everything a tenant writes. 10,000 generated resources (valid ones,
// invalid ones, and hostile ones: huge and non-finite numbers, 10^9 queue depths, unicode, long
// strings, prototype-pollution keys, deep nesting, wrong types) go through
// - `ecs-scheduler validate` itself, on real files (YAML written and read back), and
// - the Reconciler with in-memory ports and a fake clock, two passes each.
// The properties: nothing throws except our own error types, no promise rejects unhandled, no
// pass hangs (every pass settles within a bounded number of event-loop turns, with the clock
// never advanced by wall time), a run never asks ECS for more than --max-tasks-per-run, and every
// rejection names a field.
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { stringify } from 'yaml';
import { API_VERSION, KIND } from '../../../src/api/constants.js';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { validateResource } from '../../../src/api/validation.js';
import { validateCommand } from '../../../src/cli/validate-command.js';
import { ConflictError, TerminalError, TransientError } from '../../../src/controller/errors.js';
import { alwaysHeld } from '../../../src/controller/runtime/fencing.js';
import { Reconciler } from '../../../src/controller/pass/reconciler.js';
import { silentLogger } from '../../../src/log/logger.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeQueueDepth } from '../../support/fake-queue-depth.js';
import { MemoryResourceStore } from '../../support/memory-store.js';
import { RecordingEvents } from '../../support/recording-events.js';
import { RecordingLauncher } from '../../support/recording-launcher.js';
import { RecordingControllerMetrics } from '../../support/recording-metrics.js';
import { recordingIo } from '../../support/recording-io.js';

const CASES = 10_000;
/** Fixed, so a CI failure reproduces; fast-check prints the counterexample and its path. */
const SEED = 20261127;
const MAX_TASKS_PER_RUN = 100;
/** A pass that has not settled after this many event-loop turns waits on something that never comes. */
const TURNS_BEFORE_HANG = 200;

/**
 * A field path as validate and the conditions name them: a top-level field, then `.key` or
 * `[i]` steps (unknown keys are named as written, so they may hold any character).
 */
const FIELD = /^(apiVersion|kind|metadata|spec|status)([.[][^]*)?$/;
const ROOTS = '(apiVersion|kind|metadata|spec|status)';

// ---- generators -------------------------------------------------------------------------------

const hostileString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '\u0000'),
  fc.integer({ min: 200, max: 10_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom('👩‍👩‍👧‍👦'.repeat(300), 'ü'.repeat(3000), '\u202e'.repeat(50), '${jndi:ldap://x}'),
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -1,
    -0,
    1e9,
    2 ** 31,
    2 ** 53,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_VALUE,
    Infinity,
    -Infinity,
    NaN,
    0.5,
  ),
);

/** A nested structure: objects and arrays, `depth` levels down. */
const deep = fc.integer({ min: 20, max: 300 }).map((depth) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { nested: value } : [value];
  return value;
});

/** Objects whose keys try to reach the prototype; JSON.parse makes __proto__ an own key, as YAML does. */
const pollution = fc.constantFrom(
  JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
  JSON.parse('{"constructor": {"prototype": {"polluted": true}}}') as unknown,
  JSON.parse('{"__proto__": null, "taskDefinition": "t"}') as unknown,
);

/** Schedules that look plausible and are not: never fire, out of range, half a grammar. */
const badSchedule = fc.constantFrom(
  '0 0 31 2 *',
  'L W * * *',
  'rate(0 minutes)',
  'rate(-5 minutes)',
  'cron(0 12 * * * *)',
  '* * * * * * * *',
  '60 * * * *',
  'at(9999-99-99T99:99:99)',
  'H(30-10) * * * *',
  '*/0 * * * *',
  `${'1,'.repeat(120)}1 * * * *`,
);

const anything: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  badSchedule,
  fc.constantFrom('Mars/Olympus', 'aws:reserved', '2026-02-30T00:00:00Z'),
  fc.array(fc.record({ key: hostileString, value: hostileString }), { maxLength: 3 }),
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  deep,
  pollution,
  fc.array(hostileString, { maxLength: 5 }),
  fc.dictionary(hostileString, fc.oneof(hostileString, hostileNumber), { maxKeys: 5 }),
);

const schedule = fc.constantFrom(
  '*/5 * * * *',
  '0 * * * *',
  'H H * * *',
  '? * * * *',
  '@hourly',
  '@daily',
  'rate(5 minutes)',
  'rate(1 hour)',
  'cron(0 12 * * ? *)',
  '*/10 * * * * *',
  'at(2026-03-01T10:00:00)',
);

const tag = fc.record({
  key: fc.stringMatching(/^[A-Za-z0-9_.:/=+\-@]{1,20}$/),
  value: fc.stringMatching(/^[A-Za-z0-9 _.:/=+\-@]{0,20}$/),
});

const validTask = fc.record(
  {
    cluster: fc.constantFrom('default', 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod'),
    taskDefinition: fc.constantFrom(
      'etl',
      'etl:3',
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/etl:3',
    ),
    launchType: fc.constantFrom('EC2', 'FARGATE'),
    tags: fc.array(tag, { maxLength: 4 }),
    overrides: fc.record({
      containerOverrides: fc.array(
        fc.record({
          name: fc.constantFrom('app', 'sidecar'),
          command: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }),
          environment: fc.array(fc.record({ name: fc.constantFrom('A', 'B'), value: fc.string() }), {
            maxLength: 2,
          }),
        }),
        { maxLength: 2 },
      ),
    }),
  },
  { requiredKeys: ['taskDefinition'] },
);

const validSpec = fc
  .record(
    {
      schedule,
      timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu'),
      concurrencyPolicy: fc.constantFrom('Allow', 'Forbid', 'Replace', 'TopUp'),
      taskCount: fc.integer({ min: 1, max: 1000 }),
      maxCount: fc.integer({ min: 1, max: 1000 }),
      startingDeadlineSeconds: fc.integer({ min: 0, max: 10_000 }),
      jitterSeconds: fc.integer({ min: 0, max: 86_400 }),
      suspend: fc.boolean(),
      trigger: fc.record({
        sqs: fc.oneof(
          fc.record({
            queueName: fc.constantFrom('jobs', 'q-1'),
            messagesPerTask: fc.integer({ min: 1, max: 1e6 }),
          }),
          fc.record({
            queueUrl: fc.constantFrom(
              'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
              'http://127.0.0.1:9/123/q',
              'http://169.254.169.254/latest/meta-data',
            ),
            messagesPerTask: fc.integer({ min: 1, max: 1e6 }),
            includeInFlight: fc.boolean(),
          }),
        ),
      }),
      task: validTask,
    },
    { requiredKeys: ['schedule', 'task'] },
  )
  .map((spec) => {
    // Mostly satisfy the cross-field rules, so that valid specs get far into the reconciler.
    const s = { ...spec } as Record<string, unknown>;
    if (typeof s.maxCount === 'number' && typeof s.taskCount === 'number' && s.maxCount < s.taskCount)
      s.maxCount = s.taskCount;
    if (s.trigger !== undefined && s.maxCount === undefined) s.maxCount = 50;
    return s;
  });

const PATHS = [
  ['schedule'],
  ['timeZone'],
  ['taskCount'],
  ['maxCount'],
  ['startTime'],
  ['endTime'],
  ['jitterSeconds'],
  ['startingDeadlineSeconds'],
  ['activeDeadlineSeconds'],
  ['concurrencyPolicy'],
  ['suspend'],
  ['trigger'],
  ['trigger', 'sqs'],
  ['trigger', 'sqs', 'messagesPerTask'],
  ['trigger', 'sqs', 'queueUrl'],
  ['task'],
  ['task', 'cluster'],
  ['task', 'taskDefinition'],
  ['task', 'tags'],
  ['task', 'group'],
  ['task', 'overrides'],
  ['task', 'overrides', 'containerOverrides'],
  ['task', 'networkConfiguration'],
  ['task', 'capacityProviderStrategy'],
  ['__proto__'],
  ['constructor'],
];

/** A valid spec with one to three fields replaced by something hostile. */
const mutatedSpec = fc
  .tuple(validSpec, fc.array(fc.tuple(fc.constantFrom(...PATHS), anything), { minLength: 1, maxLength: 3 }))
  .map(([spec, mutations]) => {
    const copy = structuredClone(spec) as Record<string, unknown>;
    for (const [path, value] of mutations) {
      let target: Record<string, unknown> = copy;
      for (const segment of path.slice(0, -1)) {
        const next = Object.hasOwn(target, segment) ? target[segment] : undefined;
        if (typeof next !== 'object' || next === null) {
          const fresh: Record<string, unknown> = {};
          Object.defineProperty(target, segment, {
            value: fresh,
            enumerable: true,
            writable: true,
            configurable: true,
          });
          target = fresh;
        } else target = next as Record<string, unknown>;
      }
      Object.defineProperty(target, path[path.length - 1]!, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  });

const name = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/) },
  { weight: 1, arbitrary: fc.integer({ min: 190, max: 300 }).map((n) => 'n'.repeat(n)) },
  { weight: 1, arbitrary: hostileString.filter((s) => s.length > 0 && !s.includes('/')) },
);

const resourceArb = fc.record({
  name,
  namespace: fc.constantFrom('default', 'team-a', 'a'.repeat(63)),
  spec: fc.oneof(
    { weight: 4, arbitrary: validSpec },
    { weight: 5, arbitrary: mutatedSpec },
    { weight: 1, arbitrary: anything },
  ),
  depth: fc.oneof(
    fc.integer({ min: 0, max: 1000 }),
    fc.constantFrom(0, 1e9, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e18),
  ),
});

function resourceOf(c: { name: string; namespace: string; spec: unknown }): EcsScheduledTaskResource {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: c.name,
      namespace: c.namespace,
      uid: '5f0c2a3e-8d4b-4c1a-9e7f-2b6d8a1c3e5f',
      generation: 1,
      creationTimestamp: '2026-03-01T09:00:00Z',
    },
    spec: c.spec as EcsScheduledTaskResource['spec'],
  };
}

// ---- the properties ----------------------------------------------------------------------------

/** Settles `promise` by draining the event loop, without any wall-time wait; throws on a hang. */
async function settleWithoutWaiting<T>(promise: Promise<T>, what: string): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  for (let turn = 0; turn < TURNS_BEFORE_HANG && !done; turn++) await nextTurn();
  if (!done) throw new Error(`${what} did not settle: it waits on something that never comes`);
  return tracked;
}

function isOurs(error: unknown): boolean {
  return error instanceof TransientError || error instanceof TerminalError || error instanceof ConflictError;
}

async function throughReconciler(
  resource: EcsScheduledTaskResource,
  depth: number,
): Promise<{ stalledMessage?: string; launches: number }> {
  const clock = new FakeClock('2026-03-01T09:59:58Z');
  const store = new MemoryResourceStore();
  const launcher = new RecordingLauncher(clock);
  const queueDepth = new FakeQueueDepth();
  queueDepth.depth = depth;
  const reconciler = new Reconciler({
    store,
    launcher,
    events: new RecordingEvents(),
    clock,
    metrics: new RecordingControllerMetrics(),
    logger: silentLogger,
    queueDepth,
    defaultCluster: 'default',
    fence: alwaysHeld,
    maxTasksPerRun: MAX_TASKS_PER_RUN,
  });
  let key: string;
  try {
    key = `${resource.metadata.namespace}/${store.put(resource).metadata.name}`;
  } catch (error) {
    // structuredClone refuses what no API server or YAML file could hold (e.g. a function): not a case.
    if (error instanceof DOMException) return { launches: 0 };
    throw error;
  }
  for (const at of ['2026-03-01T10:00:01Z', '2026-03-01T11:00:01Z']) {
    clock.set(at);
    try {
      const result = await settleWithoutWaiting(reconciler.reconcile(key), 'a reconcile pass');
      const after = result?.requeueAfterMs;
      if (after !== undefined)
        expect(Number.isFinite(after) && after >= 0, `requeueAfterMs ${after}`).to.equal(true);
    } catch (error) {
      if (!isOurs(error)) throw error;
    }
  }
  for (const request of launcher.runRequests) {
    expect(request.count, 'a run asks ECS for at most --max-tasks-per-run').to.be.at.most(MAX_TASKS_PER_RUN);
    expect(request.count).to.be.at.least(1);
  }
  const stalled = store
    .get(key)
    ?.status?.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
  const launches = launcher.runRequests.length;
  return stalled ? { stalledMessage: stalled.message, launches } : { launches };
}

describe('fuzz: 10,000 generated resources through validate and the reconciler', function () {
  // CI must stay under two minutes: measure with `time npx mocha test/unit/fuzz/spec.fuzz.test.ts`.
  this.timeout(240_000);
  let dir: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-scheduler-fuzz-'));
    process.on('unhandledRejection', onUnhandled);
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await rm(dir, { recursive: true, force: true });
  });

  it('never crashes, hangs or over-launches, and names a field in every rejection', async () => {
    const stats = { valid: 0, rejected: 0, stalled: 0, launches: 0 };
    const batch: EcsScheduledTaskResource[] = [];
    let files = 0;

    const validateBatch = async () => {
      // `validate` itself, on a file of 100 documents: the same reading, YAML and checks as CI's.
      const file = join(dir, `batch-${files++}.yaml`);
      const docs = batch.splice(0).map((r) => {
        try {
          return stringify(r);
        } catch {
          return stringify({ ...r, spec: String(r.spec) });
        }
      });
      await writeFile(file, docs.join('---\n'));
      const io = recordingIo(new Date('2026-03-01T10:00:00Z'));
      const code = await validateCommand([file], io);
      expect([0, 1], io.err).to.include(code);
      const out = io.err.trimEnd();
      // Every problem line starts `file:line:column: ` and then names a field (or the YAML, or a
      // skipped document); a field that holds a line break continues on the next line.
      const starts = out.split(`${file}:`).slice(1);
      expect(starts.length, out.slice(0, 500)).to.be.greaterThan(0);
      for (const entry of starts) {
        if (/^\d+:\d+: /.test(entry) === false)
          expect.fail(`validate printed an unplaced line: ${entry.slice(0, 300)}`);
        const rest = entry.replace(/^\d+:\d+: /, '');
        expect(
          new RegExp(`^(${ROOTS}([.[]|: )|\\(yaml\\): |skipped: )`).test(rest),
          `no field in: ${rest.slice(0, 300)}`,
        ).to.equal(true);
      }
      expect(out.split('\n').pop()).to.match(/^\d+ EcsScheduledTask .*checked/);
    };

    await fc.assert(
      fc.asyncProperty(resourceArb, async (c) => {
        const resource = resourceOf(c);
        const issues = validateResource(resource);
        for (const issue of issues) {
          expect(issue.path, `${issue.path}: ${issue.message}`).to.match(FIELD);
          expect(issue.message).to.be.a('string').and.not.equal('');
        }
        if (issues.length === 0) stats.valid++;
        else stats.rejected++;

        const { stalledMessage, launches } = await throughReconciler(resource, c.depth);
        stats.launches += launches;
        if (stalledMessage !== undefined) {
          stats.stalled++;
          // InvalidSpec lists `field: problem`; every one of them must name a field.
          expect(stalledMessage, 'a Stalled condition names the field').to.match(
            new RegExp(`^${ROOTS}[.[:]`),
          );
        }
        if (issues.length > 0) expect(stalledMessage, 'an invalid spec is Stalled').to.be.a('string');

        batch.push(resource);
        if (batch.length === 100) await validateBatch();
      }),
      { numRuns: CASES, seed: SEED, endOnFailure: true },
    );
    if (batch.length > 0) await validateBatch();
    await nextTurn();
    expect(unhandled, 'unhandled promise rejections').to.deep.equal([]);
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').to.equal(undefined);
    // Both kinds must be well represented, or the fuzz proves little.
    expect(stats.valid).to.be.greaterThan(CASES / 10);
    expect(stats.rejected).to.be.greaterThan(CASES / 3);
    // And valid ones really reach RunTask, so the per-run cap was put to the test.
    expect(stats.launches).to.be.greaterThan(CASES / 20);
  });
});
