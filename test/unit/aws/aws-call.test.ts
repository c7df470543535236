import { expect } from 'chai';
import { awsCall, type AwsCallOptions } from '../../../src/aws/aws-call.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';

class TimedOut extends Error {}
class Cancelled extends Error {}

function options(clock: FakeClock, extra: Partial<AwsCallOptions> = {}): AwsCallOptions {
  return {
    clock,
    timeoutMs: 1_000,
    timedOut: (cause) => new TimedOut('timed out', { cause }),
    cancelled: (cause) => new Cancelled('cancelled', { cause }),
    ...extra,
  };
}

/** A client call that never answers, and ignores its signal (a hung socket). */
const deaf = () => new Promise<never>(() => undefined);

/** A client call that rejects as the SDK does when its signal aborts. */
function honouring(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () =>
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
    ),
  );
}

describe('awsCall', () => {
  it('returns the answer and leaves no timer behind', async () => {
    const clock = new FakeClock();
    expect(await awsCall(() => Promise.resolve(42), options(clock))).to.equal(42);
    expect(clock.pendingDelays()).to.deep.equal([]);
  });

  it("passes the client's own error on unmapped (the error table is the adapter's next step)", async () => {
    const clock = new FakeClock();
    const thrown = Object.assign(new Error('no'), { name: 'QueueDoesNotExist' });
    const error = await awsCall(() => Promise.reject(thrown), options(clock)).catch((e: unknown) => e);
    expect(error).to.equal(thrown);
  });

  it('sends nothing when the signal has already aborted', async () => {
    const clock = new FakeClock();
    let sent = 0;
    const error = await awsCall(
      () => {
        sent++;
        return Promise.resolve(1);
      },
      options(clock, { signal: AbortSignal.abort('gone') }),
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Cancelled);
    expect((error as Error).cause).to.equal('gone');
    expect(sent).to.equal(0);
  });

  for (const settle of ['race', 'client'] as const) {
    it(`settle ${settle}: past the deadline, aborts the client's signal and throws timedOut`, async () => {
      const clock = new FakeClock();
      let seen: AbortSignal | undefined;
      const pending = awsCall(
        (signal) => {
          seen = signal;
          return honouring(signal);
        },
        options(clock, { settle }),
      ).catch((e: unknown) => e);
      clock.advance(999);
      await flushPromises();
      expect(seen?.aborted).to.equal(false);
      clock.advance(1);
      const error = await pending;
      expect(error).to.be.instanceOf(TimedOut);
      expect(seen?.aborted).to.equal(true);
    });

    it(`settle ${settle}: the caller's abort wins over the deadline and throws cancelled`, async () => {
      const clock = new FakeClock();
      const caller = new AbortController();
      const pending = awsCall(honouring, options(clock, { settle, signal: caller.signal })).catch(
        (e: unknown) => e,
      );
      caller.abort('lost leadership');
      const error = await pending;
      expect(error).to.be.instanceOf(Cancelled);
      expect((error as Error).cause).to.equal('lost leadership');
      expect(clock.pendingDelays()).to.deep.equal([]);
    });
  }

  it('settle race: a client that ignores its signal is abandoned at the deadline', async () => {
    const clock = new FakeClock();
    const pending = awsCall(deaf, options(clock)).catch((e: unknown) => e);
    clock.advance(1_000);
    expect(await pending).to.be.instanceOf(TimedOut);
  });

  it("settle client: the client's answer settles the call, even one that arrives after the abort", async () => {
    const clock = new FakeClock();
    let answer: (value: string) => void = () => undefined;
    const pending = awsCall(
      () =>
        new Promise<string>((resolve) => {
          answer = resolve;
        }),
      options(clock, { settle: 'client' }),
    );
    clock.advance(1_000);
    await flushPromises();
    answer('read before the abort took hold');
    expect(await pending).to.equal('read before the abort took hold');
  });
});
