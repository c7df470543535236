// `trigger NS/NAME`: one run now, by setting the run-now annotation to a value never used before.
// A merge patch touches only that annotation, so it cannot undo a concurrent edit of the spec.
import { randomBytes } from 'node:crypto';
import { RUN_NOW_ANNOTATION } from '../api/constants.js';
import { CLUSTER_FLAGS_HELP, clusterCommand, type ClusterVerb } from './cluster-command.js';
import { connectCluster } from './cluster-client.js';

const USAGE = `Usage: ecs-scheduler trigger [NAMESPACE/]NAME [flags]
       kubectl ecs-scheduler trigger [NAMESPACE/]NAME [flags]

Runs the task now, once, by setting the annotation ${RUN_NOW_ANNOTATION} to a new value. The
controller launches one run per distinct value and applies spec.concurrencyPolicy to it. A
suspended resource is refused: the controller would record the run as Skipped.

Flags:
${CLUSTER_FLAGS_HELP}
`;

/** A value unique to this invocation that still tells a reader when and by what it was set. */
export function runNowValue(now: Date, random: () => string = () => randomBytes(3).toString('hex')): string {
  return `cli-${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}-${random()}`;
}

export const triggerVerb: ClusterVerb = {
  name: 'trigger',
  usage: USAGE,
  run: async (ref, { client }, _values, io) => {
    const current = await client.get(ref);
    if (current.spec?.suspend) {
      io.stderr(
        `trigger: ${ref.namespace}/${ref.name} is suspended, so a run-now would be skipped; resume it first: ecs-scheduler resume ${ref.namespace}/${ref.name}\n`,
      );
      return 1;
    }
    const value = runNowValue(io.now());
    await client.mergePatch(ref, { metadata: { annotations: { [RUN_NOW_ANNOTATION]: value } } });
    io.stdout(
      `${ref.namespace}/${ref.name} triggered (${RUN_NOW_ANNOTATION}=${value})\nFollow it with: ecs-scheduler runs ${ref.namespace}/${ref.name}\n`,
    );
    return 0;
  },
};

export const triggerCommand = clusterCommand(triggerVerb, connectCluster);
