// The `logs` ports on the AWS SDK: DescribeTasks and DescribeTaskDefinition on ECS, GetLogEvents
// on CloudWatch Logs. One client per service and region; SDK errors become LogsError.
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { awsRequestHandler } from '../aws-http-handler.js';
import type { ContainerLogSettings, LogStreamRef } from './log-streams.js';
import { LogsError, type LogEventSource, type LogPage, type TaskFacts, type TaskLookup } from './ports.js';

export interface AwsRunLogsOptions {
  /** One endpoint for ECS and CloudWatch Logs (--endpoint-url; moto, LocalStack). */
  readonly endpoint?: string;
  /** Overrides the region taken from the task ARN (--region). */
  readonly region?: string;
}

export class AwsRunLogs implements TaskLookup, LogEventSource {
  readonly #ecs = new Map<string, ECSClient>();
  readonly #logs = new Map<string, CloudWatchLogsClient>();

  constructor(private readonly options: AwsRunLogsOptions = {}) {}

  async describeTask(task: {
    taskArn: string;
    cluster: string;
    region: string;
  }): Promise<TaskFacts | undefined> {
    const out = await this.#call('ecs:DescribeTasks', () =>
      this.#ecsClient(task.region).send(
        new DescribeTasksCommand({ cluster: task.cluster, tasks: [task.taskArn] }),
      ),
    );
    const found = out.tasks?.[0];
    if (!found?.taskDefinitionArn) return undefined;
    return { taskDefinitionArn: found.taskDefinitionArn, lastStatus: found.lastStatus ?? 'UNKNOWN' };
  }

  async containerLogSettings(taskDefinition: string, region: string): Promise<ContainerLogSettings[]> {
    const out = await this.#call('ecs:DescribeTaskDefinition', () =>
      this.#ecsClient(region).send(new DescribeTaskDefinitionCommand({ taskDefinition })),
    );
    return (out.taskDefinition?.containerDefinitions ?? []).map((c) => ({
      name: c.name ?? '',
      logDriver: c.logConfiguration?.logDriver,
      options: c.logConfiguration?.options ?? {},
    }));
  }

  async read(stream: LogStreamRef, fallbackRegion: string, nextToken?: string): Promise<LogPage> {
    const region = stream.region ?? fallbackRegion;
    try {
      const out = await this.#logsClient(region).send(
        new GetLogEventsCommand({
          logGroupName: stream.group,
          logStreamName: stream.stream,
          startFromHead: true,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      return {
        events: (out.events ?? []).map((e) => ({ timestamp: e.timestamp ?? 0, message: e.message ?? '' })),
        nextToken: out.nextForwardToken ?? nextToken,
      };
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException')
        return { events: [], nextToken, missing: true };
      throw explain('logs:GetLogEvents', error);
    }
  }

  async #call<T>(action: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw explain(action, error);
    }
  }

  #ecsClient(region: string): ECSClient {
    const key = this.options.region ?? region;
    let client = this.#ecs.get(key);
    if (!client)
      this.#ecs.set(
        key,
        (client = new ECSClient({
          region: key,
          endpoint: this.options.endpoint,
          requestHandler: awsRequestHandler(),
        })),
      );
    return client;
  }

  #logsClient(region: string): CloudWatchLogsClient {
    const key = this.options.region ?? region;
    let client = this.#logs.get(key);
    if (!client)
      this.#logs.set(
        key,
        (client = new CloudWatchLogsClient({
          region: key,
          endpoint: this.options.endpoint,
          requestHandler: awsRequestHandler(),
        })),
      );
    return client;
  }
}

function explain(action: string, error: unknown): LogsError {
  const e = error as Error & { $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const detail = e.cause?.code ? `${e.message} (${e.cause.code})` : e.message;
  if (e.name === 'AccessDeniedException' || e.$metadata?.httpStatusCode === 403)
    return new LogsError(`${action} was denied: ${detail}`, { cause: error });
  if (e.name === 'CredentialsProviderError')
    return new LogsError(`no AWS credentials for ${action}: ${detail}`, { cause: error });
  return new LogsError(`${action} failed: ${e.name}: ${detail}`, { cause: error });
}
