import { expect } from 'chai';
import { clusterCommand } from '../../../src/cli/cluster-command.js';
import { FOLLOW_INTERVAL_MS, logsVerb, type LogsDeps } from '../../../src/cli/logs-command.js';
import type { ContainerLogSettings, LogStreamRef } from '../../../src/aws/logs/log-streams.js';
import type {
  LogEvent,
  LogEventSource,
  LogPage,
  TaskFacts,
  TaskLookup,
} from '../../../src/aws/logs/ports.js';
import { recordingIo } from '../../support/recording-io.js';
import { FakeCluster, scheduledTask } from './fake-cluster.js';

const now = new Date('2026-03-01T12:00:00Z');
const TASK_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const TASK_ARN = `arn:aws:ecs:eu-west-1:123456789012:task/prod/${TASK_ID}`;
const OLD_ID = 'aaaabbbbccccddddeeeeffff00001111';
const OLD_ARN = `arn:aws:ecs:eu-west-1:123456789012:task/prod/${OLD_ID}`;
const TASK_DEF = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/report:3';

const awslogs = (name: string, prefix = 'ecs'): ContainerLogSettings => ({
  name,
  logDriver: 'awslogs',
  options: { 'awslogs-group': '/ecs/report', 'awslogs-stream-prefix': prefix },
});

/** ECS and CloudWatch Logs in memory; each read returns at most `pageSize` events. */
class FakeAws implements TaskLookup, LogEventSource {
  readonly tasks = new Map<string, TaskFacts>();
  readonly definitions = new Map<string, ContainerLogSettings[]>([[TASK_DEF, [awslogs('app')]]]);
  readonly streams = new Map<string, LogEvent[]>();
  readonly describedDefinitions: string[] = [];
  pageSize = 2;
  /** Called after each DescribeTasks, so a test can make a task log more or stop. */
  onDescribe: (taskArn: string) => void = () => {};

  async describeTask(task: { taskArn: string }): Promise<TaskFacts | undefined> {
    const facts = this.tasks.get(task.taskArn);
    this.onDescribe(task.taskArn);
    return facts;
  }

  async containerLogSettings(taskDefinition: string): Promise<ContainerLogSettings[]> {
    this.describedDefinitions.push(taskDefinition);
    return this.definitions.get(taskDefinition) ?? [];
  }

  async read(stream: LogStreamRef, _region: string, token?: string): Promise<LogPage> {
    const events = this.streams.get(`${stream.group}|${stream.stream}`);
    if (!events) return { events: [], nextToken: token, missing: true };
    const from = token ? Number(token) : 0;
    const page = events.slice(from, from + this.pageSize);
    return { events: page, nextToken: String(from + page.length) };
  }

  log(stream: string, ...messages: string[]): void {
    const key = `/ecs/report|${stream}`;
    const events = this.streams.get(key) ?? [];
    for (const message of messages)
      events.push({ timestamp: Date.parse('2026-03-01T11:00:05Z') + events.length * 1000, message });
    this.streams.set(key, events);
  }
}

function setup(runs: NonNullable<NonNullable<ReturnType<typeof scheduledTask>['status']>['runs']>) {
  const cluster = new FakeCluster().add(scheduledTask('data', 'report', { status: { runs } }));
  const aws = new FakeAws();
  const sleeps: number[] = [];
  const awsOptions: unknown[] = [];
  const deps: LogsDeps = {
    connect: cluster.connect,
    aws: (options) => {
      awsOptions.push(options);
      return aws;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  const logs = async (...args: string[]) => {
    const io = recordingIo(now);
    const code = await clusterCommand(logsVerb(deps), cluster.connect)(['data/report', ...args], io);
    return { code, out: io.out, err: io.err };
  };
  return { aws, sleeps, awsOptions, logs };
}

const latest = {
  scheduledTime: '2026-03-01T11:00:00Z',
  result: 'Running' as const,
  tasks: [{ taskArn: TASK_ARN }],
};
const earlier = {
  scheduledTime: '2026-03-01T10:00:00Z',
  result: 'Succeeded' as const,
  tasks: [{ taskArn: OLD_ARN }],
};
const missed = {
  scheduledTime: '2026-03-01T11:30:00Z',
  result: 'Missed' as const,
  reason: 'StartingDeadlineExceeded',
};

describe('logs command', () => {
  it('prints the newest launched run from its awslogs stream <prefix>/<container>/<task id>, across pages', async () => {
    const { aws, logs } = setup([missed, latest, earlier]);
    aws.tasks.set(TASK_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'STOPPED' });
    aws.log(`ecs/app/${TASK_ID}`, 'one', 'two', 'three\n');
    aws.log(`ecs/app/${OLD_ID}`, 'old');
    const r = await logs();
    expect(r).to.deep.equal({ code: 0, out: 'one\ntwo\nthree\n', err: '' });
  });

  it('picks the run named by --run, in any spelling of the instant', async () => {
    const { aws, logs } = setup([latest, earlier]);
    aws.tasks.set(OLD_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'STOPPED' });
    aws.log(`ecs/app/${OLD_ID}`, 'old');
    expect((await logs('--run', '2026-03-01T10:00:00.000Z')).out).to.equal('old\n');
  });

  it('prefixes lines with task and container when it reads several streams, and adds --timestamps', async () => {
    const { aws, logs } = setup([latest]);
    aws.definitions.set(TASK_DEF, [awslogs('app'), awslogs('sidecar', 'side')]);
    aws.tasks.set(TASK_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'STOPPED' });
    aws.log(`ecs/app/${TASK_ID}`, 'a');
    aws.log(`side/sidecar/${TASK_ID}`, 's');
    expect((await logs('--timestamps')).out).to.equal(
      `[${TASK_ID}/app] 2026-03-01T11:00:05.000Z a\n[${TASK_ID}/sidecar] 2026-03-01T11:00:05.000Z s\n`,
    );
    expect((await logs('-c', 'sidecar')).out).to.equal('s\n');
  });

  it('follows a running task until it stops, polling at the interval, and keeps the last lines', async () => {
    const { aws, sleeps, logs } = setup([latest]);
    aws.tasks.set(TASK_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'RUNNING' });
    aws.log(`ecs/app/${TASK_ID}`, 'start');
    let describes = 0;
    aws.onDescribe = () => {
      describes++;
      if (describes === 2) aws.log(`ecs/app/${TASK_ID}`, 'working');
      if (describes === 3) {
        aws.log(`ecs/app/${TASK_ID}`, 'done');
        aws.tasks.set(TASK_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'STOPPED' });
      }
    };
    const r = await logs('--follow');
    expect(r.out).to.equal('start\nworking\ndone\n');
    expect(sleeps).to.deep.equal([FOLLOW_INTERVAL_MS, FOLLOW_INTERVAL_MS, FOLLOW_INTERVAL_MS]);
  });

  it('without --follow, reads a running task once', async () => {
    const { aws, sleeps, logs } = setup([latest]);
    aws.tasks.set(TASK_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'RUNNING' });
    aws.log(`ecs/app/${TASK_ID}`, 'start');
    expect((await logs()).out).to.equal('start\n');
    expect(sleeps).to.deep.equal([]);
  });

  it("falls back to the spec's task definition when ECS has forgotten the task, and says so", async () => {
    const { aws, logs } = setup([latest]);
    aws.definitions.set('report:3', [awslogs('app')]);
    aws.log(`ecs/app/${TASK_ID}`, 'still here');
    const r = await logs();
    expect(r.out).to.equal('still here\n');
    expect(r.err).to.include(
      `ECS no longer knows task ${TASK_ID}; reading the log settings of report:3 from the spec`,
    );
    expect(aws.describedDefinitions).to.deep.equal(['report:3']);
  });

  it('passes --region and --endpoint-url to the AWS clients', async () => {
    const { aws, awsOptions, logs } = setup([latest]);
    aws.tasks.set(TASK_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'STOPPED' });
    aws.log(`ecs/app/${TASK_ID}`, 'x');
    await logs('--region', 'us-west-2', '--endpoint-url', 'http://127.0.0.1:5000');
    expect(awsOptions).to.deep.equal([{ region: 'us-west-2', endpoint: 'http://127.0.0.1:5000' }]);
  });

  const failures = [
    { name: 'no runs yet', runs: [], args: [], code: 1, err: 'logs: data/report has no runs yet\n' },
    {
      name: 'no run launched a task',
      runs: [missed],
      args: [],
      code: 1,
      err: 'logs: no recorded run of data/report launched a task (the latest, 2026-03-01T11:30:00Z, is Missed: StartingDeadlineExceeded)\n',
    },
    {
      name: 'an unknown --run',
      runs: [latest],
      args: ['--run', '2026-01-01T00:00:00Z'],
      code: 1,
      err: 'logs: data/report has no run scheduled at 2026-01-01T00:00:00Z; its runs: 2026-03-01T11:00:00Z\n',
    },
    {
      name: 'a --run that is no time',
      runs: [latest],
      args: ['--run', 'yesterday'],
      code: 2,
      err: /--run must be a time/,
    },
    {
      name: 'an unknown container',
      runs: [latest],
      args: ['-c', 'db'],
      code: 1,
      err: 'logs: the task definition has no container "db" (it has: app)\n',
    },
  ];
  for (const c of failures) {
    it(`refuses ${c.name}`, async () => {
      const { aws, logs } = setup(c.runs);
      aws.tasks.set(TASK_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'STOPPED' });
      const r = await logs(...c.args);
      expect(r.code).to.equal(c.code);
      if (typeof c.err === 'string') expect(r.err).to.equal(c.err);
      else expect(r.err).to.match(c.err);
    });
  }

  it('reports containers it cannot read, and fails when none is left', async () => {
    const { aws, logs } = setup([latest]);
    aws.definitions.set(TASK_DEF, [
      { name: 'app', logDriver: 'splunk', options: {} },
      { name: 'side', logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/report' } },
    ]);
    aws.tasks.set(TASK_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'STOPPED' });
    const r = await logs();
    expect(r.code).to.equal(1);
    expect(r.err).to.include(`task ${TASK_ID}: container "app" logs with the splunk driver, not awslogs`);
    expect(r.err).to.include(`container "side" has no awslogs-stream-prefix`);
    expect(r.err).to.include(
      'logs: no container of the run at 2026-03-01T11:00:00Z logs to CloudWatch Logs\n',
    );
  });

  it('notes a stream that does not exist yet', async () => {
    const { aws, logs } = setup([latest]);
    aws.tasks.set(TASK_ARN, { taskDefinitionArn: TASK_DEF, lastStatus: 'STOPPED' });
    const r = await logs();
    expect(r.code).to.equal(0);
    expect(r.err).to.equal(
      `logs: note: log stream ecs/app/${TASK_ID} does not exist in group /ecs/report (yet)\n`,
    );
  });
});
