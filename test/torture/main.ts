// `npm run torture` / `npm run torture:smoke`: runs a scenario file inside the test environment
// (through scripts/with-testenv.js) against the built controller, prints the scorecard and writes
// it as JSON. Exit 0 when the verdict passes, 1 when it does not, 2 on bad usage.
//
//   node --import tsx test/torture/main.ts SCENARIO.yaml [--seed N] [--out DIR]
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runScenario } from './driver.js';
import { parseScenario, ScenarioError } from './scenario.js';

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { seed: { type: 'string' }, out: { type: 'string' } },
    });
  } catch (err) {
    process.stderr.write(`torture: ${(err as Error).message}\n`);
    return 2;
  }
  const file = parsed.positionals[0];
  if (file === undefined || parsed.positionals.length > 1) {
    process.stderr.write('usage: torture SCENARIO.yaml [--seed N] [--out DIR]\n');
    return 2;
  }
  if (!existsSync('dist/cli/main.js')) {
    process.stderr.write('torture: dist/ is missing: run `npm run build` first\n');
    return 2;
  }
  let scenario;
  try {
    scenario = parseScenario(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    process.stderr.write(`torture: ${err.message}\n`);
    return 2;
  }
  const seedText = parsed.values.seed ?? process.env.TEST_SEED;
  const seed = seedText !== undefined ? Number(seedText) : (scenario.seed ?? randomInt(2 ** 31));
  if (!Number.isInteger(seed) || seed < 0) {
    process.stderr.write(`torture: --seed "${seedText}" must be a non-negative integer\n`);
    return 2;
  }
  const outDir = parsed.values.out ?? join(tmpdir(), `ecs-scheduler-torture-${scenario.name}-${seed}`);
  const card = await runScenario(scenario, {
    seed,
    outDir,
    command: `node --import tsx test/torture/main.ts ${file} --seed ${seed}`,
  });
  return card.verdict.pass ? 0 : 1;
}

// Exit explicitly: keep-alive sockets to the API server and the simulator would hold the loop open.
process.exit(await main(process.argv.slice(2)));
