// --task-events-queue: ECS task state changes read from SQS, so the tracker asks about a stopped
// task at once instead of at its next poll.
import type { Clock } from '../controller/clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../log/logger.js';
import type { TaskEventsMetrics } from '../metrics/task-event-metrics.js';
import {
  createTaskEventsSqsClient,
  TASK_EVENTS_WAIT_SECONDS,
  TaskStateEvents,
} from '../aws/sqs/task-state-events.js';
import { regionOfQueueUrl } from '../aws/sqs/sqs-queue-url.js';
import { awsClientOptions } from './aws-adapters.js';

export interface TaskEvents {
  /** Only the leader reads the events (a follower would delete messages the leader needs). */
  start(): void;
  stop(): Promise<void>;
  /** Closes the SQS client, once nothing reads any more. */
  close(): void;
}

/** None without --task-events-queue: tasks are followed by polling alone. */
export function buildTaskEvents(
  config: Config,
  clock: Clock,
  logger: Logger,
  metrics: TaskEventsMetrics,
  onStopped: (taskArn: string) => void,
): TaskEvents | undefined {
  if (config.taskEventsQueue === undefined) return undefined;
  // Its own SQS client: a long poll needs a request timeout longer than its wait.
  const sqs = createTaskEventsSqsClient({
    ...awsClientOptions(config),
    endpoint: config.sqsEndpoint,
    region: regionOfQueueUrl(config.taskEventsQueue) ?? config.awsRegion,
    waitSeconds: TASK_EVENTS_WAIT_SECONDS,
  });
  const events = new TaskStateEvents({
    sqs,
    waitSeconds: TASK_EVENTS_WAIT_SECONDS,
    queueUrl: config.taskEventsQueue,
    clock,
    logger,
    metrics,
    onStopped,
  });
  metrics.mode('events');
  return {
    start: () => events.start(),
    stop: () => events.stop(),
    close: () => sqs.destroy(),
  };
}
