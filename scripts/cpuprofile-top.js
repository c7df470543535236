#!/usr/bin/env node
// Prints the top functions of one or more V8 .cpuprofile files (node --cpu-prof), by self time
// and by total time, aggregated by function name and file across the files. Total time counts a
// sample once per function even when the function recurses. Issue 19 asks for a run's profile
// top entries before and after a change; this is how they are read.
//
//   node scripts/cpuprofile-top.js [--top N] [--packages] [--callers NAME] FILE.cpuprofile...
//
// --packages aggregates by package (node_modules/<name>, node: internals, or our src/ area)
// instead of by function. --callers NAME also prints who called the function NAME (its total time
// split by the calling function), e.g. which code a structuredClone's time is spent for. Functions
// of the bundle (dist/bundle/) are named by where they came from, read from its source maps.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { sourceMapLookup } from './source-map-lookup.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '20' },
    packages: { type: 'boolean', default: false },
    callers: { type: 'string' },
  },
});
if (positionals.length === 0) {
  console.error('usage: node scripts/cpuprofile-top.js [--top N] [--packages] FILE.cpuprofile...');
  process.exit(2);
}
const top = Number(values.top);

/** A file URL shortened to what a reader recognises: the path from src/, node_modules/ or node:. */
function shortFile(url) {
  if (!url) return '';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + 1);
  for (const marker of ['/dist/', '/src/', '/test/', '/bench/']) {
    const at = url.lastIndexOf(marker);
    if (at >= 0) return url.slice(at + 1);
  }
  return url.replace(/^file:\/\//, '');
}

function packageOf(file) {
  if (file === '') return '(native or V8)';
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (m) return m[1];
  if (file.startsWith('node:')) return 'node: internals';
  // What no source map names in the bundle: esbuild's own module wrappers, or every function of a
  // profile taken from another build (the maps beside dist/bundle/ are of the latest build).
  if (file.startsWith('dist/bundle/')) return 'bundle, unmapped (esbuild wrappers, or another build)';
  const ours = /^(?:dist|src)\/([^/]+)\//.exec(file);
  if (ours) return `ours: ${ours[1]}`;
  return file;
}

const lookup = sourceMapLookup();
const self = new Map();
const total = new Map();
const callers = new Map();
let all = 0;
for (const path of positionals) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Per node, not per sample: a bundle's frames are looked up in its source maps.
  const frameKeys = new Map();
  const keyOf = (n) => {
    let key = frameKeys.get(n.id);
    if (key === undefined) frameKeys.set(n.id, (key = frameKey(n.callFrame)));
    return key;
  };
  const frameKey = ({ url, lineNumber, columnNumber, functionName }) => {
    const original = lookup(url, lineNumber, columnNumber);
    const file = shortFile(original ? pathToFileURL(original.file).href : url);
    const line = original ? original.line : lineNumber;
    if (values.packages) return url ? packageOf(file) : functionName || '(anonymous)';
    return `${functionName || '(anonymous)'}  ${file}${file ? `:${line + 1}` : ''}`;
  };
  const stacks = new Map();
  const stackOf = (id) => {
    let keys = stacks.get(id);
    if (keys) return keys;
    const up = parent.get(id);
    keys = new Set(up === undefined ? [] : stackOf(up));
    // The root frame is on every stack: it would top the totals at 100%.
    if (byId.get(id).callFrame.functionName !== '(root)') keys.add(keyOf(byId.get(id)));
    stacks.set(id, keys);
    return keys;
  };
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(root)') return;
    all += dt;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    for (const k of stackOf(id)) if (k !== '(root)') total.set(k, (total.get(k) ?? 0) + dt);
    if (values.callers !== undefined) {
      // The outermost frame of NAME on this sample's stack, and the frame that called it.
      let caller;
      for (let at = id; at !== undefined; at = parent.get(at)) {
        const up = parent.get(at);
        if (byId.get(at).callFrame.functionName === values.callers && up !== undefined)
          caller = keyOf(byId.get(up));
      }
      if (caller !== undefined) callers.set(caller, (callers.get(caller) ?? 0) + dt);
    }
  });
}

const ms = (us) => (us / 1000).toFixed(0).padStart(8);
const pct = (us) => `${((us / all) * 100).toFixed(1).padStart(5)}%`;
const print = (title, map) => {
  console.log(`\n${title}`);
  const rows = [...map]
    .filter(([k]) => k !== '(root)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [k, us] of rows) console.log(`${ms(us)} ms ${pct(us)}  ${k}`);
};
console.log(`${positionals.length} profile(s), ${(all / 1000).toFixed(0)} ms of samples (idle left out)`);
print(`top ${top} by self time`, self);
print(`top ${top} by total time`, total);
if (values.callers !== undefined)
  print(`callers of ${values.callers}, by the time spent in it for them`, callers);
