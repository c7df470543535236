// "No unhandled promise rejection ever kills the process": the guards `ecs-scheduler run`
// installs, exercised in a real child process, since the point is what Node does at process level.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

describe('run command crash guards (child process)', function () {
  this.timeout(30_000);

  it('without the guards, Node kills the process on an unhandled rejection (the control case)', () => {
    const r = runChild('--without-guards');
    expect(r.code, r.stderr).to.not.equal(0);
    expect(r.stdout).to.not.include('still alive');
    expect(r.stderr).to.include('boom');
  });

  it('with the guards, an unhandled rejection is logged as an error and the process keeps running', () => {
    const r = runChild();
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('still alive\n');
    const logged = r.logs.find((l) => l.msg === 'unhandled promise rejection');
    expect(logged?.level).to.equal('error');
    expect(logged?.error?.message).to.equal('boom');
  });

  it('with the guards, an exception thrown from a callback is logged and the process keeps running', () => {
    const r = runChild('--throw');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('still alive\n');
    const logged = r.logs.find((l) => l.msg === 'uncaught exception');
    expect(logged?.level).to.equal('error');
    expect(logged?.error?.message).to.equal('bang');
  });
});
