// A short smoke of `npm run bench:kube`: it runs against the real apiserver, prints its table, and
// the pooled dispatcher opens fewer connections than client-node as shipped (one per request).
// The figures themselves come from the long run quoted in the README, not from this test.
import { expect } from 'chai';
import { join } from 'node:path';
import { captureRun, REPO_ROOT } from './support/index.js';

const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');

describe('kube connections benchmark smoke', function () {
  this.timeout(120_000);

  it('prints both rows, and the pooled dispatcher reuses its connection', async () => {
    const run = await captureRun(NODE, [
      '--import',
      'tsx',
      'bench/kube-connections.bench.ts',
      '--writes',
      '40',
      '--workers',
      '4',
      '--rounds',
      '1',
    ]);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.code, output).to.equal(0);
    const row = (label: RegExp) => {
      const line = run.stdout.split('\n').find((l) => label.test(l));
      expect(line, output).to.be.a('string');
      const cells = line!.split('|').map((c) => c.trim());
      return { cpuMs: Number(cells[2]), connections: Number.parseInt(cells[4]!, 10) };
    };
    const stock = row(/^\| client-node .* \(cache off\)/);
    const pooled = row(/^\| PooledKubeConfig \(cache on\)/);
    expect(stock.cpuMs, output).to.be.greaterThan(0);
    expect(pooled.cpuMs, output).to.be.greaterThan(0);
    // 40 writes + 40 events: one TLS connection each as shipped, a reused one when pooled.
    expect(stock.connections, output).to.be.at.least(40);
    expect(pooled.connections, output).to.be.at.most(2);
  });
});
