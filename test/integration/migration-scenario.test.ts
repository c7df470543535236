// The old ECS Scheduler's usage guide (doc/USAGE.md of drmonkeysee/ecs-scheduler), replayed
// against the real environment: its jobs go through `ecs-scheduler import` as a user runs it,
// the YAML is applied with kubectl, and the real controller (dist/, a child process) runs them
// against moto's ECS and SQS.
//
// Timing: the imported schedules fire every 3, 5 or 7 minutes, too rarely to wait for. Their
// schedules are checked through status (resolvedSchedule, nextScheduleTime, and `ecs-scheduler
// next` agreeing), and their runs are started with the run-now annotation. Before a resource is
// applied, `ecs-scheduler next` tells when its first fire is; if that falls inside the steps of
// its test, the test waits until it has passed, so no scheduled fire mixes into the counts (and
// each test checks at the end that none did). One consumer is written directly with an
// every-5-seconds schedule, to cover scheduled checks of the trigger (the maxCount cap, top-up).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import type { EcsScheduledTaskResource, RunRecord, Status } from '../../src/api/types.js';
import {
  EST,
  customObjects,
  ecsClient,
  kubectlOk,
  loadTestEnv,
  REPO_ROOT,
  sqsClient,
  startController,
  useTestNamespace,
  type ControllerProcess,
  sleep,
  waitFor,
  captureRun,
  type CapturedRun,
} from './support/index.js';

const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const BIN = join(REPO_ROOT, 'bin', 'ecs-scheduler.js');
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'old-service', 'usage-guide-jobs.json');
const RUN_NOW = 'ecs-scheduler.dev/run-now';

interface OldJob {
  id: string;
  taskDefinition: string;
  schedule: string;
  trigger?: { type: string; queueName: string; messagesPerTask: number };
  [field: string]: unknown;
}

/** `node bin/ecs-scheduler.js ARGS`, as a user runs it. */
function cli(args: readonly string[]): Promise<CapturedRun> {
  return captureRun(NODE, [BIN, ...args]);
}

describe('migration scenario: the old usage guide, imported and run (real API server, moto)', function () {
  this.timeout(120_000);

  let controller: ControllerProcess | undefined;
  after(async () => {
    await controller?.kill('SIGTERM');
  });
  const ns = useTestNamespace('migration');

  const env = loadTestEnv();
  const cluster = env.ecsCluster;
  const ecs = ecsClient(env);
  const sqs: SQSClient = sqsClient(env);
  const api = customObjects();
  let workDir = '';
  let importDir = '';
  const queues: string[] = [];
  const handStarted: string[] = [];
  const uids = new Map<string, string>();
  let importResult: CapturedRun;
  let consumerQueueUrl: string;

  async function createQueue(prefix: string): Promise<{ name: string; url: string }> {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    const out = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    if (!out.QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
    queues.push(out.QueueUrl);
    return { name, url: out.QueueUrl };
  }

  /** SendMessageBatch, 10 messages per call (the SQS limit), a few calls at a time. */
  async function sendMessages(queueUrl: string, count: number): Promise<void> {
    const batches: number[] = [];
    for (let sent = 0; sent < count; sent += 10) batches.push(Math.min(10, count - sent));
    const tag = randomBytes(3).toString('hex');
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const index = next++;
        const out = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Array.from({ length: batches[index]! }, (_, i) => ({
              Id: `m${i}`,
              MessageBody: `work item ${tag}-${index}-${i}`,
            })),
          }),
        );
        if (out.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(out.Failed)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }

  async function getResource(name: string): Promise<EcsScheduledTaskResource> {
    return (await api.getNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      name,
    })) as EcsScheduledTaskResource;
  }

  async function waitForStatus(
    name: string,
    what: string,
    accept: (status: Status) => boolean,
    timeoutMs = 15_000,
  ): Promise<Status> {
    return waitFor(
      `${name}: ${what}`,
      async () => {
        const status = (await getResource(name)).status;
        return status && accept(status) ? status : undefined;
      },
      timeoutMs,
    );
  }

  /** Applies a manifest file with kubectl, as a user would; returns the resource's uid. */
  async function apply(file: string, name: string): Promise<string> {
    await kubectlOk(['apply', '--server-side', '-n', ns.name, '-f', file]);
    const uid = (await getResource(name)).metadata.uid;
    if (!uid) throw new Error(`${name} has no uid`);
    uids.set(name, uid);
    await waitForStatus(name, 'a first status with a resolved schedule', (s) => !!s.resolvedSchedule);
    return uid;
  }

  /**
   * Sets the run-now annotation with kubectl and waits until the controller acted on it. Returns
   * that run (the newest record: the tests keep scheduled fires out of the way).
   */
  async function runNow(name: string, value: string): Promise<{ run: RunRecord; status: Status }> {
    await kubectlOk(['annotate', '--overwrite', '-n', ns.name, 'est', name, `${RUN_NOW}=${value}`]);
    const status = await waitForStatus(name, `run-now "${value}" acted on`, (s) => s.lastRunNow === value);
    const run = status.runs?.[0];
    if (!run) throw new Error(`${name}: no run recorded for run-now "${value}"`);
    return { run, status };
  }

  async function describeTasks(arns: readonly string[]): Promise<Task[]> {
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const out = await ecs.send(
        new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100), include: ['TAGS'] }),
      );
      tasks.push(...(out.tasks ?? []));
    }
    return tasks;
  }

  async function listTasks(filter: { startedBy?: string; family?: string }): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await ecs.send(
        new ListTasksCommand({ cluster, desiredStatus: 'RUNNING', ...filter, nextToken }),
      );
      arns.push(...(out.taskArns ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return arns;
  }

  /** RUNNING tasks launched for a resource, whatever the run: startedBy is `ecss/<uid>/...`. */
  async function ownRunningTasks(name: string): Promise<Task[]> {
    const uid = uids.get(name);
    if (!uid) throw new Error(`${name} was not applied`);
    const tasks = await describeTasks(await listTasks({}));
    return tasks.filter((t) => t.startedBy?.startsWith(`ecss/${uid}/`) && t.lastStatus !== 'STOPPED');
  }

  /** The run's tasks as ECS sees them; checks that they are exactly the tasks of one startedBy. */
  async function tasksOfRun(run: RunRecord): Promise<{ startedBy: string; tasks: Task[] }> {
    const arns = (run.tasks ?? []).map((t) => t.taskArn);
    expect(arns, 'the run recorded tasks').to.have.length.above(0);
    const tasks = await describeTasks(arns);
    expect(tasks).to.have.length(arns.length);
    const startedBy = [...new Set(tasks.map((t) => t.startedBy))];
    expect(startedBy, 'one startedBy per run').to.have.length(1);
    expect(await listTasks({ startedBy: startedBy[0]! }), 'ListTasks by the run startedBy').to.have.members(
      arns,
    );
    return { startedBy: startedBy[0]!, tasks };
  }

  async function stopTasks(arns: readonly string[]): Promise<void> {
    for (const task of arns) {
      await ecs.send(new StopTaskCommand({ cluster, task, reason: 'migration scenario test' }));
    }
  }

  /**
   * Waits, if needed, so that the resource's first scheduled fire (per `ecs-scheduler next` on the
   * imported file) does not fall inside the next `windowMs`.
   */
  async function awayFromScheduledFire(file: string, name: string, windowMs: number): Promise<void> {
    const out = await cli(['next', '-f', file]);
    expect(out.code, out.stderr).to.equal(0);
    const line = out.stdout.split('\n').find((l) => l.startsWith(`${ns.name}/${name}\t`));
    if (!line) throw new Error(`next -f ${file} printed no time for ${name}: ${out.stdout}`);
    const fire = Date.parse(line.split('\t')[1]!);
    const wait = fire - Date.now();
    if (wait > -1000 && wait < windowMs) await sleep(wait + 1500);
  }

  before(async function () {
    this.timeout(60_000);
    workDir = mkdtempSync(join(tmpdir(), 'migration-scenario-'));
    importDir = join(workDir, 'imported');
    // The usage guide's consumer-task reads consumer-task-queue; each run gets a queue of its own.
    const consumerQueue = await createQueue('consumer-task-queue');
    consumerQueueUrl = consumerQueue.url;
    const { jobs } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { jobs: OldJob[] };
    const input = jobs.map((job) =>
      job.trigger ? { ...job, trigger: { ...job.trigger, queueName: consumerQueue.name } } : job,
    );
    const inputFile = join(workDir, 'jobs.json');
    writeFileSync(inputFile, JSON.stringify({ jobs: input }, null, 2));

    // The usage guide's consumer-task names a task definition the environment does not seed.
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'consumer-task',
        containerDefinitions: [
          { name: 'consumer', image: 'busybox', memory: 128, essential: true, command: ['true'] },
        ],
      }),
    );

    importResult = await cli([
      'import',
      inputFile,
      '--namespace',
      ns.name,
      '--cluster',
      cluster,
      '--out',
      importDir,
    ]);
    controller = await startController(['--namespace', ns.name, '--default-cluster', cluster]);
  });

  after(async () => {
    const arns = [...handStarted];
    for (const name of uids.keys()) arns.push(...(await ownRunningTasks(name)).map((t) => t.taskArn!));
    await stopTasks(arns);
    for (const QueueUrl of queues) await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('imports all three jobs of the usage guide, one file each', () => {
    expect(importResult.code, importResult.stderr).to.equal(0);
    expect(importResult.stderr).to.contain('import: converted 3 of 3 job(s)');
    for (const name of ['sleeper-task', 'long-sleep-task', 'consumer-task']) {
      const doc = parseYaml(
        readFileSync(join(importDir, `${name}.yaml`), 'utf8'),
      ) as EcsScheduledTaskResource;
      expect(doc.metadata).to.include({ name, namespace: ns.name });
      expect(doc.spec.concurrencyPolicy).to.equal('TopUp');
      expect(doc.spec.startingDeadlineSeconds).to.equal(3600);
      expect(doc.spec.task).to.include({ cluster });
    }
  });

  it('sleeper-task: "? */5" runs on a stable second that `next` agrees with; run-now launches it', async () => {
    const file = join(importDir, 'sleeper-task.yaml');
    const doc = parseYaml(readFileSync(file, 'utf8')) as EcsScheduledTaskResource;
    expect(doc.spec.schedule).to.equal('? */5 * * * *');
    expect(doc.spec.task.taskDefinition).to.equal('sleeper-task');

    await awayFromScheduledFire(file, 'sleeper-task', 15_000);
    const uid = await apply(file, 'sleeper-task');

    // `?` resolved to a concrete second; the next fire is on that second of a minute divisible by 5.
    const before = Date.now();
    const status = await waitForStatus(
      'sleeper-task',
      'a nextScheduleTime after now',
      (s) => !!s.nextScheduleTime && Date.parse(s.nextScheduleTime) > before,
    );
    const match = /^(\d{1,2}) \*\/5 \* \* \* \*$/.exec(status.resolvedSchedule ?? '');
    expect(match, `resolvedSchedule ${status.resolvedSchedule}`).to.not.equal(null);
    const second = Number(match![1]);
    expect(second).to.be.within(0, 59);
    const next = new Date(status.nextScheduleTime!);
    expect(next.getUTCSeconds()).to.equal(second);
    expect(next.getUTCMinutes() % 5).to.equal(0);
    expect(next.getTime() - before).to.be.at.most(5 * 60_000);
    expect(status.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'True' });

    // The CLI, reading the imported file, computes the same time the controller stored.
    const cliNext = await cli(['next', '-f', file, '--from', new Date(before).toISOString(), '--count', '2']);
    expect(cliNext.code, cliNext.stderr).to.equal(0);
    const times = cliNext.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(times[0]![0]).to.equal(`${ns.name}/sleeper-task`);
    expect(Date.parse(times[0]![1]!)).to.equal(Date.parse(status.nextScheduleTime!));
    expect(Date.parse(times[1]![1]!) - Date.parse(times[0]![1]!)).to.equal(5 * 60_000);

    // Run now: one task of the sleeper-task family, startedBy naming this resource, no overrides.
    const { run, status: after } = await runNow('sleeper-task', 'usage-guide-1');
    expect(run).to.include({ result: 'Running', desiredCount: 1 });
    expect(run.tasks).to.have.length(1);
    const { startedBy, tasks } = await tasksOfRun(run);
    expect(startedBy).to.match(new RegExp(`^ecss/${uid}/now-[0-9a-f]{8}$`));
    expect(tasks[0]!.taskDefinitionArn).to.match(/:task-definition\/sleeper-task:\d+$/);
    expect(tasks[0]!.lastStatus).to.not.equal('STOPPED');
    expect(tasks[0]!.tags).to.deep.include({
      key: 'ecs-scheduler.dev/resource',
      value: `${ns.name}/sleeper-task`,
    });
    const env = (tasks[0]!.overrides?.containerOverrides ?? []).flatMap((c) => c.environment ?? []);
    expect(env).to.deep.equal([]);
    // The second stays the same pass after pass; no scheduled fire came in between.
    expect(after.resolvedSchedule).to.equal(status.resolvedSchedule);
    expect(after.nextScheduleTime).to.equal(status.nextScheduleTime);
    expect(after.lastScheduleTime).to.equal(undefined);
  });

  it('long-sleep-task: its tasks carry SLEEP_SECONDS=10, and TopUp counts only its own tasks', async () => {
    const file = join(importDir, 'long-sleep-task.yaml');
    const doc = parseYaml(readFileSync(file, 'utf8')) as EcsScheduledTaskResource;
    expect(doc.spec.task.taskDefinition).to.equal('sleeper-task');
    expect(doc.spec.task.overrides?.containerOverrides).to.deep.equal([
      { name: 'sleeper-container', environment: [{ name: 'SLEEP_SECONDS', value: '10' }] },
    ]);

    // Tasks of the same family that are not this resource's: two started by hand, and whatever
    // sleeper-task runs. The old service counted the family; TopUp must not count these.
    const hand = await ecs.send(
      new RunTaskCommand({ cluster, taskDefinition: 'sleeper-task', count: 2, startedBy: 'by-hand' }),
    );
    handStarted.push(...(hand.tasks ?? []).map((t) => t.taskArn!));
    expect(handStarted).to.have.length(2);

    await awayFromScheduledFire(file, 'long-sleep-task', 20_000);
    const uid = await apply(file, 'long-sleep-task');
    expect(await listTasks({ family: 'sleeper-task' })).to.have.length.of.at.least(2);

    const first = await runNow('long-sleep-task', 'usage-guide-1');
    expect(first.run).to.include({ result: 'Running', desiredCount: 1 });
    expect(first.run.tasks).to.have.length(1);
    const { startedBy, tasks } = await tasksOfRun(first.run);
    expect(startedBy).to.match(new RegExp(`^ecss/${uid}/now-`));
    expect(tasks[0]!.taskDefinitionArn).to.match(/:task-definition\/sleeper-task:\d+$/);
    expect(tasks[0]!.overrides?.containerOverrides).to.deep.include({
      name: 'sleeper-container',
      environment: [{ name: 'SLEEP_SECONDS', value: '10' }],
    });

    // Its own task still runs: nothing more to launch, however many sleeper-tasks run besides.
    const second = await runNow('long-sleep-task', 'usage-guide-2');
    expect(second.run).to.include({ result: 'Skipped', reason: 'AlreadyRunning', desiredCount: 1 });
    expect(second.run.tasks ?? []).to.have.length(0);
    expect((await ownRunningTasks('long-sleep-task')).map((t) => t.taskArn)).to.deep.equal(
      first.run.tasks!.map((t) => t.taskArn),
    );
    expect(second.status.activeCount).to.equal(1);

    // Once it has stopped, the next run launches one again (the stop is seen before deciding).
    await stopTasks(first.run.tasks!.map((t) => t.taskArn));
    const third = await runNow('long-sleep-task', 'usage-guide-3');
    expect(third.run).to.include({ result: 'Running', desiredCount: 1 });
    expect(third.run.tasks).to.have.length(1);
    const own = await ownRunningTasks('long-sleep-task');
    expect(own.map((t) => t.taskArn)).to.deep.equal(third.run.tasks!.map((t) => t.taskArn));
    expect(own[0]!.overrides?.containerOverrides?.[0]?.environment).to.deep.equal([
      { name: 'SLEEP_SECONDS', value: '10' },
    ]);
    // The hand-started tasks were neither counted nor touched.
    const handTasks = await describeTasks(handStarted);
    expect(handTasks.map((t) => t.lastStatus)).to.not.include('STOPPED');
    expect(third.status.lastScheduleTime).to.equal(undefined);
  });

  it('consumer-task (imported): 0, 1, 100, 250 and 450 messages, topping up what still runs', async () => {
    const file = join(importDir, 'consumer-task.yaml');
    const doc = parseYaml(readFileSync(file, 'utf8')) as EcsScheduledTaskResource;
    expect(doc.spec).to.deep.include({ concurrencyPolicy: 'TopUp', taskCount: 1, maxCount: 10 });
    expect(doc.spec.trigger?.sqs).to.include({ messagesPerTask: 100 });
    expect(doc.spec.trigger?.sqs?.queueName).to.match(/^consumer-task-queue-/);

    await awayFromScheduledFire(file, 'consumer-task', 30_000);
    await apply(file, 'consumer-task');
    const own = async () => (await ownRunningTasks('consumer-task')).map((t) => t.taskArn!);

    // Empty queue: no task.
    const empty = await runNow('consumer-task', 'check-0');
    expect(empty.run).to.include({ result: 'Skipped', reason: 'QueueEmpty', queueDepth: 0, desiredCount: 0 });
    expect(empty.run.tasks ?? []).to.have.length(0);
    expect(await own()).to.have.length(0);

    // 1 message: one task. Stopped again, so the next check starts from none.
    await sendMessages(consumerQueueUrl, 1);
    const one = await runNow('consumer-task', 'check-1');
    expect(one.run).to.include({ result: 'Running', queueDepth: 1, desiredCount: 1 });
    expect((await tasksOfRun(one.run)).tasks).to.have.length(1);
    await stopTasks(await own());

    // 100 messages: still one task.
    await sendMessages(consumerQueueUrl, 99);
    const hundred = await runNow('consumer-task', 'check-100');
    expect(hundred.run).to.include({ result: 'Running', queueDepth: 100, desiredCount: 1 });
    const hundredTasks = (await tasksOfRun(hundred.run)).tasks;
    expect(hundredTasks).to.have.length(1);
    expect(hundredTasks[0]!.taskDefinitionArn).to.match(/:task-definition\/consumer-task:\d+$/);
    await stopTasks(await own());

    // 250 messages: three tasks, left running.
    await sendMessages(consumerQueueUrl, 150);
    const quarter = await runNow('consumer-task', 'check-250');
    expect(quarter.run).to.include({ result: 'Running', queueDepth: 250, desiredCount: 3 });
    expect((await tasksOfRun(quarter.run)).tasks).to.have.length(3);
    expect(await own()).to.have.length(3);

    // 450 messages with three still running: five wanted, two launched, not five more.
    await sendMessages(consumerQueueUrl, 200);
    const topUp = await runNow('consumer-task', 'check-450');
    expect(topUp.run).to.include({ result: 'Running', queueDepth: 450, desiredCount: 5, launchCount: 2 });
    expect(topUp.run.message).to.equal('3 task(s) running, topping up by 2 to 5');
    expect((await tasksOfRun(topUp.run)).tasks).to.have.length(2);
    expect(await own()).to.have.length(5);
    expect(topUp.status.activeCount).to.equal(5);

    // Again: all five still run, so nothing is launched.
    const steady = await runNow('consumer-task', 'check-450-again');
    expect(steady.run).to.include({
      result: 'Skipped',
      reason: 'AlreadyRunning',
      queueDepth: 450,
      desiredCount: 5,
    });
    expect(await own()).to.have.length(5);

    // All stopped: the next check launches the whole five again.
    await stopTasks(await own());
    const restart = await runNow('consumer-task', 'check-450-after-stop');
    expect(restart.run).to.include({ result: 'Running', queueDepth: 450, desiredCount: 5 });
    expect((await tasksOfRun(restart.run)).tasks).to.have.length(5);
    expect(await own()).to.have.length(5);
    expect(restart.status.lastScheduleTime).to.equal(undefined);

    // The depth of the last check is exported per resource.
    const metrics = await (await fetch(`http://127.0.0.1:${controller!.metricsPort}/metrics`)).text();
    expect(metrics).to.match(
      new RegExp(
        `^ecs_scheduler_trigger_queue_depth\\{namespace="${ns.name}",name="consumer-task"\\} 450$`,
        'm',
      ),
    );
  });

  // The guide's case is 5,000 messages at 100 per task: 50 tasks wanted, 10 launched. moto's SQS
  // recomputes every queue attribute, scanning all messages, for each message sent, so filling a
  // queue costs O(depth²): 5,000 messages take minutes. 500 messages at 10 per task is the same
  // arithmetic (50 wanted, capped at 10) in seconds.
  it('consumer on a 5-second schedule: maxCount caps 50 wanted tasks at 10, and checks top up', async () => {
    const queue = await createQueue('consumer-burst');
    await sendMessages(queue.url, 500);
    const name = 'consumer-burst';
    const manifest = {
      apiVersion: 'ecs-scheduler.dev/v1alpha1',
      kind: 'EcsScheduledTask',
      metadata: { name, namespace: ns.name },
      spec: {
        schedule: '*/5 * * * * *',
        concurrencyPolicy: 'TopUp',
        taskCount: 1,
        maxCount: 10,
        trigger: { sqs: { queueName: queue.name, messagesPerTask: 10 } },
        failedRunsHistoryLimit: 20,
        task: { cluster, taskDefinition: 'consumer-task' },
      },
    };
    const file = join(workDir, `${name}.yaml`);
    writeFileSync(file, JSON.stringify(manifest));
    const uid = await apply(file, name);

    const launched = (s: Status) => (s.runs ?? []).filter((r) => (r.tasks?.length ?? 0) > 0);
    // The first scheduled check: 500 messages would want 50 tasks; the cap is 10.
    const first = await waitForStatus(name, 'a first launch', (s) => launched(s).length > 0, 15_000);
    const firstRun = launched(first)[0]!;
    expect(firstRun).to.include({ result: 'Running', queueDepth: 500, desiredCount: 10 });
    const { startedBy, tasks } = await tasksOfRun(firstRun);
    expect(tasks).to.have.length(10);
    const epoch = Date.parse(firstRun.scheduledTime) / 1000;
    expect(epoch % 5).to.equal(0);
    expect(startedBy).to.equal(`ecss/${uid}/${epoch}`);

    // The next check finds the ten still running: nothing launched.
    const skipped = await waitForStatus(name, 'a later check', (s) =>
      (s.runs ?? []).some((r) => Date.parse(r.scheduledTime) > Date.parse(firstRun.scheduledTime)),
    );
    const later = skipped.runs!.filter(
      (r) => Date.parse(r.scheduledTime) > Date.parse(firstRun.scheduledTime),
    );
    for (const run of later) {
      expect(run).to.include({
        result: 'Skipped',
        reason: 'AlreadyRunning',
        queueDepth: 500,
        desiredCount: 10,
      });
    }
    expect(await ownRunningTasks(name)).to.have.length(10);

    // Four stop: the next check launches exactly four.
    await stopTasks(tasks.slice(0, 4).map((t) => t.taskArn!));
    const refilled = await waitForStatus(
      name,
      'a top-up launch',
      (s) => launched(s).some((r) => r.scheduledTime !== firstRun.scheduledTime),
      15_000,
    );
    const topUp = launched(refilled)[0]!;
    expect(Date.parse(topUp.scheduledTime)).to.be.above(Date.parse(firstRun.scheduledTime));
    expect(topUp).to.include({ result: 'Running', queueDepth: 500, desiredCount: 10, launchCount: 4 });
    expect(topUp.message).to.equal('6 task(s) running, topping up by 4 to 10');
    expect((await tasksOfRun(topUp)).tasks).to.have.length(4);
    expect(await ownRunningTasks(name)).to.have.length(10);

    await kubectlOk([
      'patch',
      '-n',
      ns.name,
      'est',
      name,
      '--type',
      'merge',
      '-p',
      '{"spec":{"suspend":true}}',
    ]);
  });
});
