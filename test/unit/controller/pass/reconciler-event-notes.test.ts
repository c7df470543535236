// Routine events are isomorphic: what varies from run to run (its time, its tasks, their count)
// is in status and in the event's details, not in its note, so the Kubernetes recorder keeps one
// Event series for a resource that does the same thing every run. Failures keep their details.
import { expect } from 'chai';
import { skippedNote } from '../../../../src/controller/decide/event-notes.js';
import type { RecordedEvent } from '../../../support/recording-events.js';
import { harness } from './harness.js';

const tenOClock = '2026-03-01T10:00:05Z';
const elevenOClock = '2026-03-01T11:00:05Z';
const noon = '2026-03-01T12:00:05Z';

/** What the recorder keys a series on (the object aside). */
const identity = (e: RecordedEvent) => [e.type, e.reason, e.message];

describe('Reconciler: event notes of routine runs are identical, failures keep their details', () => {
  it('two ordinary runs, with different task counts, give the same Launched event; its time is a detail', async () => {
    const h = harness();
    await h.reconcile(tenOClock);
    h.launcher.finishAll();
    await h.reconcile('2026-03-01T10:30:00Z');
    h.events.clear();
    h.apply({ taskCount: 3 });
    await h.reconcile(elevenOClock);
    h.launcher.finishAll();
    await h.reconcile('2026-03-01T11:30:00Z');
    await h.reconcile(noon);
    const launched = h.events.events.filter((e) => e.reason === 'Launched');
    expect(launched).to.have.length(2);
    expect(identity(launched[0]!)).to.deep.equal(identity(launched[1]!));
    expect(launched[0]!.message).to.not.match(/2026|task\(s\)|arn:/);
    expect(launched.map((e) => e.details?.scheduledTime)).to.deep.equal([
      '2026-03-01T11:00:00.000Z',
      '2026-03-01T12:00:00.000Z',
    ]);
    expect(h.events.reasons(), 'a routine success has no event of its own').to.deep.equal([
      'Launched',
      'Launched',
    ]);
  });

  it('Forbid skips with a different count of tasks still running give the same Skipped event', async () => {
    const h = harness({ concurrencyPolicy: 'Forbid', taskCount: 2 });
    await h.reconcile(tenOClock);
    await h.reconcile(elevenOClock);
    h.launcher.finish(h.launcher.runningArns()[0]!);
    await h.reconcile(noon);
    const skipped = h.events.events.filter((e) => e.reason === 'Skipped');
    expect(skipped).to.have.length(2);
    expect(h.runs()[0]!.message, 'the count is in status').to.equal(
      '1 task(s) of an earlier run still running',
    );
    expect(identity(skipped[0]!)).to.deep.equal(identity(skipped[1]!));
    expect(skipped[0]!.message).to.equal(
      'run skipped: concurrencyPolicy is Forbid and an earlier run is still running',
    );
  });

  it('a failed run keeps its time, reason and message in the note', async () => {
    const h = harness();
    await h.reconcile(tenOClock);
    h.launcher.finishAll({ app: 1 });
    await h.reconcile('2026-03-01T10:30:00Z');
    const failed = h.events.events.find((e) => e.reason === 'RunFailed');
    expect(failed?.type).to.equal('Warning');
    expect(failed?.message).to.match(/^run scheduled at 2026-03-01T10:00:00\.000Z failed: \w+: .+/);
  });

  describe('skippedNote', () => {
    const cases = [
      {
        name: 'Forbid, whatever the count',
        reason: 'ConcurrencyForbid',
        message: '3 task(s) of an earlier run still running',
      },
      {
        name: 'TopUp, whatever the counts',
        reason: 'AlreadyRunning',
        message: '2 task(s) running, 2 desired',
      },
      { name: 'an empty trigger queue', reason: 'QueueEmpty', message: 'the trigger queue is empty' },
    ];
    for (const c of cases) {
      it(`a routine skip has no per-run detail: ${c.name}`, () => {
        const note = skippedNote(c.reason, c.message);
        expect(note).to.not.match(/\d/);
        expect(skippedNote(c.reason, c.message.replace(/\d/g, '7'))).to.equal(note);
      });
    }
    it('a rare skip keeps its reason and message', () => {
      expect(skippedNote('Suspended', 'run-now "x" ignored: the resource is suspended')).to.equal(
        'run skipped: Suspended: run-now "x" ignored: the resource is suspended',
      );
    });
  });
});
