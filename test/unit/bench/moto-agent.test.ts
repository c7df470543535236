import { expect } from 'chai';
import { MotoAgentRound, type MotoTasks } from '../../../bench/moto-agent.js';

/** A moto whose tasks each stop after `movesToStop` describes. */
function fakeMoto(arns: string[], movesToStop: number) {
  const described = new Map<string, number>();
  const calls: string[][] = [];
  const tasks: MotoTasks = {
    listRunning: () => Promise.resolve(arns),
    describe: (batch) => {
      calls.push([...batch]);
      for (const arn of batch) described.set(arn, (described.get(arn) ?? 0) + 1);
      return Promise.resolve(
        new Map(batch.map((arn) => [arn, (described.get(arn) ?? 0) >= movesToStop ? 'STOPPED' : 'RUNNING'])),
      );
    },
  };
  return { tasks, calls, described };
}

describe('bench moto agent (moves moto tasks along on the clock)', () => {
  it('describes every running task each round, at most 100 per call', async () => {
    const arns = Array.from({ length: 250 }, (_, i) => `arn:task/${i}`);
    const moto = fakeMoto(arns, 4);
    await new MotoAgentRound(moto.tasks).tick();
    expect(moto.calls.map((c) => c.length)).to.deep.equal([100, 100, 50]);
    expect(new Set(moto.calls.flat()).size).to.equal(250);
  });

  it('stops describing a task once it was seen STOPPED, so a long run does not grow its calls', async () => {
    const moto = fakeMoto(['a', 'b'], 2);
    const round = new MotoAgentRound(moto.tasks);
    await round.tick();
    await round.tick();
    expect(round.stats).to.deep.equal({ stopped: 2, describeCalls: 2 });
    await round.tick();
    expect(moto.calls).to.have.length(2);
    expect(moto.described.get('a')).to.equal(2);
  });
});
