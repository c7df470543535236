// The cluster verbs as users run them: `kubectl ecs-scheduler <verb>` through the kubectl plugin
// bin (bin/ on PATH), against the real API server, with moto serving ECS and CloudWatch Logs.
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { RUN_NOW_ANNOTATION } from '../../src/api/constants.js';
import {
  captureRun,
  customObjects,
  ecsClient,
  EST,
  kubectlOk,
  loadTestEnv,
  REPO_ROOT,
  startController,
  useTestNamespace,
  waitFor,
  type CapturedRun,
} from './support/index.js';
import { createScheduledTask, fargateTask } from './support/scheduled-runs.js';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

const NODE_BIN = join(REPO_ROOT, 'node_modules', '.bin');

/** `kubectl ecs-scheduler ...`: kubectl finds bin/kubectl-ecs_scheduler on PATH. */
function plugin(args: readonly string[], kubeconfig = loadTestEnv().kubeconfigPath): Promise<CapturedRun> {
  const env = loadTestEnv();
  return captureRun('kubectl', ['ecs-scheduler', ...args], {
    env: {
      ...process.env,
      ...env.vars,
      KUBECONFIG: kubeconfig,
      // The plugin's node: the Node 24 of the devDependency first, as on a user's PATH after npm ci.
      PATH: [join(REPO_ROOT, 'bin'), NODE_BIN, process.env.PATH].join(delimiter),
    },
  });
}

function tokenKubeconfig(token: string, namespace: string): string {
  const admin = parseYaml(readFileSync(loadTestEnv().kubeconfigPath, 'utf8')) as {
    clusters: { name: string }[];
  };
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: admin.clusters,
    users: [{ name: 'viewer', user: { token } }],
    contexts: [{ name: 'viewer', context: { cluster: admin.clusters[0]!.name, user: 'viewer', namespace } }],
    'current-context': 'viewer',
  });
}

describe('kubectl ecs-scheduler: trigger, runs, suspend, resume, logs (real API server, moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('cli');
  const suffix = randomBytes(3).toString('hex');
  const name = 'report';
  const family = `cli-report-${suffix}`;
  const group = `/ecs/cli-${suffix}`;
  let taskArn: string;
  let taskId: string;
  let dir: string;

  before(async function () {
    const env = loadTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'cli-verbs-'));
    const ecs = ecsClient(env);
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [
          {
            name: 'app',
            image: 'busybox',
            memory: 128,
            essential: true,
            logConfiguration: {
              logDriver: 'awslogs',
              options: {
                'awslogs-group': group,
                'awslogs-region': env.region,
                'awslogs-stream-prefix': 'report',
              },
            },
          },
        ],
      }),
    );
    const run = await ecs.send(
      new RunTaskCommand({ cluster: env.ecsCluster, taskDefinition: family, launchType: 'EC2', count: 1 }),
    );
    taskArn = run.tasks?.[0]?.taskArn ?? '';
    expect(taskArn, JSON.stringify(run.failures)).to.match(/^arn:aws:ecs:/);
    taskId = taskArn.split('/').at(-1) as string;

    const logs = new CloudWatchLogsClient({
      endpoint: env.awsEndpoint,
      region: env.region,
      credentials: env.credentials,
      maxAttempts: 1,
    });
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(
      new CreateLogStreamCommand({ logGroupName: group, logStreamName: `report/app/${taskId}` }),
    );
    const t0 = Date.now() - 60_000;
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: `report/app/${taskId}`,
        logEvents: ['report started', 'rows: 42', 'report failed: disk full'].map((message, i) => ({
          timestamp: t0 + i * 1000,
          message,
        })),
      }),
    );

    await kubectlOk(['apply', '-f', '-'], {
      input: stringifyYaml({
        apiVersion: 'ecs-scheduler.dev/v1alpha1',
        kind: 'EcsScheduledTask',
        metadata: { name, namespace: ns.name },
        spec: { schedule: '0 3 1 1 *', task: { cluster: env.ecsCluster, taskDefinition: family } },
      }),
    });
    // No controller runs in this suite: the status is written as the controller would write it.
    await customObjects().patchNamespacedCustomObjectStatus(
      {
        ...EST,
        namespace: ns.name,
        name,
        body: {
          status: {
            nextScheduleTime: '2027-01-01T03:00:00Z',
            runs: [
              {
                scheduledTime: '2026-01-01T03:00:00Z',
                launchedAt: '2026-01-01T03:00:01Z',
                finishedAt: '2026-01-01T03:02:31Z',
                result: 'Failed',
                reason: 'EssentialContainerExited',
                message: 'app exited with code 1',
                tasks: [{ taskArn, lastStatus: 'STOPPED', exitCodes: { app: 1 } }],
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl finds the plugin, and --help and --version exit 0', async () => {
    const help = await plugin(['--help']);
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.include('kubectl ecs-scheduler <command>').and.include('trigger');
    const version = await plugin(['--version']);
    expect(version.code).to.equal(0);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout).to.equal(`ecs-scheduler ${pkg.version}\n`);
    const list = await captureRun('kubectl', ['plugin', 'list'], {
      env: { ...process.env, PATH: [join(REPO_ROOT, 'bin'), process.env.PATH].join(delimiter) },
    });
    expect(list.stdout).to.include(join(REPO_ROOT, 'bin', 'kubectl-ecs_scheduler'));
  });

  it('runs prints the history with the exit code, duration and console link', async () => {
    const r = await plugin(['runs', `${ns.name}/${name}`]);
    expect(r.code, r.stderr).to.equal(0);
    const [header, row] = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/ {3,}/));
    expect(header).to.deep.equal([
      'SCHEDULED',
      'RESULT',
      'REASON',
      'TASKS',
      'EXIT CODES',
      'DURATION',
      'CONSOLE',
    ]);
    const env = loadTestEnv();
    expect(row).to.deep.equal([
      '2026-01-01T03:00:00Z',
      'Failed',
      'EssentialContainerExited',
      '1',
      'app=1',
      '2m30s',
      `https://${env.region}.console.aws.amazon.com/ecs/v2/clusters/${env.ecsCluster}/tasks/${taskId}`,
    ]);
    const json = await plugin(['runs', name, '-n', ns.name, '-o', 'json']);
    expect(JSON.parse(json.stdout).runs[0].tasks[0].taskArn).to.equal(taskArn);
  });

  it('logs prints the events of the run from the awslogs stream of its task definition', async () => {
    const env = loadTestEnv();
    const r = await plugin(['logs', `${ns.name}/${name}`, '--endpoint-url', env.awsEndpoint]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('report started\nrows: 42\nreport failed: disk full\n');
    const one = await plugin([
      'logs',
      `${ns.name}/${name}`,
      '--endpoint-url',
      env.awsEndpoint,
      '--run',
      '2026-01-01T03:00:00.000Z',
      '-c',
      'nope',
    ]);
    expect(one.code).to.equal(1);
    expect(one.stderr).to.equal('logs: the task definition has no container "nope" (it has: app)\n');
  });

  it('logs --follow prints lines written while the task runs, and ends when it stops', async () => {
    const env = loadTestEnv();
    const child = spawn(
      'kubectl',
      ['ecs-scheduler', 'logs', `${ns.name}/${name}`, '--follow', '--endpoint-url', env.awsEndpoint],
      {
        env: {
          ...process.env,
          ...env.vars,
          KUBECONFIG: env.kubeconfigPath,
          PATH: [join(REPO_ROOT, 'bin'), NODE_BIN, process.env.PATH].join(delimiter),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitFor('the existing lines', () => stdout.includes('report failed: disk full\n'), 20_000, 100);
      const logs = new CloudWatchLogsClient({
        endpoint: env.awsEndpoint,
        region: env.region,
        credentials: env.credentials,
        maxAttempts: 1,
      });
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: `report/app/${taskId}`,
          logEvents: [{ timestamp: Date.now(), message: 'retrying with more disk' }],
        }),
      );
      await waitFor(
        'the line written while following',
        () => stdout.includes('retrying with more disk\n'),
        20_000,
        100,
      );
      await ecsClient(env).send(
        new StopTaskCommand({ cluster: env.ecsCluster, task: taskArn, reason: 'test' }),
      );
      const code = await Promise.race([
        exited,
        new Promise<string>((r) => setTimeout(() => r('still running'), 20_000)),
      ]);
      expect(code, stderr).to.equal(0);
      expect(stdout).to.equal(
        'report started\nrows: 42\nreport failed: disk full\nretrying with more disk\n',
      );
    } finally {
      if (child.exitCode === null) child.kill();
    }
  });

  it('trigger sets a new run-now annotation by patch, and leaves the rest alone', async () => {
    await kubectlOk(['annotate', 'est', name, '-n', ns.name, 'team=data']);
    const values: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await plugin(['trigger', `${ns.name}/${name}`]);
      expect(r.code, r.stderr).to.equal(0);
      const annotations = JSON.parse(
        await kubectlOk(['get', 'est', name, '-n', ns.name, '-o', 'jsonpath={.metadata.annotations}']),
      ) as Record<string, string>;
      expect(annotations.team).to.equal('data');
      values.push(annotations[RUN_NOW_ANNOTATION] as string);
      expect(r.stdout).to.include(`${RUN_NOW_ANNOTATION}=${values[i]}`);
    }
    expect(values[0]).to.match(/^cli-/);
    expect(values[1]).to.not.equal(values[0]);
  });

  it('suspend and resume flip spec.suspend; trigger refuses while suspended', async () => {
    const suspendField = () =>
      kubectlOk(['get', 'est', name, '-n', ns.name, '-o', 'jsonpath={.spec.suspend}']);
    expect((await plugin(['suspend', `${ns.name}/${name}`])).stdout).to.equal(
      `${ns.name}/${name} suspended\n`,
    );
    expect(await suspendField()).to.equal('true');
    const refused = await plugin(['trigger', `${ns.name}/${name}`]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('is suspended');
    expect((await plugin(['resume', `${ns.name}/${name}`])).stdout).to.equal(`${ns.name}/${name} resumed\n`);
    expect(await suspendField()).to.equal('false');
    expect(await kubectlOk(['get', 'est', name, '-n', ns.name, '-o', 'jsonpath={.spec.schedule}'])).to.equal(
      '0 3 1 1 *',
    );
  });

  it('says not found, and names the missing permission when forbidden', async () => {
    const missing = await plugin(['runs', `${ns.name}/absent`]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal(`runs: ecsscheduledtask "absent" not found in namespace "${ns.name}"\n`);

    await kubectlOk(['create', 'serviceaccount', 'viewer', '-n', ns.name]);
    const token = (await kubectlOk(['create', 'token', 'viewer', '-n', ns.name, '--duration', '1h'])).trim();
    const viewerConfig = join(dir, 'viewer-kubeconfig');
    writeFileSync(viewerConfig, tokenKubeconfig(token, ns.name), { mode: 0o600 });
    // NAME alone: the namespace comes from the viewer context.
    const forbidden = await plugin(['runs', name], viewerConfig);
    expect(forbidden.code).to.equal(1);
    expect(forbidden.stderr).to.match(/^runs: forbidden: .*cannot get resource "ecsscheduledtasks"/);

    await kubectlOk([
      'create',
      'role',
      'est-reader',
      '-n',
      ns.name,
      '--verb=get',
      '--resource=ecsscheduledtasks',
    ]);
    await kubectlOk([
      'create',
      'rolebinding',
      'est-reader',
      '-n',
      ns.name,
      '--role=est-reader',
      `--serviceaccount=${ns.name}:viewer`,
    ]);
    const allowed = await plugin(['runs', name], viewerConfig);
    expect(allowed.code, allowed.stderr).to.equal(0);
    expect(allowed.stdout).to.include('EssentialContainerExited');
    const cannotPatch = await plugin(['suspend', name], viewerConfig);
    expect(cannotPatch.code).to.equal(1);
    expect(cannotPatch.stderr).to.match(/^suspend: forbidden: .*cannot patch resource "ecsscheduledtasks"/);
  });

  it('a run-now by trigger launches within 2 s with the controller running', async () => {
    const controller = await startController(['--namespace', ns.name]);
    try {
      const api = customObjects();
      await createScheduledTask(api, ns.name, 'on-demand', {
        schedule: '0 3 1 1 *',
        task: fargateTask(loadTestEnv()),
      });
      const read = async () =>
        (await api.getNamespacedCustomObject({
          ...EST,
          namespace: ns.name,
          name: 'on-demand',
        })) as EcsScheduledTaskResource;
      await waitFor(
        'the controller to report on on-demand',
        async () => (await read()).status?.nextScheduleTime,
      );
      const r = await plugin(['trigger', `${ns.name}/on-demand`]);
      expect(r.code, r.stderr).to.equal(0);
      const triggeredAt = Date.now();
      const run = await waitFor(
        'the run-now to launch',
        async () => (await read()).status?.runs?.find((x) => x.launchedAt && (x.tasks?.length ?? 0) > 0),
        10_000,
        50,
      );
      const elapsedMs = Date.now() - triggeredAt;
      expect(elapsedMs, `launched after ${elapsedMs} ms`).to.be.below(2000);
      expect(run.tasks?.[0]?.taskArn).to.match(/^arn:aws:ecs:/);

      // --wait returns once the controller has taken the run, and shows it with its console link.
      const waited = await plugin(['trigger', `${ns.name}/on-demand`, '--wait', '--timeout', '20']);
      expect(waited.code, waited.stderr).to.equal(0);
      const lines = waited.stdout.trimEnd().split('\n');
      expect(lines[1]).to.match(/^SCHEDULED +RESULT/);
      expect(lines[2]).to.match(
        / (Running|Succeeded) .* https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/ecs\/v2\/clusters\/.+\/tasks\/\S+/,
      );
    } finally {
      await controller.kill();
    }
  });
});
