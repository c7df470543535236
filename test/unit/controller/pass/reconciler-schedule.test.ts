import { expect } from 'chai';
import { TAG_RESOURCE, TAG_SCHEDULED_TIME, TAG_UID } from '../../../../src/api/constants.js';
import type { RunRecord, Spec, Status } from '../../../../src/api/types.js';
import { jitterSeconds } from '../../../../src/schedule/stable-hash.js';
import { fixtureUid } from '../../../support/resources.js';
import { harness, key } from './harness.js';

// Named instants around an hourly schedule ("0 * * * *"); the fixture is created at 09:30.
const created = '2026-03-01T09:30:00Z';
const quarterToTen = '2026-03-01T09:45:00Z';
const justBeforeTen = '2026-03-01T09:59:59Z';
const ten = '2026-03-01T10:00:00Z';
const fiveSecondsPastTen = '2026-03-01T10:00:05Z';
const halfPastTen = '2026-03-01T10:30:00Z';
const eleven = '2026-03-01T11:00:00Z';
const onePastEleven = '2026-03-01T11:00:01Z';
const epochOf = (iso: string) => Date.parse(iso) / 1000;

const summary = (runs: readonly RunRecord[]) =>
  runs.map((r) => `${r.scheduledTime.slice(11, 16)} ${r.result}${r.reason ? `/${r.reason}` : ''}`);

describe('Reconciler: when to run', () => {
  interface Case {
    readonly name: string;
    readonly spec?: Partial<Spec>;
    readonly status?: Status;
    readonly creationTimestamp?: string;
    readonly now: string;
    readonly launches: number;
    readonly runs: string[];
    readonly lastScheduleTime?: string;
    readonly missedRunsTotal?: number;
    /** 'never': the pass asks for no requeue at all. */
    readonly requeueAfterMs?: number | 'never';
    readonly events?: string[];
  }
  const cases: Case[] = [
    {
      name: 'not due yet: requeues at the fire time plus padding',
      now: justBeforeTen,
      launches: 0,
      runs: [],
      requeueAfterMs: 1025,
      events: [],
    },
    {
      name: 'due: launches once and polls while the task runs',
      now: fiveSecondsPastTen,
      launches: 1,
      runs: ['10:00 Running'],
      lastScheduleTime: ten,
      requeueAfterMs: 10_000,
      events: ['Launched'],
    },
    {
      name: 'never backfills a fire time before the resource existed',
      creationTimestamp: '2026-03-01T09:00:30Z',
      now: quarterToTen,
      launches: 0,
      runs: [],
      events: [],
    },
    {
      name: 'missed after downtime: the newest inside the deadline runs, older ones are Missed and counted',
      spec: { startingDeadlineSeconds: 3600, failedRunsHistoryLimit: 5 },
      creationTimestamp: '2026-03-01T06:30:00Z',
      status: { lastScheduleTime: '2026-03-01T07:00:00Z', missedRunsTotal: 1 },
      now: '2026-03-01T10:00:30Z',
      launches: 1,
      runs: ['10:00 Running', '09:00 Missed/Coalesced', '08:00 Missed/Coalesced'],
      lastScheduleTime: ten,
      missedRunsTotal: 3,
      events: ['MissedSchedule', 'Launched'],
    },
    {
      name: 'too late: later than startingDeadlineSeconds is Missed, not launched',
      spec: { startingDeadlineSeconds: 600 },
      status: { lastScheduleTime: '2026-03-01T09:00:00Z' },
      now: halfPastTen,
      launches: 0,
      runs: ['10:00 Missed/StartingDeadlineExceeded'],
      lastScheduleTime: ten,
      missedRunsTotal: 1,
      events: ['MissedSchedule'],
      requeueAfterMs: 30 * 60_000 + 25,
    },
    {
      name: 'without startingDeadlineSeconds a late run still launches',
      status: { lastScheduleTime: '2026-03-01T09:00:00Z' },
      now: halfPastTen,
      launches: 1,
      runs: ['10:00 Running'],
      lastScheduleTime: ten,
      events: ['Launched'],
    },
    {
      name: 'suspended: nothing launches or is Missed; the watermark follows the clock',
      spec: { suspend: true },
      now: halfPastTen,
      launches: 0,
      runs: [],
      lastScheduleTime: ten,
      missedRunsTotal: 0,
      events: [],
      requeueAfterMs: 30 * 60_000 + 25,
    },
    {
      name: 'before the start of the window: nothing runs',
      spec: { startTime: '2026-03-01T12:00:00Z' },
      now: fiveSecondsPastTen,
      launches: 0,
      runs: [],
      events: [],
    },
    {
      name: 'after the end of the window: nothing runs and nothing is requeued',
      spec: { endTime: '2026-03-01T09:50:00Z', startTime: '2026-03-01T00:00:00Z' },
      now: fiveSecondsPastTen,
      launches: 0,
      runs: [],
      requeueAfterMs: 'never',
      events: [],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const h = harness(c.spec, {
        creationTimestamp: c.creationTimestamp ?? created,
        ...(c.status ? { status: c.status } : {}),
      });
      const result = await h.reconcile(c.now);
      expect(h.launcher.runRequests, 'RunTask calls').to.have.length(c.launches);
      expect(summary(h.runs())).to.deep.equal(c.runs);
      if (c.lastScheduleTime)
        expect(h.status().lastScheduleTime).to.equal(new Date(c.lastScheduleTime).toISOString());
      if (c.missedRunsTotal !== undefined) expect(h.status().missedRunsTotal).to.equal(c.missedRunsTotal);
      if (c.requeueAfterMs === 'never') expect(result.requeueAfterMs, 'a requeue').to.equal(undefined);
      else if (c.requeueAfterMs !== undefined) expect(result.requeueAfterMs).to.equal(c.requeueAfterMs);
      if (c.events) expect(h.events.reasons()).to.deep.equal(c.events);
    });
  }

  it('launches each scheduled time exactly once over many passes', async () => {
    const h = harness();
    for (const at of [justBeforeTen, ten, fiveSecondsPastTen, halfPastTen, eleven, onePastEleven])
      await h.reconcile(at);
    expect(h.launcher.runRequests.map((r) => r.startedBy)).to.deep.equal([
      `ecss/${fixtureUid}/${epochOf(ten)}`,
      `ecss/${fixtureUid}/${epochOf(eleven)}`,
    ]);
  });

  it('identifies the run by uid and scheduled time, and tags it', async () => {
    const h = harness({
      task: { taskDefinition: 'report', cluster: 'prod', tags: [{ key: 'team', value: 'data' }] },
    });
    await h.reconcile(fiveSecondsPastTen);
    const request = h.launcher.runRequests[0]!;
    expect(request).to.include({
      cluster: 'prod',
      count: 1,
      startedBy: `ecss/${fixtureUid}/${epochOf(ten)}`,
      clientToken: `${fixtureUid}-${epochOf(ten)}`,
    });
    expect(request.clientToken.length).to.be.at.most(64);
    expect(request.startedBy).to.match(/^[A-Za-z0-9_/-]{1,128}$/);
    expect(request.tags).to.deep.equal([
      { key: TAG_RESOURCE, value: key },
      { key: TAG_UID, value: fixtureUid },
      { key: TAG_SCHEDULED_TIME, value: new Date(ten).toISOString() },
      { key: 'team', value: 'data' },
    ]);
  });

  it('uses the default cluster when the spec names none', async () => {
    const h = harness();
    await h.reconcile(fiveSecondsPastTen);
    expect(h.launcher.runRequests[0]!.cluster).to.equal('default');
  });

  it('resuming after a suspension does not launch what fell inside it', async () => {
    const h = harness({ suspend: true });
    await h.reconcile(fiveSecondsPastTen);
    h.apply({ suspend: false });
    await h.reconcile(halfPastTen);
    expect(h.launcher.runRequests).to.have.length(0);
    await h.reconcile(onePastEleven);
    expect(summary(h.runs())).to.deep.equal(['11:00 Running']);
  });

  it('waits for the stable jitter of each scheduled time', async () => {
    const h = harness({ jitterSeconds: 600 });
    const jitter = jitterSeconds(key, new Date(ten), 600);
    const launchAt = Date.parse(ten) + jitter * 1000;
    const early = await h.reconcile(new Date(launchAt - 1000).toISOString());
    expect(h.launcher.runRequests).to.have.length(0);
    expect(early.requeueAfterMs).to.equal(1025);
    await h.reconcile(new Date(launchAt).toISOString());
    expect(summary(h.runs())).to.deep.equal(['10:00 Running']);
  });

  it('writes the status fields of the schedule', async () => {
    const h = harness({ schedule: 'H * * * *' });
    await h.reconcile(quarterToTen);
    const status = h.status();
    expect(status.resolvedSchedule).to.match(/^\d{1,2} \* \* \* \*$/);
    expect(status.nextScheduleTime).to.be.a('string');
    expect(status.observedGeneration).to.equal(1);
    expect(status.activeCount).to.equal(0);
    expect(status.conditions?.map((c) => `${c.type}=${c.status}`)).to.deep.equal([
      'Ready=True',
      'Stalled=False',
      'Reconciling=False',
    ]);
    expect(h.metrics.schedules.get(key)?.next?.toISOString()).to.equal(status.nextScheduleTime);
  });

  it('does not write the status when nothing changed', async () => {
    const h = harness();
    await h.reconcile(quarterToTen);
    await h.reconcile('2026-03-01T09:46:00Z');
    expect(h.store.statusWrites).to.have.length(1);
  });

  it('forgets the metrics of a deleted resource', async () => {
    const h = harness();
    h.store.delete(key);
    expect(await h.reconcile(ten)).to.deep.equal({});
    expect(h.metrics.forgotten).to.deep.equal([key]);
  });
});
