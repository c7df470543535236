// A job that fails every minute, its dead-letter queue missing, for a simulated week: the status
// must stay under its budget the whole time (it used to keep every unsent letter's run, and
// crossed the budget within a day and etcd's limit within a week).
import { expect } from 'chai';
import { DEFAULT_DEAD_LETTER_MAX_ATTEMPTS } from '../../../../src/controller/pass/dead-letter.js';
import { STATUS_BUDGET_BYTES } from '../../../../src/controller/decide/status-size.js';
import { MemoryDeadLetterSink } from '../../../support/memory-dead-letter-sink.js';
import { harness, key } from './harness.js';

const MINUTES_IN_A_WEEK = 7 * 24 * 60;

describe('bounded status over a simulated week', function () {
  // 10,080 passes on the fake clock: no sleeping, but more work than a usual unit test.
  this.timeout(120_000);

  it('a job failing every minute into a missing dead-letter queue stays under the status budget', async () => {
    const sink = new MemoryDeadLetterSink();
    sink.queueMissing = true;
    const h = harness(
      { schedule: '* * * * *', deadLetter: { sqs: { queueName: 'nobody-created-this' } } },
      { now: '2026-03-01T09:30:00Z', deps: { deadLetters: sink } },
    );
    const start = Date.parse('2026-03-01T09:31:00Z');
    let largest = 0;
    for (let minute = 0; minute < MINUTES_IN_A_WEEK; minute++) {
      // The run launched a minute ago has failed by now.
      for (const task of h.status().active ?? []) h.launcher.finish(task.taskArn, { app: 1 });
      // A week of writes is not worth keeping in memory.
      h.store.statusWrites.length = 0;
      h.clock.set(new Date(start + minute * 60_000 + 1_000));
      // Before letters were retried on their own clock, a failed send failed the pass (the queue
      // retried it); the status was written first all the same.
      await h.reconciler.reconcile(key).catch(() => undefined);
      const bytes = Buffer.byteLength(JSON.stringify(h.status()));
      largest = Math.max(largest, bytes);
      if (bytes > STATUS_BUDGET_BYTES) {
        expect.fail(`minute ${minute}: the status is ${bytes} bytes, past the ${STATUS_BUDGET_BYTES} budget`);
      }
    }
    const status = h.status();
    expect(h.launcher.runRequests, 'a run every minute').to.have.length(MINUTES_IN_A_WEEK);
    const pending = (status.runs ?? []).filter((r) => r.deadLetter?.state === 'Pending');
    // Letters give up within their attempts' backoff (about 26 minutes), so about that many wait.
    expect(pending.length).to.be.within(1, 40);
    expect(status.runs!.length).to.be.at.most(pending.length + 2);
    const abandoned = h.metrics.deadLetters.filter((d) => d.outcome === 'abandoned').length;
    expect(abandoned, 'every letter but the last few given up').to.be.at.least(MINUTES_IN_A_WEEK - 40);
    expect(h.events.reasons()).to.include('DeadLetterGaveUp');
    expect(sink.sends, 'nothing delivered').to.deep.equal([]);
    expect(sink.failedSends, 'each letter tried at most its attempts').to.be.at.most(
      MINUTES_IN_A_WEEK * DEFAULT_DEAD_LETTER_MAX_ATTEMPTS,
    );
    expect(largest).to.be.below(STATUS_BUDGET_BYTES);
    console.log(`      largest status: ${largest} bytes; runs kept at the end: ${status.runs!.length}`);
  });
});
