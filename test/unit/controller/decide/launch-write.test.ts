import { expect } from 'chai';
import type { RunRecord, Status } from '../../../../src/api/types.js';
import { MAX_WAITING_LAUNCHES, mayWaitToWrite } from '../../../../src/controller/decide/launch-write.js';

const now = new Date('2026-03-01T10:00:05Z');
const writeBy = new Date('2026-03-01T10:00:15Z');
const ready = [{ type: 'Ready', status: 'True', reason: 'Scheduled', message: 'm', lastTransitionTime: 't' }];
const done: RunRecord = { scheduledTime: '2026-03-01T09:00:00.000Z', result: 'Succeeded' };
const written: Status = { lastScheduleTime: done.scheduledTime, conditions: ready, runs: [done] };
const launch = (scheduledTime: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  scheduledTime,
  result: 'Running',
  tasks: [{ taskArn: `arn:${scheduledTime}` }],
  ...extra,
});
const ten = '2026-03-01T10:00:00.000Z';

describe('mayWaitToWrite: which status writes wait for the launch to end', () => {
  const cases: { name: string; next: Status; launched?: string[]; at?: Date; wait: boolean }[] = [
    {
      name: 'a plain launch of ours, with the watermark it moves: waits',
      next: {
        ...written,
        lastScheduleTime: ten,
        nextScheduleTime: 'x',
        activeCount: 1,
        runs: [launch(ten), done],
      },
      wait: true,
    },
    {
      name: 'a plain launch with the launch counter spec.maxRuns reads: waits (the counter moves with it)',
      next: { ...written, lastScheduleTime: ten, launchedRunsTotal: 1, runs: [launch(ten), done] },
      wait: true,
    },
    {
      name: 'a launch while BufferOne starts buffering a run: written (the waiting run must survive a restart)',
      next: {
        ...written,
        lastScheduleTime: ten,
        bufferedRun: { scheduledTime: ten, since: ten },
        runs: [launch(ten), done],
      },
      wait: false,
    },
    {
      name: 'a launch while passed-over times still wait for their lookup: written',
      next: {
        ...written,
        lastScheduleTime: ten,
        pendingLookups: [{ from: done.scheduledTime, to: done.scheduledTime }],
        runs: [launch(ten), done],
      },
      wait: false,
    },
    {
      name: 'past writeBy: written',
      next: { ...written, lastScheduleTime: ten, runs: [launch(ten), done] },
      at: writeBy,
      wait: false,
    },
    {
      name: 'a launch that is not ours this term (adopted): written',
      next: { ...written, runs: [launch(ten), done] },
      launched: [],
      wait: false,
    },
    {
      name: 'a launch short of tasks (a reason): written',
      next: { ...written, runs: [launch(ten, { reason: 'CapacityUnavailable' }), done] },
      wait: false,
    },
    {
      name: 'a launch with batches without an answer: written',
      next: {
        ...written,
        runs: [launch(ten, { unconfirmedLaunch: { launchAttempt: 0, fromBatch: 1, count: 2 } }), done],
      },
      wait: false,
    },
    {
      name: 'the launch already ended: written, once, with its result',
      next: { ...written, runs: [{ ...launch(ten), result: 'Succeeded' }, done] },
      wait: false,
    },
    {
      name: 'an earlier run changed too (it ended): written',
      next: { ...written, runs: [launch(ten), { ...done, message: 'x' }] },
      wait: false,
    },
    {
      name: 'a Missed count moved: written',
      next: { ...written, missedRunsTotal: 1, runs: [launch(ten), done] },
      wait: false,
    },
    {
      name: 'a condition turned: written',
      next: {
        ...written,
        conditions: [{ ...ready[0]!, status: 'False', reason: 'Suspended' }],
        runs: [launch(ten), done],
      },
      wait: false,
    },
    {
      name: `more than ${MAX_WAITING_LAUNCHES} launches waiting: written`,
      next: {
        ...written,
        runs: [0, 1, 2, 3].map((s) => launch(`2026-03-01T10:00:0${s}.000Z`)),
      },
      launched: [0, 1, 2, 3].map((s) => `2026-03-01T10:00:0${s}.000Z`),
      wait: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(
        mayWaitToWrite({
          written,
          next: c.next,
          launched: new Set(c.launched ?? [ten]),
          now: c.at ?? now,
          writeBy,
        }),
      ).to.equal(c.wait);
    });
  }
});
