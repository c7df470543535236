// Bundles what bin/ecs-scheduler.js loads (dist/cli/heap-sizing.js, process-guards.js and main.js,
// as tsc built them) into dist/bundle/, one file per entry and shared chunks, so that the three
// share one copy of each module (the log buffer that exitAfterFlush drains is main's).
//
// Why: a process holds the source text and compiled code of every module it loads, for its whole
// life. @kubernetes/client-node's index loads every generated API and model with their comments
// (about 25 MiB of heap in use, 83 MiB of RSS); the bundle keeps what the controller calls, without
// comments. Loading the `run` command (scripts/module-heap.js) takes 38 MiB of heap in use and 154
// MiB of RSS from dist/, 21 and 109 MiB from the bundle. Names are kept (no minification), so
// stack traces stay readable, and source maps are written beside the files.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    'heap-sizing': 'dist/cli/heap-sizing.js',
    'process-guards': 'dist/cli/process-guards.js',
    main: 'dist/cli/main.js',
  },
  // The same depth as dist/cli/, so that main's `../../package.json` is the package's.
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // CommonJS dependencies call require(): give each output file one, as an ES module has none.
  banner: {
    js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);",
  },
  legalComments: 'eof',
  // Beside each file, not loaded unless asked: `node --enable-source-maps` maps stack traces back
  // to src/ and node_modules/, and scripts/cpuprofile-top.js maps a profile's functions the same way.
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
