// The npm package as a user gets it: `npm pack` in a fresh copy of the repository (no dist/, so
// prepack has to build it), then `npm install -g --prefix <empty dir> <tarball>`, which installs
// the runtime dependencies and nothing else. The installed `ecs-scheduler` and the kubectl plugin
// (found by kubectl itself on PATH) then run real verbs, so every runtime import resolves from the
// tarball alone: no devDependency, no tsx, no src/. Nothing here reads the repository's own dist/
// or node_modules at run time; the temporary directories are outside the repository, so Node's
// module lookup cannot climb into it either.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, kubectl, loadTestEnv } from './support/index.js';

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

// npm run/npx export npm_config_* (prefix, global, cache...) that would steer the nested npm.
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<Exit>((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? cleanEnv(), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A Node 24 for the installed commands: the one running the tests, or the checkout's devDependency. */
function node24(): string {
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath;
  const local = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(local)) throw new Error('no Node 24: run npm ci');
  return local;
}

describe('npm package: packed, installed globally on a clean prefix, both commands run', function () {
  let dir: string;
  let tarball: string;
  let prefix: string;
  let packed: string[];
  /** PATH for a user who installed into `prefix` and runs Node 24. */
  let userPath: string;

  before(async function () {
    // A tsc build (prepack) and an install of the runtime dependencies from the warm npm cache.
    this.timeout(10 * 60_000);
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-npm-'));

    // A fresh clone, with the work tree's changes: the files git tracks or would track, and the
    // checkout's node_modules for the build tools that prepack uses.
    const clone = join(dir, 'clone');
    const listed = await promisify(execFile)(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    for (const file of listed.stdout.split('\0').filter(Boolean)) {
      if (!existsSync(join(REPO_ROOT, file))) continue; // deleted in the work tree
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      cpSync(join(REPO_ROOT, file), join(clone, file), { verbatimSymlinks: true });
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
    expect(existsSync(join(clone, 'dist')), 'the copy has a dist/').to.equal(false);

    const out = join(dir, 'out');
    mkdirSync(out);
    // prepack runs `npm run build`, which needs tsc from the devDependencies and a Node 24 (the
    // same PATH that `npm run` gives a checkout).
    const buildPath = [join(clone, 'node_modules', '.bin'), process.env.PATH].join(delimiter);
    const pack = await run('npm', ['pack', '--json', '--pack-destination', out], {
      cwd: clone,
      env: { ...cleanEnv(), PATH: buildPath },
    });
    expect(pack.code, pack.stderr).to.equal(0);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(out, info!.filename);
    packed = info!.files.map((f) => f.path);

    prefix = join(dir, 'prefix');
    const install = await run(
      'npm',
      ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
      { cwd: dir },
    );
    expect(install.code, install.stderr).to.equal(0);
    userPath = [join(prefix, 'bin'), dirname(node24()), process.env.PATH].join(delimiter);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds bin/, the built dist/ and crds/, and no sources, tests, bench, maps or test environment', () => {
    expect(packed).to.include.members([
      'package.json',
      'README.md',
      'LICENSE',
      'bin/ecs-scheduler.js',
      'dist/cli/main.js',
      'dist/cli/process-guards.js',
      'crds/ecsscheduledtasks.yaml',
      'crds/ecsschedulerpolicies.yaml',
    ]);
    const unexpected = packed.filter(
      (p) => !/^(package\.json|README\.md|LICENSE|bin\/|dist\/|crds\/)/.test(p),
    );
    expect(unexpected).to.deep.equal([]);
    expect(packed.filter((p) => /\.(ts|map)$/.test(p) && !p.endsWith('.d.ts'))).to.deep.equal([]);
    expect(packed.filter((p) => /(^|\/)(test|bench|src|\.testenv|node_modules)\//.test(p))).to.deep.equal([]);
  });

  it('installs only the runtime dependencies: no devDependency is in the prefix', () => {
    const modules = join(prefix, 'lib', 'node_modules', 'ecs-scheduler', 'node_modules');
    const has = (name: string) => existsSync(join(modules, name, 'package.json'));
    const dev = ['tsx', 'typescript', 'mocha', 'node', 'chai', 'eslint', 'prettier', 'fast-check', 'fengari'];
    expect(dev.filter(has)).to.deep.equal([]);
    expect(['@kubernetes/client-node', '@aws-sdk/client-ecs', 'yaml'].filter(has)).to.have.length(3);
  });

  it('every module of the installed dist/ loads: each import resolves from the package and its dependencies', async function () {
    this.timeout(60_000);
    // The commands below load only the modules their verbs need; this loads all of them.
    const script = join(dir, 'load-all.mjs');
    writeFileSync(
      script,
      `import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const dist = join(process.argv[2], 'dist');
const files = readdirSync(dist, { recursive: true }).filter((f) => f.endsWith('.js'));
const failed = [];
for (const f of files) {
  try { await import(pathToFileURL(join(dist, f)).href); } catch (e) { failed.push(f + ': ' + String(e).split('\\n')[0]); }
}
console.log(JSON.stringify({ loaded: files.length - failed.length, failed }));
process.exit(0);
`,
    );
    const r = await run(node24(), [script, join(prefix, 'lib', 'node_modules', 'ecs-scheduler')], {
      cwd: dir,
    });
    expect(r.code, r.stderr).to.equal(0);
    const { loaded, failed } = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      loaded: number;
      failed: string[];
    };
    expect(failed).to.deep.equal([]);
    expect(loaded).to.equal(packed.filter((p) => p.startsWith('dist/') && p.endsWith('.js')).length);
  });

  it('puts ecs-scheduler on the PATH: --version, --help, and validate on an example', async function () {
    this.timeout(60_000);
    const env = { ...cleanEnv(), PATH: userPath };
    const version = await run('ecs-scheduler', ['--version'], { env, cwd: dir });
    expect(version.code, version.stderr).to.equal(0);
    expect(version.stdout.trim()).to.equal('ecs-scheduler 0.1.0');

    const help = await run('ecs-scheduler', ['--help'], { env, cwd: dir });
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/^Usage: ecs-scheduler <command>/);

    const validate = await run(
      'ecs-scheduler',
      ['validate', join(REPO_ROOT, 'examples', 'nightly-report.yaml')],
      {
        env,
        cwd: dir,
      },
    );
    expect(validate.code, `${validate.stdout}${validate.stderr}`).to.equal(0);
    expect(`${validate.stdout}${validate.stderr}`).to.match(/1 EcsScheduledTask .*checked.* 0 error\(s\)/);
  });

  it('kubectl finds the plugin: kubectl plugin list, kubectl ecs-scheduler --help', async function () {
    this.timeout(60_000);
    const env = { ...cleanEnv(), PATH: userPath };
    const list = await run('kubectl', ['plugin', 'list'], { env, cwd: dir });
    expect(list.stdout).to.include(join(prefix, 'bin', 'kubectl-ecs_scheduler'));

    const help = await run('kubectl', ['ecs-scheduler', '--help'], { env, cwd: dir });
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.include('kubectl ecs-scheduler <command> [flags]');
  });

  it('kubectl ecs-scheduler crd prints both CRDs, which the API server accepts (--dry-run=server)', async function () {
    this.timeout(60_000);
    const env = { ...cleanEnv(), PATH: userPath, KUBECONFIG: loadTestEnv().kubeconfigPath };
    const crd = await run('kubectl', ['ecs-scheduler', 'crd'], { env, cwd: dir });
    expect(crd.code, crd.stderr).to.equal(0);
    const applied = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: crd.stdout,
    });
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.include('ecsscheduledtasks.ecs-scheduler.dev');
    expect(applied.stdout).to.include('ecsschedulerpolicies.ecs-scheduler.dev');
  });

  it("with the machine's own node first on the PATH: runs on Node 24+, and on an older Node says to install Node 24", async function () {
    this.timeout(60_000);
    // The PATH a user has, without this checkout's node_modules/.bin (where npm run puts Node 24).
    const systemPath = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((p) => !p.includes('node_modules'))
      .join(delimiter);
    const env = { ...cleanEnv(), PATH: [join(prefix, 'bin'), systemPath].join(delimiter) };
    const which = await run('node', ['-p', 'process.versions.node'], { env, cwd: dir });
    expect(which.code, `no node on the system PATH: ${which.stderr}`).to.equal(0);
    const major = Number(which.stdout.trim().split('.')[0]);

    const r = await run('ecs-scheduler', ['--version'], { env, cwd: dir });
    if (major >= 24) {
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('ecs-scheduler 0.1.0');
    } else {
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.match(/^ecs-scheduler needs Node\.js 24 or newer, and this is Node\.js v\d+/);
      expect(r.stderr).to.include('Install Node.js 24');
    }
  });
});
