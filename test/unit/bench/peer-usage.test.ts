import { expect } from 'chai';
import { parsePeerPids } from '../../../bench/peer-usage.js';

describe('bench peer usage (the test environment API server and etcd)', () => {
  it('finds the API server and etcd pids by name in the test environment state', () => {
    const state = JSON.stringify({
      processes: [
        { name: 'etcd', pid: 11 },
        { name: 'moto', pid: 12 },
        { name: 'kube-apiserver', pid: 13 },
      ],
    });
    expect(parsePeerPids(state)).to.deep.equal({ apiServer: 13, etcd: 11 });
  });

  it('gives none for a state without processes', () => {
    expect(parsePeerPids('{}')).to.deep.equal({});
  });
});
