// `runs NS/NAME`: the run history the controller keeps in status.runs, outside standalone mode.
import { stringify } from 'yaml';
import { CLUSTER_FLAGS_HELP, clusterCommand, type ClusterVerb } from './cluster-command.js';
import { connectCluster } from './cluster-client.js';
import { renderRunTable, runHistoryView, type RunsFormat } from './run-history-view.js';

const FORMATS: readonly RunsFormat[] = ['table', 'wide', 'json', 'yaml'];

const USAGE = `Usage: ecs-scheduler runs [NAMESPACE/]NAME [flags]
       kubectl ecs-scheduler runs [NAMESPACE/]NAME [flags]

Prints the recent runs kept in status.runs, newest first: scheduled time, result, reason, tasks,
exit codes per container, duration (a trailing + while still running) and a link to each task in
the ECS console. spec.successfulRunsHistoryLimit and failedRunsHistoryLimit decide how many are kept.
Where runs are retried (spec.retryPolicy) or dead-lettered (spec.deadLetter), ATTEMPT and DEAD LETTER
columns appear, and each earlier attempt of a run gets a row under it.

Flags:
  -o, --output FORMAT     table (default), wide (adds MESSAGE), json or yaml
${CLUSTER_FLAGS_HELP}
`;

export const runsVerb: ClusterVerb = {
  name: 'runs',
  usage: USAGE,
  options: { output: { type: 'string', short: 'o' } },
  checkFlags: (values) => {
    const output = values.output;
    return output === undefined || FORMATS.includes(output as RunsFormat)
      ? undefined
      : `--output must be one of ${FORMATS.join(', ')}, not "${String(output)}"`;
  },
  run: async (ref, { client }, values, io) => {
    const resource = await client.get(ref);
    const view = runHistoryView(resource, io.now());
    const format = (values.output ?? 'table') as RunsFormat;
    if (format === 'json') io.stdout(`${JSON.stringify(view, null, 2)}\n`);
    else if (format === 'yaml') io.stdout(stringify(view));
    else if (view.runs.length === 0) io.stdout(noRuns(ref.namespace, ref.name, resource));
    else io.stdout(renderRunTable(view, format === 'wide'));
    return 0;
  },
};

function noRuns(
  namespace: string,
  name: string,
  resource: { status?: { nextScheduleTime?: string } },
): string {
  const next = resource.status?.nextScheduleTime;
  const when = next
    ? `the next is due at ${next}`
    : resource.status
      ? 'no run is scheduled'
      : 'the controller has not reported on it yet';
  return `No runs of ${namespace}/${name} yet; ${when}.\n`;
}

export const runsCommand = clusterCommand(runsVerb, connectCluster);
