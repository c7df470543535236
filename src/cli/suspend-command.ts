// `suspend` / `resume NS/NAME`: flip spec.suspend with a merge patch, so nothing else in the spec
// is rewritten. A GitOps tool that owns spec.suspend will set it back; the message says so.
import { CLUSTER_FLAGS_HELP, clusterCommand, type ClusterVerb } from './cluster-command.js';
import { connectCluster } from './cluster-client.js';

function usage(verb: 'suspend' | 'resume'): string {
  const what =
    verb === 'suspend'
      ? 'Stops scheduling new runs (spec.suspend: true). Tasks already running are left alone.'
      : 'Schedules runs again (spec.suspend: false). Times passed over while suspended are not\nlaunched late beyond spec.startingDeadlineSeconds.';
  return `Usage: ecs-scheduler ${verb} [NAMESPACE/]NAME [flags]
       kubectl ecs-scheduler ${verb} [NAMESPACE/]NAME [flags]

${what}
If a GitOps tool applies this resource, change spec.suspend in Git instead, or it will be reverted.

Flags:
${CLUSTER_FLAGS_HELP}
`;
}

function suspendVerb(suspend: boolean): ClusterVerb {
  const name = suspend ? 'suspend' : 'resume';
  return {
    name,
    usage: usage(name),
    run: async (ref, { client }, _values, io) => {
      const current = await client.get(ref);
      const key = `${ref.namespace}/${ref.name}`;
      if ((current.spec?.suspend ?? false) === suspend) {
        io.stdout(`${key} is already ${suspend ? 'suspended' : 'running on schedule'}; nothing changed\n`);
        return 0;
      }
      await client.mergePatch(ref, { spec: { suspend } });
      io.stdout(`${key} ${suspend ? 'suspended' : 'resumed'}\n`);
      return 0;
    },
  };
}

export const suspendVerbs = { suspend: suspendVerb(true), resume: suspendVerb(false) } as const;
export const suspendCommand = clusterCommand(suspendVerbs.suspend, connectCluster);
export const resumeCommand = clusterCommand(suspendVerbs.resume, connectCluster);
