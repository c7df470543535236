// Schedules v2 end to end, with the controller process against the real kube-apiserver and moto:
// two schedules naming one instant launch one run; maxRuns stops after that many; BufferOne never
// overlaps and loses no time beyond its one-waiting rule; catch-up after downtime launches the
// newest missed times, once each (support/schedules-v2-scenarios.ts, scaled down here). Every
// 3 seconds rather than 5: the same ticks in less time.
import { expect } from 'chai';
import {
  duplicates,
  everySeconds,
  sleep,
  tasksPerTick,
  ticksBetween,
  waitFor,
} from './support/scheduled-runs.js';
import { useSchedulesV2Fixture } from './support/schedules-v2-fixture.js';
import { CI_SCALE, schedulesV2Scenarios } from './support/schedules-v2-scenarios.js';

const PERIOD = 3;
const EVERY_3_SECONDS = everySeconds(PERIOD);
const EVERY_6_SECONDS = everySeconds(2 * PERIOD);

describe('controller: schedules v2 (real API server and moto)', function () {
  this.timeout(120_000);
  const { env, ecs, create, get, ticksOf, startController } = useSchedulesV2Fixture('ctrl-schedules-v2');

  it('two schedules naming the same instant launch one run for it', async () => {
    await startController();
    // Every 3 seconds, and every 6: each multiple of 6 is named twice.
    const created = await create('twice', { schedules: [EVERY_3_SECONDS, EVERY_6_SECONDS] });
    const r = await waitFor(
      'four ticks handled',
      async () => {
        const now = await get('twice');
        return now.status?.lastScheduleTime && ticksOf(now, PERIOD).length >= 4 ? now : undefined;
      },
      40_000,
    );
    expect(r.status!.scheduleSummary).to.equal(`${EVERY_3_SECONDS}; ${EVERY_6_SECONDS}`);
    expect(r.status!.resolvedSchedule).to.equal(`${EVERY_3_SECONDS}; ${EVERY_6_SECONDS}`);
    const ticks = ticksOf(r, PERIOD);
    expect(ticks.filter((t) => t % (2 * PERIOD) === 0).length).to.be.greaterThan(0);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, created.metadata.uid!, ticks);
    expect(duplicates(perTick)).to.deep.equal([]);
    expect(ticks.filter((t) => perTick.get(t)?.length !== 1)).to.deep.equal([]);
  });

  it('maxRuns: 3 launches exactly 3 runs, then says MaxRunsReached and shows no next time', async () => {
    await startController();
    const created = await create('three', { schedule: EVERY_3_SECONDS, maxRuns: 3 });
    const reached = await waitFor(
      'MaxRunsReached',
      async () => {
        const r = await get('three');
        return r.status?.conditions?.find((c) => c.reason === 'MaxRunsReached') ? r : undefined;
      },
      40_000,
    );
    expect(reached.status!.conditions!.find((c) => c.type === 'Ready')).to.include({
      status: 'True',
      reason: 'MaxRunsReached',
    });
    // Three more ticks pass: nothing more launches.
    await sleep(3 * PERIOD * 1000);
    const r = await get('three');
    expect(r.status!.launchedRunsTotal).to.equal(3);
    expect(r.status!.nextScheduleTime).to.equal(undefined);
    const ticks = ticksBetween(created.metadata.creationTimestamp!, new Date(), PERIOD);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, created.metadata.uid!, ticks);
    const launched = ticks.filter((t) => (perTick.get(t)?.length ?? 0) > 0);
    expect(launched).to.have.length(3);
    expect(duplicates(perTick)).to.deep.equal([]);
  });
});

// BufferOne and catch-up, scaled; `npm run test:long` runs the same code at issue 20's figures.
schedulesV2Scenarios(CI_SCALE);
