import type { EventsV1Event } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { KubeEventRecorder, eventName, truncateBytes } from '../../../src/kube/kube-event-recorder.js';
import { WriteLane } from '../../../src/flow/write-lane.js';
import { createLogger } from '../../../src/log/logger.js';
import { FakeClock, flush } from './fake-clock.js';

const job = {
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduledTask',
  metadata: { namespace: 'data', name: 'nightly', uid: 'uid-1', resourceVersion: '42' },
  spec: { schedule: '* * * * *', task: { taskDefinition: 'td' } },
} as EcsScheduledTaskResource;

function setup(fail = false) {
  const clock = new FakeClock();
  const sent: { namespace: string; body: EventsV1Event }[] = [];
  const api = {
    createNamespacedEvent: async (p: { namespace: string; body: EventsV1Event }) => {
      if (fail) throw new Error('forbidden');
      sent.push(p);
      return p.body;
    },
  };
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    format: 'json',
    write: (line) => logLines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const recorder = new KubeEventRecorder({
    api: api as never,
    reportingInstance: 'pod-a',
    clock,
    random: () => 0,
    logger,
  });
  return { clock, sent, recorder, logLines };
}

describe('KubeEventRecorder', () => {
  it('sends each event in its turn in the write lane: none while passes decide and the lane is full', async () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const api = {
      createNamespacedEvent: async (p: { body: EventsV1Event }) => {
        sent.push(p.body.reason ?? '');
        return p.body;
      },
    };
    const lane = new WriteLane({ concurrency: 4, concurrencyWhileDeciding: 1 });
    let finishWrite!: () => void;
    const running = lane.run(() => new Promise<void>((resolve) => (finishWrite = resolve)));
    const endDeciding = lane.deciding();
    const recorder = new KubeEventRecorder({
      api: api as never,
      reportingInstance: 'pod-a',
      clock,
      writeLane: lane,
    });
    recorder.record(job, 'Normal', 'Launched', 'run scheduled at ...: 1 task(s) launched');
    await flush();
    expect(sent, 'a status write holds the one place open while a pass decides').to.deep.equal([]);
    endDeciding();
    await flush();
    expect(sent).to.deep.equal(['Launched']);
    finishWrite();
    await running;
    await recorder.flush();
  });

  it('creates an events.k8s.io/v1 Event regarding the resource', async () => {
    const { sent, recorder } = setup();
    recorder.record(job, 'Warning', 'LaunchFailed', 'no capacity');
    await recorder.flush();
    expect(sent).to.have.length(1);
    const { namespace, body } = sent[0]!;
    expect(namespace).to.equal('data');
    expect(body).to.include({
      type: 'Warning',
      reason: 'LaunchFailed',
      note: 'no capacity',
      reportingController: 'ecs-scheduler.dev/controller',
      reportingInstance: 'pod-a',
    });
    expect(body.regarding).to.deep.equal({
      apiVersion: 'ecs-scheduler.dev/v1alpha1',
      kind: 'EcsScheduledTask',
      namespace: 'data',
      name: 'nightly',
      uid: 'uid-1',
      resourceVersion: '42',
    });
    expect(body.metadata?.name).to.match(/^nightly\.[0-9a-f]+$/);
    expect(JSON.parse(JSON.stringify(body.eventTime))).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('drops an identical event within 60 s and sends it again after', async () => {
    const { sent, recorder, clock } = setup();
    recorder.record(job, 'Normal', 'Launched', 'launched 1 task');
    await clock.advance(59_000);
    recorder.record(job, 'Normal', 'Launched', 'launched 1 task');
    recorder.record(job, 'Normal', 'Launched', 'launched 2 tasks');
    await clock.advance(1_000);
    recorder.record(job, 'Normal', 'Launched', 'launched 1 task');
    await recorder.flush();
    expect(sent.map((s) => s.body.note)).to.deep.equal([
      'launched 1 task',
      'launched 2 tasks',
      'launched 1 task',
    ]);
  });

  it('never throws, and logs a failed write', async () => {
    const { recorder, logLines } = setup(true);
    expect(() => recorder.record(job, 'Normal', 'Launched', 'x')).to.not.throw();
    await recorder.flush();
    await flush();
    expect(logLines).to.have.length(1);
    expect(logLines[0]).to.include({
      level: 'warn',
      msg: 'could not record event',
      component: 'events',
      resource: 'data/nightly',
      reason: 'Launched',
    });
    expect(String(logLines[0]!.error)).to.contain('forbidden');
  });

  it('truncates a note to 1 kB', () => {
    const long = 'é'.repeat(1000);
    const cut = truncateBytes(long, 1024);
    expect(Buffer.byteLength(cut, 'utf8')).to.be.at.most(1024);
    expect(cut.endsWith('…')).to.equal(true);
    expect(truncateBytes('short', 1024)).to.equal('short');
  });

  it('keeps event names within 253 characters', () => {
    const name = eventName('x'.repeat(253), Date.parse('2026-01-01T00:00:00Z'), () => 0.5);
    expect(name.length).to.be.at.most(253);
    expect(name).to.match(/^x+\.[0-9a-f]+$/);
  });
});
