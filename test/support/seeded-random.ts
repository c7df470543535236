// Random moments for crash tests that can be replayed: the seed is printed, and TEST_SEED=<seed>
// runs the same sequence again. mulberry32: tiny, fast and good enough to spread kill times.
import { randomInt } from 'node:crypto';

export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
}

export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0;
  return {
    seed,
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** The seed of this run: TEST_SEED if set, else a fresh one; logged under `what` either way. */
export function testSeed(what: string, env: NodeJS.ProcessEnv = process.env): SeededRandom {
  const fromEnv = env.TEST_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : randomInt(2 ** 32 - 1);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`TEST_SEED="${fromEnv}" must be an integer in [0, 2^32)`);
  console.log(`      ${what}: random seed ${seed} (replay with TEST_SEED=${seed})`);
  return seededRandom(seed);
}
