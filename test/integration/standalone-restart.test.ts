// Standalone mode restarted as a container restarts it: the built CLI on one state folder, as two
// pods would share it over a network volume. Each process is given its own host name ($HOSTNAME,
// which a container runtime sets to the pod's name), so the lock cannot check the other's pid and
// must go by its lease: a second process refuses while the first renews, and after the first is
// SIGKILLed (an OOM kill), a new one with yet another host name takes over once the lease expired
// unrenewed, and launches. Also: policies come from --policies; one left in the manifests folder
// is reported and not honoured.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runStandalone } from './support/standalone-process.js';
import { REPO_ROOT } from './support/env.js';

// Short enough for a test; the renewal period leaves the 2 s launch fence margin room.
const LEASE = ['--lease-duration', '6s', '--retry-period', '1s'];

function manifest(name: string, schedule: string): string {
  return JSON.stringify({
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { name, namespace: 'default' },
    spec: { schedule, task: { cluster: 'default', taskDefinition: 'sleeper-task', launchType: 'EC2' } },
  });
}

describe('standalone restarts on a shared state folder (bin/ecs-scheduler.js run, per-process host names)', function () {
  this.timeout(120_000);
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-restart-'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await new Promise((r) => c.once('close', r));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const host = (name: string): NodeJS.ProcessEnv => ({ ...process.env, HOSTNAME: name });

  it('refuses while another host renews the lock; takes over after that host is SIGKILLed and its lease expired', async () => {
    const manifests = join(dir, 'manifests');
    const statePath = join(dir, 'state.json');
    mkdirSync(manifests);
    writeFileSync(join(manifests, 'job.yaml'), manifest('job', '* * * * * *'));

    const first = runStandalone(manifests, statePath, LEASE, host('pod-a'));
    children.push(first.child);
    await first.waitFor((l) => l.msg === 'running', 20_000, 'the first process running');
    await first.waitFor((l) => l.reason === 'DryRun', 10_000, 'a run of the first process');
    const lock = JSON.parse(readFileSync(`${statePath}.lock`, 'utf8')) as { host: string; pid: number };
    expect(lock).to.include({ host: 'pod-a', pid: first.child.pid });

    // A second pod on the same volume while the first runs: it watches, sees a renewal, refuses.
    const second = runStandalone(manifests, statePath, LEASE, host('pod-b'));
    children.push(second.child);
    const { code } = await second.exited;
    expect(code, second.output()).to.equal(1);
    const failed = second.lines.find((l) => /^start-up failed: /.test(l.msg));
    expect(failed?.msg, second.output()).to.match(
      new RegExp(
        `in use by pid ${first.child.pid} on host pod-a.*renewed its lock while this process watched`,
      ),
    );
    expect(second.lines.some((l) => l.reason === 'DryRun')).to.equal(false);
    expect(first.child.exitCode, 'the first one still runs').to.equal(null);

    // The first pod is OOM-killed; the new pod has a new host name and pid namespace.
    first.child.kill('SIGKILL');
    await first.exited;
    const third = runStandalone(manifests, statePath, LEASE, host('pod-c'));
    children.push(third.child);
    const waiting = await third.waitFor(
      (l) => /waiting for its lease/.test(l.msg),
      20_000,
      'the new process waiting for the lease',
    );
    expect((waiting.holder as { host?: string }).host).to.equal('pod-a');
    const took = await third.waitFor(
      (l) => l.msg === 'took over the lock of a process that no longer runs',
      20_000,
      'the takeover',
    );
    expect((took.previous as { pid?: number }).pid).to.equal(first.child.pid);
    await third.waitFor((l) => l.msg === 'running', 20_000, 'the new process running');
    await third.waitFor((l) => l.reason === 'DryRun', 10_000, 'a run of the new process');
    const now = JSON.parse(readFileSync(`${statePath}.lock`, 'utf8')) as { host: string };
    expect(now.host).to.equal('pod-c');
    third.child.kill('SIGTERM');
    expect((await third.exited).code, third.output()).to.equal(0);
  });

  it('does not honour a policy in the manifests folder: the run is denied and the log names --policies', async () => {
    const manifests = join(dir, 'manifests');
    mkdirSync(manifests);
    writeFileSync(join(manifests, 'job.yaml'), manifest('job', '* * * * * *'));
    // A tenant's policy for a namespace no admin policy covers, sorted before everything else.
    writeFileSync(
      join(manifests, '0-grant.yaml'),
      readFileSync(join(REPO_ROOT, 'examples', 'policies', 'policy.yaml'), 'utf8')
        .replace('name: examples', 'name: grant')
        .replace('kubernetes.io/metadata.name: default', 'kubernetes.io/metadata.name: team-x'),
    );
    writeFileSync(
      join(manifests, 'team-x.yaml'),
      manifest('job', '* * * * * *').replace('"namespace":"default"', '"namespace":"team-x"'),
    );
    const run = runStandalone(manifests, join(dir, 'state.json'));
    children.push(run.child);
    const warning = await run.waitFor(
      (l) => /0-grant\.yaml:1: EcsSchedulerPolicy grant is NOT honoured/.test(l.msg),
      20_000,
      'the warning about the policy in the manifests folder',
    );
    expect(warning.msg).to.contain('--policies DIR');
    await run.waitFor(
      (l) => l.reason === 'DryRun' && l.resource === 'default/job',
      15_000,
      'the allowed run',
    );
    await run.waitFor(
      (l) => l.resource === 'team-x/job' && /PolicyDenied|denied/i.test(`${String(l.reason)} ${l.msg}`),
      15_000,
      'team-x denied',
    );
    expect(run.lines.some((l) => l.reason === 'DryRun' && l.resource === 'team-x/job')).to.equal(false);
  });
});
