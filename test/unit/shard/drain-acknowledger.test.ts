import { expect } from 'chai';
import { TransientError } from '../../../src/controller/errors.js';
import type { LabelPatch, LabelPatchClient } from '../../../src/kube/label-patch-client.js';
import { DrainAcknowledger } from '../../../src/shard/drain-acknowledger.js';
import { DRAIN_LABEL, OWNER_LABEL } from '../../../src/shard/shard-labels.js';
import { noopShardMetrics } from '../../../src/shard/shard-metrics-port.js';
import type { MetadataObject } from '../../../src/shard/sharder.js';
import { FakeClock } from '../../support/fake-clock.js';

class MemoryCache {
  readonly items = new Map<string, MetadataObject>();
  readonly listeners = new Set<(key: string) => void>();
  get = (key: string) => this.items.get(key);
  keys = () => [...this.items.keys()];
  subscribe = (listener: (key: string) => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  put(key: string, labels: Record<string, string>): void {
    this.items.set(key, { metadata: { namespace: 'ns', name: key.split('/')[1]!, labels } });
    for (const l of this.listeners) l(key);
  }
}

class RecordingPatches implements LabelPatchClient {
  readonly patches: LabelPatch[] = [];
  failNext = 0;
  async patchLabels(patch: LabelPatch): Promise<boolean> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new TransientError('API server down', 'LabelPatchFailed');
    }
    this.patches.push(patch);
    return true;
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('drain acknowledger (the old owner’s half of a handover)', () => {
  function setup() {
    const clock = new FakeClock();
    const cache = new MemoryCache();
    const patches = new RecordingPatches();
    const inFlight = new Set<string>();
    const acks = new DrainAcknowledger({
      cache,
      isProcessing: (key) => inFlight.has(key),
      labels: patches,
      identity: 'me',
      clock,
      metrics: noopShardMetrics,
    });
    acks.start();
    return { clock, cache, patches, inFlight, acks };
  }
  const letGo = { namespace: 'ns', name: 'job', labels: { [OWNER_LABEL]: null, [DRAIN_LABEL]: null } };

  it('leaves a resource that is not draining alone', async () => {
    const { cache, patches } = setup();
    cache.put('ns/job', { [OWNER_LABEL]: 'me' });
    await settle();
    expect(patches.patches).to.deep.equal([]);
  });

  it('removes both labels only once no pass over the resource is in flight', async () => {
    const { clock, cache, patches, inFlight } = setup();
    inFlight.add('ns/job');
    cache.put('ns/job', { [OWNER_LABEL]: 'me', [DRAIN_LABEL]: 'true' });
    await settle();
    clock.advance(1_000);
    await settle();
    expect(patches.patches, 'not while the pass runs').to.deep.equal([]);
    inFlight.delete('ns/job');
    clock.advance(100);
    await settle();
    expect(patches.patches).to.deep.equal([letGo]);
  });

  it('retries a failed acknowledgement, once', async () => {
    const { clock, cache, patches } = setup();
    patches.failNext = 1;
    cache.put('ns/job', { [OWNER_LABEL]: 'me', [DRAIN_LABEL]: 'true' });
    // A second event for the same key while the first attempt is pending adds nothing.
    cache.put('ns/job', { [OWNER_LABEL]: 'me', [DRAIN_LABEL]: 'true' });
    await settle();
    expect(patches.patches).to.deep.equal([]);
    clock.advance(1_000);
    await settle();
    expect(patches.patches).to.deep.equal([letGo]);
  });

  it('acknowledges drains already in the cache when it starts, and nothing after stop()', async () => {
    const clock = new FakeClock();
    const cache = new MemoryCache();
    const patches = new RecordingPatches();
    cache.put('ns/job', { [OWNER_LABEL]: 'me', [DRAIN_LABEL]: 'true' });
    const acks = new DrainAcknowledger({
      cache,
      isProcessing: () => false,
      labels: patches,
      identity: 'me',
      clock,
      metrics: noopShardMetrics,
    });
    acks.start();
    await settle();
    expect(patches.patches).to.deep.equal([letGo]);
    acks.stop();
    cache.put('ns/other', { [OWNER_LABEL]: 'me', [DRAIN_LABEL]: 'true' });
    await settle();
    expect(patches.patches).to.have.length(1);
  });
});
