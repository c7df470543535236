// What loading modules costs a process that keeps them: imports each path given, in order, then
// collects garbage and prints the V8 heap in use and the RSS. Run it with the controller's Node and
// --expose-gc, e.g. to compare dist/ (tsc's output) with dist/bundle/ (scripts/bundle.js):
//   node_modules/.bin/node --expose-gc scripts/module-heap.js dist/cli/run-command.js
//   node_modules/.bin/node --expose-gc scripts/module-heap.js dist/bundle/run-command-*.js
import { getHeapStatistics } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const paths = process.argv.slice(2);
for (const path of paths) await import(pathToFileURL(resolve(path)).href);
// A few rounds: what the first collection frees lets the next one compact.
for (let i = 0; i < 5; i++) {
  globalThis.gc();
  await new Promise((done) => setTimeout(done, 50));
}
const MiB = 1024 * 1024;
const { heapUsed, rss } = process.memoryUsage();
const committed = getHeapStatistics().total_heap_size;
console.log(
  `${paths.join(' ')}: heap in use ${(heapUsed / MiB).toFixed(1)} MiB, heap committed ${(committed / MiB).toFixed(1)} MiB, RSS ${(rss / MiB).toFixed(1)} MiB`,
);
