import { expect } from 'chai';
import { RunTaskLedger, type LedgerEntry } from '../../support/ecs-simulator/run-task-ledger.js';

const launch = (
  startedBy: string,
  tasks: number,
  outcome: LedgerEntry['outcome'] = 'accepted',
  at = 0,
): LedgerEntry => ({
  at,
  outcome,
  cluster: 'c',
  taskDefinition: 'td',
  startedBy,
  count: tasks,
  taskArns: Array.from({ length: outcome === 'unplaced' ? 0 : tasks }, (_, i) => `${startedBy}/${i}/${at}`),
  failures: 0,
});

describe('RunTaskLedger', () => {
  const cases: {
    name: string;
    entries: LedgerEntry[];
    tasksPerRun?: number;
    expected: { runs: number; duplicates: number; extraTasks: number };
  }[] = [
    {
      name: 'one launch per run is no duplicate',
      entries: [launch('a', 1), launch('b', 1)],
      expected: { runs: 2, duplicates: 0, extraTasks: 0 },
    },
    {
      name: 'two accepted launches of one run are one duplicate',
      entries: [launch('a', 1), launch('a', 1, 'accepted', 5)],
      expected: { runs: 1, duplicates: 1, extraTasks: 1 },
    },
    {
      name: 'replays and conflicts are not launches',
      entries: [launch('a', 1), launch('a', 1, 'replay'), launch('a', 1, 'conflict')],
      expected: { runs: 1, duplicates: 0, extraTasks: 0 },
    },
    {
      name: 'an unplaced call is not a launch',
      entries: [launch('a', 1, 'unplaced'), launch('a', 1)],
      expected: { runs: 1, duplicates: 0, extraTasks: 0 },
    },
    {
      name: '25 tasks need three launches',
      entries: [launch('a', 10), launch('a', 10, 'accepted', 1), launch('a', 5, 'accepted', 2)],
      tasksPerRun: 25,
      expected: { runs: 1, duplicates: 0, extraTasks: 0 },
    },
    {
      name: 'a fourth launch of a 25-task run is a duplicate',
      entries: [
        launch('a', 10),
        launch('a', 10, 'accepted', 1),
        launch('a', 5, 'accepted', 2),
        launch('a', 5, 'accepted', 3),
      ],
      tasksPerRun: 25,
      expected: { runs: 1, duplicates: 1, extraTasks: 5 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ledger = new RunTaskLedger();
      for (const e of c.entries) ledger.record(e);
      expect(ledger.report(c.tasksPerRun === undefined ? {} : { tasksPerRun: c.tasksPerRun })).to.include(
        c.expected,
      );
    });
  }

  it('names the duplicated runs with their first and last launch', () => {
    const ledger = new RunTaskLedger();
    ledger.record(launch('a', 1, 'accepted', 100));
    ledger.record(launch('a', 1, 'accepted', 250));
    expect(ledger.report().duplicateRuns).to.deep.equal([
      {
        startedBy: 'a',
        acceptedLaunches: 2,
        replays: 0,
        conflicts: 0,
        tasks: 2,
        firstLaunchAt: 100,
        lastLaunchAt: 250,
      },
    ]);
  });

  it('keeps exact counts past its entry limit', () => {
    const ledger = new RunTaskLedger(2);
    for (let i = 0; i < 5; i++) ledger.record(launch(`r${i}`, 1));
    expect(ledger.entries()).to.have.length(2);
    expect(ledger.report()).to.include({ accepted: 5, runs: 5, dropped: 3 });
  });
});
