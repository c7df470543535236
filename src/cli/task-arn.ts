// An ECS task ARN names where the task ran; the CLI derives the console link and the log stream
// from it rather than storing either in status.

export interface TaskArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** Absent in the old ARN format (task/<id>), which predates cluster names in task ARNs. */
  readonly cluster?: string;
  readonly taskId: string;
}

const TASK_ARN = /^arn:(aws[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):task\/(?:([^/]+)\/)?([^/]+)$/;

export function parseTaskArn(arn: string): TaskArnParts | undefined {
  const m = TASK_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, region, account, cluster, taskId] = m as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    string,
  ];
  return { partition, region, account, cluster, taskId };
}

const CONSOLE_HOST: Readonly<Record<string, (region: string) => string>> = {
  aws: (region) => `${region}.console.aws.amazon.com`,
  'aws-cn': (region) => `${region}.console.amazonaws.cn`,
  'aws-us-gov': (region) => `${region}.console.amazonaws-us-gov.com`,
};

/**
 * The task's page in the ECS console. `fallbackCluster` (the resource's spec.task.cluster) serves
 * old-format ARNs; a cluster ARN is reduced to its name.
 */
export function taskConsoleUrl(arn: string, fallbackCluster?: string): string | undefined {
  const parts = parseTaskArn(arn);
  const host = parts && CONSOLE_HOST[parts.partition];
  const cluster = (parts?.cluster ?? fallbackCluster)?.replace(/^arn:.*:cluster\//, '');
  if (!parts || !host || !cluster) return undefined;
  return `https://${host(parts.region)}/ecs/v2/clusters/${encodeURIComponent(cluster)}/tasks/${parts.taskId}`;
}
