import { expect } from 'chai';
import { parseProcUsage, procUsage } from '../../../bench/process-usage.js';

describe('bench process usage', () => {
  it('reads utime + stime and VmRSS, whatever the command name holds', () => {
    const stat =
      '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1234 766 0 0 20 0 11 0 100 900000000 25000 ...';
    const status = 'Name:\tnode\nVmPeak:\t 999 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcUsage(stat, status)).to.deep.equal({ cpu: 20, rss: 100 * 1024 * 1024 });
  });

  it('gives up on text that is not /proc', () => {
    expect(parseProcUsage('garbage', 'VmRSS: 1 kB')).to.equal(undefined);
  });

  it('reads this very process (the bench runs on Linux)', async () => {
    const usage = await procUsage(process.pid);
    expect(usage?.cpu).to.be.greaterThan(0);
    expect(usage?.rss).to.be.greaterThan(1024 * 1024);
  });
});
