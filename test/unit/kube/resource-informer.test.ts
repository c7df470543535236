import { expect } from 'chai';
import { RUN_NOW_ANNOTATION } from '../../../src/api/constants.js';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { specOrMetadataChanged } from '../../../src/kube/change-predicate.js';
import type { ListResult, ListWatchSource, WatchHandlers } from '../../../src/kube/list-watch-source.js';
import { ResourceInformer } from '../../../src/kube/resource-informer.js';
import { FakeClock, flush } from './fake-clock.js';

function resource(name: string, resourceVersion: string, namespace = 'ns'): EcsScheduledTaskResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { namespace, name, resourceVersion },
    spec: { schedule: '* * * * *', task: { taskDefinition: 'td' } },
  } as EcsScheduledTaskResource;
}

interface OpenWatch {
  readonly resourceVersion: string;
  readonly handlers: WatchHandlers;
  closed: boolean;
}

/** Lists return `items`; `failLists` lists fail first. Each watch is recorded and driven by hand. */
class FakeSource implements ListWatchSource {
  items: EcsScheduledTaskResource[] = [];
  resourceVersion = '10';
  failLists = 0;
  lists = 0;
  readonly watches: OpenWatch[] = [];

  async list(): Promise<ListResult> {
    this.lists++;
    if (this.failLists > 0) {
      this.failLists--;
      throw Object.assign(new Error('connection refused'), { code: 503 });
    }
    return { items: [...this.items], resourceVersion: this.resourceVersion };
  }

  async watch(resourceVersion: string, handlers: WatchHandlers): Promise<() => void> {
    const w: OpenWatch = { resourceVersion, handlers, closed: false };
    this.watches.push(w);
    return () => {
      w.closed = true;
    };
  }

  get current(): OpenWatch {
    const w = this.watches[this.watches.length - 1];
    if (w === undefined) throw new Error('no watch open');
    return w;
  }
}

class RecordingMetrics {
  readonly restarts: string[] = [];
  readonly relists: string[] = [];
  readonly events: string[] = [];
  restarted(reason: string) {
    this.restarts.push(reason);
  }
  relisted(reason: string) {
    this.relists.push(reason);
  }
  event(type: string) {
    this.events.push(type);
  }
}

// Jitter only ever shortens a delay; a random draw at the top of the range gives the full step.
const noJitter = () => 0.999999;

function setup(options: { watchdogMs?: number; resyncMs?: number } = {}) {
  const clock = new FakeClock();
  const source = new FakeSource();
  const metrics = new RecordingMetrics();
  const informer = new ResourceInformer({
    source,
    clock,
    metrics,
    random: noJitter,
    watchdogMs: options.watchdogMs ?? 300_000,
    resyncMs: options.resyncMs ?? 0,
  });
  const notified: string[] = [];
  informer.subscribe((key) => notified.push(key));
  return { clock, source, metrics, informer, notified };
}

describe('ResourceInformer', () => {
  it('lists, notifies every key, syncs, then watches from the list resourceVersion', async () => {
    const { source, informer, notified, metrics } = setup();
    source.items = [resource('a', '5'), resource('b', '7')];
    informer.start();
    await informer.waitForSync();
    await flush();
    expect(informer.hasSynced()).to.equal(true);
    expect(notified.sort()).to.deep.equal(['ns/a', 'ns/b']);
    expect(informer.get('ns/a')?.metadata.resourceVersion).to.equal('5');
    expect(source.current.resourceVersion).to.equal('10');
    expect(metrics.relists).to.deep.equal(['initial']);
    informer.stop();
  });

  it('applies watch events and tracks the resourceVersion from bookmarks', async () => {
    const { source, informer, notified, clock } = setup();
    informer.start();
    await flush();
    source.current.handlers.onEvent('ADDED', resource('a', '11'));
    source.current.handlers.onEvent('MODIFIED', resource('a', '12'));
    source.current.handlers.onEvent('BOOKMARK', { metadata: { resourceVersion: '20' } });
    source.current.handlers.onEvent('DELETED', resource('a', '21'));
    expect(notified).to.deep.equal(['ns/a', 'ns/a', 'ns/a']);
    expect(informer.get('ns/a')).to.equal(undefined);
    // A clean close of a healthy watch resumes at once from the last seen version.
    source.current.handlers.onDone(undefined);
    await clock.advance(0);
    expect(source.watches).to.have.length(2);
    expect(source.current.resourceVersion).to.equal('21');
    informer.stop();
  });

  it('does not notify for the version our own status write already put in the cache', async () => {
    const { source, informer, notified } = setup();
    source.items = [resource('a', '5')];
    informer.start();
    await flush();
    notified.length = 0;
    expect(informer.applyWrite('5', resource('a', '6'))).to.equal(true);
    source.current.handlers.onEvent('MODIFIED', resource('a', '6'));
    expect(notified).to.deep.equal([]);
    source.current.handlers.onEvent('MODIFIED', resource('a', '7'));
    expect(notified).to.deep.equal(['ns/a']);
    informer.stop();
  });

  it('restarts a failing watch with growing backoff and counts each restart', async () => {
    const { source, informer, clock, metrics } = setup();
    informer.start();
    await flush();
    source.current.handlers.onDone(new Error('socket hang up'));
    await clock.advance(999);
    expect(source.watches).to.have.length(1);
    await clock.advance(1);
    expect(source.watches).to.have.length(2);
    source.current.handlers.onDone(new Error('socket hang up'));
    await clock.advance(1_999);
    expect(source.watches).to.have.length(2);
    await clock.advance(1);
    expect(source.watches).to.have.length(3);
    expect(metrics.restarts).to.deep.equal(['error', 'error']);
    // An event proves the stream healthy and resets the backoff.
    source.current.handlers.onEvent('BOOKMARK', { metadata: { resourceVersion: '30' } });
    source.current.handlers.onDone(new Error('socket hang up'));
    await clock.advance(1_000);
    expect(source.watches).to.have.length(4);
    expect(source.current.resourceVersion).to.equal('30');
    informer.stop();
  });

  it('backs off a watch that the server closes before sending anything', async () => {
    const { source, informer, clock, metrics } = setup();
    informer.start();
    await flush();
    source.current.handlers.onDone(undefined);
    await clock.advance(0);
    expect(source.watches).to.have.length(1);
    await clock.advance(1_000);
    expect(source.watches).to.have.length(2);
    expect(metrics.restarts).to.deep.equal(['closed']);
    informer.stop();
  });

  it('relists on an Expired ERROR event and reports keys that vanished during the gap', async () => {
    const { source, informer, metrics, notified } = setup();
    source.items = [resource('a', '5'), resource('b', '6')];
    informer.start();
    await flush();
    notified.length = 0;
    source.items = [resource('a', '5')];
    source.resourceVersion = '50';
    const expiredWatch = source.current;
    expiredWatch.handlers.onEvent('ERROR', {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    });
    await flush();
    expect(expiredWatch.closed).to.equal(true);
    expect(metrics.relists).to.deep.equal(['initial', 'expired']);
    expect(notified).to.deep.equal(['ns/b']);
    expect(informer.get('ns/b')).to.equal(undefined);
    expect(source.current.resourceVersion).to.equal('50');
    informer.stop();
  });

  it('refresh() lists again now, closes the old watch, and resolves once the new list is in the cache', async () => {
    const { source, informer, metrics, notified } = setup();
    source.items = [resource('a', '5'), resource('b', '6')];
    informer.start();
    await flush();
    notified.length = 0;
    // While the process was paused, `b` moved away; the watch has not said so.
    source.items = [resource('a', '5')];
    source.resourceVersion = '60';
    const before = source.current;
    await informer.refresh('new shard term');
    expect(informer.get('ns/b'), 'gone from the cache by the time refresh resolves').to.equal(undefined);
    expect(notified).to.deep.equal(['ns/b']);
    expect(metrics.relists).to.deep.equal(['initial', 'new shard term']);
    await flush();
    expect(before.closed).to.equal(true);
    expect(source.current.resourceVersion).to.equal('60');
    informer.stop();
    // A stopped informer has nothing to refresh.
    await informer.refresh('late');
  });

  it('relists when the watch cannot even start because the version is gone (HTTP 410)', async () => {
    const { source, informer, metrics } = setup();
    informer.start();
    await flush();
    source.current.handlers.onDone(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await flush();
    expect(metrics.relists).to.deep.equal(['initial', 'expired']);
    expect(source.lists).to.equal(2);
    informer.stop();
  });

  it('retries a failing list with backoff and only then syncs', async () => {
    const { source, informer, clock, metrics } = setup();
    source.failLists = 2;
    informer.start();
    await flush();
    expect(informer.hasSynced()).to.equal(false);
    await clock.advance(1_000);
    expect(informer.hasSynced()).to.equal(false);
    await clock.advance(2_000);
    expect(informer.hasSynced()).to.equal(true);
    expect(source.lists).to.equal(3);
    expect(metrics.restarts).to.deep.equal(['list_error', 'list_error']);
    expect(metrics.relists).to.deep.equal(['initial']);
    informer.stop();
  });

  it('relists when nothing, not even a bookmark, arrived within the watchdog period', async () => {
    const { source, informer, clock, metrics } = setup({ watchdogMs: 60_000 });
    informer.start();
    await flush();
    await clock.advance(30_000);
    source.current.handlers.onEvent('BOOKMARK', { metadata: { resourceVersion: '11' } });
    await clock.advance(59_000);
    expect(metrics.relists).to.deep.equal(['initial']);
    const silentWatch = source.current;
    await clock.advance(1_000);
    expect(metrics.relists).to.deep.equal(['initial', 'watchdog']);
    expect(silentWatch.closed).to.equal(true);
    expect(source.watches).to.have.length(2);
    // The watchdog keeps guarding the new watch.
    await clock.advance(60_000);
    expect(metrics.relists).to.deep.equal(['initial', 'watchdog', 'watchdog']);
    informer.stop();
  });

  it('reports how long the server has been silent; the watchdog does not reset it, an answer does', async () => {
    const { source, informer, clock } = setup({ watchdogMs: 60_000 });
    expect(informer.silentForMs(), 'not started').to.equal(0);
    informer.start();
    await flush();
    await clock.advance(10_000);
    expect(informer.silentForMs(), 'since the initial list').to.equal(10_000);
    source.current.handlers.onEvent('BOOKMARK', { metadata: { resourceVersion: '11' } });
    expect(informer.silentForMs()).to.equal(0);
    source.failLists = 1_000;
    await clock.advance(150_000);
    expect(informer.silentForMs(), 'watchdog relists failed').to.equal(150_000);
    source.failLists = 0;
    await clock.advance(60_000);
    expect(informer.silentForMs(), 'a relist got through').to.be.below(60_000);
    informer.stop();
    expect(informer.silentForMs(), 'stopped').to.equal(0);
  });

  it('re-notifies every key on each resync', async () => {
    const { source, informer, clock, notified } = setup({ resyncMs: 600_000 });
    source.items = [resource('a', '1'), resource('b', '2')];
    informer.start();
    await flush();
    notified.length = 0;
    source.current.handlers.onEvent('BOOKMARK', { metadata: { resourceVersion: '11' } });
    await clock.advance(600_000);
    // Spread a second's share at a time, so due runs are not queued behind every idle key.
    expect(notified).to.deep.equal(['ns/a']);
    await clock.advance(1_000);
    expect(notified.sort()).to.deep.equal(['ns/a', 'ns/b']);
    informer.stop();
  });

  it('spreads a resync of many keys over a tenth of the period, at most a minute', async () => {
    const { source, informer, clock, notified } = setup({ resyncMs: 600_000 });
    source.items = Array.from({ length: 120 }, (_, i) => resource(`r${i}`, String(i + 1)));
    informer.start();
    await flush();
    notified.length = 0;
    await clock.advance(600_000);
    expect(notified).to.have.length(2);
    await clock.advance(29_000);
    expect(notified).to.have.length(60);
    await clock.advance(30_000);
    expect(new Set(notified).size).to.equal(120);
    informer.stop();
    expect(clock.pendingTimers).to.equal(0);
  });

  it('takes every update into the cache, but notifies only the significant ones', async () => {
    const { source, clock } = setup();
    const notified: string[] = [];
    const informer = new ResourceInformer({
      source,
      clock,
      resyncMs: 0,
      significant: (before, after) => before?.metadata.generation !== after.metadata.generation,
    });
    informer.subscribe((key) => notified.push(key));
    source.items = [resource('a', '1')];
    informer.start();
    await flush();
    notified.length = 0;
    const statusOnly = { ...resource('a', '2'), status: { activeCount: 1 } };
    source.current.handlers.onEvent('MODIFIED', statusOnly);
    expect(notified).to.deep.equal([]);
    expect(informer.get('ns/a')?.status).to.deep.equal({ activeCount: 1 });
    const specChange = { ...resource('a', '3'), metadata: { ...resource('a', '3').metadata, generation: 2 } };
    source.current.handlers.onEvent('MODIFIED', specChange);
    expect(notified).to.deep.equal(['ns/a']);
    informer.stop();
  });

  it('judges an update on the trimmed object: an edit of annotations nobody reads wakes no pass', async () => {
    const { source, clock } = setup();
    const notified: string[] = [];
    const informer = new ResourceInformer({ source, clock, resyncMs: 0, significant: specOrMetadataChanged });
    informer.subscribe((key) => notified.push(key));
    const annotated = (rv: string, annotations: Record<string, string>) => ({
      ...resource('a', rv),
      metadata: { ...resource('a', rv).metadata, annotations, managedFields: [{ manager: 'kubectl' }] },
    });
    source.items = [annotated('1', { 'kubectl.kubernetes.io/last-applied-configuration': '{"v":1}' })];
    informer.start();
    await flush();
    notified.length = 0;
    source.current.handlers.onEvent(
      'MODIFIED',
      annotated('2', { 'kubectl.kubernetes.io/last-applied-configuration': '{"v":2}' }),
    );
    expect(notified).to.deep.equal([]);
    expect(informer.get('ns/a')?.metadata).to.not.have.any.keys('annotations', 'managedFields');
    source.current.handlers.onEvent('MODIFIED', annotated('3', { [RUN_NOW_ANNOTATION]: 'now' }));
    expect(notified).to.deep.equal(['ns/a']);
    informer.stop();
  });

  it('ignores events from a watch it has replaced, and stops cleanly', async () => {
    const { source, informer, clock, notified } = setup();
    informer.start();
    await flush();
    const old = source.current;
    old.handlers.onDone(new Error('reset'));
    await clock.advance(1_000);
    old.handlers.onEvent('ADDED', resource('stale', '99'));
    expect(informer.get('ns/stale')).to.equal(undefined);
    informer.stop();
    expect(source.current.closed).to.equal(true);
    expect(clock.pendingTimers).to.equal(0);
    source.current.handlers.onEvent('ADDED', resource('late', '100'));
    expect(notified).to.not.include('ns/late');
  });

  it('keeps notifying other listeners when one throws', async () => {
    const { source, informer } = setup();
    const seen: string[] = [];
    informer.subscribe(() => {
      throw new Error('boom');
    });
    informer.subscribe((key) => seen.push(key));
    source.items = [resource('a', '1')];
    informer.start();
    await flush();
    expect(seen).to.deep.equal(['ns/a']);
    informer.stop();
  });
});
