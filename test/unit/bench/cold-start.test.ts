import { expect } from 'chai';
import { firstLaunchAt } from '../../../bench/cold-start.js';

describe('cold start figures', () => {
  it('takes the earliest accepted launch of any run, and none from an empty ledger', () => {
    const run = (at: number) => ({ firstLaunchAt: at });
    expect(firstLaunchAt([run(30), run(10), run(20)])).to.equal(10);
    expect(firstLaunchAt([])).to.equal(undefined);
  });
});
