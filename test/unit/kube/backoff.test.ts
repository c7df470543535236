import { expect } from 'chai';
import { backoffDelayMs } from '../../../src/kube/backoff.js';

const middle = () => 0.5; // no jitter: random 0.5 maps to a spread of 0
const lowest = () => 0;
const highest = () => 0.999999;

describe('backoffDelayMs', () => {
  const cases: { name: string; attempt: number; random: () => number; expected: number }[] = [
    { name: 'first retry waits the initial delay', attempt: 0, random: middle, expected: 1_000 },
    { name: 'doubles per consecutive failure', attempt: 1, random: middle, expected: 2_000 },
    { name: 'keeps doubling', attempt: 4, random: middle, expected: 16_000 },
    { name: 'is capped at the maximum', attempt: 5, random: middle, expected: 30_000 },
    {
      name: 'huge attempt counts stay capped, never Infinity',
      attempt: 10_000,
      random: middle,
      expected: 30_000,
    },
    { name: 'jitter can shorten by 20 %', attempt: 0, random: lowest, expected: 800 },
    { name: 'jitter can lengthen by 20 %', attempt: 0, random: highest, expected: 1_200 },
    { name: 'jitter never exceeds the cap', attempt: 20, random: highest, expected: 30_000 },
    { name: 'jitter can shorten a capped delay', attempt: 20, random: lowest, expected: 24_000 },
    { name: 'a negative attempt is treated as the first', attempt: -3, random: middle, expected: 1_000 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(backoffDelayMs(c.attempt, {}, c.random)).to.equal(c.expected);
    });
  }

  it('honours custom options', () => {
    expect(backoffDelayMs(2, { initialMs: 100, factor: 3, maxMs: 10_000, jitter: 0 }, lowest)).to.equal(900);
  });
});
