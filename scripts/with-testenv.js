#!/usr/bin/env node
// Runs a command inside the integration-test environment:
//
//   node scripts/with-testenv.js mocha --timeout 120000 'test/integration/**/*.test.ts'
//
// - Brings the environment up (scripts/testenv.js) unless it already is, and exports the variables
//   of .testenv/env.json to the command. The command's exit code is ours.
// - If this run started the environment, it is stopped when its last user is done (several
//   with-testenv runs may share it at once), so that CI leaves no process behind; an environment
//   started by `npm run testenv:up` is left running for fast reruns. TESTENV_KEEP=1 keeps a started
//   one running too (then `npm run testenv:down` stops it).
// - Peers are provisioned when missing: kube-apiserver and etcd are built from pinned Go modules
//   (scripts/envtest-binaries), moto is pip-installed at its pinned version into a virtual
//   environment in the cache (scripts/moto-venv). If one truly cannot be had (no go and no
//   KUBEBUILDER_ASSETS, no python3 with venv, no kubectl), the integration tier is skipped with one
//   line that says what to install, exit 0; with CI=true that is a failure instead.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import { PeerUnavailableError, ROOT, acquire, release } from './testenv.js';

const truthy = (v) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
const inCi = truthy(process.env.CI);

function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, cmd)));
}

function unavailable(reason) {
  if (inCi) {
    console.error(`with-testenv: FAILED: integration peers unavailable with CI=true: ${reason}`);
    return 1;
  }
  console.log(`with-testenv: integration tests SKIPPED: ${reason} (set CI=true to make this a failure)`);
  return 0;
}

function run(argv, env) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env, shell: false });
    const forward = (sig) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (err) => {
      console.error(`with-testenv: cannot run ${argv[0]}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

async function main(argv) {
  if (argv.length === 0) {
    console.error('usage: node scripts/with-testenv.js <command> [args...]');
    return 2;
  }
  // The tests drive kubectl; without it they cannot prove what users will see.
  if (!onPath('kubectl'))
    return unavailable('kubectl is not on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/)');

  let result;
  try {
    result = await acquire({ keep: truthy(process.env.TESTENV_KEEP) });
  } catch (err) {
    if (err instanceof PeerUnavailableError) return unavailable(err.message);
    console.error(`with-testenv: the test environment did not start: ${err.message}`);
    return 1;
  }
  const secs = (result.ms / 1000).toFixed(1);
  console.error(
    `with-testenv: environment ${result.started ? 'started' : 'reused'} in ${secs}s (${result.state.apiServerUrl})`,
  );

  // As `npm run` does: local bins (mocha, and the Node 24 of the `node` devDependency) come first,
  // also when this script is run without npm.
  const bin = join(ROOT, 'node_modules', '.bin');
  const PATH = [bin, process.env.PATH].filter(Boolean).join(delimiter);
  const code = await run(argv, { ...process.env, ...result.env, PATH });

  try {
    await release();
  } catch (err) {
    console.error(`with-testenv: stopping the environment: ${err.message}`);
    return code === 0 ? 1 : code;
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`with-testenv: ${err.stack ?? err}`);
    process.exit(1);
  },
);
