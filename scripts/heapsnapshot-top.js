#!/usr/bin/env node
// Sums a V8 heap snapshot's self sizes by what each object is (its constructor, or its V8 type for
// strings, code and the like), to see what a controller's heap holds per resource. Take one with
// `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR` in the controller's NODE_OPTIONS and
// `kill -USR2 <pid>`.
//
//   node scripts/heapsnapshot-top.js [--top N] FILE.heapsnapshot
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '30' } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error('usage: node scripts/heapsnapshot-top.js [--top N] FILE.heapsnapshot');
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
