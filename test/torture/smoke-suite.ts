// A torture smoke as a mocha suite: the scenario runs once in `before`, then each promise of the
// scorecard is its own test, so a failure says which one was broken. TEST_SEED=<seed> replays a run.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testSeed } from '../support/seeded-random.js';
import { runScenario } from './driver.js';
import { parseScenario } from './scenario.js';
import type { Scorecard } from './scorecard.js';

export function describeTortureSmoke(options: {
  readonly title: string;
  readonly file: string;
  /** The spec file that runs it, for the replay command. */
  readonly specFile: string;
  /** Faults that must have been injected, by the scorecard's names. */
  readonly injected: Record<string, number>;
}): void {
  describe(options.title, function () {
    this.timeout(15 * 60_000);
    let card: Scorecard;

    before(async () => {
      const scenario = parseScenario(readFileSync(options.file, 'utf8'), options.file);
      const { seed } = testSeed(options.title);
      card = await runScenario(scenario, {
        seed,
        outDir: join(tmpdir(), `ecs-scheduler-torture-${scenario.name}-${seed}`),
        command: `TEST_SEED=${seed} npx mocha ${options.specFile}`,
      });
    });

    it('injected what the scenario asked for', () => {
      expect(card.injected).to.deep.include(options.injected);
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
    it('recorded no launched time as Missed', () => {
      expect(card.launchedButMissed.runs).to.deep.equal([]);
    });
    it('never crashed on its own', () => {
      expect(card.unexpectedCrashes).to.deep.equal([]);
    });
  });
}
