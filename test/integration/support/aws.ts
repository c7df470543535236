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
 * ECS tasks in moto never stop on their own. After this, each task moves one state
 * (PROVISIONING → ... → STOPPED) every `seconds` seconds, as DescribeTasks observes it. The
 * setting is global to the moto server: restore it with resetEcsTaskTransition().
 */
export function setEcsTaskTransition(seconds: number, env: TestEnv = loadTestEnv()): Promise<void> {
  return motoApi(env, '/moto-api/state-manager/set-transition', {
    model_name: 'ecs::task',
    transition: { progression: 'time', seconds },
  });
}

/** Back to moto's default for ECS tasks: they stay RUNNING until StopTask. */
export function resetEcsTaskTransition(env: TestEnv = loadTestEnv()): Promise<void> {
  return motoApi(env, '/moto-api/state-manager/unset-transition', { model_name: 'ecs::task' });
}
