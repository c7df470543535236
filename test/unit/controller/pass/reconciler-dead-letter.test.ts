import { expect } from 'chai';
import type { RunRecord, Spec } from '../../../../src/api/types.js';
import { DEAD_LETTER_KIND } from '../../../../src/controller/pass/dead-letter.js';
import { TerminalError, TransientError } from '../../../../src/controller/errors.js';
import { launchClientToken } from '../../../../src/controller/runtime/run-ledger.js';
import { MemoryDeadLetterSink } from '../../../support/memory-dead-letter-sink.js';
import { fixtureUid } from '../../../support/resources.js';
import { harness } from './harness.js';

const launch = '2026-03-01T10:00:05.000Z';
const stop = '2026-03-01T10:00:40.000Z';
const seen = '2026-03-01T10:01:00.000Z';
const retry = '2026-03-01T10:01:30.000Z';
const retryStop = '2026-03-01T10:02:05.000Z';
const retrySeen = '2026-03-01T10:02:10.000Z';
const later = '2026-03-01T10:05:00.000Z';

const spec: Partial<Spec> = {
  retryPolicy: { maxRetries: 1, backoffSeconds: 30 },
  deadLetter: { sqs: { queueName: 'failed-runs' } },
};

function setup(extra: Partial<Spec> = {}) {
  const sink = new MemoryDeadLetterSink();
  const h = harness({ ...spec, ...extra }, { deps: { deadLetters: sink } });
  return { h, sink };
}

/** Runs the 10:00 run through both attempts, each exiting 1; stops before the final pass. */
async function failTwice(h: ReturnType<typeof harness>) {
  await h.reconcile(launch);
  h.clock.set(stop);
  h.launcher.finishAll({ app: 1 });
  await h.reconcile(seen);
  await h.reconcile(retry);
  h.clock.set(retryStop);
  h.launcher.finishAll({ app: 1 });
}

const only = (runs: readonly RunRecord[]) => {
  expect(runs).to.have.length(1);
  return runs[0]!;
};

describe('Reconciler: dead letters (spec.deadLetter)', () => {
  it('sends one message after the last retry, with the resource and the run, and records it Sent', async () => {
    const { h, sink } = setup();
    await h.reconcile(launch);
    h.clock.set(stop);
    h.launcher.finishAll({ app: 1 });
    await h.reconcile(seen);
    expect(sink.sends, 'nothing while a retry is to come').to.deep.equal([]);
    await h.reconcile(retry);
    h.clock.set(retryStop);
    h.launcher.finishAll({ app: 1 });
    await h.reconcile(retrySeen);

    expect(sink.sends).to.have.length(1);
    const [letter] = sink.sends;
    expect(letter!.queue).to.deep.equal({ queueName: 'failed-runs' });
    const runToken = launchClientToken({ clientToken: h.launcher.runRequests[0]!.clientToken }, 0);
    expect(letter!.message.deduplicationId, 'the run identity, the same on every attempt').to.equal(runToken);
    expect(letter!.message.groupId).to.equal('data/report');
    const body = sink.bodies()[0]!;
    expect(body).to.include({ kind: DEAD_LETTER_KIND, version: 1, runId: runToken });
    expect(body.resource).to.deep.equal({
      apiVersion: 'ecs-scheduler.dev/v1alpha1',
      kind: 'EcsScheduledTask',
      namespace: 'data',
      name: 'report',
      uid: fixtureUid,
    });
    const run = body.run as RunRecord;
    expect(run).to.include({ result: 'Failed', reason: 'NonZeroExit', attempt: 2 });
    expect(run.attempts).to.have.length(1);
    expect(run.deadLetter).to.equal(undefined);

    expect(only(h.runs()).deadLetter).to.deep.equal({
      state: 'Sent',
      sentAt: retrySeen,
      messageId: 'message-1',
    });
    expect(h.events.reasons()).to.include('DeadLetterSent');

    await h.reconcile(later);
    await h.reconcile('2026-03-01T10:30:00.000Z');
    expect(sink.sends, 'sent once').to.have.length(1);
  });

  it('a run that succeeds on its retry sends nothing', async () => {
    const { h, sink } = setup();
    await h.reconcile(launch);
    h.clock.set(stop);
    h.launcher.finishAll({ app: 1 });
    await h.reconcile(seen);
    await h.reconcile(retry);
    h.clock.set(retryStop);
    h.launcher.finishAll({ app: 0 });
    await h.reconcile(retrySeen);
    expect(sink.sends).to.deep.equal([]);
    expect(only(h.runs()).deadLetter).to.equal(undefined);
  });

  it('a failed send keeps the letter Pending in the stored status, even past the history limit, and it is sent once when due', async () => {
    const { h, sink } = setup({ failedRunsHistoryLimit: 0 });
    await failTwice(h);
    sink.failures.push(new TransientError('connect ECONNREFUSED 127.0.0.1:5000', 'Unknown'));
    // The pass does not fail: the letter keeps its own backoff, and the schedule its times.
    const result = await h.reconcile(retrySeen);
    const pending = only(h.runs());
    expect(pending).to.include({ result: 'Failed' });
    expect(pending.deadLetter).to.deep.equal({
      state: 'Pending',
      attempts: 1,
      nextAttemptAt: '2026-03-01T10:02:25.000Z',
      error: 'connect ECONNREFUSED 127.0.0.1:5000',
    });
    expect(result.requeueAfterMs, 'the pass comes back when the letter is due').to.equal(15_025);
    expect(h.events.events.at(-1)).to.include({ type: 'Warning', reason: 'DeadLetterFailed' });

    await h.reconcile('2026-03-01T10:02:20.000Z');
    expect(sink.sends, 'not before its time').to.deep.equal([]);
    await h.reconcile(later);
    expect(sink.sends).to.have.length(1);
    expect(h.runs(), 'sent, the run now obeys failedRunsHistoryLimit 0').to.deep.equal([]);
    expect(h.metrics.deadLetters.map((d) => d.outcome)).to.deep.equal(['failed', 'sent']);
    await h.reconcile('2026-03-01T10:30:00.000Z');
    expect(sink.sends).to.have.length(1);
  });

  it('a letter whose queue is missing is retried with backoff and given up after its attempts, with a Warning and the abandoned metric', async () => {
    const sink = new MemoryDeadLetterSink();
    const h = harness(
      { ...spec, failedRunsHistoryLimit: 0 },
      { deps: { deadLetters: sink, deadLetterRetry: { maxAttempts: 3 } } },
    );
    await failTwice(h);
    sink.queueMissing = true;
    await h.reconcile(retrySeen);
    expect(only(h.runs()).deadLetter).to.include({ state: 'Pending', attempts: 1 });
    // 15 s, then 30 s: each attempt at its time.
    await h.reconcile('2026-03-01T10:02:25.000Z');
    expect(only(h.runs()).deadLetter).to.include({
      state: 'Pending',
      attempts: 2,
      nextAttemptAt: '2026-03-01T10:02:55.000Z',
    });
    await h.reconcile('2026-03-01T10:02:55.000Z');
    expect(sink.failedSends).to.equal(3);
    expect(h.runs(), 'given up, the run obeys failedRunsHistoryLimit 0').to.deep.equal([]);
    const gaveUp = h.events.events.at(-1)!;
    expect(gaveUp).to.include({ type: 'Warning', reason: 'DeadLetterGaveUp' });
    expect(gaveUp.message).to.match(/gave up after 3 failed attempt\(s\): .*does not exist/);
    expect(h.metrics.deadLetters.map((d) => d.outcome)).to.deep.equal(['failed', 'failed', 'abandoned']);
    await h.reconcile('2026-03-01T11:00:00.000Z');
    expect(sink.failedSends, 'never tried again').to.equal(3);
  });

  it('a letter past its maximum age is given up at its next failure, whatever its attempts', async () => {
    const sink = new MemoryDeadLetterSink();
    const h = harness(spec, {
      deps: { deadLetters: sink, deadLetterRetry: { maxAttempts: 100, maxAgeMs: 60_000 } },
    });
    await failTwice(h);
    sink.queueMissing = true;
    await h.reconcile(retrySeen);
    expect(only(h.runs()).deadLetter).to.include({ state: 'Pending', attempts: 1 });
    await h.reconcile('2026-03-01T10:03:05.000Z');
    expect(only(h.runs()).deadLetter).to.deep.include({ state: 'Failed', attempts: 2 });
    expect(only(h.runs()).deadLetter!.error).to.match(/^gave up after 2 failed attempt/);
    expect(h.metrics.deadLetters.map((d) => d.outcome)).to.deep.equal(['failed', 'abandoned']);
  });

  it('a controller without an SQS client gives a letter up once it is too old, and does not requeue for it', async () => {
    const h = harness(spec, { deps: { deadLetterRetry: { maxAgeMs: 60 * 60_000 } } });
    await failTwice(h);
    const first = await h.reconcile(retrySeen);
    expect(only(h.runs()).deadLetter).to.deep.equal({ state: 'Pending' });
    expect(first.requeueAfterMs ?? Infinity, 'no requeue loop for a letter nobody can send').to.be.above(
      60_000,
    );
    await h.reconcile('2026-03-01T11:02:05.000Z');
    const failed = h.runs().find((r) => r.scheduledTime === '2026-03-01T10:00:00.000Z');
    expect(failed?.deadLetter).to.deep.equal({
      state: 'Failed',
      attempts: 0,
      error: 'gave up after 0 failed attempt(s): this controller has no SQS client',
    });
    expect(h.metrics.deadLetters.map((d) => d.outcome)).to.deep.equal(['abandoned']);
  });

  it('a crash between the send and the status write sends again with the same deduplication id (a FIFO queue keeps one)', async () => {
    const { h, sink } = setup();
    await failTwice(h);
    h.store.beforeNextWrite(() => {
      throw new Error('process killed');
    });
    await h.reconcile(retrySeen).catch(() => undefined);
    expect(sink.sends).to.have.length(1);
    expect(only(h.runs()), 'the status write never landed').to.include({ result: 'Running' });

    // The restarted process decides again from the stored status.
    const restarted = harness(
      {},
      { deps: { deadLetters: sink, store: h.store, launcher: h.launcher, clock: h.clock } },
    );
    await restarted.reconciler.reconcile('data/report');
    expect(sink.sends).to.have.length(2);
    expect(sink.sends[1]!.message.deduplicationId).to.equal(sink.sends[0]!.message.deduplicationId);
    expect(sink.delivered, 'delivered once').to.have.length(1);
    expect(only(h.runs()).deadLetter).to.include({ state: 'Sent' });
  });

  it('a crash after the failure was stored and before the send still sends, once', async () => {
    const { h, sink } = setup();
    await failTwice(h);
    sink.failures.push(new Error('process killed before the send'));
    await h.reconcile(retrySeen).catch(() => undefined);
    expect(only(h.runs()).deadLetter).to.include({ state: 'Pending' });
    h.clock.set(later);
    const restarted = harness(
      {},
      { deps: { deadLetters: sink, store: h.store, launcher: h.launcher, clock: h.clock } },
    );
    await restarted.reconciler.reconcile('data/report');
    await restarted.reconciler.reconcile('data/report');
    expect(sink.sends).to.have.length(1);
    expect(only(h.runs()).deadLetter).to.include({ state: 'Sent' });
  });

  it('a queue that can never be used is reported once and not retried', async () => {
    const { h, sink } = setup();
    await failTwice(h);
    sink.failures.push(
      new TerminalError(
        'spec.deadLetter.sqs.queueUrl: host evil.example is not an SQS endpoint',
        'QueueUrlRefused',
      ),
    );
    await h.reconcile(retrySeen);
    expect(only(h.runs()).deadLetter).to.deep.include({ state: 'Failed' });
    expect(only(h.runs()).deadLetter!.error).to.match(/spec\.deadLetter\.sqs\.queueUrl/);
    expect(h.events.events.at(-1)).to.include({ type: 'Warning', reason: 'DeadLetterFailed' });
    await h.reconcile(later);
    expect(sink.sends).to.deep.equal([]);
    expect(h.metrics.deadLetters).to.deep.equal([{ key: 'data/report', outcome: 'refused' }]);
  });

  it('a replica that lost its lease does not send', async () => {
    let held = true;
    const sink = new MemoryDeadLetterSink();
    const h = harness(spec, { deps: { deadLetters: sink, fence: { holds: () => held } } });
    await failTwice(h);
    held = false;
    await h.reconcile(retrySeen).then(
      () => expect.fail('the pass is aborted'),
      (error: Error) => expect(error.name).to.equal('PassAbortedError'),
    );
    expect(sink.sends).to.deep.equal([]);
  });

  it('without spec.deadLetter nothing is marked or sent', async () => {
    const sink = new MemoryDeadLetterSink();
    const h = harness(
      { retryPolicy: { maxRetries: 1, backoffSeconds: 30 } },
      { deps: { deadLetters: sink } },
    );
    await failTwice(h);
    await h.reconcile(retrySeen);
    expect(only(h.runs())).to.include({ result: 'Failed' });
    expect(only(h.runs()).deadLetter).to.equal(undefined);
    expect(sink.sends).to.deep.equal([]);
  });
});
