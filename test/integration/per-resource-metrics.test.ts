// The per-resource series as Prometheus scrapes them from the real binary (standalone mode):
// ecs_scheduler_last_run_result and ecs_scheduler_last_success_time carry namespace and name, for a
// dry run and for a real run in moto's ECS that succeeds; --per-resource-metrics=false exports
// none of them; a deleted resource leaves no series behind, its retry counter included.
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TAG_RESOURCE } from '../../src/api/constants.js';
import { spawnLogged, type LoggedProcess } from '../support/logged-process.js';
import { REPO_ROOT, ecsClient, loadTestEnv, waitFor } from './support/index.js';
import { stopTasks } from './support/scheduled-runs.js';

const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const BIN = join(REPO_ROOT, 'bin', 'ecs-scheduler.js');

describe('per-resource metrics from the real binary', function () {
  this.timeout(120_000);
  let dir: string;
  let run: LoggedProcess | undefined;

  function writeJob(name: string, schedule: string, cluster = 'default') {
    writeFileSync(
      join(dir, `${name}.yaml`),
      JSON.stringify({
        apiVersion: 'ecs-scheduler.dev/v1alpha1',
        kind: 'EcsScheduledTask',
        metadata: { name, namespace: 'team-a' },
        spec: { schedule, task: { cluster, taskDefinition: 'sleeper-task', launchType: 'EC2' } },
      }),
    );
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-scheduler-metrics-'));
  });
  afterEach(async () => {
    if (run && run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the scheduler on `dir` and returns its metrics port once it runs. */
  async function start(extra: string[]): Promise<number> {
    run = spawnLogged(
      NODE,
      [
        BIN,
        'run',
        '--manifests',
        dir,
        '--state',
        join(dir, 'state.json'),
        '--policy',
        'off',
        '--log-format',
        'json',
        '--metrics-bind-address',
        '127.0.0.1:0',
        '--health-probe-bind-address',
        '127.0.0.1:0',
        ...extra,
      ],
      { cwd: REPO_ROOT },
    );
    const running = await run.waitFor((l) => l.msg === 'running', 20_000, '"running"');
    return Number(running.metricsPort);
  }

  const series = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));

  /** Metrics are reported once the status that explains them is stored: scrape until `ready`. */
  function scrapeUntil(port: number, what: string, ready: (text: string) => boolean): Promise<string> {
    return waitFor(
      what,
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return ready(text) ? text : undefined;
      },
      15_000,
    );
  }

  it('a dry run: the last result series, labelled with namespace and name, at 1 on DryRun', async () => {
    writeJob('every-second', '* * * * * *');
    const port = await start(['--dry-run']);
    await run!.waitFor(
      (l) => l.reason === 'DryRun' && l.resource === 'team-a/every-second',
      15_000,
      'a DryRun run',
    );
    const text = await scrapeUntil(port, 'the last run series', (t) =>
      t.includes('ecs_scheduler_last_run_result{'),
    );
    expect(series(text, 'ecs_scheduler_last_run_result'), text).to.deep.equal([
      'ecs_scheduler_last_run_result{namespace="team-a",name="every-second",result="DryRun"} 1',
    ]);
    expect(series(text, 'ecs_scheduler_next_schedule_time')).to.have.length(1);
  });

  it('a real run in ECS (moto) that succeeds: last result Succeeded, and when it finished as the last success', async () => {
    const env = loadTestEnv();
    // The next whole minute (at most a minute away): a daily schedule that fires once here.
    const next = new Date(Math.ceil((Date.now() + 3_000) / 60_000) * 60_000);
    writeJob('nightly', `${next.getUTCMinutes()} ${next.getUTCHours()} * * *`, env.ecsCluster);
    const port = await start(['--ecs-endpoint', env.awsEndpoint, '--region', env.region]);
    await run!.waitFor(
      (l) => l.reason === 'Launched' && l.resource === 'team-a/nightly',
      90_000,
      'the launch at the next whole minute',
    );
    const ecs = ecsClient(env);
    try {
      const arns = await waitFor(
        'the task in ECS',
        async () => {
          const { taskArns = [] } = await ecs.send(new ListTasksCommand({ cluster: env.ecsCluster }));
          if (taskArns.length === 0) return undefined;
          const { tasks = [] } = await ecs.send(
            new DescribeTasksCommand({ cluster: env.ecsCluster, tasks: taskArns, include: ['TAGS'] }),
          );
          // Only this run's task: other test files share moto's cluster.
          const ours = tasks
            .filter((t) => t.tags?.some((tag) => tag.key === TAG_RESOURCE && tag.value === 'team-a/nightly'))
            .map((t) => t.taskArn!);
          return ours.length ? ours : undefined;
        },
        10_000,
      );
      await stopTasks(ecs, env.ecsCluster, arns);
    } finally {
      ecs.destroy();
    }
    const text = await scrapeUntil(port, 'a Succeeded last run', (t) => t.includes('result="Succeeded"} 1'));
    expect(series(text, 'ecs_scheduler_last_run_result'), text).to.deep.equal([
      'ecs_scheduler_last_run_result{namespace="team-a",name="nightly",result="Succeeded"} 1',
    ]);
    // status.lastSuccessfulTime: when the run finished, so after its scheduled time and by now.
    const [success] = series(text, 'ecs_scheduler_last_success_time');
    expect(success).to.match(/^ecs_scheduler_last_success_time\{namespace="team-a",name="nightly"\} [\d.]+$/);
    expect(Number(success!.split(' ')[1]))
      .to.be.at.least(next.getTime() / 1000)
      .and.at.most(Date.now() / 1000);
  });

  it('a deleted resource whose runs failed and were retried leaves no series of any metric', async () => {
    const env = loadTestEnv();
    // ECS refuses RunTask for a task definition it does not have: LaunchFailed, retried after 1 s.
    writeFileSync(
      join(dir, 'doomed.yaml'),
      JSON.stringify({
        apiVersion: 'ecs-scheduler.dev/v1alpha1',
        kind: 'EcsScheduledTask',
        metadata: { name: 'doomed', namespace: 'team-a' },
        spec: {
          schedule: '* * * * * *',
          retryPolicy: { maxRetries: 1, backoffSeconds: 1 },
          task: { cluster: env.ecsCluster, taskDefinition: 'no-such-task-definition', launchType: 'EC2' },
        },
      }),
    );
    const port = await start(['--ecs-endpoint', env.awsEndpoint, '--region', env.region]);
    const failed = await scrapeUntil(
      port,
      'a retried and a failed run',
      (t) =>
        t
          .split('\n')
          .some((l) => l.startsWith('ecs_scheduler_runs_total{namespace="team-a",name="doomed"')) &&
        t.includes('ecs_scheduler_run_retries_total{namespace="team-a",name="doomed"'),
    );
    expect(series(failed, 'ecs_scheduler_last_run_result').join('\n')).to.contain('name="doomed"');
    rmSync(join(dir, 'doomed.yaml'));
    const text = await scrapeUntil(
      port,
      'no series of the deleted resource',
      (t) => !t.includes('name="doomed"'),
    );
    expect(text).to.contain('ecs_scheduler_run_retries_total');
  });

  it('with --per-resource-metrics=false, exports no series labelled with a resource name', async () => {
    writeJob('every-second', '* * * * * *');
    const port = await start(['--dry-run', '--per-resource-metrics=false']);
    const text = await scrapeUntil(port, 'a recorded run', (t) => t.includes('ecs_scheduler_runs_total{'));
    expect(text).to.not.contain('name="every-second"');
    expect(series(text, 'ecs_scheduler_last_run_result')).to.deep.equal([]);
    expect(text).to.match(/^ecs_scheduler_runs_total\{(namespace="team-a",)?result="DryRun"\} \d+$/m);
  });
});
