import { expect } from 'chai';
import { clockSleep, createEcsRateLimiters } from '../../../../src/aws/ecs/ecs-rate-limiters.js';
import { FakeClock } from './support.js';

describe('ECS rate limiters', () => {
  it('clockSleep waits on the Clock port, not on wall time', async () => {
    const clock = new FakeClock();
    let done = false;
    const sleeping = clockSleep(clock)(500).then(() => (done = true));
    clock.advance(499);
    await Promise.resolve();
    expect(done).to.equal(false);
    clock.advance(1);
    await sleeping;
    expect(done).to.equal(true);
  });

  it('createEcsRateLimiters uses the documented ECS defaults', async () => {
    const clock = new FakeClock();
    const limiters = createEcsRateLimiters(clock, clock.sleep);
    expect(limiters.runTask.available).to.equal(100);
    expect(limiters.fargateRunTask.available).to.equal(20);
    expect(limiters.fargateTasks.available).to.equal(100);
    for (let i = 0; i < 21; i++) await limiters.fargateRunTask.acquire();
    expect(clock.sleeps).to.deep.equal([50]);
  });

  it('off never waits, for endpoints without quotas (--ecs-rate-limits off)', async () => {
    const clock = new FakeClock();
    const limiters = createEcsRateLimiters(clock, clock.sleep, 'off');
    for (let i = 0; i < 5000; i++) {
      await limiters.runTask.acquire();
      await limiters.fargateRunTask.acquire();
      await limiters.fargateTasks.acquire(10);
    }
    expect(clock.sleeps).to.deep.equal([]);
  });
});
