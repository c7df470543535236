// `logs NS/NAME`: the CloudWatch Logs of one run's tasks. The run comes from status.runs; each
// task's log streams follow from its task definition's awslogs options (see src/aws/logs/).
import type { EcsScheduledTaskResource, RunRecord } from '../api/types.js';
import { AwsRunLogs } from '../aws/logs/aws-run-logs.js';
import { LogLocationError, logStreamsFor, type LogStreamRef } from '../aws/logs/log-streams.js';
import { LogsError, type LogEventSource, type TaskLookup } from '../aws/logs/ports.js';
import type { CliIo } from './cli-io.js';
import { CLUSTER_FLAGS_HELP, clusterCommand, type ClusterVerb, type FlagValues } from './cluster-command.js';
import { ClusterError, connectCluster, type Connect, type ResourceRef } from './cluster-client.js';
import { parseTaskArn } from './task-arn.js';

const USAGE = `Usage: ecs-scheduler logs [NAMESPACE/]NAME [flags]
       kubectl ecs-scheduler logs [NAMESPACE/]NAME [flags]

Prints the CloudWatch Logs of a run's tasks: by default the newest run that launched tasks. The
log group and stream come from the task definition's awslogs options (awslogs-group and
awslogs-stream-prefix; the stream is <prefix>/<container>/<task id>). Lines are prefixed with
[<task id>/<container>] when more than one stream is read. AWS credentials and region come from the
usual AWS sources (environment, profile, SSO); the region defaults to the task's.

Flags:
      --run TIME          the run scheduled at TIME (as \`runs\` prints it), instead of the newest
  -f, --follow            keep printing new lines until every task of the run has stopped
  -c, --container NAME    only this container (default: every container that logs with awslogs)
      --timestamps        start each line with the event's time (RFC 3339, UTC)
      --region REGION     AWS region of ECS and the logs (default: the region in the task ARN)
      --endpoint-url URL  ECS and CloudWatch Logs endpoint (LocalStack, moto)
${CLUSTER_FLAGS_HELP}
`;

/** CloudWatch Logs allows 10 GetLogEvents per second per account; two streams every 2 s stay far below. */
export const FOLLOW_INTERVAL_MS = 2000;

export interface LogsDeps {
  readonly connect: Connect;
  readonly aws: (options: { region?: string; endpoint?: string }) => TaskLookup & LogEventSource;
  readonly sleep: (ms: number) => Promise<void>;
}

const realDeps: LogsDeps = {
  connect: connectCluster,
  aws: (options) => new AwsRunLogs(options),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface TaskTarget {
  readonly taskArn: string;
  readonly cluster: string;
  readonly region: string;
  readonly taskId: string;
}

interface OpenStream {
  readonly ref: LogStreamRef;
  readonly region: string;
  token?: string;
}

export function logsVerb(deps: LogsDeps): ClusterVerb {
  return {
    name: 'logs',
    usage: USAGE,
    options: {
      run: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      container: { type: 'string', short: 'c' },
      timestamps: { type: 'boolean' },
      region: { type: 'string' },
      'endpoint-url': { type: 'string' },
    },
    checkFlags: (values) =>
      values.run !== undefined && Number.isNaN(Date.parse(values.run as string))
        ? `--run must be a time such as 2026-03-01T02:17:00Z, got "${String(values.run)}"`
        : undefined,
    run: async (ref, { client }, values, io) => {
      const resource = await client.get(ref);
      const run = chooseRun(resource, ref, values.run as string | undefined);
      const aws = deps.aws({
        region: values.region as string | undefined,
        endpoint: values['endpoint-url'] as string | undefined,
      });
      try {
        return await printRunLogs(resource, run, values, aws, deps, io);
      } catch (error) {
        if (error instanceof LogsError || error instanceof LogLocationError)
          throw new ClusterError(error.message, { cause: error });
        throw error;
      }
    },
  };
}

function chooseRun(
  resource: EcsScheduledTaskResource,
  ref: ResourceRef,
  runFlag: string | undefined,
): RunRecord {
  const key = `${ref.namespace}/${ref.name}`;
  const runs = resource.status?.runs ?? [];
  if (runs.length === 0) throw new ClusterError(`${key} has no runs yet`);
  if (runFlag !== undefined) {
    const wanted = Date.parse(runFlag);
    const run = runs.find((r) => Date.parse(r.scheduledTime) === wanted);
    if (!run) {
      throw new ClusterError(
        `${key} has no run scheduled at ${runFlag}; its runs: ${runs.map((r) => r.scheduledTime).join(', ')}`,
      );
    }
    if (!run.tasks?.length)
      throw new ClusterError(
        `the run of ${key} at ${run.scheduledTime} launched no task (${run.result}${run.reason ? `, ${run.reason}` : ''})`,
      );
    return run;
  }
  const run = runs.find((r) => (r.tasks?.length ?? 0) > 0);
  if (!run) {
    const latest = runs[0] as RunRecord;
    throw new ClusterError(
      `no recorded run of ${key} launched a task (the latest, ${latest.scheduledTime}, is ${latest.result}${latest.reason ? `: ${latest.reason}` : ''})`,
    );
  }
  return run;
}

function targets(
  resource: EcsScheduledTaskResource,
  run: RunRecord,
  regionFlag: string | undefined,
): TaskTarget[] {
  return (run.tasks ?? []).map((task) => {
    const parts = parseTaskArn(task.taskArn);
    if (!parts) throw new LogsError(`"${task.taskArn}" in status.runs is not an ECS task ARN`);
    return {
      taskArn: task.taskArn,
      cluster: parts.cluster ?? run.cluster ?? resource.spec.task.cluster ?? 'default',
      region: regionFlag ?? parts.region,
      taskId: parts.taskId,
    };
  });
}

async function printRunLogs(
  resource: EcsScheduledTaskResource,
  run: RunRecord,
  values: FlagValues,
  aws: TaskLookup & LogEventSource,
  deps: LogsDeps,
  io: CliIo,
): Promise<number> {
  const tasks = targets(resource, run, values.region as string | undefined);
  const streams: OpenStream[] = [];
  const notes: string[] = [];
  const running = new Set<string>();
  for (const task of tasks) {
    const facts = await aws.describeTask(task);
    let taskDefinition = facts?.taskDefinitionArn;
    if (!taskDefinition) {
      // ECS forgets stopped tasks after about an hour; the spec's task definition is then the best
      // guess, and may be a later revision than the one that ran.
      taskDefinition = resource.spec.task.taskDefinition;
      notes.push(
        `ECS no longer knows task ${task.taskId}; reading the log settings of ${taskDefinition} from the spec`,
      );
    } else if (facts?.lastStatus !== 'STOPPED') {
      running.add(task.taskArn);
    }
    const choice = logStreamsFor(
      await aws.containerLogSettings(taskDefinition, task.region),
      task.taskId,
      values.container as string | undefined,
    );
    notes.push(...choice.unreadable.map((why) => `task ${task.taskId}: ${why}`));
    streams.push(...choice.streams.map((ref) => ({ ref, region: task.region })));
  }
  for (const note of notes) io.stderr(`logs: note: ${note}\n`);
  if (streams.length === 0)
    throw new LogsError(`no container of the run at ${run.scheduledTime} logs to CloudWatch Logs`);

  const prefixed = streams.length > 1;
  const missing = new Set<OpenStream>();
  const drain = async (): Promise<void> => {
    for (const open of streams) {
      for (;;) {
        const page = await aws.read(open.ref, open.region, open.token);
        if (page.missing) missing.add(open);
        else missing.delete(open);
        for (const event of page.events) {
          const time = values.timestamps ? `${new Date(event.timestamp).toISOString()} ` : '';
          const prefix = prefixed ? `[${open.ref.taskId}/${open.ref.container}] ` : '';
          io.stdout(`${prefix}${time}${event.message.replace(/\n$/, '')}\n`);
        }
        const moved = page.nextToken !== open.token;
        open.token = page.nextToken;
        if (page.events.length === 0 || !moved) break;
      }
    }
  };

  await drain();
  if (values.follow) {
    while (running.size > 0) {
      await deps.sleep(FOLLOW_INTERVAL_MS);
      for (const task of tasks.filter((t) => running.has(t.taskArn))) {
        const facts = await aws.describeTask(task);
        if (!facts || facts.lastStatus === 'STOPPED') running.delete(task.taskArn);
      }
      // Read after the status check, so lines written just before a task stopped are not lost.
      await drain();
    }
  }
  for (const open of missing) {
    io.stderr(`logs: note: log stream ${open.ref.stream} does not exist in group ${open.ref.group} (yet)\n`);
  }
  return 0;
}

export const logsCommand = clusterCommand(logsVerb(realDeps), realDeps.connect);
