// Where a task's containers write with the awslogs driver. ECS names the stream
// `<awslogs-stream-prefix>/<container name>/<task id>`; without a prefix the stream is named after
// the Docker container id, which the run record does not keep, so such containers are reported, not
// guessed at. Pure: the task definition comes in as data.

export interface ContainerLogSettings {
  readonly name: string;
  readonly logDriver?: string;
  readonly options?: Readonly<Record<string, string>>;
}

export interface LogStreamRef {
  readonly group: string;
  readonly stream: string;
  /** awslogs-region, when the task definition sends logs to another region than the task's. */
  readonly region?: string;
  readonly container: string;
  readonly taskId: string;
}

export interface StreamChoice {
  readonly streams: LogStreamRef[];
  /** One sentence per container whose logs cannot be read from CloudWatch Logs, and why. */
  readonly unreadable: string[];
}

export class LogLocationError extends Error {
  override name = 'LogLocationError';
}

export function logStreamsFor(
  containers: readonly ContainerLogSettings[],
  taskId: string,
  onlyContainer?: string,
): StreamChoice {
  const chosen =
    onlyContainer === undefined ? containers : containers.filter((c) => c.name === onlyContainer);
  if (chosen.length === 0) {
    throw new LogLocationError(
      onlyContainer === undefined
        ? 'the task definition has no containers'
        : `the task definition has no container "${onlyContainer}" (it has: ${containers.map((c) => c.name).join(', ')})`,
    );
  }
  const streams: LogStreamRef[] = [];
  const unreadable: string[] = [];
  for (const container of chosen) {
    const options = container.options ?? {};
    const group = options['awslogs-group'];
    const prefix = options['awslogs-stream-prefix'];
    if (container.logDriver !== 'awslogs') {
      unreadable.push(
        `container "${container.name}" logs with ${container.logDriver ? `the ${container.logDriver} driver` : 'no log driver'}, not awslogs`,
      );
    } else if (!group) {
      unreadable.push(`container "${container.name}" uses awslogs without awslogs-group`);
    } else if (!prefix) {
      unreadable.push(
        `container "${container.name}" has no awslogs-stream-prefix, so its stream is named after the Docker container id; set a prefix to read it here`,
      );
    } else {
      streams.push({
        group,
        stream: `${prefix}/${container.name}/${taskId}`,
        ...(options['awslogs-region'] ? { region: options['awslogs-region'] } : {}),
        container: container.name,
        taskId,
      });
    }
  }
  return { streams, unreadable };
}
