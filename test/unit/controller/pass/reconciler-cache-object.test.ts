import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../../src/api/types.js';
import { harness } from './harness.js';

const fiveSecondsPastTen = '2026-03-01T10:00:05Z';
const stoppedAt = '2026-03-01T10:00:40Z';
const fivePastEleven = '2026-03-01T11:00:05Z';

/** Every object and array below `value` is frozen: a write to it throws in strict mode. */
function deeplyFrozen(value: unknown): boolean {
  if (!value || typeof value !== 'object') return true;
  return Object.isFrozen(value) && Object.values(value).every(deeplyFrozen);
}

/**
 * The pass reads the status straight from the informer's object (no copy), so nothing it does may
 * write to that object: the cache would then hold a state no API server version has.
 */
describe('Reconciler: the cached object is only read', () => {
  async function passOver(h: ReturnType<typeof harness>, at: string): Promise<EcsScheduledTaskResource> {
    const read = h.resource();
    expect(deeplyFrozen(read), 'the store hands out deep-frozen objects').to.equal(true);
    const before = structuredClone(read);
    await h.reconcile(at);
    expect(read, 'the object the pass read').to.deep.equal(before);
    return read;
  }

  it('launch, end and the next pass leave the object they read as it was', async () => {
    const h = harness();
    await passOver(h, fiveSecondsPastTen);
    const [arn] = h.launcher.taskArns();
    h.clock.set(stoppedAt);
    h.launcher.finish(arn!, { app: 0 });
    await passOver(h, stoppedAt);
    expect(h.runs().map((r) => r.result)).to.deep.equal(['Succeeded']);
    await passOver(h, fivePastEleven);
    expect(
      h
        .runs()
        .map((r) => r.result)
        .sort(),
    ).to.deep.equal(['Running', 'Succeeded']);
  });

  it('a pass that repairs a malformed status leaves the object it read as it was', async () => {
    const h = harness();
    await passOver(h, fiveSecondsPastTen);
    h.store.update('data/report', (r) => {
      (r.status!.runs as unknown as Record<string, unknown>[])[0]!.editedBy = 'someone';
    });
    await passOver(h, '2026-03-01T10:30:00Z');
    expect(h.runs()[0]).to.not.have.property('editedBy');
  });

  it('a launch whose write waits, then its end, leave the objects they read as they were', async () => {
    const h = harness(
      {},
      {
        deps: { launchWriteDelayMs: 10_000 },
        now: '2026-03-01T09:50:00Z',
        creationTimestamp: '2026-03-01T09:49:59Z',
      },
    );
    await passOver(h, '2026-03-01T09:50:00Z');
    const written = h.store.statusWrites.length;
    await passOver(h, fiveSecondsPastTen);
    expect(h.store.statusWrites, 'the launch write waits').to.have.length(written);
    const [arn] = h.launcher.taskArns();
    h.clock.set('2026-03-01T10:00:08Z');
    h.launcher.finish(arn!, { app: 0 });
    await passOver(h, '2026-03-01T10:00:08Z');
    expect(h.runs().map((r) => r.result)).to.deep.equal(['Succeeded']);
  });
});
