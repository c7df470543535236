import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A snapshot of six nodes: three copies of one short string (3 KiB each, as if large), a long string held
// twice (not counted: longer than 64 characters), and one object.
const long = 'x'.repeat(65);
const strings = ['Succeeded', long, 'Object'];
const node = (type: number, name: number, size: number) => [type, name, 0, size, 0];
const snapshot = {
  snapshot: {
    meta: {
      node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
      node_types: [['hidden', 'array', 'string', 'object']],
    },
  },
  nodes: [
    node(2, 0, 3072),
    node(2, 0, 3072),
    node(2, 0, 3072),
    node(2, 1, 96),
    node(2, 1, 96),
    node(3, 2, 64),
  ].flat(),
  strings,
};

describe('scripts/heapsnapshot-top.js (the heap snapshot summariser)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'heapsnapshot-top-'));
    writeFileSync(join(dir, 'a.heapsnapshot'), JSON.stringify(snapshot));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) =>
    execFileSync(process.execPath, ['scripts/heapsnapshot-top.js', ...args, join(dir, 'a.heapsnapshot')], {
      encoding: 'utf8',
    });

  it('sums self sizes by type, objects by constructor', () => {
    const out = run();
    expect(out).to.include('| string | 5 |');
    expect(out).to.include('| object:Object | 1 |');
    expect(out).not.to.include('copies');
  });

  it('--duplicates counts the bytes beyond one copy of each short string, not of longer ones', () => {
    const out = run('--duplicates');
    expect(out).to.match(
      /strings of at most 64 characters: 0\.0 MiB in second and later copies, over 1 values/,
    );
    expect(out).to.include('| 3 | 6 | "Succeeded" |');
    expect(out).not.to.include(long);
  });
});
