// Standalone mode end to end, as a user runs it: the built CLI (`node bin/ecs-scheduler.js run
// --manifests DIR --state FILE`) as a child process, no Kubernetes and no AWS.
// - `npm start`'s own command shows dry-run launches at once, and `status` prints them;
// - a crash test: SIGKILL at random moments while every-second schedules keep the state file busy.
//   After every kill the file parses, and every run the process reported as recorded (its DryRun
//   event line is logged only after the status write reached the disk) is in it; nothing that was
//   in the file before a restart goes missing after it. The kill moments come from a logged seed
//   (TEST_SEED replays them);
// - without credentials and without --dry-run it refuses to start, naming both ways out;
// - an edited manifest is picked up while running.
// It lives in the integration tier because it runs the real binary on the wall clock: schedules
// fire every second and the process is killed between and inside their bursts.
import { expect } from 'chai';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStateFile } from '../../src/standalone/state-file.js';
import { spawnLogged } from '../support/logged-process.js';
import { testSeed } from '../support/seeded-random.js';
import { reportedRuns, runsIn, runStandalone } from './support/standalone-process.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'ecs-scheduler.js');
// Node 24 itself, not a wrapper: a SIGKILL must reach the scheduler, not a parent that spawned it.
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const QUIET_PORTS = ['--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '127.0.0.1:0'];

/** Spawns a command from the repository root and collects its JSON log lines. */
function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnLogged(command, args, { cwd: ROOT, env });
}

function status(statePath: string) {
  return spawnSync(NODE, [BIN, 'status', '--state', statePath], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function manifest(name: string, schedule: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule,
      task: { cluster: 'default', taskDefinition: 'sleeper-task', launchType: 'EC2' },
      ...extra,
    },
  });
}

describe('standalone mode, end to end (bin/ecs-scheduler.js run --manifests)', function () {
  this.timeout(120_000);
  let dir: string;
  const children: ChildProcess[] = [];

  before(function () {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    }
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-standalone-'));
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

  it("`npm start`'s command shows a dry-run launch of the heartbeat example within 15 s; status shows it", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const statePath = join(dir, 'state.json');
    expect(pkg.scripts.start).to.contain('--manifests examples').and.contain('--dry-run');
    // As `npm start` runs it: through a shell, with node_modules/.bin first on PATH. Only the
    // state file (kept out of the checkout) and the ports (other runs on this machine) differ.
    const command = `${pkg.scripts.start.replace(/--state \S+/, `--state ${statePath}`)} ${QUIET_PORTS.join(' ')}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`,
    };
    for (const key of Object.keys(env))
      if (key.startsWith('AWS_') || key.startsWith('ECS_SCHEDULER_')) delete env[key];
    const startedAt = Date.now();
    const run = start('bash', ['-c', `exec ${command}`], env);
    children.push(run.child);

    const dryRun = await run.waitFor(
      (l) =>
        l.msg === 'dry run: would call ECS RunTask' &&
        JSON.stringify(l.request).includes('default/heartbeat'),
      15_000,
      'a dry-run RunTask of the heartbeat example',
    );
    const request = dryRun.request as Record<string, unknown>;
    expect(request.taskDefinition).to.equal('sleeper-task');
    expect(request.startedBy).to.match(/^ecss\/[0-9a-f-]+\/\d+$/);
    expect(request.clientToken).to.be.a('string');
    await run.waitFor(
      (l) => l.reason === 'DryRun' && l.resource === 'default/heartbeat',
      5_000,
      'the DryRun record',
    );
    expect(Date.now() - startedAt).to.be.below(15_000);

    run.child.kill('SIGTERM');
    expect((await run.exited).code, run.output()).to.equal(0);

    const r = status(statePath);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^NAMESPACE\/NAME\s+RESOLVED\s+ACTIVE\s+LAST SCHEDULE\s+NEXT\s+LAST RESULT$/m);
    expect(r.stdout).to.match(/^default\/heartbeat\s+\*\/10 \* \* \* \* \*\s+0\s+\S+Z\s+\S+Z\s+DryRun$/m);
    expect(r.stdout).to.match(/^ {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d0Z\s+DryRun\b/m);
  });

  it('a SIGKILL at any moment leaves a readable state file and loses no recorded run', async function () {
    const manifests = join(dir, 'manifests');
    const statePath = join(dir, 'state.json');
    spawnSync('mkdir', [manifests]);
    const RESOURCES = 40;
    for (let i = 0; i < RESOURCES; i++) {
      // The limits keep every run of this test in status.runs, so "lost" cannot hide in trimming.
      writeFileSync(
        join(manifests, `every-second-${i}.yaml`),
        manifest(`every-second-${i}`, '* * * * * *', {
          successfulRunsHistoryLimit: 100,
          failedRunsHistoryLimit: 100,
          startingDeadlineSeconds: 30,
        }),
      );
    }

    const KILLS = 8;
    const random = testSeed('standalone crash test');
    const seeded = (message: string) => `${message} (seed ${random.seed})`;
    let previous = new Set<string>();
    let reportedTotal = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const run = runStandalone(manifests, statePath);
      children.push(run.child);
      await run.waitFor((l) => l.msg === 'running', 20_000, '"running"');
      if (kill % 2 === 0) {
        // At a random moment: mostly between the once-a-second bursts of writes.
        await sleep(1_000 + random.next() * 2_500);
      } else {
        // Inside a burst: in the same tick as the log line that reports a run recorded, while
        // the writes of the other resources due in the same second are in flight.
        await sleep(1_000);
        const after = run.lines.length;
        run.killOn((l, index) => index >= after && l.reason === 'DryRun');
        await Promise.race([run.exited, sleep(5_000)]);
      }
      run.child.kill('SIGKILL');
      const { signal } = await run.exited;
      expect(signal).to.equal('SIGKILL');

      const state = await readStateFile(statePath); // throws if the file is torn or missing
      const stored = runsIn(state);
      const reported = reportedRuns(run.lines);
      expect(
        reported.length,
        seeded(`kill ${kill}: the process recorded nothing before the kill`),
      ).to.be.above(0);
      reportedTotal += reported.length;
      const lost = reported.filter((k) => !stored.has(k));
      expect(lost, seeded(`kill ${kill}: runs reported as recorded but not in the state file`)).to.deep.equal(
        [],
      );
      const dropped = [...previous].filter((k) => !stored.has(k));
      expect(dropped, seeded(`kill ${kill}: runs that were in the state file before this run`)).to.deep.equal(
        [],
      );
      previous = stored;
      // `status` reads the file after a crash as well.
      const r = status(statePath);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('default/every-second-0');
    }
    expect(reportedTotal).to.be.above(KILLS * RESOURCES);
    // Temporary files a kill left behind are removed by the next start; at most the last kill's remain.
    const leftovers = readdirSync(dir).filter((n) => n.startsWith('state.json.tmp-'));
    expect(leftovers.length).to.be.at.most(1);
  });

  it('without AWS credentials and without --dry-run, exits non-zero naming both options, no stack trace', async () => {
    writeFileSync(join(dir, 'job.yaml'), manifest('job', '@daily'));
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('AWS_') && !key.startsWith('ECS_SCHEDULER_')) env[key] = value;
    }
    Object.assign(env, {
      HOME: dir, // no ~/.aws either
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
    });
    const run = start(
      NODE,
      [
        BIN,
        'run',
        '--manifests',
        dir,
        '--state',
        join(dir, 'state.json'),
        '--log-format',
        'json',
        ...QUIET_PORTS,
      ],
      env,
    );
    children.push(run.child);
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
    const { code, signal } = await run.exited;
    clearTimeout(timer);
    const out = run.output();
    expect(signal, `still running after 30 s:\n${out}`).to.equal(null);
    expect(code).to.not.equal(0);
    expect(out).to.match(/credentials/i);
    expect(out).to.contain('--dry-run');
    expect(out, 'a stack trace').to.not.match(/^\s+at .+:\d+:\d+\)?$/m);
    expect(run.lines.some((l) => l.msg === 'running')).to.equal(false);
    expect(existsSync(join(dir, 'state.json')), 'no state written').to.equal(false);
  });

  it('re-reads the folder: an edited manifest and a new file are picked up while running', async () => {
    const statePath = join(dir, 'state.json');
    const manifests = join(dir, 'jobs');
    spawnSync('mkdir', [manifests]);
    writeFileSync(join(manifests, 'job.yaml'), manifest('job', '0 0 1 1 *'));
    const run = runStandalone(manifests, statePath);
    children.push(run.child);
    await run.waitFor((l) => l.msg === 'running', 20_000, '"running"');
    await sleep(500);
    expect(run.lines.some((l) => l.reason === 'DryRun')).to.equal(false);

    writeFileSync(join(manifests, 'job.yaml'), manifest('job', '*/2 * * * * *'));
    await run.waitFor(
      (l) => l.reason === 'DryRun' && l.resource === 'default/job',
      15_000,
      'a DryRun run of the edited schedule',
    );
    writeFileSync(join(manifests, 'another.yaml'), manifest('another', '*/2 * * * * *'));
    await run.waitFor(
      (l) => l.reason === 'DryRun' && l.resource === 'default/another',
      15_000,
      'a DryRun run of the new file',
    );
    run.child.kill('SIGTERM');
    expect((await run.exited).code).to.equal(0);
    const state = await readStateFile(statePath);
    expect(state.resources['default/job']?.generation).to.equal(2);
    expect(state.resources['default/job']?.status?.resolvedSchedule).to.equal('*/2 * * * * *');
  });
});
