// The test environment's peers get ports below the kernel's ephemeral range, so that a peer a test
// restarts (etcd, the kube-apiserver) cannot find its port taken by an outgoing connection.
import { expect } from 'chai';
import { createServer } from 'node:net';
// @ts-expect-error: a plain JavaScript script without type declarations
import { ephemeralPortRange, freePorts } from '../../../scripts/testenv.js';

const ports = freePorts as (n: number) => Promise<number[]>;
const range = ephemeralPortRange as () => [number, number];

describe('test environment: free ports', () => {
  it('are distinct, free, and below the ephemeral range', async () => {
    const [low] = range();
    const picked = await ports(8);
    expect(new Set(picked).size).to.equal(8);
    for (const port of picked) {
      expect(port, `port ${port}`).to.be.below(low);
      await new Promise<void>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
      });
    }
  });
});
