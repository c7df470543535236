/**
 * Schedule engine throughput: `npx tsx bench/schedule.bench.ts`. Prints medians of several rounds
 * for uncached compiles (a fresh hash key each time defeats the cache), cached compiles, and
 * next() calls, per kind of expression.
 */
import { compileSchedule } from '../src/schedule/schedule.js';

const ROUNDS = 7;
const ROUND_MS = 200;
const from = new Date('2026-03-07T12:00:00Z');

const MIX: { label: string; expression: string; timeZone: string }[] = [
  { label: 'plain', expression: '*/5 9-17 * * MON-FRI', timeZone: 'UTC' },
  { label: '6-field', expression: '*/10 * * * * *', timeZone: 'UTC' },
  { label: 'H', expression: 'H H(0-5) * * *', timeZone: 'UTC' },
  { label: 'L/W/#', expression: '0 12 LW,15W * 5#3', timeZone: 'UTC' },
  { label: 'leap day', expression: '0 0 29 2 *', timeZone: 'UTC' },
  { label: 'cron()', expression: 'cron(0 12 ? * 2-6 *)', timeZone: 'UTC' },
  { label: 'rate', expression: 'rate(5 minutes)', timeZone: 'UTC' },
  { label: 'DST NY', expression: '30 2 * * *', timeZone: 'America/New_York' },
  { label: 'DST Berlin', expression: '*/15 * * * *', timeZone: 'Europe/Berlin' },
  { label: 'Lord_Howe', expression: '0 * * * *', timeZone: 'Australia/Lord_Howe' },
];

/** Calls `fn` in a tight loop for ROUND_MS, ROUNDS times; returns the median rate per second. */
function medianRate(fn: (i: number) => void): number {
  const rates: number[] = [];
  let counter = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < ROUND_MS) {
      for (let i = 0; i < 100; i++) fn(counter++);
      calls += 100;
    }
    rates.push(calls / ((performance.now() - started) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] ?? 0;
}

const format = (rate: number): string => Math.round(rate).toLocaleString('en-US').padStart(12);

console.log(
  `${'expression'.padEnd(12)} ${'compile/s'.padStart(12)} ${'cached/s'.padStart(12)} ${'next()/s'.padStart(12)}`,
);
for (const { label, expression, timeZone } of MIX) {
  const uncached = medianRate((i) =>
    compileSchedule(expression, { timeZone, hashKey: `bench/uncached-${i}` }),
  );
  const cached = medianRate(() => compileSchedule(expression, { timeZone, hashKey: 'bench/cached' }));
  const schedule = compileSchedule(expression, { timeZone, hashKey: 'bench/next' });
  // Walk forward through a year so DST days and month ends are part of the mix, then wrap.
  let cursor = from;
  const next = medianRate(() => {
    cursor = schedule.next(cursor) ?? from;
    if (cursor.getTime() > from.getTime() + 366 * 86_400_000) cursor = from;
  });
  console.log(`${label.padEnd(12)} ${format(uncached)} ${format(cached)} ${format(next)}`);
}
