// The simulator over HTTP, judged by the real AWS SDK client: if the SDK parses what it sends, the
// protocol is right.
import {
  ConflictException,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  paginateListTasks,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { expect } from 'chai';
import { mapAwsError } from '../../../src/aws/aws-errors.js';
import { ThrottledError } from '../../../src/controller/errors.js';
import { startEcsSimulatorServer, type EcsSimulatorServer } from '../../support/ecs-simulator/server.js';
import { CLUSTER, ManualClock, scriptedRandom } from './support.js';

async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** Yields to the event loop until `probe` holds; no timer, so no wall-time sleep. */
async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !probe(); i++) await new Promise((r) => setImmediate(r));
  if (!probe()) throw new Error('condition never held');
}

describe('ECS simulator over HTTP, with the AWS SDK', () => {
  let server: EcsSimulatorServer;
  let ecs: ECSClient;
  let clock: ManualClock;
  const delays: number[] = [];

  beforeEach(async () => {
    clock = new ManualClock();
    delays.length = 0;
    server = await startEcsSimulatorServer({
      now: clock.now,
      random: scriptedRandom([]),
      quotas: 'off',
      clusters: [CLUSTER],
      delay: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    ecs = new ECSClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'app',
        containerDefinitions: [
          { name: 'main', image: 'busybox', essential: true },
          { name: 'sidecar', image: 'busybox', essential: false },
        ],
      }),
    );
  });

  afterEach(async () => {
    ecs.destroy();
    await server.close();
  });

  it('runs, describes, lists and stops tasks', async () => {
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: CLUSTER,
        taskDefinition: 'app',
        count: 2,
        startedBy: 'ecss/u/1',
        tags: [{ key: 'team', value: 'a' }],
        overrides: { containerOverrides: [{ name: 'main', command: ['echo', 'hi'] }] },
      }),
    );
    expect(run.tasks).to.have.length(2);
    const arns = run.tasks!.map((t) => t.taskArn!);
    expect(arns[0]).to.match(/^arn:aws:ecs:us-east-1:123456789012:task\/c1\/[0-9a-f]{32}$/);
    expect(run.tasks![0]!.createdAt).to.be.instanceOf(Date);
    expect(run.tasks![0]!.createdAt!.getTime()).to.equal(clock.ms);
    clock.advance(2_000);

    const described = await ecs.send(
      new DescribeTasksCommand({
        cluster: CLUSTER,
        tasks: [...arns, 'arn:aws:ecs:us-east-1:123456789012:task/c1/unknown'],
        include: ['TAGS'],
      }),
    );
    expect(described.tasks!.map((t) => [t.lastStatus, t.startedBy, t.tags])).to.deep.equal([
      ['RUNNING', 'ecss/u/1', [{ key: 'team', value: 'a' }]],
      ['RUNNING', 'ecss/u/1', [{ key: 'team', value: 'a' }]],
    ]);
    expect(described.tasks![0]!.overrides?.containerOverrides).to.deep.equal([
      { name: 'main', command: ['echo', 'hi'] },
    ]);
    expect(described.failures).to.deep.equal([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:task/c1/unknown', reason: 'MISSING' },
    ]);

    const stopped = await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: arns[0], reason: 'test' }));
    expect(stopped.task).to.include({
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'test',
    });
    const running = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, startedBy: 'ecss/u/1' }));
    const stoppedList = await ecs.send(
      new ListTasksCommand({ cluster: CLUSTER, startedBy: 'ecss/u/1', desiredStatus: 'STOPPED' }),
    );
    expect(running.taskArns).to.deep.equal([arns[1]]);
    expect(stoppedList.taskArns).to.deep.equal([arns[0]]);
  });

  it('pages ListTasks with nextToken, and the SDK paginator follows it', async () => {
    for (let i = 0; i < 5; i++)
      await ecs.send(
        new RunTaskCommand({
          cluster: CLUSTER,
          taskDefinition: 'app',
          count: 10,
          startedBy: i % 2 ? 'odd' : 'even',
        }),
      );
    const first = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, maxResults: 7 }));
    expect(first.taskArns).to.have.length(7);
    expect(first.nextToken).to.be.a('string');
    const pages: number[] = [];
    const all: string[] = [];
    for await (const page of paginateListTasks(
      { client: ecs, pageSize: 20 },
      { cluster: CLUSTER, startedBy: 'even' },
    )) {
      pages.push(page.taskArns!.length);
      all.push(...page.taskArns!);
    }
    expect(pages).to.deep.equal([20, 10]);
    expect(new Set(all).size).to.equal(30);
    const family = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, family: 'other' }));
    expect(family.taskArns).to.deep.equal([]);
    const bad = await rejection(ecs.send(new ListTasksCommand({ cluster: CLUSTER, nextToken: 'garbage' })));
    expect(bad.name).to.equal('InvalidParameterException');
  });

  it('describes a task definition by family, family:revision and ARN', async () => {
    for (const ref of ['app', 'app:1', 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:1']) {
      const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
      expect(out.taskDefinition).to.include({ family: 'app', revision: 1, status: 'ACTIVE' });
      expect(out.taskDefinition!.containerDefinitions!.map((c) => [c.name, c.essential])).to.deep.equal([
        ['main', true],
        ['sidecar', false],
      ]);
    }
  });

  const errors: {
    name: string;
    send: (c: ECSClient) => Promise<unknown>;
    expected: { name: string; status: number; fault: string };
  }[] = [
    {
      name: 'a missing cluster',
      send: (c) => c.send(new RunTaskCommand({ cluster: 'nope', taskDefinition: 'app' })),
      expected: { name: 'ClusterNotFoundException', status: 400, fault: 'client' },
    },
    {
      name: 'a missing task definition',
      send: (c) => c.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope' })),
      expected: { name: 'ClientException', status: 400, fault: 'client' },
    },
    {
      name: 'RunTask of a missing task definition',
      send: (c) => c.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'nope:3' })),
      expected: { name: 'ClientException', status: 400, fault: 'client' },
    },
    {
      name: 'a count of 11',
      send: (c) => c.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'app', count: 11 })),
      expected: { name: 'InvalidParameterException', status: 400, fault: 'client' },
    },
  ];
  for (const c of errors) {
    it(`answers ${c.name} with the error the SDK models`, async () => {
      const err = await rejection(c.send(ecs));
      expect(err.name).to.equal(c.expected.name);
      expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).to.equal(c.expected.status);
      expect(err.$fault).to.equal(c.expected.fault);
      expect(err.message).to.be.a('string').and.not.equal('');
    });
  }

  it('ConflictException carries resourceIds as the SDK models them', async () => {
    const input = { cluster: CLUSTER, taskDefinition: 'app', clientToken: 'tok', startedBy: 's' };
    const first = await ecs.send(new RunTaskCommand(input));
    const err = await rejection(ecs.send(new RunTaskCommand({ ...input, count: 2 })));
    expect(err).to.be.instanceOf(ConflictException);
    expect((err as unknown as ConflictException).resourceIds).to.deep.equal([first.tasks![0]!.taskArn]);
  });

  it('ThrottlingException and ServerException are what the SDK and our adapter retry', async () => {
    server.simulator.setFaults({ throttleRate: 1 });
    const throttledErr = await rejection(ecs.send(new ListTasksCommand({ cluster: CLUSTER })));
    expect(throttledErr.name).to.equal('ThrottlingException');
    expect((throttledErr.$metadata as { httpStatusCode: number }).httpStatusCode).to.equal(400);
    expect(mapAwsError('ECS ListTasks', throttledErr)).to.be.instanceOf(ThrottledError);
    server.simulator.setFaults({ serverErrorRate: 1 });
    const serverErr = await rejection(ecs.send(new ListTasksCommand({ cluster: CLUSTER })));
    expect(serverErr.name).to.equal('ServerException');
    expect(serverErr.$fault).to.equal('server');
    expect((serverErr.$metadata as { httpStatusCode: number }).httpStatusCode).to.equal(500);
  });

  it('records in the ledger which access key signed each RunTask, so tests can tell processes apart', async () => {
    const other = new ECSClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'replica-b', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    try {
      await ecs.send(
        new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'app', startedBy: 'a', clientToken: 'a' }),
      );
      await other.send(
        new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'app', startedBy: 'a', clientToken: 'a' }),
      );
    } finally {
      other.destroy();
    }
    expect(server.simulator.ledger.entries().map((e) => [e.caller, e.outcome])).to.deep.equal([
      ['x', 'accepted'],
      ['replica-b', 'replay'],
    ]);
  });

  it('adds the configured latency before answering', async () => {
    server.simulator.setFaults({ latencyMs: 250 });
    await ecs.send(new ListTasksCommand({ cluster: CLUSTER }));
    expect(delays).to.deep.equal([250]);
  });

  it('a black hole holds the call open until the client gives up', async () => {
    server.simulator.setFaults({ blackHoleRate: 1 });
    const abort = new AbortController();
    const call = rejection(
      ecs.send(new ListTasksCommand({ cluster: CLUSTER }), { abortSignal: abort.signal }),
    );
    await until(() => server.heldCalls() === 1);
    abort.abort();
    expect((await call).name).to.match(/Abort/);
    await until(() => server.heldCalls() === 0);
  });

  describe('control API', () => {
    const control = (method: string, path: string, body?: unknown) =>
      fetch(new URL(path, server.endpoint), {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    it('sets faults, reports stats and the ledger, and resets', async () => {
      const put = await control('PUT', '/_sim/faults', { serverErrorRate: 1, operations: ['StopTask'] });
      expect(put.status).to.equal(200);
      expect(await put.json()).to.include({ serverErrorRate: 1 });
      await ecs.send(
        new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'app', startedBy: 'a', clientToken: 'a' }),
      );
      await ecs.send(
        new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'app', startedBy: 'a', clientToken: 'a' }),
      );
      await ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'app', startedBy: 'a' }));
      const ledger = (await (await control('GET', '/_sim/ledger?entries=0&runs=1')).json()) as {
        report: Record<string, unknown>;
        runs: unknown[];
        entries?: unknown;
      };
      expect(ledger.report).to.include({ accepted: 2, replays: 1, duplicates: 1 });
      expect(ledger.runs).to.have.length(1);
      expect(ledger.entries).to.equal(undefined);
      const stats = (await (await control('GET', '/_sim/stats')).json()) as {
        operations: Record<string, { calls: number }>;
      };
      expect(stats.operations.RunTask!.calls).to.equal(3);
      expect((await control('POST', '/_sim/reset')).status).to.equal(200);
      const after = (await (await control('GET', '/_sim/ledger')).json()) as {
        report: { accepted: number };
        entries: unknown[];
      };
      expect(after.report.accepted).to.equal(0);
      expect(after.entries).to.deep.equal([]);
      expect(await (await control('GET', '/_sim/faults')).json()).to.include({ serverErrorRate: 0 });
    });

    it('lists the injected faults with the startedBy and clientToken they struck', async () => {
      await control('PUT', '/_sim/faults', { serverErrorRate: 1, operations: ['RunTask'] });
      await rejection(
        ecs.send(
          new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'app', startedBy: 'b', clientToken: 'tb' }),
        ),
      );
      await ecs.send(new ListTasksCommand({ cluster: CLUSTER }));
      const log = (await (await control('GET', '/_sim/fault-log?operation=RunTask')).json()) as {
        report: { total: number };
        entries: Record<string, unknown>[];
      };
      expect(log.report.total).to.be.at.least(1);
      expect(log.entries.at(-1)).to.include({
        operation: 'RunTask',
        fault: 'serverError',
        startedBy: 'b',
        clientToken: 'tb',
      });
      expect((await control('GET', '/_sim/fault-log?since=soon')).status).to.equal(400);
      await control('PUT', '/_sim/faults', {});
    });

    const bad: { name: string; method: string; path: string; body: unknown; message: RegExp }[] = [
      {
        name: 'a fault with a bad share',
        method: 'PUT',
        path: '/_sim/faults',
        body: { throttleRate: 7 },
        message: /^faults\.throttleRate:/,
      },
      {
        name: 'a lifecycle with a bad field',
        method: 'PUT',
        path: '/_sim/lifecycle',
        body: { runningMs: 'long' },
        message: /^lifecycle\.runningMs:/,
      },
      {
        name: 'quotas with a bad bucket',
        method: 'PUT',
        path: '/_sim/quotas',
        body: { nope: {} },
        message: /^quotas\.nope:/,
      },
      {
        name: 'a ledger query with a bad tasksPerRun',
        method: 'GET',
        path: '/_sim/ledger?tasksPerRun=0',
        body: undefined,
        message: /^tasksPerRun:/,
      },
    ];
    for (const c of bad) {
      it(`refuses ${c.name} with 400 naming the field, and changes nothing`, async () => {
        const before = await (await control('GET', '/_sim/faults')).json();
        const res = await control(c.method, c.path, c.body);
        expect(res.status).to.equal(400);
        expect(((await res.json()) as { error: string }).error).to.match(c.message);
        expect(await (await control('GET', '/_sim/faults')).json()).to.deep.equal(before);
      });
    }
  });
});
