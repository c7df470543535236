// The CLI as a user runs it: `node bin/ecs-scheduler.js <command>` after `npm run build`, with the
// interpreter on the user's PATH. On Node < 24 the entry point hands over to the Node 24 that
// `npm ci` installed, so this also runs it under the machine's own node when that is older.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const BIN = 'bin/ecs-scheduler.js';
const interpreters = [process.execPath, '/usr/bin/node'].filter(
  (p, i, all) => existsSync(p) && all.indexOf(p) === i,
);

function run(node: string, args: string[]) {
  const r = spawnSync(node, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ecs-scheduler binary', function () {
  this.timeout(60_000);
  before(function () {
    if (!existsSync('dist/cli/main.js'))
      throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  });

  for (const node of interpreters) {
    describe(`under ${node}`, () => {
      it('next prints only the instants, one per line, in ISO 8601 UTC', () => {
        const r = run(node, [
          'next',
          '--schedule',
          '30 2 * * *',
          '--time-zone',
          'Europe/Berlin',
          '--from',
          '2026-03-28T12:00:00Z',
          '--count',
          '2',
        ]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal('2026-03-29T01:30:00Z\n2026-03-30T00:30:00Z\n');
      });

      it('next exits non-zero with the reason on stderr and nothing on stdout', () => {
        const r = run(node, ['next', '--schedule', '0 25 * * *']);
        expect(r.code).to.not.equal(0);
        expect(r.stdout).to.equal('');
        expect(r.stderr).to.match(/hour/);
        const zone = run(node, ['next', '--schedule', '@daily', '--time-zone', 'Mars/Olympus']);
        expect(zone.code).to.not.equal(0);
        expect(zone.stderr).to.contain('Mars/Olympus');
      });
    });
  }

  it('crd prints the checked-in CRDs', () => {
    const r = run(process.execPath, ['crd']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal(
      `${readFileSync('crds/ecsscheduledtasks.yaml', 'utf8')}---\n${readFileSync('crds/ecsschedulerpolicies.yaml', 'utf8')}---\n${readFileSync('crds/ecstaskbackfills.yaml', 'utf8')}---\n${readFileSync('crds/ecsschedulecalendars.yaml', 'utf8')}`,
    );
  });

  it('validate accepts the examples', () => {
    const r = run(process.execPath, ['validate', 'examples']);
    expect(r.code, r.stderr).to.equal(0);
  });

  it('an unknown command exits 2 with the usage', () => {
    const r = run(process.execPath, ['frobnicate']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('unknown command "frobnicate"');
  });
});
