import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { compileSchedule } from '../../../src/schedule/schedule.js';
import { jitterSeconds, stableHash } from '../../../src/schedule/stable-hash.js';

const run = promisify(execFile);
const scheduledTime = new Date('2026-03-29T01:00:00Z');

describe('stableHash and H', () => {
  it('is a 32-bit unsigned integer and differs by salt', () => {
    const a = stableHash('data/report', 'H:minute');
    const b = stableHash('data/report', 'H:hour');
    expect(Number.isInteger(a) && a >= 0 && a <= 0xffffffff).to.equal(true);
    expect(a).to.not.equal(b);
  });

  // Golden values. Every H schedule and every jitter delay is derived from stableHash, so a change
  // to it would silently move every hashed run time on upgrade; the README promises they do not
  // move. These were cross-checked against an independent Python implementation of the same
  // FNV-1a + murmur3-finaliser definition. Never update them to make a change pass.
  const goldenHashes: { name: string; key: string; salt: string; hash: number }[] = [
    { name: 'an H minute', key: 'data/report', salt: 'H:minute', hash: 154474350 },
    { name: 'an H hour', key: 'data/report', salt: 'H:hour', hash: 3331209104 },
    {
      name: "the README's nightly-report",
      key: 'default/nightly-report',
      salt: 'H:minute',
      hash: 2744962522,
    },
    { name: 'empty key and salt', key: '', salt: '', hash: 91794203 },
    { name: 'a non-ASCII key (hashed as UTF-8)', key: 'ns/ünïcødé-✓', salt: 'H:dayOfWeek', hash: 3451594250 },
  ];
  for (const c of goldenHashes) {
    it(`keeps its golden value: ${c.name}`, () => {
      expect(stableHash(c.key, c.salt)).to.equal(c.hash);
    });
  }

  const goldenSchedules: { name: string; expression: string; hashKey: string; resolved: string }[] = [
    { name: 'H H', expression: 'H H * * *', hashKey: 'data/report', resolved: '30 8 * * *' },
    {
      name: "the README's H 2",
      expression: 'H 2 * * *',
      hashKey: 'default/nightly-report',
      resolved: '22 2 * * *',
    },
    {
      name: 'H/step, H(range) and H day of week',
      expression: 'H/15 H(0-5) * * H',
      hashKey: 'data/report',
      resolved: '0-59/15 2 * * 0',
    },
    {
      name: 'H in cron()',
      expression: 'cron(H 3 ? * 2-6 *)',
      hashKey: 'data/report',
      resolved: 'cron(30 3 ? * 2-6 *)',
    },
    { name: 'H day of month', expression: 'H H H * *', hashKey: 'b/two', resolved: '41 22 17 * *' },
  ];
  for (const c of goldenSchedules) {
    it(`resolves to its golden time: ${c.name}`, () => {
      expect(compileSchedule(c.expression, { hashKey: c.hashKey }).resolved).to.equal(c.resolved);
    });
  }

  it('keeps its golden jitter', () => {
    expect(jitterSeconds('data/report', scheduledTime, 3600)).to.equal(1125);
    expect(jitterSeconds('default/heartbeat', new Date('2026-01-01T00:00:00Z'), 30)).to.equal(22);
  });

  it('spreads similar keys over a small modulus', () => {
    const buckets = new Set(
      Array.from({ length: 200 }, (_, i) => stableHash(`ns/job-${i}`, 'H:minute') % 60),
    );
    expect(buckets.size).to.be.greaterThan(45);
  });

  const resolveCases: { name: string; expression: string; pattern: RegExp }[] = [
    { name: 'H in minute and hour', expression: 'H H * * *', pattern: /^\d+ \d+ \* \* \*$/ },
    { name: '? in minute and hour means H', expression: '? ? * * *', pattern: /^\d+ \d+ \* \* \*$/ },
    {
      name: 'H/15 is an offset and a step',
      expression: 'H/15 * * * *',
      pattern: /^([0-9]|1[0-4])-59\/15 \* \* \* \*$/,
    },
    { name: 'H(1-5) stays in range', expression: '0 H(1-5) * * *', pattern: /^0 [1-5] \* \* \*$/ },
    { name: '? in dom is *', expression: '0 0 ? * 1', pattern: /^0 0 \* \* 1$/ },
    { name: 'H in cron()', expression: 'cron(H 3 ? * 2-6 *)', pattern: /^cron\(\d+ 3 \? \* 2-6 \*\)$/ },
  ];
  for (const c of resolveCases) {
    it(`resolves ${c.name}`, () => {
      expect(compileSchedule(c.expression, { hashKey: 'data/report' }).resolved).to.match(c.pattern);
    });
  }

  it('H differs between fields of one resource and between resources', () => {
    const names = ['a/one', 'a/two', 'b/one', 'b/two', 'c/three'];
    const resolved = names.map((name) => compileSchedule('H H H * *', { hashKey: name }).resolved);
    expect(new Set(resolved).size).to.equal(names.length);
  });

  it('H is stable across calls', () => {
    const first = compileSchedule('H H(0-5) * * *', { hashKey: 'data/report' }).resolved;
    const again = compileSchedule('H  H(0-5) * * *', { hashKey: 'data/report' }).resolved;
    expect(again).to.equal(first);
  });

  it('jitterSeconds stays in 0..max and is 0 without a budget', () => {
    const values = Array.from({ length: 50 }, (_, i) =>
      jitterSeconds('data/report', new Date(scheduledTime.getTime() + i * 60_000), 30),
    );
    expect(values.every((v) => Number.isInteger(v) && v >= 0 && v <= 30)).to.equal(true);
    expect(new Set(values).size).to.be.greaterThan(10);
    expect(jitterSeconds('data/report', scheduledTime, 0)).to.equal(0);
  });

  it('H and jitter are the same in another process', async function () {
    this.timeout(30_000);
    const script = [
      "const { stableHash, jitterSeconds } = await import('./src/schedule/stable-hash.ts');",
      "const { compileSchedule } = await import('./src/schedule/schedule.ts');",
      "console.log(JSON.stringify([stableHash('data/report', 'H:minute'),",
      `  jitterSeconds('data/report', new Date('${scheduledTime.toISOString()}'), 3600),`,
      "  compileSchedule('H H * * H', { hashKey: 'data/report' }).resolved]));",
    ].join('\n');
    const { stdout } = await run('node_modules/.bin/node', [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]);
    expect(JSON.parse(stdout)).to.deep.equal([
      stableHash('data/report', 'H:minute'),
      jitterSeconds('data/report', scheduledTime, 3600),
      compileSchedule('H H * * H', { hashKey: 'data/report' }).resolved,
    ]);
  });
});
