#!/usr/bin/env node
// Entry point. The controller needs Node 24 (@kubernetes/client-node 2.x does not load on older
// runtimes). In a checkout, the `node` devDependency provides Node 24, so an older interpreter
// hands over to it instead of failing deep inside an import. The published package does not depend
// on `node` (a second, pinned 50 MB runtime in every install, fetched by an install script that a
// global install may not run): there, an older interpreter gets a message saying what to install.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(local)) {
    // An installed package has no devDependencies, so this is where a user on an older Node lands:
    // name the fix they can apply, rather than fail on a syntax or import error later.
    process.stderr.write(
      `ecs-scheduler needs Node.js 24 or newer, and this is Node.js ${process.version} (${process.execPath}).\n` +
        'Install Node.js 24 (https://nodejs.org/en/download, or `nvm install 24`) and put it first on your PATH;\n' +
        'in a checkout of the repository, `npm ci` also provides it as a dev dependency.\n',
    );
    process.exit(1);
  }
  // Forward the signals a supervisor sends, so SIGTERM still drains the controller gracefully.
  const child = spawn(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  const code = await new Promise((resolve) =>
    child.on('exit', (status, signal) =>
      resolve(status ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)),
    ),
  );
  process.exit(code);
}

// dist/bundle/ is dist/cli/ bundled with its dependencies (scripts/bundle.js): a smaller heap for
// the life of a controller. `run` sizes its own heap (heap-sizing): this process is replaced, same
// pid, by one started with the heap flags the user did not set.
const { relaunchWithHeapFlags } = await import('../dist/bundle/heap-sizing.js');
relaunchWithHeapFlags(fileURLToPath(import.meta.url), process.argv.slice(2));

const { installPipeGuards, exitAfterFlush } = await import('../dist/bundle/process-guards.js');
installPipeGuards();
const { main } = await import('../dist/bundle/main.js');
// Exit explicitly: a server, a socket or a hung call must not keep alive a process that is done.
exitAfterFlush(await main(process.argv.slice(2)));
