// Hostile sizes on the real API server: the regenerated CRD (a maxLength on every string, the
// root rule on metadata.name, maxCount required with a trigger) is accepted within the CEL cost
// budget, and what would break a launch later is refused at apply time, naming the field.
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { API_VERSION, GROUP, KIND, PLURAL } from '../../src/api/constants.js';
import { RESOURCE_NAME_MAX } from '../../src/api/schema.js';
import { validateResource } from '../../src/api/validation.js';
import { kubeConfig, kubectl, useTestNamespace } from './support/index.js';

type Manifest = { metadata: { name: string; namespace: string }; spec: Record<string, unknown> };

function task(name: string, namespace: string, edit: (spec: Record<string, unknown>) => void = () => {}) {
  const manifest: Manifest & Record<string, unknown> = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace },
    spec: { schedule: '*/5 * * * *', task: { cluster: 'default', taskDefinition: 'sleeper-task' } },
  };
  edit(manifest.spec);
  return manifest;
}

const taskOf = (spec: Record<string, unknown>) => spec.task as Record<string, unknown>;

describe('names and sizes on the API server', function () {
  const ns = useTestNamespace('sizes');

  it('serves the CRD with its root rule: the CEL cost budget accepted it', async function () {
    const api = kubeConfig().makeApiClient(ApiextensionsV1Api);
    const crd = await api.readCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).to.equal('True');
    const root = crd.spec.versions[0]!.schema!.openAPIV3Schema!;
    expect(root.x_kubernetes_validations?.map((v) => v.rule)).to.deep.equal([
      `!has(self.metadata.name) || self.metadata.name.size() <= ${RESOURCE_NAME_MAX}`,
    ]);
  });

  const refusals: { name: string; manifest: (ns: string) => Manifest; expect: string[]; offline: string }[] =
    [
      {
        name: `a name longer than ${RESOURCE_NAME_MAX} characters (the resource tag would pass 256)`,
        manifest: (n) => task('a'.repeat(RESOURCE_NAME_MAX + 1), n),
        expect: ['metadata.name', `at most ${RESOURCE_NAME_MAX} characters`],
        offline: 'metadata.name',
      },
      {
        name: 'a trigger without maxCount',
        manifest: (n) =>
          task('unbounded', n, (s) => (s.trigger = { sqs: { queueName: 'jobs', messagesPerTask: 1 } })),
        expect: ['spec.maxCount', 'Required value', 'maxCount is required when a trigger is set'],
        offline: 'spec.maxCount',
      },
      {
        name: 'a tag value longer than ECS allows',
        manifest: (n) =>
          task('tag-value', n, (s) => (taskOf(s).tags = [{ key: 'team', value: 'v'.repeat(257) }])),
        expect: ['spec.task.tags[0].value', 'Too long'],
        offline: 'spec.task.tags[0].value',
      },
      {
        name: 'a tag key with a character ECS refuses',
        manifest: (n) => task('tag-key', n, (s) => (taskOf(s).tags = [{ key: 'team#1', value: 'x' }])),
        expect: ['spec.task.tags[0].key', 'should match'],
        offline: 'spec.task.tags[0].key',
      },
      {
        name: 'a queue URL of 3,000 characters',
        manifest: (n) =>
          task('long-url', n, (s) => {
            s.maxCount = 5;
            s.trigger = {
              sqs: {
                queueUrl: `https://sqs.us-east-1.amazonaws.com/1/${'q'.repeat(3000)}`,
                messagesPerTask: 1,
              },
            };
          }),
        expect: ['spec.trigger.sqs.queueUrl', 'Too long'],
        offline: 'spec.trigger.sqs.queueUrl',
      },
      {
        name: 'a command argument past the 8,192-character overrides budget',
        manifest: (n) =>
          task('long-arg', n, (s) => {
            taskOf(s).overrides = { containerOverrides: [{ name: 'app', command: ['x'.repeat(8193)] }] };
          }),
        expect: ['spec.task.overrides.containerOverrides[0].command[0]', 'Too long'],
        offline: 'spec.task.overrides.containerOverrides[0].command[0]',
      },
      {
        name: 'a trigger region that is not a region (the SDK builds the endpoint host from it)',
        manifest: (n) =>
          task('bad-region', n, (s) => {
            s.maxCount = 5;
            s.trigger = { sqs: { queueName: 'jobs', region: 'evil.example', messagesPerTask: 1 } };
          }),
        expect: ['spec.trigger.sqs.region', 'should match'],
        offline: 'spec.trigger.sqs.region',
      },
    ];
  for (const c of refusals) {
    it(`refuses ${c.name}, naming the field; validate names it too`, async function () {
      const manifest = c.manifest(ns.name);
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: stringify(manifest) });
      expect(r.code, r.stdout).to.not.equal(0);
      for (const text of c.expect) expect(r.stderr).to.contain(text);
      expect(validateResource(manifest).map((i) => i.path)).to.include(c.offline);
    });
  }

  it(`accepts a name of exactly ${RESOURCE_NAME_MAX} characters and a bounded trigger`, async function () {
    const manifest = task('b'.repeat(RESOURCE_NAME_MAX), ns.name, (s) => {
      s.maxCount = 10;
      s.trigger = { sqs: { queueName: 'jobs', messagesPerTask: 1 } };
      taskOf(s).tags = [{ key: 'team: a/b=c+d-e@f', value: 'ünïcödé ok' }];
    });
    const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: stringify(manifest) });
    expect(r.code, r.stderr).to.equal(0);
    expect(validateResource(manifest)).to.deep.equal([]);
  });
});
