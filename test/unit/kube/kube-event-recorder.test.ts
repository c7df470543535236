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

interface SeriesPatch {
  readonly name: string;
  readonly count: number;
  readonly lastObservedTime: string;
}

/** An API error as client-node throws it: `code` is the HTTP status. */
function apiError(code: number): Error {
  return Object.assign(new Error(`HTTP ${code}`), { code });
}

function setup(fail = false, options: { seriesIntervalMs?: number; maxSeries?: number } = {}) {
  const clock = new FakeClock();
  const sent: { namespace: string; body: EventsV1Event }[] = [];
  const patches: SeriesPatch[] = [];
  /** Events the fake API server holds, by name (the TTL deletes them in some tests). */
  const stored = new Map<string, EventsV1Event>();
  const contentTypes: string[] = [];
  const api = {
    createNamespacedEvent: async (p: { namespace: string; body: EventsV1Event }) => {
      if (fail) throw new Error('forbidden');
      sent.push(p);
      stored.set(p.body.metadata!.name!, p.body);
      return p.body;
    },
    patchNamespacedEvent: async (
      p: { name: string; namespace: string; body: { series: { count: number; lastObservedTime: string } } },
      opts?: { middleware?: { pre: (r: { setHeaderParam(k: string, v: string): void }) => unknown }[] },
    ) => {
      for (const m of opts?.middleware ?? [])
        m.pre({ setHeaderParam: (k, v) => k === 'Content-Type' && contentTypes.push(v) });
      if (fail) throw new Error('forbidden');
      if (!stored.has(p.name)) throw apiError(404);
      patches.push({ name: p.name, ...p.body.series });
      return stored.get(p.name)!;
    },
  };
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    format: 'json',
    write: (line) => logLines.push(JSON.parse(line) as Record<string, unknown>),
  });
  let n = 0;
  const recorder = new KubeEventRecorder({
    api: api as never,
    reportingInstance: 'pod-a',
    clock,
    // Distinct names even for events created in the same millisecond.
    random: () => (n++ % 1000) / 1000,
    logger,
    ...options,
  });
  return { clock, sent, patches, stored, contentTypes, recorder, logLines };
}

const MINUTE = 60_000;
const routine = 'scheduled run launched; its time and tasks are in status.runs';

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
    expect(body.series, 'a lone event has no series').to.equal(undefined);
    expect(JSON.parse(JSON.stringify(body.eventTime))).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('turns 100 identical events over 10 min into 1 create and a series patch per interval, with the right count', async () => {
    const { sent, patches, contentTypes, recorder, clock } = setup(false, { seriesIntervalMs: 5 * MINUTE });
    for (let i = 0; i < 100; i++) {
      recorder.record(job, 'Normal', 'Launched', routine);
      await clock.advance(6_000);
    }
    // 10 min have passed: the last repeats are written by the sweep due then.
    await clock.advance(MINUTE);
    await recorder.flush();
    expect(sent, 'one Event').to.have.length(1);
    const name = sent[0]!.body.metadata!.name!;
    expect(patches.length, 'at most one patch per interval')
      .to.be.at.least(1)
      .and.at.most(10 / 5);
    expect(patches.every((p) => p.name === name)).to.equal(true);
    expect(patches.at(-1)!.count, 'every occurrence counted').to.equal(100);
    const counts = patches.map((p) => p.count);
    expect(counts, 'counts grow').to.deep.equal([...counts].sort((a, b) => a - b));
    expect(patches.at(-1)!.lastObservedTime).to.equal('2026-01-01T00:09:54.000000Z');
    expect(new Set(contentTypes)).to.deep.equal(new Set(['application/merge-patch+json']));
  });

  it('writes no repeat before the interval has passed since the last write', async () => {
    const { sent, patches, recorder, clock } = setup(false, { seriesIntervalMs: 5 * MINUTE });
    recorder.record(job, 'Normal', 'Launched', routine);
    await clock.advance(MINUTE);
    recorder.record(job, 'Normal', 'Launched', routine);
    await clock.advance(4 * MINUTE - 1);
    expect(patches, 'held back until 5 min after the create').to.deep.equal([]);
    await clock.advance(MINUTE);
    await recorder.flush();
    expect(sent).to.have.length(1);
    expect(patches.map((p) => p.count)).to.deep.equal([2]);
    await clock.advance(30 * MINUTE);
    expect(patches, 'nothing new, nothing written').to.have.length(1);
  });

  it('writes a new reason at once, between repeats of a series, and the recovery after it at once too', async () => {
    const { sent, patches, recorder, clock } = setup(false, { seriesIntervalMs: 5 * MINUTE });
    recorder.record(job, 'Normal', 'Launched', routine);
    await clock.advance(MINUTE);
    recorder.record(job, 'Normal', 'Launched', routine);
    await clock.advance(MINUTE);
    recorder.record(job, 'Warning', 'RunFailed', 'run scheduled at 00:02 failed: EssentialContainerExited');
    await recorder.flush();
    expect(
      sent.map((s) => s.body.reason),
      'the failure is created at once',
    ).to.deep.equal(['Launched', 'RunFailed']);
    expect(patches).to.deep.equal([]);
    // The next routine event follows a different reason: it is written at once as well, as a
    // patch of the series it belongs to, with the repeat held back before it counted.
    recorder.record(job, 'Normal', 'Launched', routine);
    await recorder.flush();
    expect(sent).to.have.length(2);
    expect(patches.map((p) => [p.name, p.count])).to.deep.equal([[sent[0]!.body.metadata!.name, 3]]);
  });

  it('counts routine reasons taking turns as repeats: Launched, RunSucceeded, Launched cost two creates and no patch until the interval', async () => {
    const { sent, patches, recorder, clock } = setup(false, { seriesIntervalMs: 5 * MINUTE });
    // A resource that runs every minute: its first run's Launched and first RunSucceeded are new
    // reasons; every later Launched follows a Normal event and is a repeat of its series.
    recorder.record(job, 'Normal', 'Launched', routine);
    await clock.advance(10_000);
    recorder.record(job, 'Normal', 'RunSucceeded', 'the run succeeded');
    for (let minute = 1; minute < 5; minute++) {
      await clock.advance(MINUTE - 10_000);
      recorder.record(job, 'Normal', 'Launched', routine);
      await clock.advance(10_000);
    }
    await recorder.flush();
    expect(sent.map((s) => s.body.reason)).to.deep.equal(['Launched', 'RunSucceeded']);
    expect(patches, 'held back until 5 min after the create').to.deep.equal([]);
    await clock.advance(MINUTE);
    await recorder.flush();
    expect(
      patches.map((p) => p.count),
      'the 5 Launched, in one patch',
    ).to.deep.equal([5]);
  });

  it('writes a warning that follows another warning at once, and a denial repeated after a recovery at once', async () => {
    const { sent, patches, recorder, clock } = setup(false, { seriesIntervalMs: 5 * MINUTE });
    recorder.record(job, 'Warning', 'PolicyDenied', 'the policy denies it');
    await clock.advance(MINUTE);
    recorder.record(job, 'Warning', 'LaunchFailed', 'throttled');
    await clock.advance(MINUTE);
    recorder.record(job, 'Warning', 'PolicyDenied', 'the policy denies it');
    await recorder.flush();
    expect(sent.map((s) => s.body.reason)).to.deep.equal(['PolicyDenied', 'LaunchFailed']);
    expect(
      patches.map((p) => p.count),
      'the denial again, at once',
    ).to.deep.equal([2]);
    recorder.record(job, 'Normal', 'Launched', routine);
    await clock.advance(MINUTE);
    recorder.record(job, 'Warning', 'PolicyDenied', 'the policy denies it');
    await recorder.flush();
    expect(
      patches.map((p) => p.count),
      'the denial after a recovery, at once',
    ).to.deep.equal([2, 3]);
  });

  it('keeps one series per object: the same note on another resource is its own Event', async () => {
    const { sent, recorder, clock } = setup();
    const other = { ...job, metadata: { ...job.metadata, name: 'hourly', uid: 'uid-2' } };
    recorder.record(job, 'Normal', 'Launched', routine);
    recorder.record(other, 'Normal', 'Launched', routine);
    await clock.advance(MINUTE);
    recorder.record(job, 'Normal', 'Launched', routine);
    recorder.record(other, 'Normal', 'Launched', routine);
    await recorder.flush();
    expect(sent.map((s) => s.body.regarding?.name)).to.deep.equal(['nightly', 'hourly']);
  });

  it('a series whose resourceVersion moved on is the same series (status writes change it every run)', async () => {
    const { sent, recorder, clock } = setup();
    recorder.record(job, 'Normal', 'Launched', routine);
    await clock.advance(MINUTE);
    recorder.record(
      { ...job, metadata: { ...job.metadata, resourceVersion: '43' } },
      'Normal',
      'Launched',
      routine,
    );
    await recorder.flush();
    expect(sent).to.have.length(1);
  });

  it('remembers at most maxSeries series, writing the repeats of one it forgets first', async () => {
    const { sent, patches, recorder, clock } = setup(false, { seriesIntervalMs: 5 * MINUTE, maxSeries: 3 });
    const resources = Array.from({ length: 5 }, (_, i) => ({
      ...job,
      metadata: { ...job.metadata, name: `r${i}`, uid: `uid-r${i}` },
    }));
    recorder.record(resources[0]!, 'Normal', 'Launched', routine);
    await clock.advance(MINUTE);
    recorder.record(resources[0]!, 'Normal', 'Launched', routine);
    for (const r of resources.slice(1)) recorder.record(r, 'Normal', 'Launched', routine);
    await recorder.flush();
    expect(recorder.seriesCount).to.equal(3);
    expect(sent).to.have.length(5);
    expect(
      patches.map((p) => p.count),
      'r0 forgotten: its repeat written then',
    ).to.deep.equal([2]);
    // r0 is new again: a fresh Event.
    recorder.record(resources[0]!, 'Normal', 'Launched', routine);
    await recorder.flush();
    expect(sent.map((s) => s.body.regarding?.name)).to.deep.equal(['r0', 'r1', 'r2', 'r3', 'r4', 'r0']);
    expect(recorder.seriesCount).to.equal(3);
  });

  it('creates the Event again when a series patch finds it gone (events expire after an hour)', async () => {
    const { sent, patches, stored, recorder, clock } = setup(false, { seriesIntervalMs: 5 * MINUTE });
    recorder.record(job, 'Normal', 'Launched', routine);
    await recorder.flush();
    stored.clear();
    await clock.advance(MINUTE);
    recorder.record(job, 'Normal', 'Launched', routine);
    await clock.advance(5 * MINUTE);
    await recorder.flush();
    expect(patches).to.deep.equal([]);
    expect(sent).to.have.length(2);
    const again = sent[1]!.body;
    expect(again.metadata?.name).to.not.equal(sent[0]!.body.metadata?.name);
    expect(again.series, 'a new series, from its latest occurrence').to.equal(undefined);
    // The new Event carries the series on.
    await clock.advance(MINUTE);
    recorder.record(job, 'Normal', 'Launched', routine);
    await clock.advance(5 * MINUTE);
    await recorder.flush();
    expect(patches.map((p) => [p.name, p.count])).to.deep.equal([[again.metadata?.name, 2]]);
  });

  it('drain() writes the repeats not yet written (shutdown); forget() drops them (leadership lost)', async () => {
    const drained = setup(false, { seriesIntervalMs: 5 * MINUTE });
    drained.recorder.record(job, 'Normal', 'Launched', routine);
    await drained.clock.advance(MINUTE);
    drained.recorder.record(job, 'Normal', 'Launched', routine);
    drained.recorder.record(job, 'Normal', 'Launched', routine);
    await drained.recorder.drain();
    expect(drained.patches.map((p) => p.count)).to.deep.equal([3]);

    const lost = setup(false, { seriesIntervalMs: 5 * MINUTE });
    lost.recorder.record(job, 'Normal', 'Launched', routine);
    await lost.clock.advance(MINUTE);
    lost.recorder.record(job, 'Normal', 'Launched', routine);
    lost.recorder.forget();
    await lost.clock.advance(10 * MINUTE);
    await lost.recorder.drain();
    expect(lost.patches).to.deep.equal([]);
    expect(lost.clock.pendingTimers, 'no sweep left behind').to.equal(0);
  });

  it('drain() gives up after its timeout when the API server does not answer', async () => {
    const clock = new FakeClock();
    const api = {
      createNamespacedEvent: () => new Promise<never>(() => undefined),
      patchNamespacedEvent: () => new Promise<never>(() => undefined),
    };
    const recorder = new KubeEventRecorder({ api: api as never, reportingInstance: 'pod-a', clock });
    recorder.record(job, 'Normal', 'Launched', routine);
    let done = false;
    const drain = recorder.drain(5_000).then(() => (done = true));
    await clock.advance(4_999);
    expect(done).to.equal(false);
    await clock.advance(1);
    await drain;
    expect(done).to.equal(true);
  });

  it('a failed patch is logged and the repeats are written at the next interval', async () => {
    const t = setup(false, { seriesIntervalMs: 5 * MINUTE });
    let failPatch = true;
    const api = (
      t.recorder as unknown as { api: { patchNamespacedEvent: (...a: unknown[]) => Promise<unknown> } }
    ).api;
    const patch = api.patchNamespacedEvent;
    api.patchNamespacedEvent = async (...a: unknown[]) => {
      if (failPatch) throw apiError(500);
      return patch(...a);
    };
    t.recorder.record(job, 'Normal', 'Launched', routine);
    await t.clock.advance(MINUTE);
    t.recorder.record(job, 'Normal', 'Launched', routine);
    await t.clock.advance(5 * MINUTE);
    await t.recorder.flush();
    expect(t.patches).to.deep.equal([]);
    expect(t.logLines.some((l) => l.msg === 'could not record event')).to.equal(true);
    failPatch = false;
    await t.clock.advance(5 * MINUTE);
    await t.recorder.flush();
    expect(t.patches.map((p) => p.count)).to.deep.equal([2]);
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
