import { expect } from 'chai';
import { WriteLane } from '../../../src/flow/write-lane.js';
import { flushPromises } from '../../support/fake-clock.js';

/** A write that finishes when the test says so, recording when it started. */
function writes(lane: WriteLane) {
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const submit = (name: string, fail = false) =>
    lane.run(async () => {
      started.push(name);
      await new Promise<void>((resolve) => finish.set(name, resolve));
      if (fail) throw new Error(`${name} failed`);
      return name;
    });
  return { started, finish, submit };
}

describe('WriteLane', () => {
  it('runs up to `concurrency` writes at once, then first come, first served', async () => {
    const lane = new WriteLane({ concurrency: 2, concurrencyWhileDeciding: 1 });
    const { started, finish, submit } = writes(lane);
    const results = ['a', 'b', 'c', 'd'].map((n) => submit(n));
    await flushPromises();
    expect(started).to.deep.equal(['a', 'b']);
    expect(lane.waiting).to.equal(2);
    finish.get('b')!();
    await flushPromises();
    expect(started).to.deep.equal(['a', 'b', 'c']);
    finish.get('a')!();
    finish.get('c')!();
    await flushPromises();
    finish.get('d')!();
    expect(await Promise.all(results)).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(lane.inFlight).to.equal(0);
  });

  it('while a pass decides, only `concurrencyWhileDeciding` writes run; the rest go when it ends', async () => {
    const lane = new WriteLane({ concurrency: 3, concurrencyWhileDeciding: 1 });
    const { started, finish, submit } = writes(lane);
    const endDeciding = lane.deciding();
    const all = ['a', 'b', 'c'].map((n) => submit(n));
    await flushPromises();
    expect(started, 'writes never starve: one still goes').to.deep.equal(['a']);
    endDeciding();
    endDeciding(); // idempotent: a second call must not free another slot
    await flushPromises();
    expect(started).to.deep.equal(['a', 'b', 'c']);
    for (const n of ['a', 'b', 'c']) finish.get(n)!();
    await Promise.all(all);
  });

  it('a deciding pass that starts while writes run lets those finish and holds the next ones back', async () => {
    const lane = new WriteLane({ concurrency: 2, concurrencyWhileDeciding: 1 });
    const { started, finish, submit } = writes(lane);
    const first = [submit('a'), submit('b')];
    await flushPromises();
    const endDeciding = lane.deciding();
    const later = submit('c');
    finish.get('a')!();
    await flushPromises();
    expect(started, 'b is still in flight, which is the deciding limit').to.deep.equal(['a', 'b']);
    finish.get('b')!();
    await flushPromises();
    expect(started).to.deep.equal(['a', 'b', 'c']);
    endDeciding();
    finish.get('c')!();
    await Promise.all([...first, later]);
  });

  it('a failed write rejects its caller and frees its place', async () => {
    const lane = new WriteLane({ concurrency: 1, concurrencyWhileDeciding: 1 });
    const { started, finish, submit } = writes(lane);
    const failing = submit('a', true);
    const next = submit('b');
    await flushPromises();
    finish.get('a')!();
    let error: unknown;
    await failing.catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('a failed');
    await flushPromises();
    expect(started).to.deep.equal(['a', 'b']);
    finish.get('b')!();
    expect(await next).to.equal('b');
  });

  it('hasRoom() turns false once maxWaiting writes wait, and true again as they go', async () => {
    const lane = new WriteLane({ concurrency: 1, concurrencyWhileDeciding: 1, maxWaiting: 2 });
    const { finish, submit } = writes(lane);
    const all = ['a', 'b', 'c'].map((n) => submit(n));
    await flushPromises();
    expect(lane.waiting).to.equal(2);
    expect(lane.hasRoom()).to.equal(false);
    finish.get('a')!();
    await flushPromises();
    expect(lane.hasRoom()).to.equal(true);
    finish.get('b')!();
    await flushPromises();
    finish.get('c')!();
    await Promise.all(all);
    expect(
      new WriteLane({ concurrency: 1, concurrencyWhileDeciding: 1 }).hasRoom(),
      'no bound by default',
    ).to.equal(true);
  });

  it('clamps its limits: at least one write always runs', async () => {
    const lane = new WriteLane({ concurrency: 0, concurrencyWhileDeciding: 0 });
    lane.deciding();
    expect(await lane.run(() => Promise.resolve('went'))).to.equal('went');
  });
});
