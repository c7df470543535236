// What is checked or said once, before anything starts: a machine without AWS credentials fails
// here with a clear message instead of on the first RunTask.
import { ECSClient } from '@aws-sdk/client-ecs';
import type { Config } from '../config.js';
import type { Logger } from '../log/logger.js';
import { StartupError } from './startup-error.js';

const CREDENTIALS_TIMEOUT_MS = 5_000;

/** Resolves credentials through the SDK's default chain once, at start-up. */
export async function checkAwsCredentials(config: Config): Promise<void> {
  const client = new ECSClient({ region: config.awsRegion ?? 'us-east-1', endpoint: config.ecsEndpoint });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.config.credentials(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), CREDENTIALS_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    throw new StartupError(
      `no AWS credentials found (${(error as Error).message}). Either provide credentials (AWS_ACCESS_KEY_ID/` +
        'AWS_SECRET_ACCESS_KEY, AWS_PROFILE, IRSA or EKS Pod Identity), or run with --dry-run to launch nothing ' +
        'and log the RunTask requests instead.',
    );
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
  if (!config.awsRegion) {
    throw new StartupError('no AWS region: set AWS_REGION or pass --region (or use --dry-run).');
  }
}

export function warnIfPolicyOff(config: Config, logger: Logger): void {
  if (config.policy !== 'off') return;
  logger.warn(
    'POLICY ENFORCEMENT IS OFF (--policy off): anyone who may create an EcsScheduledTask in any watched ' +
      "namespace can run any task definition, in any cluster, with any role override this controller's " +
      'IAM role can pass. Use it only when every namespace is trusted (a single tenant); see ' +
      'docs/operating/tenancy.md.',
  );
}
