import { expect } from 'chai';
import { LookupBudget } from '../../../../src/controller/runtime/lookup-budget.js';

describe('LookupBudget: one paced budget of lookups for every resource', () => {
  it('allows the burst, then tells each waiting resource when its own turn is, first come first served', () => {
    let now = 0;
    const budget = new LookupBudget({ perSecond: 2, burst: 2, now: () => now });
    expect(budget.take('a')).to.equal(0);
    expect(budget.take('a')).to.equal(0);
    expect(budget.take('a'), 'a waits for the next token').to.equal(500);
    expect(budget.take('b'), 'b after a').to.equal(1000);
    expect(budget.take('a'), 'asking again keeps the turn').to.equal(500);
    expect(budget.waiting).to.equal(2);
    now = 500;
    expect(budget.take('a')).to.equal(0);
    expect(budget.take('b')).to.equal(500);
    now = 1000;
    expect(budget.take('b')).to.equal(0);
    expect(budget.waiting).to.equal(0);
  });

  it('never grants more than the burst plus the rate over time, however many resources ask', () => {
    let now = 0;
    const budget = new LookupBudget({ perSecond: 5, burst: 10, now: () => now });
    let granted = 0;
    for (now = 0; now <= 10_000; now += 50) {
      for (let k = 0; k < 100; k++) if (budget.take(`ns/r${k}`) === 0) granted++;
      expect(granted).to.be.at.most(10 + Math.floor((now / 1000) * 5));
    }
    expect(granted).to.be.at.least(55);
  });

  it('forgets a deleted resource', () => {
    const budget = new LookupBudget({ perSecond: 1, burst: 1, now: () => 0 });
    budget.take('a');
    budget.take('a');
    expect(budget.waiting).to.equal(1);
    budget.forget('a');
    expect(budget.waiting).to.equal(0);
  });
});
