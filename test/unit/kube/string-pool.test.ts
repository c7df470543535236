import { expect } from 'chai';
import { poolStrings } from '../../../src/kube/cache-transform.js';
import { StringPool } from '../../../src/kube/string-pool.js';

// A string's identity cannot be seen from JavaScript, so these tests check what can: values are
// never changed, and what the pool holds (its size) follows the rules. The memory it saves is
// measured by the bench (docs/developing/performance.md).
describe('StringPool (one copy of the short strings cached objects repeat)', () => {
  it('pools short strings once each, and leaves longer ones out', () => {
    const pool = new StringPool(100, 8);
    expect(pool.intern('Running')).to.equal('Running');
    expect(pool.intern('Running')).to.equal('Running');
    expect(pool.intern('a string longer than eight')).to.equal('a string longer than eight');
    expect(pool.size).to.equal(1);
  });

  it('holds at most two generations, carrying a string still in use into the new one', () => {
    const pool = new StringPool(3);
    for (const s of ['a', 'b', 'c']) pool.intern(s);
    pool.intern('d'); // the generation of a, b, c becomes the previous one
    expect(pool.size).to.equal(4);
    pool.intern('a'); // still in use: carried over
    for (let i = 0; i < 100; i++) pool.intern(`one-off ${i}`);
    expect(pool.size).to.be.at.most(6);
  });

  it('interns an object all the way down, in place, values unchanged, skipping the named fields', () => {
    const pool = new StringPool();
    const status = {
      runs: [
        {
          scheduledTime: '2026-12-04T10:00:00Z',
          result: 'Succeeded',
          launchedAt: '2026-12-04T10:00:00.061Z',
        },
        {
          scheduledTime: '2026-12-04T09:59:00Z',
          result: 'Succeeded',
          tasks: [{ taskArn: 'arn:1', lastStatus: 'STOPPED' }],
        },
      ],
      tags: ['x', 'x'],
    };
    const before = structuredClone(status);
    pool.internAll(status, new Set(['launchedAt', 'taskArn']));
    expect(status).to.deep.equal(before);
    // scheduledTime x2, Succeeded, STOPPED, x: not the launch time or the ARN.
    expect(pool.size).to.equal(5);
  });

  it('poolStrings covers the namespace, the labels, the spec and the status, not the unique times', () => {
    const pool = new StringPool();
    const resource = {
      metadata: { name: 'r-1', namespace: 'data', uid: 'u-1', labels: { team: 'reports' } },
      spec: { schedule: 'H * * * * *', task: { cluster: 'main' } },
      status: { runs: [{ scheduledTime: 't', finishedAt: '2026-12-04T10:00:05.123Z', taskArn: 'arn' }] },
    };
    const before = structuredClone(resource);
    expect(poolStrings(resource, pool)).to.deep.equal(before);
    // data, reports, H * * * * *, main, t: not name, uid, finishedAt or taskArn.
    expect(pool.size).to.equal(5);
  });
});
