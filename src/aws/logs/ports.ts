// What `logs` needs from AWS, as two small ports: the ECS facts that locate a task's log streams,
// and the events of one stream. The AWS adapter is aws-run-logs.ts; tests use in-memory fakes.
import type { ContainerLogSettings, LogStreamRef } from './log-streams.js';

export interface TaskFacts {
  readonly taskDefinitionArn: string;
  /** ECS lastStatus: PROVISIONING ... RUNNING ... STOPPED. */
  readonly lastStatus: string;
}

export interface TaskLookup {
  /** Undefined when ECS no longer knows the task: it forgets stopped tasks after about an hour. */
  describeTask(task: { taskArn: string; cluster: string; region: string }): Promise<TaskFacts | undefined>;
  containerLogSettings(taskDefinition: string, region: string): Promise<ContainerLogSettings[]>;
}

export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
}

export interface LogPage {
  readonly events: LogEvent[];
  /** Pass back to read on from here; unchanged when the stream had nothing new. */
  readonly nextToken?: string;
  /** The stream does not exist (yet): the container has not started or has not logged. */
  readonly missing?: boolean;
}

export interface LogEventSource {
  read(stream: LogStreamRef, fallbackRegion: string, nextToken?: string): Promise<LogPage>;
}

/** An AWS failure with a message for the user (access denied, unknown task definition, ...). */
export class LogsError extends Error {
  override name = 'LogsError';
}
