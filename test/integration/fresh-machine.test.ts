// What a fresh machine meets: the provisioning scripts of the test peers, run for real with the
// tool they need taken away (PATH, PYTHON or an empty cache), say exactly what to install and exit
// 3; with-testenv turns that into one SKIPPED line, or a failure with CI=true. A filled cache is
// used without asking for anything. (Provisioning itself, moto from PyPI and helm from the Go
// module proxy, is exercised by the suite's own start: with-testenv, helm-chart.test.ts.)
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './support/index.js';

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: REPO_ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('a fresh machine: missing tools are named, with what to install', function () {
  this.timeout(60_000);
  let dir: string;
  /** A PATH with only bash, coreutils and node: no python3, go, kubectl or moto_server. */
  let barePath: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-fresh-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of [
      'bash',
      'mkdir',
      'cat',
      'rm',
      'seq',
      'sleep',
      'date',
      'dirname',
      'mktemp',
      'touch',
      'tr',
    ]) {
      for (const from of [`/usr/bin/${tool}`, `/bin/${tool}`]) {
        try {
          symlinkSync(from, join(bin, tool));
          break;
        } catch {
          /* not there, or already linked */
        }
      }
    }
    symlinkSync(join(REPO_ROOT, 'node_modules', '.bin', 'node'), join(bin, 'node'));
    barePath = bin;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const bare = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    HOME: dir,
    PATH: barePath,
    ECS_SCHEDULER_CACHE: join(dir, 'cache'),
    ...extra,
  });

  const cases: { name: string; script: string; env: NodeJS.ProcessEnv; says: RegExp }[] = [
    {
      name: 'moto-venv without python3',
      script: 'scripts/moto-venv',
      env: {},
      says: /python3 is not installed: install Python 3\.9\+ with its venv module \(Debian\/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python\), or set TESTENV_MOTO_SERVER/,
    },
    {
      name: 'moto-venv with a TESTENV_MOTO_SERVER that is not there',
      script: 'scripts/moto-venv',
      env: { TESTENV_MOTO_SERVER: '/nonexistent/moto_server' },
      says: /TESTENV_MOTO_SERVER=\/nonexistent\/moto_server is not an executable file/,
    },
    {
      name: 'helm-binary without go',
      script: 'scripts/helm-binary',
      env: {},
      says: /go is not installed: install Go 1\.24\+ \(https:\/\/go\.dev\/dl\/\) to build helm v[\d.]+ once, or set HELM_BINARY/,
    },
    {
      name: 'envtest-binaries without go',
      script: 'scripts/envtest-binaries',
      env: { KUBEBUILDER_ASSETS: '' },
      says: /go is not installed/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 3, naming what to install`, async () => {
      const r = await run('bash', [c.script], bare(c.env));
      expect(r.code, r.stderr).to.equal(3);
      expect(r.stdout).to.equal('');
      expect(r.stderr.trim().split('\n').pop()).to.match(c.says);
    });
  }

  it('moto-venv uses a filled cache without python3', async () => {
    const venv = join(dir, 'cache', 'moto-venv', '5.2.1');
    mkdirSync(join(venv, 'bin'), { recursive: true });
    writeFileSync(join(venv, 'bin', 'moto_server'), '#!/bin/sh\n');
    chmodSync(join(venv, 'bin', 'moto_server'), 0o755);
    writeFileSync(join(venv, '.installed'), '');
    const r = await run('bash', ['scripts/moto-venv'], bare());
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal(join(venv, 'bin', 'moto_server'));
    rmSync(join(dir, 'cache'), { recursive: true, force: true });
  });

  const withTestenv: { name: string; ci: boolean; code: number; says: RegExp }[] = [
    {
      name: 'skips the tier with one line',
      ci: false,
      code: 0,
      says: /^with-testenv: integration tests SKIPPED: kubectl is not on PATH: install kubectl \(https:\/\/kubernetes\.io\/docs\/tasks\/tools\/\)/m,
    },
    {
      name: 'with CI=true, fails instead',
      ci: true,
      code: 1,
      says: /^with-testenv: FAILED: integration peers unavailable with CI=true: kubectl is not on PATH: install kubectl/m,
    },
  ];
  for (const c of withTestenv) {
    it(`with-testenv without kubectl ${c.name}`, async () => {
      const r = await run(
        'node',
        ['scripts/with-testenv.js', 'true'],
        bare({ TESTENV_DIR: join(dir, 'testenv'), ...(c.ci ? { CI: 'true' } : {}) }),
      );
      expect(r.code, `${r.stdout}${r.stderr}`).to.equal(c.code);
      expect(`${r.stdout}${r.stderr}`).to.match(c.says);
    });
  }
});
