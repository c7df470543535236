// The simulator as a process, for benchmarks and test suites that drive it from elsewhere:
//
//   node --import tsx test/support/ecs-simulator/main.ts --port 0 --quotas off
//
// prints one JSON line, {"endpoint":"http://127.0.0.1:PORT","port":PORT,"pid":PID}, once it listens,
// and runs until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { startEcsSimulatorServer } from './server.js';

const USAGE = `Usage: node --import tsx test/support/ecs-simulator/main.ts [options]
  --port N                       listen port (default 0: any free port)
  --host ADDR                    listen address (default 127.0.0.1)
  --quotas aws|off|JSON          ECS's documented token buckets, none, or custom buckets (default aws)
  --faults JSON                  fault injection, e.g. '{"serverErrorRate":0.01,"latencyMs":20}'
  --lifecycle JSON               task lifecycle, e.g. '{"runningMs":5000,"failShare":0.1}'
  --cluster NAME                 a cluster that exists from the start (repeatable; "default" always does)
  --task-definition JSON         a RegisterTaskDefinition input registered at start (repeatable)
  --stopped-retention-seconds S  how long stopped tasks stay visible (default 3600)
  --client-token-ttl-seconds S   how long a RunTask clientToken is remembered (default 86400)
  --region R                     region in ARNs (default us-east-1)
  --account-id ID                account in ARNs (default 123456789012)
  --random-seed N                seed for faults, exit codes and failures (default: Math.random)
  --ledger-limit N               RunTask ledger entries kept; counts stay exact beyond it (default 200000)
Control API: GET /_sim/health, GET /_sim/stats, GET /_sim/ledger[?entries=0&runs=1&tasksPerRun=N],
GET|PUT /_sim/faults, GET|PUT /_sim/lifecycle, GET|PUT /_sim/quotas, POST /_sim/reset.`;

/** mulberry32: a small seeded PRNG, so a fault pattern can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function json(flag: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`--${flag}: not JSON (${(err as Error).message})`, { cause: err });
  }
}

function number(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${flag}: must be a number >= ${min}, got "${text}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      quotas: { type: 'string', default: 'aws' },
      faults: { type: 'string' },
      lifecycle: { type: 'string' },
      cluster: { type: 'string', multiple: true },
      'task-definition': { type: 'string', multiple: true },
      'stopped-retention-seconds': { type: 'string' },
      'client-token-ttl-seconds': { type: 'string' },
      region: { type: 'string' },
      'account-id': { type: 'string' },
      'random-seed': { type: 'string' },
      'ledger-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = number('port', values.port, 0)!;
  if (!['aws', 'off'].includes(values.quotas) && !values.quotas.trim().startsWith('{'))
    throw new Error(`--quotas: must be aws, off or a JSON object of buckets, got "${values.quotas}"`);
  const quotas =
    values.quotas === 'aws' || values.quotas === 'off' ? values.quotas : json('quotas', values.quotas);
  const retention = number('stopped-retention-seconds', values['stopped-retention-seconds'], 0);
  const ttl = number('client-token-ttl-seconds', values['client-token-ttl-seconds'], 0);
  const seed = number('random-seed', values['random-seed'], 0);
  const ledgerLimit = number('ledger-limit', values['ledger-limit'], 0);
  const server = await startEcsSimulatorServer({
    port,
    host: values.host,
    quotas: quotas as never,
    ...(values.faults === undefined ? {} : { faults: json('faults', values.faults) as never }),
    ...(values.lifecycle === undefined ? {} : { lifecycle: json('lifecycle', values.lifecycle) as never }),
    clusters: values.cluster ?? [],
    taskDefinitions: (values['task-definition'] ?? []).map(
      (t) => json('task-definition', t) as Record<string, unknown>,
    ),
    ...(retention === undefined ? {} : { stoppedTaskRetentionMs: retention * 1000 }),
    ...(ttl === undefined ? {} : { clientTokenTtlMs: ttl * 1000 }),
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(values['account-id'] === undefined ? {} : { accountId: values['account-id'] }),
    ...(seed === undefined ? {} : { random: seededRandom(seed) }),
    ...(ledgerLimit === undefined ? {} : { ledgerLimit }),
  });
  console.log(JSON.stringify({ endpoint: server.endpoint, port: server.port, pid: process.pid }));
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`ecs-simulator: ${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
});
