// The torture smoke in CI (about 5 minutes): test/torture/scenarios/smoke.yaml against the real
// API server, the ECS simulator with 30% of calls failing, 10 leader kills, 2 pauses past the
// lease and 1 API server restart. The scorecard is printed; the suite's promises are asserted one
// by one, so a failure says which was broken. TEST_SEED=<seed> replays a run.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testSeed } from '../support/seeded-random.js';
import { runScenario } from '../torture/driver.js';
import { parseScenario } from '../torture/scenario.js';
import type { Scorecard } from '../torture/scorecard.js';

describe('torture smoke (10 kills, 2 pauses, 1 API server restart, 30% ECS faults)', function () {
  this.timeout(15 * 60_000);
  let card: Scorecard;

  before(async () => {
    const file = 'test/torture/scenarios/smoke.yaml';
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const { seed } = testSeed('torture smoke');
    card = await runScenario(scenario, {
      seed,
      outDir: join(tmpdir(), `ecs-scheduler-torture-smoke-${seed}`),
      command: `TEST_SEED=${seed} npx mocha test/integration/torture-smoke.test.ts`,
    });
  });

  it('injected what the scenario asked for', () => {
    expect(card.injected).to.deep.include({ kills: 10, pauses: 2, apiserverRestarts: 1 });
    expect(card.scheduledTimes).to.be.above(100);
  });
  it('launched no run twice (counted from the ECS ledger)', () => {
    expect(card.duplicates).to.equal(0);
  });
  it('lost no run: every scheduled time was launched or recorded', () => {
    expect(card.lost.runs).to.deep.equal([]);
  });
  it('never wrote a status that fails the schema', () => {
    expect(card.invalidStatus.examples).to.deep.equal([]);
  });
  // A miss is explained by a fault window, or by injected ECS faults that held its resource up
  // until the next time came due (the evidence is in scorecard.json); any other is a finding.
  it('missed no run without a cause', () => {
    expect(card.missed.runs.filter((m) => m.explainedBy === null)).to.deep.equal([]);
  });
  it('never crashed on its own', () => {
    expect(card.unexpectedCrashes).to.deep.equal([]);
  });
});
