// Proves the integration environment is the real thing: a kube-apiserver that enforces our CRD's
// schema, CEL rules and status subresource, and a moto whose ECS runs and stops tasks.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeTasksCommand,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ApiextensionsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parseAllDocuments, stringify } from 'yaml';
import { API_VERSION, KIND, PLURAL, GROUP } from '../../src/api/constants.js';
import {
  EST,
  REPO_ROOT,
  apiMessage,
  customObjects,
  ecsClient,
  httpStatus,
  kubeConfig,
  kubectl,
  loadTestEnv,
  resetEcsTaskTransition,
  setEcsTaskTransition,
  sqsClient,
  useTestNamespace,
} from './support/index.js';

type Manifest = Record<string, unknown> & { metadata: { name: string; namespace?: string } };

const CRD_NAME = `${PLURAL}.${GROUP}`;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function validTask(name: string, namespace: string): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace },
    spec: {
      schedule: '*/5 * * * *',
      taskCount: 1,
      task: { cluster: 'default', taskDefinition: 'sleeper-task', launchType: 'EC2' },
    },
  };
}

/** validTask with `edit` applied to a deep copy of its spec. */
function withSpec(namespace: string, edit: (spec: Record<string, unknown>) => void): Manifest {
  const m = structuredClone(validTask('malformed', namespace));
  edit(m.spec as Record<string, unknown>);
  return m;
}

describe('integration environment', function () {
  const ns = useTestNamespace('environment');

  describe('the CRD', function () {
    it('is installed, Established and NamesAccepted', async function () {
      const api = kubeConfig().makeApiClient(ApiextensionsV1Api);
      const crd = await api.readCustomResourceDefinition({ name: CRD_NAME });
      const status = (type: string) => crd.status?.conditions?.find((c) => c.type === type)?.status;
      expect(status('Established')).to.equal('True');
      expect(status('NamesAccepted')).to.equal('True');
      expect(crd.spec.versions.map((v) => v.name)).to.include('v1alpha1');
    });

    it('is served to kubectl under its short name: `kubectl get est -A`', async function () {
      const r = await kubectl(['get', 'est', '-A']);
      expect(r.code, r.stderr).to.equal(0);
      const r2 = await kubectl(['get', 'ecsst', '-n', ns.name, '-o', 'name']);
      expect(r2.code, r2.stderr).to.equal(0);
    });
  });

  describe('examples/', function () {
    const dir = join(REPO_ROOT, 'examples');
    // The examples' policy sits in its own folder, as standalone mode's --policies reads it.
    const files = ['.', 'policies'].flatMap((sub) =>
      readdirSync(join(dir, sub))
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(sub, f)),
    );

    it('has examples to check', function () {
      expect(files.length).to.be.greaterThan(0);
    });

    for (const file of files) {
      it(`${file} applies with kubectl apply --dry-run=server`, async function () {
        const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map(
          (d) => d.toJS() as Manifest | null,
        );
        const manifests = docs.filter((d): d is Manifest => d !== null);
        expect(manifests.length, file).to.be.greaterThan(0);
        // The examples name `default`; each test file gets a namespace of its own.
        const input = manifests
          .map((m) => stringify({ ...m, metadata: { ...m.metadata, namespace: ns.name } }))
          .join('---\n');
        const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input });
        expect(r.code, `${file}: ${r.stderr}`).to.equal(0);
        expect(r.stdout).to.contain('(server dry run)');
      });
    }
  });

  describe('malformed manifests are rejected by the API server, naming the field', function () {
    const cases: { name: string; edit: (spec: Record<string, unknown>) => void; expect: string[] }[] = [
      {
        name: 'schema: taskCount below its minimum',
        edit: (s) => (s.taskCount = 0),
        expect: ['spec.taskCount', 'greater than or equal to 1'],
      },
      {
        name: 'schema: task.taskDefinition missing',
        edit: (s) => delete (s.task as Record<string, unknown>).taskDefinition,
        expect: ['spec.task.taskDefinition', 'Required value'],
      },
      {
        name: 'CEL: neither schedule nor schedules',
        edit: (s) => delete s.schedule,
        expect: ['spec.schedules', 'exactly one of schedule and schedules must be set'],
      },
      {
        name: 'schema: concurrencyPolicy not in its enum',
        edit: (s) => (s.concurrencyPolicy = 'Sometimes'),
        expect: ['spec.concurrencyPolicy', 'Unsupported value', '"Sometimes"'],
      },
      {
        name: 'schema: task.launchType not in its enum',
        edit: (s) => ((s.task as Record<string, unknown>).launchType = 'LAMBDA'),
        expect: ['spec.task.launchType', 'Unsupported value'],
      },
      {
        name: 'strict field validation: an unknown (misspelt) field',
        edit: (s) => (s.tasCount = 2),
        expect: ['unknown field', 'spec.tasCount'],
      },
      {
        name: 'CEL: maxCount below taskCount',
        edit: (s) => Object.assign(s, { taskCount: 5, maxCount: 2 }),
        expect: ['spec', 'maxCount must be greater than or equal to taskCount'],
      },
      {
        name: 'CEL: maxCount below the default taskCount of 1 is caught by the schema minimum',
        edit: (s) => Object.assign(s, { maxCount: 0 }),
        expect: ['spec.maxCount', 'greater than or equal to 1'],
      },
      {
        name: 'CEL: endTime not after startTime',
        edit: (s) => Object.assign(s, { startTime: '2027-01-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z' }),
        expect: ['spec', 'endTime must be after startTime'],
      },
      {
        name: 'CEL: launchType together with capacityProviderStrategy',
        edit: (s) =>
          ((s.task as Record<string, unknown>).capacityProviderStrategy = [
            { capacityProvider: 'FARGATE_SPOT', weight: 1 },
          ]),
        expect: ['spec.task', 'launchType and capacityProviderStrategy are mutually exclusive'],
      },
      {
        name: 'CEL: both queueName and queueUrl',
        edit: (s) =>
          (s.trigger = {
            sqs: { queueName: 'q', queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q', messagesPerTask: 10 },
          }),
        expect: ['spec.trigger.sqs', 'exactly one of queueName and queueUrl must be set'],
      },
      {
        name: 'CEL: neither queueName nor queueUrl',
        edit: (s) => (s.trigger = { sqs: { messagesPerTask: 10 } }),
        expect: ['spec.trigger.sqs', 'exactly one of queueName and queueUrl must be set'],
      },
    ];

    for (const c of cases) {
      it(`${c.name}: kubectl apply --dry-run=server fails`, async function () {
        const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
          input: stringify(withSpec(ns.name, c.edit)),
        });
        expect(r.code, r.stdout).to.not.equal(0);
        for (const text of c.expect) expect(r.stderr).to.contain(text);
      });
    }

    it('client-node sees the same rejection as HTTP 422 with the field in the Status message', async function () {
      const body = withSpec(ns.name, (s) => Object.assign(s, { taskCount: 5, maxCount: 2 }));
      const err = await customObjects()
        .createNamespacedCustomObject({ ...EST, namespace: ns.name, body, dryRun: 'All' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(httpStatus(err), String(err)).to.equal(422);
      expect(apiMessage(err)).to.contain('spec: Invalid value').and.to.contain('maxCount must be greater');
    });

    it('a valid manifest passes the same path (so the rejections above are not an artefact)', async function () {
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
        input: stringify(validTask('fine', ns.name)),
      });
      expect(r.code, r.stderr).to.equal(0);
    });
  });

  describe('the status subresource', function () {
    const api = customObjects();
    const name = 'status-subresource';
    const get = () =>
      api.getNamespacedCustomObject({ ...EST, namespace: ns.name, name }) as Promise<Manifest>;

    before(async function () {
      await api.createNamespacedCustomObject({ ...EST, namespace: ns.name, body: validTask(name, ns.name) });
    });

    it('a status merge patch lands on /status, is stored, and does not bump generation', async function () {
      const before = (await get()) as Manifest & { metadata: { generation: number } };
      const patched = (await api.patchNamespacedCustomObjectStatus(
        {
          ...EST,
          namespace: ns.name,
          name,
          body: {
            status: {
              observedGeneration: 1,
              lastResult: 'Succeeded',
              activeCount: 0,
              resolvedSchedule: '*/5 * * * *',
            },
          },
        },
        mergePatch,
      )) as Manifest & { status: Record<string, unknown> };
      expect(patched.status).to.include({ lastResult: 'Succeeded', activeCount: 0 });
      const after = (await get()) as Manifest & {
        metadata: { generation: number };
        status: Record<string, unknown>;
      };
      expect(after.status).to.include({ lastResult: 'Succeeded', resolvedSchedule: '*/5 * * * *' });
      expect(after.metadata.generation).to.equal(before.metadata.generation);
    });

    it('a spec change through the main resource bumps generation and leaves status alone', async function () {
      const before = (await get()) as Manifest & { metadata: { generation: number } };
      await api.patchNamespacedCustomObject(
        { ...EST, namespace: ns.name, name, body: { spec: { suspend: true } } },
        mergePatch,
      );
      const after = (await get()) as Manifest & {
        metadata: { generation: number };
        status: Record<string, unknown>;
      };
      expect(after.metadata.generation).to.equal(before.metadata.generation + 1);
      expect(after.status).to.include({ lastResult: 'Succeeded' });
    });

    it('a status write through the main resource is ignored', async function () {
      await api.patchNamespacedCustomObject(
        { ...EST, namespace: ns.name, name, body: { status: { lastResult: 'Failed', activeCount: 7 } } },
        mergePatch,
      );
      const after = (await get()) as Manifest & { status: Record<string, unknown> };
      expect(after.status).to.include({ lastResult: 'Succeeded', activeCount: 0 });
    });

    it('status is validated against the schema too (activeCount must be >= 0)', async function () {
      const err = await api
        .patchNamespacedCustomObjectStatus(
          { ...EST, namespace: ns.name, name, body: { status: { activeCount: -1 } } },
          mergePatch,
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(httpStatus(err), String(err)).to.equal(422);
      expect(apiMessage(err)).to.contain('status.activeCount');
    });

    it('a write with a stale resourceVersion conflicts (409), as optimistic concurrency demands', async function () {
      const current = await get();
      const stale = structuredClone(current);
      await api.patchNamespacedCustomObjectStatus(
        { ...EST, namespace: ns.name, name, body: { status: { activeCount: 1 } } },
        mergePatch,
      );
      const err = await api
        .replaceNamespacedCustomObjectStatus({
          ...EST,
          namespace: ns.name,
          name,
          body: { ...stale, status: { activeCount: 2 } },
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(httpStatus(err), String(err)).to.equal(409);
    });
  });

  describe('ECS and SQS in moto', function () {
    const env = loadTestEnv();
    let ecs: ECSClient;
    let sqs: SQSClient;
    const startedBy = `it-env-${process.pid}`;

    before(function () {
      ecs = ecsClient();
      sqs = sqsClient();
    });
    after(async function () {
      await resetEcsTaskTransition();
      ecs.destroy();
      sqs.destroy();
    });

    async function describe1(taskArn: string): Promise<Task> {
      const out = await ecs.send(
        new DescribeTasksCommand({ cluster: env.ecsCluster, tasks: [taskArn], include: ['TAGS'] }),
      );
      expect(out.failures ?? []).to.deep.equal([]);
      const task = out.tasks?.[0];
      if (!task) throw new Error(`DescribeTasks did not return ${taskArn}`);
      return task;
    }

    it('RunTask (EC2) returns a task that DescribeTasks and ListTasks see, with its tags', async function () {
      const run = await ecs.send(
        new RunTaskCommand({
          cluster: env.ecsCluster,
          taskDefinition: 'sleeper-task',
          launchType: 'EC2',
          count: 1,
          startedBy,
          tags: [{ key: 'ecs-scheduler.dev/resource', value: 'environment/test' }],
        }),
      );
      expect(run.failures ?? []).to.deep.equal([]);
      const arn = run.tasks?.[0]?.taskArn;
      expect(arn).to.be.a('string');
      // The environment's baseline: no state change however often the task is described.
      for (let i = 0; i < 5; i++) await describe1(arn!);
      const task = await describe1(arn!);
      expect(task.lastStatus).to.equal('RUNNING');
      expect(task.tags).to.deep.include({ key: 'ecs-scheduler.dev/resource', value: 'environment/test' });
      const list = await ecs.send(new ListTasksCommand({ cluster: env.ecsCluster, startedBy }));
      expect(list.taskArns).to.include(arn);
      await ecs.send(new StopTaskCommand({ cluster: env.ecsCluster, task: arn!, reason: 'test done' }));
      expect((await describe1(arn!)).lastStatus).to.equal('STOPPED');
    });

    it('RunTask (FARGATE, awsvpc) works with the seeded subnet and security group', async function () {
      const run = await ecs.send(
        new RunTaskCommand({
          cluster: env.ecsCluster,
          taskDefinition: 'sleeper-task-fargate',
          launchType: 'FARGATE',
          startedBy,
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: [env.subnetId],
              securityGroups: [env.securityGroupId],
              assignPublicIp: 'DISABLED',
            },
          },
        }),
      );
      const arn = run.tasks?.[0]?.taskArn;
      expect(arn).to.be.a('string');
      const task = await describe1(arn!);
      expect(task.attachments?.[0]?.type).to.equal('ElasticNetworkInterface');
      await ecs.send(new StopTaskCommand({ cluster: env.ecsCluster, task: arn!, reason: 'test done' }));
    });

    it('with a time transition set, a task reaches STOPPED on its own', async function () {
      this.timeout(30_000);
      await setEcsTaskTransition(1);
      const run = await ecs.send(
        new RunTaskCommand({
          cluster: env.ecsCluster,
          taskDefinition: 'sleeper-task',
          launchType: 'EC2',
          startedBy,
        }),
      );
      const arn = run.tasks?.[0]?.taskArn;
      expect(arn).to.be.a('string');
      const seen: string[] = [];
      const deadline = Date.now() + 20_000;
      let status = '';
      while (status !== 'STOPPED' && Date.now() < deadline) {
        status = (await describe1(arn!)).lastStatus ?? '';
        if (seen.at(-1) !== status) seen.push(status);
        if (status !== 'STOPPED') await new Promise((r) => setTimeout(r, 250));
      }
      expect(seen[0]).to.equal('RUNNING');
      expect(status, `states seen: ${seen.join(' → ')}`).to.equal('STOPPED');
    });

    it('the seeded SQS queue exists and is empty', async function () {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'consumer-task-queue' }));
      expect(QueueUrl).to.equal(env.queueUrl);
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      expect(attrs.Attributes?.ApproximateNumberOfMessages).to.equal('0');
    });
  });
});
