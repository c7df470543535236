// Every base image of the Dockerfile is pinned by digest: a tag alone can be moved upstream, so
// the same commit could build on different bases.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';

describe('Dockerfile base images', () => {
  const froms = readFileSync('Dockerfile', 'utf8')
    .split('\n')
    .filter((line) => /^FROM\s/i.test(line));

  it('has FROM lines', () => {
    expect(froms).to.have.length.above(0);
  });

  it('pins each one as image:tag@sha256:<64 hex>, keeping the tag for people and Dependabot', () => {
    for (const line of froms) {
      const image = line.split(/\s+/).find((word, i) => i > 0 && !word.startsWith('--'));
      expect(image, line).to.match(/^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/);
    }
  });
});
