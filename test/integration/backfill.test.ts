// EcsTaskBackfill end to end: the real controller binary against the real API server, with ECS
// served by the simulator (short tasks, and a ledger of every RunTask it accepted). A backfill of
// 30 past minutes at maxConcurrent 3 launches each of the 30 times once, under the identity the
// schedule would have given it, never with more than 3 tasks alive at once (their start and stop
// times, from DescribeTasks); a second identical backfill launches nothing; a dry run created with
// `ecs-scheduler backfill --dry-run` launches nothing and lists what it would.
import { DescribeTasksCommand, ECSClient, type Task } from '@aws-sdk/client-ecs';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { expect } from 'chai';
import { join } from 'node:path';
import { API_VERSION, BACKFILL_KIND, BACKFILL_PLURAL, GROUP, VERSION } from '../../src/api/constants.js';
import type { EcsTaskBackfillResource } from '../../src/api/backfill-types.js';
import { startEcsSimulatorServer, type EcsSimulatorServer } from '../support/ecs-simulator/server.js';
import {
  captureRun,
  customObjects,
  kubectlOk,
  loadTestEnv,
  REPO_ROOT,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import { createScheduledTask, eventsFor, startedByFor, waitFor } from './support/scheduled-runs.js';
import { kubeConfig } from './support/kube.js';

const ETB = { group: GROUP, version: VERSION, plural: BACKFILL_PLURAL };
const MINUTE = 60_000;
const TIMES = 30;
const MAX_CONCURRENT = 3;

describe('backfill (controller, API server, ECS simulator)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('backfill');
  const env = loadTestEnv();
  const api = customObjects();
  let simulator: EcsSimulatorServer | undefined;
  let ecs: ECSClient | undefined;
  let controller: ControllerProcess | undefined;
  let uid = '';
  // The last 30 whole minutes, all before the backfill is created.
  const end = Math.floor(Date.now() / MINUTE) * MINUTE;
  const start = end - TIMES * MINUTE;
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

  before(async () => {
    simulator = await startEcsSimulatorServer({
      quotas: 'off',
      region: env.region,
      clusters: ['batch'],
      // About a second per task: 10 waves of 3 fit well inside the test's time.
      lifecycle: { provisioningMs: 100, pendingMs: 100, runningMs: 800 },
      taskDefinitions: [
        {
          family: 'report',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'app', image: 'busybox', essential: true }],
        },
      ],
    });
    ecs = new ECSClient({
      endpoint: simulator.endpoint,
      region: env.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    controller = await startController([
      '--namespace',
      ns.name,
      '--policy',
      'off',
      '--ecs-endpoint',
      simulator.endpoint,
    ]);
    const task = await createScheduledTask(api, ns.name, 'report', {
      schedule: '* * * * *',
      // The schedule itself launches nothing here: every RunTask in the ledger is the backfill's.
      suspend: true,
      task: {
        cluster: 'batch',
        taskDefinition: 'report',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
      },
    });
    uid = task.metadata.uid!;
  });
  after(async () => {
    await controller?.kill('SIGKILL');
    ecs?.destroy();
    await simulator?.close();
  });

  const createBackfill = async (name: string, spec: Record<string, unknown> = {}) =>
    api.createNamespacedCustomObject({
      ...ETB,
      namespace: ns.name,
      body: {
        apiVersion: API_VERSION,
        kind: BACKFILL_KIND,
        metadata: { name, namespace: ns.name },
        spec: { taskRef: { name: 'report' }, start: iso(start), end: iso(end), ...spec },
      },
    });
  const finished = (name: string, timeoutMs: number) =>
    waitFor(
      `${name} Complete or Failed`,
      async () => {
        const b = (await api.getNamespacedCustomObject({
          ...ETB,
          namespace: ns.name,
          name,
        })) as EcsTaskBackfillResource;
        const done = b.status?.conditions?.some(
          (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
        );
        return done ? b : undefined;
      },
      timeoutMs,
    );
  const accepted = () => simulator!.simulator.ledger.entries().filter((e) => e.outcome === 'accepted');

  it('launches the 30 times once each, under their scheduled identities, never more than 3 at once', async () => {
    await createBackfill('last-half-hour', { maxConcurrent: MAX_CONCURRENT });
    const done = await finished('last-half-hour', 90_000);
    expect(done.status).to.include({
      total: TIMES,
      launched: TIMES,
      succeeded: TIMES,
      failed: 0,
      skipped: 0,
      progress: `${TIMES}/${TIMES}`,
    });
    expect(done.status?.conditions?.find((c) => c.type === 'Complete')?.status).to.equal('True');

    const launches = accepted();
    const expected = Array.from({ length: TIMES }, (_, i) => startedByFor(uid, (start + i * MINUTE) / 1000));
    expect(launches.map((e) => e.startedBy).sort()).to.deep.equal([...expected].sort());

    // Every task's life, as ECS reports it: at no instant are more than 3 alive.
    const arns = launches.flatMap((e) => e.taskArns);
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const out = await ecs!.send(
        new DescribeTasksCommand({ cluster: 'batch', tasks: arns.slice(i, i + 100) }),
      );
      tasks.push(...(out.tasks ?? []));
    }
    expect(tasks).to.have.length(TIMES);
    const lives = tasks.map((t) => ({ from: t.createdAt!.getTime(), to: t.stoppedAt!.getTime() }));
    const mostAlive = Math.max(
      ...lives.map(({ from }) => lives.filter((l) => l.from <= from && from < l.to).length),
    );
    expect(mostAlive).to.be.at.most(MAX_CONCURRENT);
    // The window was used, not run one at a time.
    expect(mostAlive).to.equal(MAX_CONCURRENT);

    const reasons = (await eventsFor(kubeConfig(), ns.name, 'last-half-hour')).map((e) => e.reason);
    expect(reasons).to.include('BackfillComplete');

    // kubectl get: DONE as done/total, FAILED, RUNNING, COMPLETE.
    const [header, row] = (await kubectlOk(['get', 'etb', '-n', ns.name, 'last-half-hour']))
      .trimEnd()
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/));
    expect(header).to.deep.equal(['NAME', 'TASK', 'DONE', 'FAILED', 'RUNNING', 'COMPLETE', 'AGE']);
    expect(row!.slice(0, 6)).to.deep.equal(['last-half-hour', 'report', '30/30', '0', '0', 'True']);
  });

  it('a second identical backfill finds every time launched and launches nothing', async () => {
    const before = accepted().length;
    await createBackfill('again', { maxConcurrent: MAX_CONCURRENT });
    const done = await finished('again', 60_000);
    expect(done.status).to.include({
      total: TIMES,
      launched: 0,
      skipped: TIMES,
      progress: `${TIMES}/${TIMES}`,
    });
    expect(accepted()).to.have.length(before);
  });

  it('`ecs-scheduler backfill --dry-run` creates a dry run that lists the times and launches nothing', async () => {
    const before = accepted().length;
    // Ten minutes before the range the first backfill ran: none of them ever launched.
    const r = await captureRun(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'ecs-scheduler.js'),
        'backfill',
        `${ns.name}/report`,
        '--from',
        iso(start - 10 * MINUTE),
        '--to',
        iso(start),
        '--dry-run',
        '--name',
        'look-first',
      ],
      { env: { ...process.env, ...env.vars, KUBECONFIG: env.kubeconfigPath } },
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`ecstaskbackfill ${ns.name}/look-first created (dry run`);
    const done = await finished('look-first', 30_000);
    expect(done.status?.dryRunTimes).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => new Date(start - (10 - i) * MINUTE).toISOString()),
    );
    expect(done.status).to.include({ total: 10, launched: 0 });
    expect(accepted()).to.have.length(before);
    const events = await eventsFor(kubeConfig(), ns.name, 'look-first');
    expect(events.find((e) => e.reason === 'DryRun')?.note).to.contain('would launch 10 of 10 times');
  });

  it('the API server refuses a range that ends before it starts, naming the field, and any edit of the spec', async () => {
    const bad = await createBackfill('backwards', { start: iso(end), end: iso(start) }).then(
      () => '',
      (e: { body?: unknown }) => String(e.body),
    );
    expect(bad).to.contain('spec.end').and.contain('must be after spec.start');
    const edit = await api
      .patchNamespacedCustomObject(
        { ...ETB, namespace: ns.name, name: 'again', body: { spec: { maxConcurrent: 5 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .then(
        () => '',
        (e: { body?: unknown }) => String(e.body),
      );
    expect(edit).to.contain('spec is immutable');
  });
});
