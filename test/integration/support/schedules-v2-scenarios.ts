// Two of issue 20's end-to-end scenarios, parameterised by a scale so that CI runs them scaled
// down (test/integration/controller-schedules-v2.test.ts) and `npm run test:long` runs the very
// same code at the issue's figures (test/long/): BufferOne never overlaps and loses no time beyond
// its one-waiting rule; catch-up after downtime launches the newest missed times, once each. The
// controller process runs against the real kube-apiserver and moto; the test is each task's body
// (it stops each task once it has run its length).
import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import {
  duplicates,
  epochSeconds,
  everySeconds,
  launchedRuns,
  sleep,
  startedByFor,
  stopTasks,
  tasksPerTick,
  ticksBetween,
  waitFor,
} from './scheduled-runs.js';
import { useSchedulesV2Fixture } from './schedules-v2-fixture.js';

export interface SchedulesV2Scale {
  readonly name: string;
  readonly bufferOne: {
    readonly periodSeconds: number;
    readonly taskSeconds: number;
    /** The scenario ends once this many tasks launched and a run waited, or fails after timeoutMs. */
    readonly tasks: number;
    readonly timeoutMs: number;
  };
  readonly catchup: {
    readonly periodSeconds: number;
    readonly downtimeSeconds: number;
  };
}

/** Scaled for CI: each scenario proves the same as at full scale in well under a minute. */
export const CI_SCALE: SchedulesV2Scale = {
  name: 'scaled',
  bufferOne: { periodSeconds: 3, taskSeconds: 6, tasks: 3, timeoutMs: 60_000 },
  // Seven ticks of downtime: five caught up, at least two older ones Missed.
  catchup: { periodSeconds: 2, downtimeSeconds: 15 },
};

/** Issue 20's Done-when figures: 20-second tasks every 10 seconds; 6 minutes of downtime. */
export const FULL_SCALE: SchedulesV2Scale = {
  name: 'full scale',
  bufferOne: { periodSeconds: 10, taskSeconds: 20, tasks: 6, timeoutMs: 300_000 },
  catchup: { periodSeconds: 60, downtimeSeconds: 360 },
};

const CATCHUP_RUNS = 5;

/** Prints a figure of the scenario (the long tier's report). */
const figure = (scale: SchedulesV2Scale, what: string) =>
  process.stdout.write(`      [${scale.name}] ${what}\n`);

/**
 * The most tasks alive at once, from when each was launched and when the test stopped it, with the
 * same second of slack as the never-two-at-once assertion (status times may be whole seconds).
 */
function maxConcurrent(launchedAt: ReadonlyMap<string, number>, stoppedAt: ReadonlyMap<string, number>) {
  let max = 0;
  for (const [, at] of launchedAt) {
    const alive = [...launchedAt].filter(
      ([a, from]) => from <= at && (stoppedAt.get(a) ?? Infinity) > at + 1000,
    );
    max = Math.max(max, alive.length);
  }
  return max;
}

export function schedulesV2Scenarios(scale: SchedulesV2Scale): void {
  describe(`controller: schedules v2, ${scale.name} (real API server and moto)`, function () {
    const { env, ecs, create, get, ticksOf, startController, stopController } =
      useSchedulesV2Fixture('ctrl-schedules-v2-scale');

    const b = scale.bufferOne;
    it(`BufferOne with ${b.taskSeconds}-second tasks every ${b.periodSeconds} seconds: never two at once, every time launched, waiting or BufferFull`, async function () {
      this.timeout(b.timeoutMs + 60_000);
      await startController();
      const created = await create('buffered', {
        schedule: everySeconds(b.periodSeconds),
        concurrencyPolicy: 'BufferOne',
      });
      const uid = created.metadata.uid!;
      // The test is the task's body: each task stops taskSeconds after RunTask accepted it.
      const stoppedAt = new Map<string, number>();
      const launchedAt = new Map<string, number>();
      // When RunTask accepted each task, as the run records it.
      const observe = (r: EcsScheduledTaskResource) => {
        for (const run of r.status?.runs ?? []) {
          for (const t of run.tasks ?? []) {
            if (!launchedAt.has(t.taskArn)) launchedAt.set(t.taskArn, Date.parse(run.launchedAt!));
          }
        }
      };
      const waitedRuns = (r: EcsScheduledTaskResource) =>
        (r.status?.runs ?? []).filter((run) => run.launchDelaySeconds !== undefined);
      const deadline = Date.now() + b.timeoutMs;
      while (Date.now() < deadline) {
        const r = await get('buffered');
        observe(r);
        if (launchedAt.size >= b.tasks && waitedRuns(r).length > 0) break;
        const due = [...launchedAt].filter(
          ([a, at]) => !stoppedAt.has(a) && Date.now() - at >= b.taskSeconds * 1000,
        );
        // Stamped before StopTask: the controller may see the stop and launch before it returns.
        const stopping = Date.now();
        await stopTasks(
          ecs,
          env.ecsCluster,
          due.map(([a]) => a),
        );
        for (const [a] of due) stoppedAt.set(a, stopping);
        await sleep(250);
      }
      const r = await get('buffered');
      observe(r);
      // Never two at once: each task was created after the one before it was stopped.
      const order = [...launchedAt].sort((x, y) => x[1] - y[1]);
      expect(order.length, 'tasks launched').to.be.at.least(b.tasks);
      for (let i = 1; i < order.length; i++) {
        const before = stoppedAt.get(order[i - 1]![0]);
        expect(before, `task ${i - 1} stopped before task ${i} started`).to.not.equal(undefined);
        expect(order[i]![1], `task ${i} launched after task ${i - 1} stopped`).to.be.at.least(before! - 1000);
      }
      // Every tick is accounted for: one task, the one waiting, or Skipped BufferFull.
      const ticks = ticksOf(r, b.periodSeconds);
      const perTick = await tasksPerTick(ecs, env.ecsCluster, uid, ticks);
      expect(duplicates(perTick)).to.deep.equal([]);
      const byTick = new Map((r.status!.runs ?? []).map((run) => [epochSeconds(run.scheduledTime), run]));
      const waiting = r.status!.bufferedRun ? epochSeconds(r.status!.bufferedRun.scheduledTime) : undefined;
      const bufferFull = ticks.filter((t) => {
        const run = byTick.get(t);
        return run?.result === 'Skipped' && run.reason === 'BufferFull';
      });
      const lost = ticks.filter(
        (t) => perTick.get(t)?.length !== 1 && t !== waiting && !bufferFull.includes(t),
      );
      expect(
        lost.map((t) => new Date(t * 1000).toISOString()),
        'ticks neither launched, waiting nor BufferFull',
      ).to.deep.equal([]);
      // The runs that waited say how long.
      const waited = waitedRuns(r);
      expect(waited.length, 'runs launched after waiting').to.be.greaterThan(0);
      for (const run of waited) expect(run.launchDelaySeconds).to.be.greaterThan(0);
      expect([...perTick.values()].flat()).to.have.length(launchedAt.size);
      expect(startedByFor(uid, ticks[0]!)).to.match(/^ecss\//);
      figure(
        scale,
        `BufferOne: ${ticks.length} ticks, ${launchedAt.size} runs launched (${waited.length} after waiting, ` +
          `${waited.map((w) => `${w.launchDelaySeconds}s`).join(', ')}), ${waiting === undefined ? 0 : 1} waiting, ` +
          `${bufferFull.length} BufferFull, ${lost.length} lost; max concurrent ${maxConcurrent(launchedAt, stoppedAt)}`,
      );
    });

    const c = scale.catchup;
    it(`catchup: ${CATCHUP_RUNS} after ${c.downtimeSeconds} s of downtime (every ${c.periodSeconds} s) launches the ${CATCHUP_RUNS} newest missed times, once each; older ones are Missed`, async function () {
      const periodMs = c.periodSeconds * 1000;
      this.timeout(c.downtimeSeconds * 1000 + 2 * periodMs + 90_000);
      await startController();
      const created = await create('catchup', {
        schedule: everySeconds(c.periodSeconds),
        catchup: { maxRuns: CATCHUP_RUNS },
      });
      const uid = created.metadata.uid!;
      const before = await waitFor(
        'a first run',
        async () => {
          const r = await get('catchup');
          return r.status?.lastScheduleTime ? r : undefined;
        },
        periodMs + 20_000,
      );
      expect(await stopController('SIGTERM')).to.equal(0);
      const stoppedAt = new Date();
      const handledBefore = (await get('catchup')).status!.lastScheduleTime!;
      // Ticks pass with nobody watching.
      await sleep(c.downtimeSeconds * 1000);
      const restartedAt = new Date();
      await startController();
      const after = await waitFor(
        'the restarted controller to handle the downtime',
        async () => {
          const r = await get('catchup');
          const handled = Date.parse(r.status?.lastScheduleTime ?? '') >= restartedAt.getTime() - periodMs;
          const caughtUp = launchedRuns(r).filter(
            (run) => Date.parse(run.scheduledTime) > Date.parse(handledBefore),
          );
          return handled && caughtUp.length >= CATCHUP_RUNS ? r : undefined;
        },
        30_000,
      );
      expect(before.status!.lastScheduleTime).to.be.a('string');
      // The times nobody handled: after the watermark at stop, up to the restart.
      const missedTicks = ticksBetween(handledBefore, after.status!.lastScheduleTime!, c.periodSeconds);
      const downtimeTicks = Math.floor(c.downtimeSeconds / c.periodSeconds);
      expect(
        ticksBetween(handledBefore, restartedAt, c.periodSeconds).length,
        'ticks in the downtime',
      ).to.be.at.least(downtimeTicks);
      const perTick = await tasksPerTick(ecs, env.ecsCluster, uid, missedTicks);
      expect(duplicates(perTick)).to.deep.equal([]);
      // The first pass after the restart recorded the oldest downtime ticks Missed (no task) and
      // launched the 5 after them, once each; those reach the restart, so nothing else was due then.
      const byTick = new Map((after.status!.runs ?? []).map((run) => [epochSeconds(run.scheduledTime), run]));
      const older = missedTicks.filter((t) => byTick.get(t)?.result === 'Missed');
      expect(older.length, 'ticks recorded Missed').to.be.at.least(downtimeTicks - CATCHUP_RUNS);
      expect(older, 'the Missed ticks are the oldest').to.deep.equal(missedTicks.slice(0, older.length));
      expect(older.map((t) => perTick.get(t)?.length ?? 0)).to.deep.equal(older.map(() => 0));
      for (const t of older) expect(byTick.get(t)?.reason).to.equal('Coalesced');
      const caughtUp = missedTicks.slice(older.length, older.length + CATCHUP_RUNS);
      expect(caughtUp.map((t) => perTick.get(t)?.length ?? 0)).to.deep.equal(caughtUp.map(() => 1));
      expect(caughtUp).to.have.length(CATCHUP_RUNS);
      const lastBeforeRestart = missedTicks.filter((t) => t <= epochSeconds(restartedAt)).at(-1)!;
      expect(caughtUp.at(-1)!, 'the catch-up reaches the restart').to.be.at.least(lastBeforeRestart);
      // Each its own run, launched oldest first.
      const launched = caughtUp.map((t) => Date.parse(byTick.get(t)!.launchedAt!));
      expect([...launched].sort((x, y) => x - y)).to.deep.equal(launched);
      expect(stoppedAt.getTime()).to.be.below(restartedAt.getTime());
      const iso = (t: number) => new Date(t * 1000).toISOString();
      figure(
        scale,
        `catch-up: ${missedTicks.length} ticks missed in ${((restartedAt.getTime() - stoppedAt.getTime()) / 1000).toFixed(0)} s of downtime, ` +
          `${older.length} Missed (Coalesced), ${caughtUp.length} launched once each: ${caughtUp.map(iso).join(', ')}`,
      );
    });
  });
}
