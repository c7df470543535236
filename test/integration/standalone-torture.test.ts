// Standalone mode under the faults its users meet, with the real binary on the wall clock:
// - the disk fills up under the state file (the process's file-size limit drops below the file's
//   size, so every write fails mid-file with EFBIG as a full disk fails it with ENOSPC), and frees
//   up again: the process keeps running and says why it cannot record, the file on disk stays the
//   last complete one, no temporary file is left behind, no run is reported recorded that is not
//   in the file, and scheduling resumes once the disk has room;
// - the manifests folder is edited while every-second schedules run: half-saved YAML, an invalid
//   spec, a file deleted and restored, a file renamed, a burst of saves. No scheduled time of a
//   resource runs twice, the last good version of a half-saved file keeps running, and the
//   process never stops.
// SIGKILL during state writes is in standalone-run.test.ts and state-file-crash.test.ts.
import { expect } from 'chai';
import { spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStateFile } from '../../src/standalone/state-file.js';
import { reportedRuns, runsIn, runStandalone } from './support/standalone-process.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const inCi = ['1', 'true', 'yes'].includes((process.env.CI ?? '').toLowerCase());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function manifest(name: string, schedule: string, extra: Record<string, unknown> = {}): string {
  return [
    'apiVersion: ecs-scheduler.dev/v1alpha1',
    'kind: EcsScheduledTask',
    'metadata:',
    `  name: ${name}`,
    '  namespace: default',
    'spec:',
    `  schedule: '${schedule}'`,
    '  startingDeadlineSeconds: 30',
    '  successfulRunsHistoryLimit: 100',
    ...Object.entries(extra).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    '  task:',
    '    cluster: default',
    '    taskDefinition: sleeper-task',
    '    launchType: EC2',
    '',
  ].join('\n');
}

const repeated = (keys: readonly string[]) => keys.filter((k, i) => keys.indexOf(k) !== i);

/** Sets the soft file-size limit of a running process (bytes, or 'unlimited'). */
function setFileSizeLimit(pid: number, limit: number | 'unlimited'): void {
  const r = spawnSync('prlimit', ['--pid', String(pid), `--fsize=${limit}:`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prlimit failed: ${r.stderr || r.error?.message}`);
}

describe('standalone mode under faults (real binary): a full disk, a folder edited mid-run', function () {
  this.timeout(120_000);
  let dir: string;
  const children: ChildProcess[] = [];

  before(function () {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    }
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-standalone-torture-'));
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

  it('a full disk: keeps running, keeps the last complete file, records nothing it did not write, resumes', async function () {
    if (spawnSync('prlimit', ['--version']).status !== 0) {
      const reason = 'prlimit (util-linux) is not installed: it lowers a running process file-size limit';
      if (inCi) throw new Error(reason);
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    const manifests = join(dir, 'jobs');
    const statePath = join(dir, 'state.json');
    mkdirSync(manifests);
    const names = Array.from({ length: 5 }, (_, i) => `every-second-${i}`);
    for (const name of names) writeFileSync(join(manifests, `${name}.yaml`), manifest(name, '* * * * * *'));
    const run = runStandalone(manifests, statePath);
    children.push(run.child);
    await run.waitFor((l) => l.msg === 'running', 20_000, '"running"');
    await run.waitFor(() => reportedRuns(run.lines).length >= 10, 15_000, '10 runs recorded');

    // The disk is full: no write that grows a file past 1 KiB succeeds (the state is bigger).
    setFileSizeLimit(run.child.pid!, 1024);
    const fullFrom = run.lines.length;
    await sleep(300); // a write that started before the limit may still complete
    const onDisk = readFileSync(statePath, 'utf8');
    const reportedBefore = reportedRuns(run.lines);
    await sleep(4_000);
    const fullLines = run.lines.slice(fullFrom);
    expect(run.child.exitCode, run.output()).to.equal(null);
    expect(readFileSync(statePath, 'utf8'), 'the file on disk is the last complete one').to.equal(onDisk);
    const stored = runsIn(await readStateFile(statePath));
    const reportedDuring = reportedRuns(run.lines).filter((k) => !reportedBefore.includes(k));
    expect(
      reportedDuring.filter((k) => !stored.has(k)),
      'runs reported recorded while nothing could be written',
    ).to.deep.equal([]);
    const complaint = fullLines.find(
      (l) => /state file/.test(JSON.stringify(l)) && /EFBIG|file too large/i.test(JSON.stringify(l)),
    );
    expect(
      complaint,
      `a log line naming the state file and the cause:\n${run.output().slice(-3000)}`,
    ).to.not.equal(undefined);
    expect(
      readdirSync(dir).filter((n) => n.startsWith('state.json.tmp-')),
      'temporary files left behind',
    ).to.deep.equal([]);

    // Room again: the next writes go through, and scheduling carries on from where it stood.
    const freedAt = Date.now();
    setFileSizeLimit(run.child.pid!, 'unlimited');
    // Every resource, not just the first: each one's failed writes back off on their own clock.
    const resumed = () =>
      new Set(
        reportedRuns(run.lines)
          .filter((k) => Date.parse(k.split('@')[1]!) >= freedAt)
          .map((k) => k.split('@')[0]!.split('/').pop()!),
      );
    await run.waitFor(
      () => names.every((n) => resumed().has(n)),
      20_000,
      'a run of every resource scheduled after the disk had room again',
    );
    run.child.kill('SIGTERM');
    expect((await run.exited).code).to.equal(0);
    const final = await readStateFile(statePath);
    const finalRuns = runsIn(final);
    const reported = reportedRuns(run.lines);
    expect(
      reported.filter((k) => !finalRuns.has(k)),
      'reported recorded, missing from the file',
    ).to.deep.equal([]);
    expect(repeated(reported), 'a scheduled time recorded twice').to.deep.equal([]);
    for (const [key, rec] of Object.entries(final.resources)) {
      // Every second of the full window is accounted for: run late, or counted as missed.
      expect(Date.parse(rec.status?.lastScheduleTime ?? ''), key).to.be.at.least(freedAt - 1_000);
    }
  });

  it('a folder edited mid-run: half-saved, invalid, deleted and restored, renamed, saved in bursts', async () => {
    const manifests = join(dir, 'jobs');
    const statePath = join(dir, 'state.json');
    mkdirSync(manifests);
    const file = (name: string) => join(manifests, `${name}.yaml`);
    for (const name of ['steady', 'half-saved', 'invalid', 'restored', 'renamed', 'bursty']) {
      writeFileSync(file(name), manifest(name, '* * * * * *'));
    }
    const run = runStandalone(manifests, statePath);
    children.push(run.child);
    await run.waitFor((l) => l.msg === 'running', 20_000, '"running"');
    await sleep(2_500);

    // An editor that saved half the file: the resource keeps running on its last good version.
    const full = manifest('half-saved', '* * * * * *');
    writeFileSync(file('half-saved'), full.slice(0, full.indexOf('spec:') + 20));
    // A spec that fails the schema: stalled with a reason, nothing launched for it.
    writeFileSync(file('invalid'), manifest('invalid', '* * * * * *', { taskCount: -3 }));
    // Deleted, then restored a second later: the same identity, so no time runs twice.
    const restored = readFileSync(file('restored'), 'utf8');
    unlinkSync(file('restored'));
    // Renamed: the same resource in another file.
    renameSync(file('renamed'), join(manifests, 'renamed-elsewhere.yaml'));
    // Saved 20 times in quick succession, ending on an every-2-seconds schedule.
    for (let i = 0; i < 20; i++) {
      writeFileSync(file('bursty'), manifest('bursty', i % 2 === 0 ? '*/3 * * * * *' : '* * * * * *'));
      await sleep(25);
    }
    writeFileSync(file('bursty'), manifest('bursty', '*/2 * * * * *'));
    await sleep(1_000);
    writeFileSync(file('restored'), restored);
    const halfSavedFrom = Date.now();
    await sleep(4_000);
    writeFileSync(file('half-saved'), full); // the editor finishes saving
    await sleep(3_000);

    expect(run.child.exitCode, run.output()).to.equal(null);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).to.equal(0);

    const reported = reportedRuns(run.lines);
    expect(repeated(reported), 'a scheduled time of a resource run twice').to.deep.equal([]);
    const times = (key: string) =>
      reported.filter((k) => k.startsWith(`default/${key}@`)).map((k) => Date.parse(k.split('@')[1]!));
    expect(
      times('half-saved').filter((t) => t >= halfSavedFrom).length,
      'the half-saved resource kept running on its last good version',
    ).to.be.at.least(3);
    expect(times('steady').length, 'an untouched resource runs every second').to.be.at.least(10);
    expect(times('renamed').length).to.be.at.least(8);
    const burstyLate = times('bursty').filter((t) => t >= halfSavedFrom);
    expect(burstyLate.length).to.be.at.least(2);
    expect(
      burstyLate.every((t) => (t / 1000) % 2 === 0),
      'the last save (every 2 seconds) is the one that runs',
    ).to.equal(true);
    expect(
      run.lines.some((l) => l.level === 'warn' && /taskCount/.test(l.msg)),
      'the invalid spec is reported with its field',
    ).to.equal(true);

    const state = await readStateFile(statePath);
    const invalid = state.resources['default/invalid']?.status;
    expect(invalid?.conditions?.find((c) => c.type === 'Stalled')?.status).to.equal('True');
    expect(state.resources['default/renamed']?.status?.runs?.length).to.be.at.least(8);
    const stored = runsIn(state);
    expect(
      reported.filter((k) => !stored.has(k)),
      'reported recorded, missing from the file',
    ).to.deep.equal([]);
  });
});
