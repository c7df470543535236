// The AWS adapters of the controller: ECS and SQS clients per identity (the controller's own, or
// a policy's assumeRoleArn), the task launcher, the trigger queues' depth and the dead letters.
import { ECSClient } from '@aws-sdk/client-ecs';
import type { Clock } from '../controller/clock.js';
import type { DeadLetterSink } from '../controller/pass/dead-letter.js';
import type { QueueDepthSource, TaskLauncher } from '../controller/ports.js';
import type { Config } from '../config.js';
import type { Logger } from '../log/logger.js';
import { awsRequestHandler } from '../aws/aws-http-handler.js';
import { AwsClientPool } from '../aws/aws-client-pool.js';
import { AssumedRoleCredentials, createStsApi } from '../aws/assumed-role-credentials.js';
import { createAwsTaskLauncher } from '../aws/ecs/aws-task-launcher.js';
import { DryRunLauncher } from '../aws/ecs/dry-run-launcher.js';
import { createEcsRateLimiters } from '../aws/ecs/ecs-rate-limiters.js';
import type { EcsRequestMetrics } from '../aws/ecs/ports.js';
import { createSqsClient } from '../aws/sqs/sqs-client.js';
import { SqsDeadLetterSink } from '../aws/sqs/sqs-dead-letter-sink.js';
import { SqsQueueDepth } from '../aws/sqs/sqs-queue-depth.js';

export interface AwsAdapters {
  readonly launcher: TaskLauncher;
  readonly queueDepth: QueueDepthSource;
  readonly deadLetters: DeadLetterSink;
  /** Closes every client, the last made first. */
  close(): void;
}

export function awsClientOptions(config: Config) {
  return { region: config.awsRegion, endpoint: config.ecsEndpoint, maxAttempts: config.awsMaxAttempts };
}

export function buildAwsAdapters(
  config: Config,
  clock: Clock,
  logger: Logger,
  metrics: EcsRequestMetrics,
): AwsAdapters {
  const awsOptions = awsClientOptions(config);
  const sts = createStsApi({
    region: config.awsRegion,
    endpoint: config.stsEndpoint,
    maxAttempts: config.awsMaxAttempts,
  });
  const clients = new AwsClientPool({
    credentials: new AssumedRoleCredentials({ sts, clock, logger, sessionTags: config.stsSessionTags }),
    ...(config.awsRegion === undefined ? {} : { defaultRegion: config.awsRegion }),
    createEcsClient: (credentials) =>
      new ECSClient({
        ...(config.awsRegion === undefined ? {} : { region: config.awsRegion }),
        ...(config.ecsEndpoint === undefined ? {} : { endpoint: config.ecsEndpoint }),
        ...(credentials === undefined ? {} : { credentials }),
        maxAttempts: config.awsMaxAttempts,
        requestHandler: awsRequestHandler(),
      }),
    createSqsClient: (credentials, region) =>
      createSqsClient({
        ...awsOptions,
        endpoint: config.sqsEndpoint,
        region: region ?? config.awsRegion,
        credentials,
      }),
  });
  const launcher: TaskLauncher = config.dryRun
    ? new DryRunLauncher({ logger })
    : createAwsTaskLauncher({
        ...awsOptions,
        clock,
        metrics,
        logger,
        ecsClientFor: clients.ecsClientFor,
        limiters: createEcsRateLimiters(clock, undefined, config.ecsRateLimits),
      });
  const queueDepth = new SqsQueueDepth({
    ...awsOptions,
    endpoint: config.sqsEndpoint,
    logger,
    sqsClientFor: clients.sqsClientFor,
  });
  // spec.deadLetter: the same per-identity SQS clients and queue URL host check as the trigger.
  const deadLetters = new SqsDeadLetterSink({
    sqsClientFor: clients.sqsClientFor,
    ...(config.awsRegion === undefined ? {} : { region: config.awsRegion }),
    ...(config.sqsEndpoint === undefined ? {} : { endpoint: config.sqsEndpoint }),
    clock,
  });
  return {
    launcher,
    queueDepth,
    deadLetters,
    close: () => {
      if ('close' in launcher && typeof launcher.close === 'function') launcher.close();
      queueDepth.close();
      clients.close();
      sts.close();
    },
  };
}
