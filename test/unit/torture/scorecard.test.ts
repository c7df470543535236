import { expect } from 'chai';
import { formatScorecard, scorecard, type EcsFault, type ScorecardInput } from '../../torture/scorecard.js';

const at = (s: number) => Date.parse('2026-03-01T00:00:00Z') + s * 1000;
const run = (resource: string, s: number, tasksWanted = 1) => ({
  resource,
  startedBy: `ecss/${resource}/${s}`,
  scheduledTimeMs: at(s),
  tasksWanted,
});
function recorded(entries: [string, number, string[]][]) {
  const m = new Map<string, Map<number, Set<string>>>();
  for (const [resource, s, results] of entries) {
    if (!m.has(resource)) m.set(resource, new Map());
    m.get(resource)!.set(at(s), new Set(results));
  }
  return m;
}

function input(overrides: Partial<ScorecardInput>): ScorecardInput {
  return {
    scenario: 'test',
    seed: 1,
    command: 'cmd',
    expected: [],
    ledgerRuns: [],
    recorded: new Map(),
    missedRunsTotal: new Map(),
    windows: [],
    explainSlackMs: 5_000,
    explainLeadMs: 1_000,
    ecsFaults: [],
    ecsFaultMarginMs: 2_000,
    ledgerEntries: [],
    passSlackMs: 200,
    statusVersionsSeen: 0,
    invalidStatuses: [],
    unexpectedCrashes: [],
    injected: {},
    ...overrides,
  };
}

describe('torture scorecard', () => {
  it('counts a run launched once and recorded as exactly once, with its launch delay', () => {
    const card = scorecard(
      input({
        expected: [run('ns/a', 10)],
        ledgerRuns: [
          { startedBy: 'ecss/ns/a/10', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(10) + 250 },
        ],
        recorded: recorded([['ns/a', 10, ['Running', 'Succeeded']]]),
      }),
    );
    expect(card.launchedExactlyOnce).to.equal(1);
    expect(card.launchDelayOutsideFaultsMs).to.deep.equal({ p50: 250, p99: 250, max: 250, runs: 1 });
    expect(card.verdict).to.deep.equal({ pass: true, failures: [] });
  });

  it('takes duplicates from the ledger, never from status, and fails the verdict on them', () => {
    const card = scorecard(
      input({
        expected: [run('ns/a', 10)],
        ledgerRuns: [{ startedBy: 'ecss/ns/a/10', acceptedLaunches: 2, tasks: 2, firstLaunchAt: at(10) }],
        recorded: recorded([['ns/a', 10, ['Succeeded']]]),
      }),
    );
    expect(card.launchedExactlyOnce).to.equal(0);
    expect(card.duplicates).to.equal(1);
    expect(card.duplicateRuns[0]).to.include({ resource: 'ns/a', tasks: 2, wanted: 1, launches: 2 });
    expect(card.verdict.failures).to.deep.equal(['1 duplicate task(s)']);
  });

  it('does not call a second RunTask for the tasks the first could not place a duplicate', () => {
    const card = scorecard(
      input({
        expected: [run('ns/a', 10, 2)],
        ledgerRuns: [{ startedBy: 'ecss/ns/a/10', acceptedLaunches: 2, tasks: 2, firstLaunchAt: at(10) }],
        recorded: recorded([['ns/a', 10, ['Succeeded']]]),
      }),
    );
    expect([card.duplicates, card.launchedExactlyOnce]).to.deep.equal([0, 1]);
  });

  it('accounts missed times kept only in status.missedRunsTotal as missed, not lost', () => {
    const card = scorecard(
      input({
        expected: [run('ns/a', 10), run('ns/a', 12), run('ns/a', 14), run('ns/a', 16)],
        recorded: recorded([['ns/a', 16, ['Missed']]]),
        // Three missed in all: one kept as a record, two only counted; the fourth time is lost.
        missedRunsTotal: new Map([['ns/a', 3]]),
        windows: [{ kind: 'pause', startMs: at(9), endMs: at(17) }],
      }),
    );
    expect(card.missed).to.include({ total: 3, countedOnly: 2, unexplained: 0 });
    expect(card.lost.total).to.equal(1);
  });

  it('explains a missed run by the fault window around it, and flags one outside every window', () => {
    const card = scorecard(
      input({
        expected: [run('ns/a', 10), run('ns/a', 100)],
        recorded: recorded([
          ['ns/a', 10, ['Missed']],
          ['ns/a', 100, ['Missed']],
        ]),
        windows: [{ kind: 'kill', startMs: at(8), endMs: at(12) }],
      }),
    );
    expect(card.missed.total).to.equal(2);
    expect(card.missed.unexplained).to.equal(1);
    expect(card.missed.runs[0]?.explainedBy?.kind).to.equal('kill');
    expect(card.missed.runs[1]?.explainedBy).to.equal(null);
    expect(card.verdict.failures).to.deep.equal(['1 unexplained missed run(s)']);
  });

  it('calls a run neither launched nor recorded lost; one skipped by Forbid is neither', () => {
    const card = scorecard(
      input({
        expected: [run('ns/a', 10), run('ns/a', 20)],
        recorded: recorded([['ns/a', 20, ['Skipped']]]),
      }),
    );
    expect(card.lost.total).to.equal(1);
    expect(card.lost.runs[0]?.scheduledTime).to.equal(new Date(at(10)).toISOString());
    expect(card.notLaunchedByResult).to.deep.equal({ Skipped: 1 });
    expect(card.verdict.pass).to.equal(false);
  });

  it('leaves launches inside a fault window out of the launch delay', () => {
    const card = scorecard(
      input({
        expected: [run('ns/a', 10), run('ns/a', 50)],
        ledgerRuns: [
          { startedBy: 'ecss/ns/a/10', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(25) },
          { startedBy: 'ecss/ns/a/50', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(50) + 100 },
        ],
        recorded: recorded([
          ['ns/a', 10, ['Succeeded']],
          ['ns/a', 50, ['Succeeded']],
        ]),
        windows: [{ kind: 'apiserver-restart', startMs: at(9), endMs: at(20) }],
      }),
    );
    expect(card.launchDelayOutsideFaultsMs.max).to.equal(100);
  });

  it('counts a launch the status never showed, invalid status and unexpected crashes', () => {
    const card = scorecard(
      input({
        expected: [run('ns/a', 10)],
        ledgerRuns: [{ startedBy: 'ecss/ns/a/10', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(10) }],
        invalidStatuses: [{ resource: 'ns/a', resourceVersion: '7', issues: ['status.runs[0].result: bad'] }],
        unexpectedCrashes: [{ replica: 'r0', atMs: at(30), exit: '70' }],
      }),
    );
    expect(card.launchedButUnrecorded).to.deep.equal({
      total: 1,
      runs: [{ resource: 'ns/a', scheduledTime: new Date(at(10)).toISOString(), startedBy: 'ecss/ns/a/10' }],
    });
    expect(card.verdict.failures).to.deep.equal(['1 invalid status version(s)', '1 unexpected crash(es)']);
  });

  it('fails a time the ledger shows launched but the status recorded as Missed', () => {
    const card = scorecard(
      input({
        expected: [run('ns/a', 10), run('ns/a', 20)],
        ledgerRuns: [
          { startedBy: 'ecss/ns/a/10', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(10) },
          { startedBy: 'ecss/ns/a/20', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(20) },
        ],
        recorded: recorded([
          ['ns/a', 10, ['Missed']],
          ['ns/a', 20, ['Succeeded']],
        ]),
      }),
    );
    expect(card.launchedButMissed).to.deep.equal({
      total: 1,
      runs: [{ resource: 'ns/a', scheduledTime: new Date(at(10)).toISOString(), startedBy: 'ecss/ns/a/10' }],
    });
    expect(card.verdict.failures).to.deep.equal(['1 launched run(s) recorded as Missed']);
    expect(formatScorecard(card)).to.match(/launched but recorded Missed: 1/);
  });

  describe('a missed time explained by injected ECS faults (coalescing after retried launches)', () => {
    // ns/a runs every 2 s. The run of 10 s was launched late (at 14.5 s, after faults), 12 s was
    // recorded Missed, 14 s launched. ns/ab is another resource whose uid starts like ns/a's.
    const late = [
      { at: at(14.5), outcome: 'accepted', startedBy: 'ecss/ns/a/10' },
      { at: at(14.6), outcome: 'accepted', startedBy: 'ecss/ns/a/14' },
      { at: at(10), outcome: 'accepted', startedBy: 'ecss/ns/ab/10' },
    ];
    const f = (s: number, fault: string, extra: Partial<EcsFault> = {}): EcsFault => ({
      at: at(s),
      operation: 'RunTask',
      fault,
      startedBy: 'ecss/ns/a/10',
      ...extra,
    });
    const cases: {
      name: string;
      faults: EcsFault[];
      launches?: ScorecardInput['ledgerEntries'];
      windows?: ScorecardInput['windows'];
      explainedBy: string | null;
      because?: RegExp;
    }[] = [
      {
        name: "a failed call on its own resource's previous launch explains it",
        faults: [f(10.2, 'serverError')],
        explainedBy: 'ecs-faults',
      },
      {
        name: "a fault on another resource's launch does not",
        faults: [f(10.2, 'throttle', { startedBy: 'ecss/ns/b/10' })],
        explainedBy: null,
      },
      {
        name: 'a resource whose uid starts like ours is another resource',
        faults: [f(10.2, 'throttle', { startedBy: 'ecss/ns/ab/10' })],
        explainedBy: null,
      },
      {
        name: 'no fault leaves it unexplained',
        faults: [],
        explainedBy: null,
      },
      {
        name: 'a fault on its own resource before the previous scheduled time does not',
        faults: [f(9.5, 'serverError', { startedBy: 'ecss/ns/a/8' })],
        explainedBy: null,
      },
      {
        name: 'a fault past the missed time and its margin does not',
        faults: [f(14.5, 'serverError')],
        explainedBy: null,
      },
      {
        name: 'a failed lookup just after the missed time, inside the margin, does',
        faults: [f(13.5, 'throttle', { operation: 'ListTasks' })],
        explainedBy: 'ecs-faults',
      },
      {
        name: 'a call of the resource still in flight when the next time came due does',
        faults: [f(12.2, 'latencySpike', { operation: 'ListTasks', detail: 2000 })],
        explainedBy: 'ecs-faults',
      },
      {
        name: 'a fault known only by its clientToken does',
        faults: [f(11, 'serverError', { startedBy: undefined, clientToken: 'ns/a-10' })],
        explainedBy: 'ecs-faults',
      },
      {
        name: 'a launch that succeeded only just before the next time came due does',
        faults: [f(10.2, 'serverError')],
        launches: [{ at: at(13.9), outcome: 'accepted', startedBy: 'ecss/ns/a/10' }],
        explainedBy: 'ecs-faults',
      },
      {
        name: 'a slow call whose launch then succeeded long before the next time does not (the controller idled)',
        faults: [f(10.1, 'latencySpike', { operation: 'ListTasks', detail: 2000 })],
        launches: [{ at: at(12.2), outcome: 'accepted', startedBy: 'ecss/ns/a/10' }],
        explainedBy: null,
        because: /last ECS call before the next time .*\(RunTask accepted, sent .*\): it was free/,
      },
      {
        name: 'a placement failure does not fail the pass, so it does not hold the resource up',
        faults: [f(12.5, 'capacity', { startedBy: 'ecss/ns/a/12' })],
        launches: [{ at: at(12.5), outcome: 'unplaced', startedBy: 'ecss/ns/a/12' }],
        explainedBy: null,
        because: /\(RunTask capacity, sent /,
      },
      {
        name: 'a failed call answered late, just before the next time, does',
        faults: [
          f(11.9, 'latencySpike', { operation: 'ListTasks', detail: 2000 }),
          f(11.9, 'serverError', { operation: 'ListTasks' }),
        ],
        launches: [],
        explainedBy: 'ecs-faults',
      },
      {
        name: 'a fault window around it comes first',
        faults: [f(11, 'serverError')],
        windows: [{ kind: 'kill', startMs: at(11), endMs: at(13) }],
        explainedBy: 'kill',
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const card = scorecard(
          input({
            expected: [run('ns/a', 10), run('ns/a', 12), run('ns/a', 14), run('ns/ab', 10)],
            ledgerRuns: [
              { startedBy: 'ecss/ns/a/10', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(14.5) },
              { startedBy: 'ecss/ns/a/14', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(14.6) },
              { startedBy: 'ecss/ns/ab/10', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(10) },
            ],
            ledgerEntries: c.launches ?? late,
            recorded: recorded([
              ['ns/a', 10, ['Succeeded']],
              ['ns/a', 12, ['Missed']],
              ['ns/a', 14, ['Succeeded']],
              ['ns/ab', 10, ['Succeeded']],
            ]),
            ecsFaults: c.faults,
            windows: c.windows ?? [],
          }),
        );
        const miss = card.missed.runs[0]!;
        expect(miss.scheduledTime).to.equal(new Date(at(12)).toISOString());
        expect(miss.explainedBy?.kind ?? null).to.equal(c.explainedBy);
        if (c.because) expect(miss.notExplainedBecause).to.match(c.because);
        expect(card.missed).to.include({
          total: 1,
          explainedByFaultWindows: c.explainedBy === 'kill' ? 1 : 0,
          explainedByEcsFaults: c.explainedBy === 'ecs-faults' ? 1 : 0,
          unexplained: c.explainedBy === null ? 1 : 0,
        });
        expect(card.verdict.pass).to.equal(c.explainedBy !== null);
      });
    }

    it("judges the load's last time against the resource's next time past the load", () => {
      const card = scorecard(
        input({
          expected: [run('ns/a', 10), { ...run('ns/a', 12), nextScheduledTimeMs: at(14) }],
          ledgerRuns: [{ startedBy: 'ecss/ns/a/10', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(14.5) }],
          ledgerEntries: late,
          recorded: recorded([
            ['ns/a', 10, ['Succeeded']],
            ['ns/a', 12, ['Missed']],
          ]),
          ecsFaults: [f(10.2, 'serverError')],
        }),
      );
      expect(card.missed.runs[0]!.explainedBy?.kind).to.equal('ecs-faults');
    });

    it('keeps the evidence: the window searched, the faults found and what held the resource up', () => {
      const card = scorecard(
        input({
          expected: [run('ns/a', 10), run('ns/a', 12), run('ns/a', 14)],
          ledgerRuns: [{ startedBy: 'ecss/ns/a/10', acceptedLaunches: 1, tasks: 1, firstLaunchAt: at(15) }],
          ledgerEntries: [{ at: at(15), outcome: 'accepted', startedBy: 'ecss/ns/a/10' }],
          recorded: recorded([
            ['ns/a', 10, ['Succeeded']],
            ['ns/a', 12, ['Missed']],
            ['ns/a', 14, ['Missed']],
          ]),
          ecsFaults: [f(10.1, 'serverError', { clientToken: 'x' }), f(12.5, 'throttle')],
          windows: [{ kind: 'pause', startMs: at(14), endMs: at(16) }],
        }),
      );
      expect(card.missed.runs[0]!.explainedBy).to.deep.equal({
        kind: 'ecs-faults',
        start: new Date(at(10)).toISOString(),
        end: new Date(at(14)).toISOString(),
        faults: 2,
        examples: [
          {
            at: new Date(at(10.1)).toISOString(),
            operation: 'RunTask',
            fault: 'serverError',
            startedBy: 'ecss/ns/a/10',
          },
          {
            at: new Date(at(12.5)).toISOString(),
            operation: 'RunTask',
            fault: 'throttle',
            startedBy: 'ecss/ns/a/10',
          },
        ],
        heldUpBy: { at: new Date(at(12.5)).toISOString(), what: 'RunTask throttle' },
      });
      const text = formatScorecard(card);
      expect(text).to.include('missed, explained by injected ECS faults: 1');
      expect(text).to.include('missed, explained by fault windows:       1');
    });
  });
});
