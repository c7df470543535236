/**
 * What the SQS clients of invented regions hold, with the pool's LRU cap and without one:
 *
 *   node --expose-gc --import tsx bench/sqs-client-pool.bench.ts
 *
 * A tenant may write any well-formed region (us-aaa-1, us-aab-1, ...); each one asks the pool for a
 * client of its own, built as app.ts builds them (createSqsClient, our HTTP handler). No request
 * is sent. Prints the clients held and the heap they keep, for 2,028 regions.
 */
import { AssumedRoleCredentials } from '../src/aws/assumed-role-credentials.js';
import { AwsClientPool, DEFAULT_MAX_SQS_CLIENTS } from '../src/aws/aws-client-pool.js';
import { createSqsClient } from '../src/aws/sqs/sqs-client.js';

const REGIONS = 2_028;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function inventedRegion(i: number): string {
  let label = '';
  for (let n = i, k = 0; k < 3; k++, n = Math.floor(n / 26))
    label = String.fromCharCode(97 + (n % 26)) + label;
  return `us-${label}-1`;
}

for (const [name, maxSqsClients] of [
  [`LRU cap ${DEFAULT_MAX_SQS_CLIENTS} (default)`, DEFAULT_MAX_SQS_CLIENTS],
  ['no cap (as before)', Number.MAX_SAFE_INTEGER],
] as const) {
  const pool = new AwsClientPool({
    credentials: new AssumedRoleCredentials({
      sts: { assumeRole: () => Promise.reject(new Error('no STS in this bench')) },
    }),
    createEcsClient: () => ({ send: async () => undefined }),
    createSqsClient: (credentials, region) =>
      createSqsClient({ region, credentials, endpoint: 'http://127.0.0.1:9' }),
    maxSqsClients,
  });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < REGIONS; i++) pool.sqsClientFor(undefined, inventedRegion(i));
  gc();
  const held = process.memoryUsage().heapUsed - before;
  console.log(
    `${name}: ${REGIONS} regions, ${pool.sqsClientCount()} clients held, heap +${(held / 1048576).toFixed(1)} MiB`,
  );
  pool.close();
}
