import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A profile of three frames: main() calls clone(), which calls structuredClone; 1 ms samples.
const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
  children,
});
const profile = {
  nodes: [
    frame(1, '(root)', '', [2, 5]),
    frame(2, 'main', 'file:///app/dist/app/app.js', [3]),
    frame(3, 'clone', 'file:///app/dist/kube/store.js', [4]),
    frame(4, 'structuredClone', ''),
    frame(5, '(idle)', ''),
  ],
  // main 1, clone 2, structuredClone 3, idle 4 (left out)
  samples: [2, 3, 3, 4, 4, 4, 5, 5, 5, 5],
  timeDeltas: Array(10).fill(1000),
};

describe('scripts/cpuprofile-top.js (the profile summariser)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cpuprofile-top-'));
    writeFileSync(join(dir, 'a.cpuprofile'), JSON.stringify(profile));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) =>
    execFileSync(process.execPath, ['scripts/cpuprofile-top.js', ...args, join(dir, 'a.cpuprofile')], {
      encoding: 'utf8',
    });

  it('ranks by self and by total time, idle left out', () => {
    const out = run('--top', '3');
    expect(out).to.match(/1 profile\(s\), 6 ms of samples/);
    const [, self, total] = out.split(/\ntop 3 by (?:self|total) time\n/);
    expect(self!.trim().split('\n')[0]).to.match(/3 ms\s+50\.0%\s+structuredClone/);
    expect(total!.trim().split('\n')[0]).to.match(/6 ms\s+100\.0%\s+main\s+dist\/app\/app\.js:10/);
  });

  it('splits a function by its callers, and aggregates by package', () => {
    expect(run('--callers', 'structuredClone')).to.match(
      /callers of structuredClone[^\n]*\n\s+3 ms\s+50\.0%\s+clone/,
    );
    expect(run('--packages')).to.match(/ours: kube/);
  });
});
