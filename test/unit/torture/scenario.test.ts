import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { planFaults } from '../../torture/fault-plan.js';
import { parseScenario, ScenarioError } from '../../torture/scenario.js';
import { seededRandom } from '../../support/seeded-random.js';

const minimal = `
load:
  - { name: fast, schedule: '*/2 * * * * *' }
`;

describe('torture scenario files', () => {
  it('fills every default around a minimal load', () => {
    const s = parseScenario(minimal);
    expect(s).to.deep.include({
      durationSeconds: 300,
      replicas: 2,
      leaseDurationSeconds: 6,
      seed: undefined,
    });
    expect(s.load[0]).to.deep.equal({
      name: 'fast',
      count: 1,
      schedule: '*/2 * * * * *',
      concurrencyPolicy: 'Allow',
      taskCount: 1,
      startingDeadlineSeconds: 60,
      sqsTrigger: false,
    });
    expect(s.faults.kills).to.equal(0);
    expect(s.faults.ecs.share).to.equal(0);
  });

  it('reads the shipped smoke scenario with the counts CI promises', () => {
    const s = parseScenario(readFileSync('test/torture/scenarios/smoke.yaml', 'utf8'), 'smoke.yaml');
    expect(s.faults).to.deep.include({ kills: 10, pauses: 2, apiserverRestarts: 1 });
    expect(s.faults.ecs.share).to.equal(0.3);
    expect(s.faults.pauseSeconds).to.be.above(s.leaseDurationSeconds);
  });

  it('reads the shipped full scenario with the counts the issue asks for', () => {
    const s = parseScenario(readFileSync('test/torture/scenarios/full.yaml', 'utf8'), 'full.yaml');
    expect(s.faults).to.deep.include({ kills: 100, pauses: 10, apiserverRestarts: 10, etcdRestarts: 2 });
    expect(s.faults.blackHoleSeconds).to.equal(30);
    const policies = new Set(s.load.map((g) => g.concurrencyPolicy));
    expect([...policies].sort()).to.deep.equal(['Allow', 'Forbid', 'Replace', 'TopUp']);
  });

  it('reads the shipped sharded scenarios: 3 replicas each on its shard, scaled up and down', () => {
    for (const file of ['smoke-sharded.yaml', 'full-sharded.yaml']) {
      const s = parseScenario(readFileSync(`test/torture/scenarios/${file}`, 'utf8'), file);
      expect(s.sharding, file).to.equal(true);
      expect(s.replicas, file).to.equal(3);
      expect(s.faults.scaleUps, file).to.be.above(0);
      expect(s.faults.scaleDowns, file).to.be.above(0);
      expect(s.faults.kills, file).to.be.above(0);
      expect(s.faults.pauses, file).to.be.above(0);
    }
    expect(parseScenario(minimal).sharding, 'off by default').to.equal(false);
  });

  const bad: { name: string; text: string; path: RegExp }[] = [
    {
      name: 'scaling without sharding',
      text: `${minimal}\nfaults: { scaleUps: 1 }`,
      path: /scenario\.faults: scaleUps and scaleDowns need sharding: true/,
    },
    {
      name: 'scaling down to no replica',
      text: `${minimal}\nsharding: true\nreplicas: 2\nfaults: { scaleDowns: 2 }`,
      path: /scaleDowns: must leave at least one replica/,
    },
    {
      name: 'a sharding flag that is not a boolean',
      text: `${minimal}\nsharding: yes please`,
      path: /scenario\.sharding: must be true or false/,
    },
    { name: 'no load', text: 'name: x', path: /scenario\.load: must list/ },
    { name: 'an unknown field', text: `${minimal}\nkils: 3`, path: /scenario\.kils: unknown field/ },
    {
      name: 'an unknown fault',
      text: `${minimal}\nfaults: { kils: 3 }`,
      path: /scenario\.faults\.kils: unknown field/,
    },
    {
      name: 'a share above 1',
      text: `${minimal}\nfaults: { ecs: { share: 1.5 } }`,
      path: /scenario\.faults\.ecs\.share: must be a number in \[0, 1\]/,
    },
    {
      name: 'a bad concurrency policy',
      text: `load: [{ name: a, schedule: '* * * * *', concurrencyPolicy: Sometimes }]`,
      path: /scenario\.load\[0\]\.concurrencyPolicy/,
    },
    {
      name: 'a pause no longer than the lease',
      text: `${minimal}\nfaults: { pauses: 1, pauseSeconds: 5 }\nleaseDurationSeconds: 6`,
      path: /pauseSeconds: must be longer than the lease/,
    },
    {
      name: 'a group name used twice',
      text: `load: [{ name: a, schedule: '* * * * *' }, { name: a, schedule: '* * * * *' }]`,
      path: /load\[1\]\.name: "a" is used twice/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}, naming the field`, () => {
      expect(() => parseScenario(c.text)).to.throw(ScenarioError, c.path);
    });
  }
});

describe('planFaults', () => {
  const scenario = parseScenario(`
durationSeconds: 120
quietSeconds: 10
load: [{ name: a, schedule: '* * * * *' }]
faults: { kills: 6, pauses: 2, pauseSeconds: 10, apiserverRestarts: 1, blackHoles: 1, blackHoleSeconds: 30 }
`);

  it('plans every fault once, between the quiet margins, one per slot', () => {
    const plan = planFaults(scenario, () => seededRandom(7).next());
    const count = (kind: string) => plan.filter((f) => f.kind === kind).length;
    expect([count('kill'), count('pause'), count('apiserver-restart'), count('black-hole')]).to.deep.equal([
      6, 2, 1, 1,
    ]);
    const slot = (100_000 / plan.length) | 0;
    for (const [i, f] of plan.entries()) {
      expect(f.atMs).to.be.within(10_000 + slot * i, 10_000 + slot * (i + 1));
    }
    expect(plan.find((f) => f.kind === 'pause')?.durationMs).to.equal(10_000);
    expect(plan.find((f) => f.kind === 'black-hole')?.durationMs).to.equal(30_000);
  });

  it('plans scale-ups and scale-downs of a sharded scenario among the other faults', () => {
    const sharded = parseScenario(`
durationSeconds: 120
replicas: 3
sharding: true
load: [{ name: a, schedule: '* * * * *' }]
faults: { kills: 2, scaleUps: 2, scaleDowns: 3 }
`);
    const plan = planFaults(sharded, () => seededRandom(7).next());
    const count = (kind: string) => plan.filter((f) => f.kind === kind).length;
    expect([count('kill'), count('scale-up'), count('scale-down')]).to.deep.equal([2, 2, 3]);
  });

  it('replays the same plan from the same seed, and another from another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = planFaults(scenario, () => a.next());
    expect(planFaults(scenario, () => b.next())).to.deep.equal(first);
    expect(planFaults(scenario, () => c.next())).to.not.deep.equal(first);
  });
});
