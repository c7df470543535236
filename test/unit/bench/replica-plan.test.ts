import { expect } from 'chai';
import {
  formatCounts,
  idealMovedShare,
  lostRuns,
  movedShare,
  ownerCounts,
  parseDuration,
  parseReplicaPlan,
  reportSteps,
  settledOn,
  takeoverAfterKill,
  type OwnerLabels,
  type ScheduledRun,
} from '../../../bench/replica-plan.js';
import { assignShard } from '../../../src/shard/shard-assignment.js';

const labels = (entries: Record<string, string | undefined | [string, 'draining']>) =>
  new Map<string, OwnerLabels>(
    Object.entries(entries).map(([key, v]) => [
      key,
      Array.isArray(v) ? { owner: v[0], draining: true } : { owner: v, draining: false },
    ]),
  );

describe('bench replica plan', () => {
  describe('parseDuration', () => {
    for (const [text, ms] of [
      ['60s', 60_000],
      ['1.5m', 90_000],
      ['500ms', 500],
      ['90', 90_000],
    ] as const)
      it(`${text} is ${ms} ms`, () => expect(parseDuration(text)).to.equal(ms));
    for (const text of ['', 's', '-5s', '1h', '5 s x'])
      it(`rejects "${text}"`, () => expect(() => parseDuration(text)).to.throw(/duration/));
  });

  describe('parseReplicaPlan', () => {
    it('reads a start count and timed steps', () => {
      expect(parseReplicaPlan('3,5@60s,2@120s')).to.deep.equal({
        initial: 3,
        steps: [
          { atMs: 60_000, replicas: 5 },
          { atMs: 120_000, replicas: 2 },
        ],
      });
    });
    it('a bare count is a plan without steps', () => {
      expect(parseReplicaPlan('3')).to.deep.equal({ initial: 3, steps: [] });
    });
    for (const [text, why] of [
      ['0,2@10s', /count/],
      ['3,5', /<replicas>@<time>/],
      ['3,5@60s,2@30s', /time order/],
      ['3,5@60s,5@90s', /does not change/],
      ['3,x@60s', /count/],
      ['3,5@soon', /duration/],
    ] as const)
      it(`rejects "${text}"`, () => expect(() => parseReplicaPlan(text)).to.throw(why));
  });

  it('counts resources per owner, unlabelled ones as (none)', () => {
    const counts = ownerCounts(labels({ a: 'r1', b: 'r2', c: 'r1', d: undefined }));
    expect(formatCounts(counts)).to.equal('(none)=1, r1=2, r2=1');
  });

  describe('settledOn', () => {
    const live = ['r1', 'r2', 'r3'];
    const uids = Array.from({ length: 30 }, (_, i) => `uid-${i}`);
    const home = new Map(uids.map((u) => [u, assignShard(u, live)!]));
    const at = (change: (uid: string) => string | undefined | [string, 'draining']) =>
      labels(Object.fromEntries(uids.map((u) => [u, change(u)])));
    it('every resource with its rendezvous owner among the live replicas, none draining', () =>
      expect(
        settledOn(
          at((u) => home.get(u)),
          live,
        ),
      ).to.equal(true));
    it('not while one is draining', () =>
      expect(
        settledOn(
          at((u) => (u === 'uid-0' ? [home.get(u)!, 'draining'] : home.get(u))),
          live,
        ),
      ).to.equal(false));
    it('not while the labels are all live but a new replica has not won its share yet', () =>
      expect(
        settledOn(
          at((u) => assignShard(u, ['r1', 'r2'])),
          live,
        ),
      ).to.equal(false));
    it('not while one sits with a replica that is gone', () =>
      expect(
        settledOn(
          at((u) => home.get(u)),
          ['r1', 'r2'],
        ),
      ).to.equal(false));
    it('not while one is unlabelled', () =>
      expect(
        settledOn(
          at((u) => (u === 'uid-1' ? undefined : home.get(u))),
          live,
        ),
      ).to.equal(false));
  });

  describe('moved share', () => {
    it('ideal: 3 -> 5 moves 2/5, 5 -> 2 moves 3/5, 3 -> 2 moves 1/3', () => {
      expect(idealMovedShare(3, 5)).to.equal(0.4);
      expect(idealMovedShare(5, 2)).to.equal(0.6);
      expect(idealMovedShare(3, 2)).to.equal(1 / 3);
    });
    it('counts the resources whose owner changed', () => {
      const before = labels({ a: 'r1', b: 'r2', c: 'r3', d: 'r1', e: 'r2' });
      const after = labels({ a: 'r1', b: 'r4', c: 'r5', d: 'r1', e: 'r2' });
      expect(movedShare(before, after)).to.deep.equal({ moved: 2, total: 5, share: 0.4, unownedBefore: 0 });
    });
    it('leaves out resources that had no owner before (assigned, not moved)', () => {
      const before = labels({ a: 'r1', b: 'r2', c: undefined, d: 'r1' });
      const after = labels({ a: 'r1', b: 'r3', c: 'r3', d: 'r1' });
      expect(movedShare(before, after)).to.deep.equal({ moved: 1, total: 3, share: 1 / 3, unownedBefore: 1 });
    });
  });

  describe('lostRuns', () => {
    const windows = [
      { from: 60_000, to: 65_000 },
      { from: 120_000, to: Infinity },
    ];
    it('splits the runs never launched by the handover window their time falls in', () => {
      const runs: ScheduledRun[] = [
        { key: 'a', scheduledAt: 10_000, launchedAt: 10_100 },
        { key: 'b', scheduledAt: 30_000 },
        { key: 'c', scheduledAt: 60_000 },
        { key: 'd', scheduledAt: 65_000 },
        { key: 'e', scheduledAt: 65_001 },
        { key: 'f', scheduledAt: 200_000 },
        { key: 'g', scheduledAt: 200_000, launchedAt: 201_000 },
      ];
      expect(lostRuns(runs, windows)).to.deep.equal({ lost: 5, inWindow: [2, 1], outside: 2 });
    });
  });

  describe('takeoverAfterKill', () => {
    const killedAt = 100_000;
    it('times each resource on its first run launched after the kill, since the kill and since due', () => {
      const runs = new Map<string, ScheduledRun[]>([
        // Launched by the dead replica before the kill, then due 20 s after it, launched 0.5 s late.
        [
          'a',
          [
            { key: 'a', scheduledAt: 60_000, launchedAt: 60_100 },
            { key: 'a', scheduledAt: 120_000, launchedAt: 120_500 },
          ],
        ],
        // Due 2 s before the kill and not yet launched: the others launch it 6 s after the kill.
        ['b', [{ key: 'b', scheduledAt: 98_000, launchedAt: 106_000 }]],
        // Its first run after the kill was lost; the next one is timed.
        [
          'c',
          [
            { key: 'c', scheduledAt: 101_000 },
            { key: 'c', scheduledAt: 161_000, launchedAt: 161_200 },
          ],
        ],
        // Nothing after the kill at all.
        ['d', [{ key: 'd', scheduledAt: 90_000, launchedAt: 90_050 }]],
      ]);
      const t = takeoverAfterKill(killedAt, runs);
      expect(t.resources).to.equal(4);
      expect(t.unlaunched).to.equal(1);
      expect(t.sinceKill).to.deep.equal([6, 20.5, 61.2]);
      expect(t.late.map((s) => Number(s.toFixed(3)))).to.deep.equal([0.2, 0.5, 6]);
    });
  });

  describe('reportSteps', () => {
    // Six resources on r1..r3; r3 is SIGKILLed at 100 s and its two resources settle on r1 at 104 s.
    const before = labels({ u1: 'r1', u2: 'r1', u3: 'r2', u4: 'r2', u5: 'r3', u6: 'r3' });
    const after = labels({ u1: 'r1', u2: 'r1', u3: 'r2', u4: 'r2', u5: 'r1', u6: 'r2' });
    const step = {
      label: 'SIGKILL 3 -> 2',
      from: 3,
      to: 2,
      at: 100_000,
      before,
      after,
      settledAt: 104_000,
      killed: { identity: 'r3', wasSharder: false },
    };
    const runs: ScheduledRun[] = [
      { key: 'u5', scheduledAt: 102_000, launchedAt: 106_000 },
      { key: 'u6', scheduledAt: 130_000, launchedAt: 130_100 },
      // Lost inside the window, and one lost outside it.
      { key: 'u1', scheduledAt: 103_000 },
      { key: 'u2', scheduledAt: 150_000 },
    ];
    it('gives the moved share against the ideal, the handover, lost runs and the takeover', () => {
      const r = reportSteps([step], runs, 15);
      expect(r.lostOutside).to.equal(1);
      const [f] = r.figures;
      expect(f!.movedShare).to.equal(2 / 6);
      expect(f!.idealShare).to.equal(1 / 3);
      expect(f!.withinTenPoints).to.equal(true);
      expect(f!.handoverSeconds).to.equal(4);
      expect(f!.lostInWindow).to.equal(1);
      expect(f!.takeover!.lateMaxSeconds).to.equal(4);
      expect(f!.takeover!.unlaunched).to.equal(0);
      expect(r.lines.join('\n')).to.match(/within the 15 s Lease duration/);
    });
    it('says when the takeover took longer than a Lease, and has no lost runs without a ledger', () => {
      expect(reportSteps([step], runs, 3).lines.join('\n')).to.match(/NOT within the 3 s Lease/);
      const r = reportSteps([step], undefined, 15);
      expect(r.lostOutside).to.equal(null);
      expect(r.figures[0]!.takeover).to.equal(undefined);
    });
  });
});
