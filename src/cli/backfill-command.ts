// `backfill [NAMESPACE/]NAME --from T --to T`: creates an EcsTaskBackfill that runs the task's own
// schedule times in [from, to) with the identities the schedule gives them, so a time the schedule
// (or an earlier backfill) launched is never launched again. The controller does the work; this
// verb only checks the arguments, that the task exists, and prints how to follow it.
import { API_VERSION, BACKFILL_KIND } from '../api/constants.js';
import { MAX_BACKFILL_CONCURRENCY, RERUN_MODES } from '../api/backfill-schema.js';
import type { EcsTaskBackfillResource } from '../api/backfill-types.js';
import { CLUSTER_FLAGS_HELP, clusterCommand, type ClusterVerb, type FlagValues } from './cluster-command.js';
import { connectCluster } from './cluster-client.js';

const USAGE = `Usage: ecs-scheduler backfill [NAMESPACE/]NAME --from TIME --to TIME [flags]
       kubectl ecs-scheduler backfill [NAMESPACE/]NAME --from TIME --to TIME [flags]

Runs the task's own schedule times in [--from, --to) by creating an EcsTaskBackfill. Each time
runs with the identity the schedule gives it, so a time already launched (by the schedule or an
earlier backfill) is counted as done and never launched twice. Times after now are left to the
schedule. TIME is RFC 3339 (2026-11-01T00:00:00Z, 2026-11-01T01:00:00+01:00) or a date
(2026-11-01, midnight UTC).

Flags:
      --from TIME          first instant of the range (inclusive)
      --to TIME            end of the range (exclusive)
      --max-concurrent N   runs at once, at most (1-${MAX_BACKFILL_CONCURRENCY}, default 1)
      --rerun MODE         MissedAndFailed (default: times that never ran or failed) or All
      --dry-run            list the times that would run (in its status), launch nothing
      --name NAME          name of the EcsTaskBackfill (default: NAME-backfill- and a suffix)
${CLUSTER_FLAGS_HELP}
`;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** RFC 3339, or a date read as midnight UTC; undefined when it is neither. */
export function parseBackfillTime(text: string): Date | undefined {
  const normalized = DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text;
  if (!DATE_TIME.test(normalized)) return undefined;
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export interface BackfillFlags {
  readonly from: Date;
  readonly to: Date;
  readonly maxConcurrent: number;
  readonly rerun: (typeof RERUN_MODES)[number];
  readonly dryRun: boolean;
  readonly name?: string;
}

/** The verb's own flags, checked before any connection; a string is the usage error. */
export function backfillFlags(values: FlagValues): BackfillFlags | string {
  const from = values.from as string | undefined;
  const to = values.to as string | undefined;
  if (from === undefined || to === undefined) return 'give the range with --from and --to';
  const start = parseBackfillTime(from);
  if (!start) return `--from must be an RFC 3339 time or a date (YYYY-MM-DD), got "${from}"`;
  const end = parseBackfillTime(to);
  if (!end) return `--to must be an RFC 3339 time or a date (YYYY-MM-DD), got "${to}"`;
  if (end <= start) return `--to must be after --from: the range is [from, to)`;
  const concurrent = (values['max-concurrent'] as string | undefined) ?? '1';
  const maxConcurrent = /^\d{1,3}$/.test(concurrent) ? Number(concurrent) : NaN;
  if (!(maxConcurrent >= 1 && maxConcurrent <= MAX_BACKFILL_CONCURRENCY))
    return `--max-concurrent must be a whole number from 1 to ${MAX_BACKFILL_CONCURRENCY}, got "${concurrent}"`;
  const rerun = (values.rerun as string | undefined) ?? 'MissedAndFailed';
  const mode = RERUN_MODES.find((m) => m.toLowerCase() === rerun.toLowerCase());
  if (!mode) return `--rerun must be ${RERUN_MODES.join(' or ')}, got "${rerun}"`;
  const name = values.name as string | undefined;
  if (name !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))
    return `--name must be a DNS label (lower-case letters, digits and -, at most 63), got "${name}"`;
  return {
    from: start,
    to: end,
    maxConcurrent,
    rerun: mode,
    dryRun: values['dry-run'] === true,
    ...(name === undefined ? {} : { name }),
  };
}

/** The object the verb creates. */
export function backfillObject(
  namespace: string,
  task: string,
  flags: BackfillFlags,
): EcsTaskBackfillResource {
  const metadata = {
    namespace,
    // The API server appends five random characters to a generateName.
    ...(flags.name === undefined ? { generateName: `${task.slice(0, 48)}-backfill-` } : { name: flags.name }),
  };
  return {
    apiVersion: API_VERSION,
    kind: BACKFILL_KIND,
    metadata,
    spec: {
      taskRef: { name: task },
      start: flags.from.toISOString().replace('.000Z', 'Z'),
      end: flags.to.toISOString().replace('.000Z', 'Z'),
      maxConcurrent: flags.maxConcurrent,
      rerun: flags.rerun,
      dryRun: flags.dryRun,
    },
  };
}

export const backfillVerb: ClusterVerb = {
  name: 'backfill',
  usage: USAGE,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    'max-concurrent': { type: 'string' },
    rerun: { type: 'string' },
    'dry-run': { type: 'boolean' },
    name: { type: 'string' },
  },
  checkFlags: (values) => {
    const flags = backfillFlags(values);
    return typeof flags === 'string' ? flags : undefined;
  },
  run: async (ref, { client }, values, io) => {
    const flags = backfillFlags(values) as BackfillFlags;
    // A clear "not found" now, rather than a backfill that stalls on TaskNotFound.
    await client.get(ref);
    const created = await client.createBackfill(backfillObject(ref.namespace, ref.name, flags));
    const name = created.metadata.name ?? flags.name ?? '';
    io.stdout(
      `ecstaskbackfill ${ref.namespace}/${name} created${flags.dryRun ? ' (dry run: nothing will launch)' : ''}\n` +
        `Follow it with: kubectl get ecstaskbackfill -n ${ref.namespace} ${name} -w\n` +
        `Details:        kubectl describe ecstaskbackfill -n ${ref.namespace} ${name}\n`,
    );
    return 0;
  },
};

export const backfillCommand = clusterCommand(backfillVerb, connectCluster);
