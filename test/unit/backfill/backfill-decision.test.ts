// The backfill's pure decision, branch by branch: which times a range holds, what each rerun mode
// does with a time given the task's record and the ECS lookup, the concurrency window, how a run
// stands, when to look again, and the conditions at the end.
import { expect } from 'chai';
import type { BackfillActiveRun, RerunMode } from '../../../src/api/backfill-types.js';
import type { RunResult } from '../../../src/api/types.js';
import {
  afterScheduledLookup,
  backfillTimes,
  classifyTime,
  freeSlots,
  handledBySchedule,
  isFinished,
  progressConditions,
  progressOf,
  requeueAfterMs,
  runVerdict,
  undecidedTimes,
} from '../../../src/backfill/backfill-decision.js';
import type { TaskObservation } from '../../../src/controller/ports.js';
import { compileSchedule } from '../../../src/schedule/schedule.js';

const iso = (d: Date) => d.toISOString();

describe('backfill decision', () => {
  describe('times in the range', () => {
    const cases: {
      name: string;
      schedule: string;
      timeZone?: string;
      start: string;
      end: string;
      createdAt: string;
      limit?: number;
      want: string[] | { tooMany: number };
    }[] = [
      {
        name: 'every 10 minutes: start inclusive, end exclusive',
        schedule: '*/10 * * * *',
        start: '2026-11-01T00:00:00Z',
        end: '2026-11-01T00:30:00Z',
        createdAt: '2026-12-01T00:00:00Z',
        want: ['2026-11-01T00:00:00.000Z', '2026-11-01T00:10:00.000Z', '2026-11-01T00:20:00.000Z'],
      },
      {
        name: 'a start between two fires begins at the next fire',
        schedule: '*/10 * * * *',
        start: '2026-11-01T00:00:01Z',
        end: '2026-11-01T00:30:00Z',
        createdAt: '2026-12-01T00:00:00Z',
        want: ['2026-11-01T00:10:00.000Z', '2026-11-01T00:20:00.000Z'],
      },
      {
        name: 'times after the backfill was created are left to the schedule',
        schedule: '*/10 * * * *',
        start: '2026-11-01T00:00:00Z',
        end: '2026-11-02T00:00:00Z',
        createdAt: '2026-11-01T00:15:00Z',
        want: ['2026-11-01T00:00:00.000Z', '2026-11-01T00:10:00.000Z'],
      },
      {
        name: "read in the task's time zone: 08:00 Berlin on weekdays",
        schedule: '0 8 * * 1-5',
        timeZone: 'Europe/Berlin',
        start: '2026-11-06T00:00:00Z', // a Friday
        end: '2026-11-10T00:00:00Z',
        createdAt: '2026-12-01T00:00:00Z',
        want: ['2026-11-06T07:00:00.000Z', '2026-11-09T07:00:00.000Z'],
      },
      {
        name: 'an empty range holds no time',
        schedule: '0 8 * * *',
        start: '2026-11-01T09:00:00Z',
        end: '2026-11-01T10:00:00Z',
        createdAt: '2026-12-01T00:00:00Z',
        want: [],
      },
      {
        name: 'more than the limit is refused, not cut short',
        schedule: '* * * * *',
        start: '2026-11-01T00:00:00Z',
        end: '2026-11-01T01:00:00Z',
        createdAt: '2026-12-01T00:00:00Z',
        limit: 59,
        want: { tooMany: 59 },
      },
      {
        name: 'exactly the limit is accepted',
        schedule: '*/6 * * * *',
        start: '2026-11-01T00:00:00Z',
        end: '2026-11-01T01:00:00Z',
        createdAt: '2026-12-01T00:00:00Z',
        limit: 10,
        want: Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 10, 1, 0, i * 6)).toISOString()),
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const fires = compileSchedule(c.schedule, { timeZone: c.timeZone, hashKey: 'data/report' });
        const result = backfillTimes(
          fires,
          { start: new Date(c.start), end: new Date(c.end), createdAt: new Date(c.createdAt) },
          c.limit ?? 1000,
        );
        if (Array.isArray(c.want)) {
          expect(result.ok).to.equal(true);
          expect(result.ok && result.times.map(iso)).to.deep.equal(c.want);
        } else {
          expect(result).to.deep.equal({ ok: false, limit: c.want.tooMany });
        }
      });
    }
  });

  describe('rerun modes: the task record, then the ECS lookup', () => {
    // [mode, recorded result, found under the scheduled startedBy, what happens]
    const table: [RerunMode, RunResult | undefined, boolean, string][] = [
      ['MissedAndFailed', undefined, false, 'launch'],
      ['MissedAndFailed', undefined, true, 'skip'],
      ['MissedAndFailed', 'Missed', false, 'launch'],
      ['MissedAndFailed', 'Skipped', false, 'launch'],
      ['MissedAndFailed', 'DryRun', false, 'launch'],
      ['MissedAndFailed', 'Failed', false, 'rerun'],
      ['MissedAndFailed', 'LaunchFailed', false, 'rerun'],
      ['MissedAndFailed', 'Succeeded', false, 'skip'],
      ['MissedAndFailed', 'Running', false, 'skip'],
      ['All', undefined, false, 'launch'],
      ['All', undefined, true, 'rerun'],
      ['All', 'Missed', true, 'rerun'],
      ['All', 'Succeeded', false, 'rerun'],
      ['All', 'Running', false, 'rerun'],
      ['All', 'Failed', false, 'rerun'],
    ];
    for (const [mode, recorded, found, want] of table) {
      it(`${mode}, recorded ${recorded ?? 'nothing'}, ${found ? 'found' : 'not found'} in ECS: ${want}`, () => {
        const first = classifyTime(mode, recorded);
        const got = first.action === 'scheduled' ? afterScheduledLookup(mode, found) : first.action;
        expect(got).to.equal(want);
      });
    }

    // A time the schedule handled, whose record and tasks are both gone: it may have run.
    const unknown: [RerunMode, boolean, string][] = [
      ['MissedAndFailed', false, 'skip'],
      ['MissedAndFailed', true, 'skip'],
      ['All', false, 'rerun'],
      ['All', true, 'rerun'],
    ];
    for (const [mode, found, want] of unknown) {
      it(`${mode}, handled by the schedule, its outcome forgotten, ${found ? 'found' : 'not found'}: ${want}`, () => {
        expect(afterScheduledLookup(mode, found, true)).to.equal(want);
      });
    }

    const task = { createdAt: '2026-11-10T00:00:00Z', lastScheduleTime: '2026-11-20T00:00:00Z' };
    const handled: [string, typeof task | Record<string, never>, boolean][] = [
      ['2026-11-09T00:00:00Z', task, false], // before the task existed: never the schedule's
      ['2026-11-10T00:00:00Z', task, false], // its creation instant: the schedule starts after it
      ['2026-11-15T00:00:00Z', task, true],
      ['2026-11-20T00:00:00Z', task, true], // the watermark itself was handled
      ['2026-11-21T00:00:00Z', task, false],
      ['2026-11-15T00:00:00Z', {}, false], // nothing handled yet
    ];
    for (const [time, t, want] of handled) {
      it(`handled by the schedule: ${time} ${Object.keys(t).length ? '' : '(no watermark) '}${want}`, () => {
        expect(handledBySchedule(new Date(time), t)).to.equal(want);
      });
    }
  });

  describe('the concurrency window', () => {
    const run = (n: number, launched = true): BackfillActiveRun => ({
      scheduledTime: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
      startedBy: `ecss/u/${n}`,
      cluster: 'c',
      ...(launched ? { taskArns: [`arn:${n}`], launchedAt: '2026-12-01T00:00:00Z' } : {}),
    });
    const cases: [number, BackfillActiveRun[], number][] = [
      [3, [], 3],
      [3, [run(1)], 2],
      [3, [run(1), run(2, false)], 1], // a chosen time holds its slot before it launches
      [3, [run(1), run(2), run(3)], 0],
      [1, [run(1), run(2)], 0], // never negative
    ];
    for (const [max, active, want] of cases) {
      it(`maxConcurrent ${max} with ${active.length} active: ${want} free`, () => {
        expect(freeSlots(max, active)).to.equal(want);
      });
    }

    it('undecided times are those after the last decided one, in order', () => {
      const times = [1, 2, 3, 4].map((m) => new Date(Date.UTC(2026, 10, 1, 0, m)));
      expect(undecidedTimes(times, undefined).map(iso)).to.deep.equal(times.map(iso));
      expect(undecidedTimes(times, iso(times[1]!)).map(iso)).to.deep.equal([iso(times[2]!), iso(times[3]!)]);
      expect(undecidedTimes(times, iso(times[3]!))).to.deep.equal([]);
    });
  });

  describe('how a run stands', () => {
    const now = new Date('2026-12-01T00:10:00Z');
    const run: BackfillActiveRun = {
      scheduledTime: '2026-11-01T00:00:00Z',
      startedBy: 'ecss/u/1',
      cluster: 'c',
      taskArns: ['a', 'b'],
      launchedAt: '2026-12-01T00:09:00Z',
    };
    const obs = (taskArn: string, lastStatus: string, exit?: number): TaskObservation => ({
      taskArn,
      lastStatus,
      exitCodes: exit === undefined ? {} : { app: exit },
      essentialContainers: ['app'],
    });
    const cases: [string, BackfillActiveRun, TaskObservation[], number, string][] = [
      ['chosen, not launched', { ...run, taskArns: undefined }, [], 60_000, 'pending'],
      ['not observed yet', run, [], 60_000, 'running'],
      ['one still running', run, [obs('a', 'STOPPED', 0), obs('b', 'RUNNING')], 60_000, 'running'],
      ['all exited 0', run, [obs('a', 'STOPPED', 0), obs('b', 'STOPPED', 0)], 60_000, 'succeeded'],
      ['one exited 1, the other runs', run, [obs('a', 'STOPPED', 1), obs('b', 'RUNNING')], 60_000, 'failed'],
      ['MISSING inside the grace', run, [obs('a', 'MISSING'), obs('b', 'STOPPED', 0)], 120_000, 'running'],
      ['MISSING past the grace', run, [obs('a', 'MISSING'), obs('b', 'STOPPED', 0)], 30_000, 'failed'],
    ];
    for (const [name, r, observed, graceMs, want] of cases) {
      it(`${name}: ${want}`, () => {
        const map = new Map(observed.map((o) => [o.taskArn, o]));
        expect(runVerdict(r, map, now, graceMs).state).to.equal(want);
      });
    }
  });

  describe('when to look again', () => {
    const now = new Date('2026-12-01T01:00:00Z');
    const active = (launchedAgoMs: number | undefined): BackfillActiveRun => ({
      scheduledTime: '2026-11-01T00:00:00Z',
      startedBy: 's',
      cluster: 'c',
      ...(launchedAgoMs === undefined
        ? {}
        : { taskArns: ['a'], launchedAt: new Date(now.getTime() - launchedAgoMs).toISOString() }),
    });
    const bounds = { minMs: 2_000, maxMs: 30_000 };
    const cases: [string, BackfillActiveRun[], number | undefined][] = [
      ['nothing active: only a change', [], undefined],
      ['a chosen time: at once, to launch it', [active(60_000), active(undefined)], 0],
      ['a young run: the minimum', [active(1_000)], 2_000],
      ['a quarter of the youngest age', [active(40_000), active(600_000)], 10_000],
      ['an old run: the maximum', [active(3_600_000)], 30_000],
    ];
    for (const [name, runs, want] of cases) {
      it(name, () => expect(requeueAfterMs(runs, now, bounds)).to.equal(want));
    }
  });

  describe('progress and the end', () => {
    const counts = { total: 30, launched: 28, succeeded: 27, failed: 1, skipped: 2 };
    it('DONE counts succeeded, failed and skipped times', () => {
      expect(progressOf(counts)).to.equal('30/30');
      expect(progressOf({ ...counts, succeeded: 20 })).to.equal('23/30');
    });

    const cases: [string, typeof counts, boolean, number | undefined, Record<string, string>][] = [
      ['in progress', counts, false, undefined, { Complete: 'False', Failed: 'False', Stalled: 'False' }],
      ['done, one failed', counts, true, undefined, { Complete: 'False', Failed: 'True', Stalled: 'False' }],
      [
        'done, none failed',
        { ...counts, failed: 0, succeeded: 28 },
        true,
        undefined,
        { Complete: 'True', Failed: 'False', Stalled: 'False' },
      ],
      [
        'a dry run done',
        { total: 30, launched: 0, succeeded: 0, failed: 0, skipped: 30 },
        true,
        12,
        { Complete: 'True', Failed: 'False', Stalled: 'False' },
      ],
    ];
    for (const [name, c, finished, wouldLaunch, want] of cases) {
      it(name, () => {
        const updates = progressConditions(c, finished, wouldLaunch, 1);
        expect(Object.fromEntries(updates.map((u) => [u.type, u.status]))).to.deep.equal(want);
        const conditions = updates.map((u) => ({ ...u, lastTransitionTime: '2026-12-01T00:00:00Z' }));
        expect(isFinished(conditions)).to.equal(finished);
        if (wouldLaunch !== undefined)
          expect(updates[0]!.message).to.equal('dry run: 12 of 30 times would be launched');
      });
    }
  });
});
