#!/usr/bin/env node
// Sums a V8 heap snapshot's self sizes by what each object is (its constructor, or its V8 type for
// strings, code and the like), to see what a controller's heap holds per resource. Take one with
// `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR` in the controller's NODE_OPTIONS and
// `kill -USR2 <pid>`. --duplicates also prints the bytes held by second and later copies of strings
// of at most 64 characters, and the strings most copied (what src/kube/string-pool.ts saves).
//
//   node scripts/heapsnapshot-top.js [--top N] [--duplicates] FILE.heapsnapshot
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '30' }, duplicates: { type: 'boolean', default: false } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error('usage: node scripts/heapsnapshot-top.js [--top N] [--duplicates] FILE.heapsnapshot');
  process.exit(2);
}
const snapshot = JSON.parse(readFileSync(positionals[0], 'utf8'));
const meta = snapshot.snapshot.meta;
const fields = meta.node_fields;
const width = fields.length;
const at = { type: fields.indexOf('type'), name: fields.indexOf('name'), size: fields.indexOf('self_size') };
const types = meta.node_types[0];
const nodes = snapshot.nodes;
const strings = snapshot.strings;

const groups = new Map();
/** Strings of at most SHORT characters by value: copies and bytes. */
const SHORT = 64;
const copies = new Map();
let total = 0;
for (let i = 0; i < nodes.length; i += width) {
  const type = types[nodes[i + at.type]];
  const size = nodes[i + at.size];
  // Objects group by constructor; strings, arrays, code and V8 internals by their type.
  const key = type === 'object' || type === 'native' ? `${type}:${strings[nodes[i + at.name]]}` : type;
  const g = groups.get(key) ?? { count: 0, bytes: 0 };
  g.count++;
  g.bytes += size;
  groups.set(key, g);
  total += size;
  if (values.duplicates && type === 'string') {
    const value = strings[nodes[i + at.name]];
    if (value.length > SHORT) continue;
    const c = copies.get(value) ?? { count: 0, bytes: 0 };
    c.count++;
    c.bytes += size;
    copies.set(value, c);
  }
}
const MiB = 1024 * 1024;
console.log(`${(total / MiB).toFixed(1)} MiB in ${nodes.length / width} objects`);
console.log('| what | objects | MiB | share |');
console.log('| --- | --- | --- | --- |');
for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(values.top))) {
  console.log(
    `| ${key} | ${g.count} | ${(g.bytes / MiB).toFixed(1)} | ${((100 * g.bytes) / total).toFixed(1)}% |`,
  );
}
if (values.duplicates) {
  // A copy's share of its value's bytes: all but one of them could be the same string.
  const beyondOne = (c) => (c.bytes * (c.count - 1)) / c.count;
  const repeated = [...copies].filter(([, c]) => c.count > 1);
  const extra = repeated.reduce((sum, [, c]) => sum + beyondOne(c), 0);
  console.log(
    `\nstrings of at most ${SHORT} characters: ${(extra / MiB).toFixed(1)} MiB in second and later copies, over ${repeated.length} values`,
  );
  console.log('| copies | KiB beyond one | value |');
  console.log('| --- | --- | --- |');
  for (const [value, c] of repeated
    .sort((a, b) => beyondOne(b[1]) - beyondOne(a[1]))
    .slice(0, Number(values.top)))
    console.log(`| ${c.count} | ${(beyondOne(c) / 1024).toFixed(0)} | ${JSON.stringify(value)} |`);
}
