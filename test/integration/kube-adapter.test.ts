// The Kubernetes adapters against the real kube-apiserver: the informer's cache and recovery, the
// status write with optimistic concurrency, and events.
import { EventsV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { API_VERSION, KIND } from '../../src/api/constants.js';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { ConflictError } from '../../src/controller/errors.js';
import { KubeEventRecorder } from '../../src/kube/kube-event-recorder.js';
import { KubeResourceStore } from '../../src/kube/kube-resource-store.js';
import {
  KubeListWatchSource,
  type ListWatchSource,
  type WatchHandlers,
} from '../../src/kube/list-watch-source.js';
import { ResourceInformer } from '../../src/kube/resource-informer.js';
import { FakeClock } from '../support/fake-clock.js';
import { EST, customObjects, kubeConfig, kubectlOk, useTestNamespace, waitFor } from './support/index.js';

function manifest(name: string, namespace: string, schedule = '*/5 * * * *'): EcsScheduledTaskResource {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace },
    spec: { schedule, task: { cluster: 'default', taskDefinition: 'sleeper-task', launchType: 'EC2' } },
  } as EcsScheduledTaskResource;
}

class RecordingWatchMetrics {
  readonly restarts: string[] = [];
  readonly relists: string[] = [];
  restarted(reason: string) {
    this.restarts.push(reason);
  }
  relisted(reason: string) {
    this.relists.push(reason);
  }
  event() {}
}

/** Passes through to the real source, but lets a test cut the open stream or start from a stale version. */
class ChaosSource implements ListWatchSource {
  private current: { close: () => void; handlers: WatchHandlers } | undefined;
  watches = 0;
  nextWatchFrom: string | undefined;

  constructor(private readonly inner: ListWatchSource) {}

  list() {
    return this.inner.list();
  }

  async watch(resourceVersion: string, handlers: WatchHandlers): Promise<() => void> {
    this.watches++;
    const from = this.nextWatchFrom ?? resourceVersion;
    this.nextWatchFrom = undefined;
    const close = await this.inner.watch(from, handlers);
    this.current = { close, handlers };
    return close;
  }

  /** What a dropped connection looks like to the informer. */
  cut(): void {
    const open = this.current;
    if (open === undefined) throw new Error('no watch open');
    this.current = undefined;
    open.close();
    open.handlers.onDone(new Error('connection reset (injected)'));
  }
}

describe('kube adapters (real API server)', function () {
  const ns = useTestNamespace('kube-adapter');
  const api = customObjects();
  const informers: ResourceInformer[] = [];

  function startInformer(source?: ListWatchSource, metrics?: RecordingWatchMetrics) {
    const informer = new ResourceInformer({
      source: source ?? new KubeListWatchSource(kubeConfig(), { namespace: ns.name }),
      metrics,
      backoff: { initialMs: 100, maxMs: 1_000 },
    });
    informers.push(informer);
    const notified: string[] = [];
    informer.subscribe((key) => notified.push(key));
    informer.start();
    return { informer, notified };
  }

  afterEach(() => {
    for (const informer of informers.splice(0)) informer.stop();
  });

  it('the informer sees create, update and delete', async () => {
    await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: manifest('before-sync', ns.name),
    });
    const { informer, notified } = startInformer();
    await informer.waitForSync();
    expect(informer.hasSynced()).to.equal(true);
    expect(informer.get(`${ns.name}/before-sync`)).to.not.equal(undefined);

    await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: manifest('watched', ns.name),
    });
    const key = `${ns.name}/watched`;
    await waitFor('ADDED', () => informer.get(key));

    const current = (await api.getNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      name: 'watched',
    })) as EcsScheduledTaskResource;
    current.spec.schedule = '*/7 * * * *';
    await api.replaceNamespacedCustomObject({ ...EST, namespace: ns.name, name: 'watched', body: current });
    await waitFor('MODIFIED', () => informer.get(key)?.spec.schedule === '*/7 * * * *');

    await api.deleteNamespacedCustomObject({ ...EST, namespace: ns.name, name: 'watched' });
    await waitFor('DELETED', () => informer.get(key) === undefined);
    expect(notified.filter((k) => k === key).length).to.be.at.least(3);
  });

  it('writeStatus lands on /status, is visible in the cache at once, and a stale version conflicts', async () => {
    await api.createNamespacedCustomObject({ ...EST, namespace: ns.name, body: manifest('status', ns.name) });
    const { informer } = startInformer();
    const store = new KubeResourceStore({ api, cache: informer });
    const key = `${ns.name}/status`;
    const cached = await waitFor('cached', () => informer.get(key));

    const written = await store.writeStatus(cached, {
      observedGeneration: 1,
      resolvedSchedule: '*/5 * * * *',
      activeCount: 0,
    });
    expect(written.metadata.resourceVersion).to.not.equal(cached.metadata.resourceVersion);
    expect(store.get(key)?.status?.resolvedSchedule).to.equal('*/5 * * * *');
    const stored = (await api.getNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      name: 'status',
    })) as EcsScheduledTaskResource;
    expect(stored.status).to.deep.include({ observedGeneration: 1, resolvedSchedule: '*/5 * * * *' });
    // The cache drops managedFields; a write sent without them leaves the server's bookkeeping.
    expect(cached.metadata).to.not.have.property('managedFields');
    const managers = (stored.metadata as { managedFields?: { subresource?: string }[] }).managedFields ?? [];
    expect(managers.map((m) => m.subresource ?? 'main')).to.include.members(['main', 'status']);

    const err = await store.writeStatus(cached, { observedGeneration: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConflictError);
    const after = (await api.getNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      name: 'status',
    })) as EcsScheduledTaskResource;
    expect(after.status?.observedGeneration).to.equal(1);
  });

  it('writeStatus on a deleted resource returns quietly', async () => {
    const created = (await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: manifest('doomed', ns.name),
    })) as EcsScheduledTaskResource;
    await api.deleteNamespacedCustomObject({ ...EST, namespace: ns.name, name: 'doomed' });
    const store = new KubeResourceStore({ api, cache: { get: () => undefined, applyWrite: () => false } });
    const result = await store.writeStatus(created, { observedGeneration: 1 });
    expect(result.status?.observedGeneration).to.equal(1);
  });

  it('records an event with the reason, regarding the resource', async () => {
    const created = (await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: manifest('evented', ns.name),
    })) as EcsScheduledTaskResource;
    const eventsApi = kubeConfig().makeApiClient(EventsV1Api);
    const recorder = new KubeEventRecorder({ api: eventsApi, reportingInstance: 'it-pod' });
    recorder.record(created, 'Warning', 'LaunchFailed', 'capacity is unavailable');
    recorder.record(created, 'Warning', 'LaunchFailed', 'capacity is unavailable');
    await recorder.flush();
    const list = await eventsApi.listNamespacedEvent({ namespace: ns.name });
    const ours = list.items.filter((e) => e.regarding?.name === 'evented');
    expect(ours).to.have.length(1);
    const event = ours[0]!;
    expect(event).to.include({
      reason: 'LaunchFailed',
      type: 'Warning',
      note: 'capacity is unavailable',
      reportingController: 'ecs-scheduler.dev/controller',
      reportingInstance: 'it-pod',
    });
    expect(event.regarding).to.include({
      kind: KIND,
      uid: created.metadata.uid,
      resourceVersion: created.metadata.resourceVersion,
    });
  });

  it('writes repeats as the Event series (count, last seen), which kubectl shows; a deleted Event is created again', async () => {
    const created = (await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: manifest('series', ns.name),
    })) as EcsScheduledTaskResource;
    const eventsApi = kubeConfig().makeApiClient(EventsV1Api);
    // The recorder's own clock: the API server is real, the interval passes without waiting.
    const clock = new FakeClock(new Date());
    const recorder = new KubeEventRecorder({
      api: eventsApi,
      reportingInstance: 'it-pod',
      clock,
      seriesIntervalMs: 60_000,
    });
    const note = 'scheduled run launched; its time and tasks are in status.runs';
    const ours = async () =>
      (await eventsApi.listNamespacedEvent({ namespace: ns.name })).items.filter(
        (e) => e.regarding?.name === 'series',
      );
    for (let i = 0; i < 5; i++) {
      recorder.record(created, 'Normal', 'Launched', note);
      clock.advance(10_000);
    }
    await recorder.flush();
    let events = await ours();
    expect(events, 'one Event').to.have.length(1);
    expect(events[0]!.series, 'repeats wait for the interval').to.equal(undefined);

    clock.advance(20_000);
    await recorder.flush();
    events = await ours();
    expect(events).to.have.length(1);
    expect(events[0]!.series?.count).to.equal(5);
    expect(new Date(events[0]!.series!.lastObservedTime!).getTime()).to.equal(clock.now().getTime() - 30_000);
    const describe = await kubectlOk(['describe', 'ecsscheduledtask', '-n', ns.name, 'series']);
    expect(describe, describe).to.match(
      /Normal\s+Launched\s+.*\(x5 over .*\)\s+ecs-scheduler\.dev\/controller\s+scheduled run launched/,
    );
    const kubectlEvents = await kubectlOk(['events', '-n', ns.name, '--for', 'ecsscheduledtask/series']);
    expect(kubectlEvents, kubectlEvents).to.match(
      /\(x5 over .*\)\s+Normal\s+Launched\s+EcsScheduledTask\/series/,
    );

    // Events expire (an hour by default): the next write of the series finds it gone.
    await eventsApi.deleteNamespacedEvent({ namespace: ns.name, name: events[0]!.metadata!.name! });
    recorder.record(created, 'Normal', 'Launched', note);
    clock.advance(60_000);
    await recorder.flush();
    const again = await ours();
    expect(again, 'created again').to.have.length(1);
    expect(again[0]!.metadata?.name).to.not.equal(events[0]!.metadata?.name);
    expect(again[0]!.note).to.equal(note);
    await recorder.drain();
  });

  it('recovers from a dropped watch and still sees new objects', async () => {
    const source = new ChaosSource(new KubeListWatchSource(kubeConfig(), { namespace: ns.name }));
    const metrics = new RecordingWatchMetrics();
    const { informer } = startInformer(source, metrics);
    await informer.waitForSync();
    await waitFor('watch open', () => source.watches >= 1 || undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));

    source.cut();
    // Created while no watch is open: the resumed watch must still deliver it.
    await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: manifest('after-cut', ns.name),
    });
    await waitFor('object created during the gap', () => informer.get(`${ns.name}/after-cut`));
    expect(metrics.restarts).to.include('error');
    expect(source.watches).to.be.at.least(2);

    source.cut();
    await waitFor('watch reopened', () => source.watches >= 3 || undefined);
    await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: manifest('after-second-cut', ns.name),
    });
    await waitFor('object after a second cut', () => informer.get(`${ns.name}/after-second-cut`));
  });

  it('relists when the API server says the watch version expired (410)', async () => {
    const source = new ChaosSource(new KubeListWatchSource(kubeConfig(), { namespace: ns.name }));
    // Far older than the API server's watch cache holds: the server answers 410 Expired.
    source.nextWatchFrom = '1';
    const metrics = new RecordingWatchMetrics();
    const { informer } = startInformer(source, metrics);
    await informer.waitForSync();
    await waitFor('relist after expiry', () => metrics.relists.includes('expired') || undefined);
    await api.createNamespacedCustomObject({
      ...EST,
      namespace: ns.name,
      body: manifest('after-expiry', ns.name),
    });
    await waitFor('object after expiry', () => informer.get(`${ns.name}/after-expiry`));
  });
});
