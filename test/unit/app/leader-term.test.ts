import { expect } from 'chai';
import { leaderTerm } from '../../../src/app/leader-term.js';
import type { ControllerTerms } from '../../../src/controller/controller-terms.js';
import type { TaskTracker } from '../../../src/controller/runtime/task-tracker.js';

function parts(log: string[]) {
  const terms = {
    lead: () => void log.push('lead'),
    finish: async () => void log.push('finish'),
    settled: async () => void log.push('settled'),
  } as unknown as ControllerTerms;
  const tracker = { clear: () => void log.push('tracker cleared') } as unknown as TaskTracker;
  return { terms, tracker };
}

describe('leaderTerm', () => {
  it('a lost lease clears the tracker, drops what the term left elsewhere, then lets the term finish', async () => {
    const log: string[] = [];
    const { terms, tracker } = parts(log);
    const term = leaderTerm(terms, tracker, undefined, () => void log.push('leftovers dropped'));
    term.begin(new AbortController().signal);
    await term.lost();
    expect(log).to.deep.equal(['lead', 'tracker cleared', 'leftovers dropped', 'finish']);
  });

  it('shutting down without a lease only finishes the term: nothing is dropped', async () => {
    const log: string[] = [];
    const { terms, tracker } = parts(log);
    const term = leaderTerm(terms, tracker, undefined, () => void log.push('leftovers dropped'));
    await term.finish();
    expect(log).to.deep.equal(['finish']);
  });
});
