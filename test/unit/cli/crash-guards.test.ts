// Crash-only: an unhandled rejection or an uncaught exception is logged as the last line and the
// process exits non-zero, in a real child process, since the point is what Node does at process
// level. The same guards run in the real binary: see test/integration/crash-only.test.ts.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EXIT_SOFTWARE } from '../../../src/cli/process-guards.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-guard-child.ts', import.meta.url));

function runChild(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  const logs = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; msg: string; error?: { message?: string } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, logs };
}

describe('crash guards (child process)', function () {
  this.timeout(30_000);

  const cases = [
    { name: 'an unhandled promise rejection', args: [], what: 'unhandled promise rejection', error: 'boom' },
    {
      name: 'an exception thrown from a callback',
      args: ['--throw'],
      what: 'uncaught exception',
      error: 'bang',
    },
  ];
  for (const c of cases) {
    it(`${c.name} is logged as the last line, then the process exits ${EXIT_SOFTWARE}`, () => {
      const r = runChild(...c.args);
      expect(r.code, r.stderr).to.equal(EXIT_SOFTWARE);
      expect(r.stdout, 'it never carried on').to.equal('');
      const last = r.logs[r.logs.length - 1];
      expect(last?.level).to.equal('error');
      expect(last?.msg).to.match(new RegExp(`^${c.what}: exiting`));
      expect(last?.error?.message).to.equal(c.error);
    });
  }

  it('without the guards Node also dies, but with its own trace and no structured line (the control case)', () => {
    const r = runChild('--without-guards');
    expect(r.code, r.stderr).to.not.equal(0);
    expect(r.stdout).to.not.include('still alive');
    expect(r.stderr).to.include('boom');
    expect(r.logs).to.deep.equal([]);
  });
});
