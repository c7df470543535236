import { expect } from 'chai';
import type { Config } from '../../../src/config.js';
import { Leadership } from '../../../src/app/leadership.js';
import type { LeaderTerm } from '../../../src/app/leader-term.js';
import { systemClock } from '../../../src/controller/clock.js';
import { silentLogger } from '../../../src/log/logger.js';

function leadership(config: Partial<Config>, lock?: { holds(marginMs: number): boolean }) {
  const leaderCalls: boolean[] = [];
  const lead = new Leadership({
    config: { mode: 'kubernetes', leaderElect: false, ...config } as Config,
    clock: systemClock,
    logger: silentLogger,
    metrics: { setLeader: (isLeader) => void leaderCalls.push(isLeader) },
    ...(lock === undefined ? {} : { lock }),
  });
  return { lead, leaderCalls };
}

function recordingTerm(log: string[]): LeaderTerm {
  return {
    begin: (signal) => void log.push(`begin ${signal.aborted ? 'aborted' : 'live'}`),
    lost: async () => void log.push('lost'),
    finish: async () => void log.push('finish'),
    settled: async () => void log.push('settled'),
    isProcessing: () => false,
  };
}

describe('Leadership', () => {
  it('alone: holds, leads one term from start, and on stop lets it finish and settle', async () => {
    const { lead, leaderCalls } = leadership({});
    expect(lead.holds(5_000)).to.equal(true);
    expect(lead.isHealthy()).to.equal(true);
    const log: string[] = [];
    lead.start(recordingTerm(log));
    expect(leaderCalls).to.deep.equal([true]);
    await lead.stop();
    expect(log).to.deep.equal(['begin live', 'finish', 'settled']);
  });

  it('with --leader-elect in Kubernetes mode, holds nothing before an elector holds the Lease', () => {
    expect(leadership({ leaderElect: true }).lead.holds(0)).to.equal(false);
  });

  it('with --sharding in Kubernetes mode, holds nothing before its shard Lease is held', () => {
    expect(leadership({ sharding: true }).lead.holds(0)).to.equal(false);
    expect(leadership({ sharding: true }).lead.holds(0, 'ns/job')).to.equal(false);
  });

  it('standalone: the state file lock decides, whatever --leader-elect says', () => {
    let held = true;
    const { lead } = leadership({ mode: 'standalone', leaderElect: true }, { holds: () => held });
    expect(lead.holds(0)).to.equal(true);
    held = false;
    expect(lead.holds(0)).to.equal(false);
  });
});
