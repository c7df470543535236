import { ECSClient } from '@aws-sdk/client-ecs';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { TestEnv } from './env.js';
import { loadTestEnv } from './env.js';

// maxAttempts 1: a 500 from moto must fail the test, not disappear into the SDK's retries.
function clientConfig(env: TestEnv) {
  return { endpoint: env.awsEndpoint, region: env.region, credentials: env.credentials, maxAttempts: 1 };
}

export function ecsClient(env: TestEnv = loadTestEnv()): ECSClient {
  return new ECSClient(clientConfig(env));
}

export function sqsClient(env: TestEnv = loadTestEnv()): SQSClient {
  return new SQSClient(clientConfig(env));
}

async function motoApi(env: TestEnv, path: string, body: unknown): Promise<void> {
  const resp = await fetch(new URL(path, env.awsEndpoint), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`moto ${path}: HTTP ${resp.status} ${text.slice(0, 200)}`);
}

/**
 * The environment's baseline (set by `testenv up`): ECS tasks stay RUNNING until StopTask. moto's
 * own default, one state per DescribeTasks call, is overridden because it makes outcomes depend
 * on how often the code polls.
 */
const BASELINE = { progression: 'manual', times: 1_000_000_000 } as const;

/**
 * After this, each ECS task moves one state along RUNNING → DEACTIVATING → STOPPING →
 * DEPROVISIONING → STOPPED whenever it is described at least `seconds` after its previous move,
 * so a task polled often enough is STOPPED about 4 × `seconds` after launch. The setting is global
 * to the moto server (mocha runs files one at a time): restore it with resetEcsTaskTransition().
 */
export function setEcsTaskTransition(seconds: number, env: TestEnv = loadTestEnv()): Promise<void> {
  return motoApi(env, '/moto-api/state-manager/set-transition', {
    model_name: 'ecs::task',
    transition: { progression: 'time', seconds },
  });
}

/** Back to the environment's baseline: tasks stay RUNNING until StopTask. */
export function resetEcsTaskTransition(env: TestEnv = loadTestEnv()): Promise<void> {
  return motoApi(env, '/moto-api/state-manager/set-transition', {
    model_name: 'ecs::task',
    transition: BASELINE,
  });
}
