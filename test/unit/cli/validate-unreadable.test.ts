// `validate` on a folder with entries it cannot read: each is reported with its problem, and the
// readable manifests are still checked. The permission case runs in a child process as an
// unprivileged user when the tests run as root (root reads any file).
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateCommand } from '../../../src/cli/validate-command.js';
import { recordingIo } from '../../support/recording-io.js';

const CLI = fileURLToPath(new URL('../standalone/fixtures/run-cli.ts', import.meta.url));

const good = `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: ok}
spec: {schedule: '@daily', task: {taskDefinition: t}}
`;

describe('ecs-scheduler validate: unreadable entries', () => {
  let base: string;
  let dir: string;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'validate-unreadable-'));
    dir = join(base, 'manifests');
    await mkdir(dir);
    await writeFile(join(dir, 'good.yaml'), good);
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('reports a dangling link, a FIFO, an oversize file and a link out of the folder, and checks the rest', async () => {
    await symlink(join(dir, 'gone.yaml'), join(dir, 'dangling.yaml'));
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    const huge = await open(join(dir, 'huge.yaml'), 'w');
    await huge.truncate(4 * 1024 * 1024);
    await huge.close();
    await writeFile(join(base, 'outside.yaml'), good);
    await symlink(join(base, 'outside.yaml'), join(dir, 'outside.yaml'));
    await writeFile(join(dir, 'zz-bad.yaml'), good.replace("'@daily'", "'0 0 31 2 *'"));

    const io = recordingIo(new Date('2026-11-27T00:00:00Z'));
    expect(await validateCommand([dir], io)).to.equal(1);
    const lines = io.err.trimEnd().split('\n');
    expect(lines).to.include(
      `${join(dir, 'dangling.yaml')}: (unreadable): dangling symbolic link (does not exist)`,
    );
    expect(lines).to.include(`${join(dir, 'pipe.yaml')}: (unreadable): a FIFO, not a regular file`);
    expect(lines).to.include(
      `${join(dir, 'huge.yaml')}: (unreadable): 4194304 bytes, over the 3 MiB limit of a manifest`,
    );
    expect(lines.find((l) => l.startsWith(`${join(dir, 'outside.yaml')}: (unreadable): `))).to.match(
      /symbolic link resolves outside the manifests folder/,
    );
    // The readable ones were checked: the bad schedule is found, the good one passes.
    expect(
      lines.some((l) => l.startsWith(`${join(dir, 'zz-bad.yaml')}:`) && l.includes('spec.schedule')),
    ).to.equal(true);
    expect(lines[lines.length - 1]).to.match(/^2 EcsScheduledTask .*checked, .*5 error\(s\)$/);
  });

  it('reports a file it may not read, and checks the rest', async () => {
    await writeFile(join(dir, 'secret.yaml'), good.replace('name: ok', 'name: secret'));
    await chmod(join(dir, 'secret.yaml'), 0o000);
    // Root reads any file, so run the CLI as nobody when we are root.
    const asNobody = process.getuid?.() === 0;
    if (asNobody) await chmod(base, 0o755);
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'validate', dir], {
      encoding: 'utf8',
      timeout: 30_000,
      ...(asNobody ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.contain(`${join(dir, 'secret.yaml')}: (unreadable): cannot read: permission denied`);
    expect(r.stderr).to.match(/^1 EcsScheduledTask .*checked, .*1 error\(s\)$/m);
  });
});
