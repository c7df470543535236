// `trigger NS/NAME`: one run now, by setting the run-now annotation to a value never used before.
// A merge patch touches only that annotation, so it cannot undo a concurrent edit of the spec.
import { randomBytes } from 'node:crypto';
import { RUN_NOW_ANNOTATION } from '../api/constants.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { CLUSTER_FLAGS_HELP, clusterCommand, type ClusterVerb } from './cluster-command.js';
import { ClusterError, connectCluster } from './cluster-client.js';
import { renderRunTable, runHistoryView } from './run-history-view.js';

const USAGE = `Usage: ecs-scheduler trigger [NAMESPACE/]NAME [flags]
       kubectl ecs-scheduler trigger [NAMESPACE/]NAME [flags]

Runs the task now, once, by setting the annotation ${RUN_NOW_ANNOTATION} to a new value. The
controller launches one run per distinct value and applies spec.concurrencyPolicy to it. A
suspended resource is refused: the controller would record the run as Skipped.

Flags:
  -w, --wait              wait until the controller has taken the run, then print it
      --timeout SECONDS   how long --wait waits (default 30)
${CLUSTER_FLAGS_HELP}
`;

const DEFAULT_TIMEOUT_SECONDS = 30;
/** Polling the object twice a second is light for the API server and quick enough for a person. */
export const WAIT_POLL_MS = 500;

/** A value unique to this invocation that still tells a reader when and by what it was set. */
export function runNowValue(now: Date, random: () => string = () => randomBytes(3).toString('hex')): string {
  return `cli-${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}-${random()}`;
}

export interface TriggerDeps {
  readonly sleep: (ms: number) => Promise<void>;
}

export function triggerVerbWith(deps: TriggerDeps): ClusterVerb {
  return {
    name: 'trigger',
    usage: USAGE,
    options: { wait: { type: 'boolean', short: 'w' }, timeout: { type: 'string' } },
    checkFlags: (values) => {
      const timeout = values.timeout as string | undefined;
      if (timeout !== undefined && !/^[1-9]\d{0,4}$/.test(timeout))
        return `--timeout must be a whole number of seconds from 1 to 99999, got "${timeout}"`;
      if (timeout !== undefined && !values.wait) return '--timeout applies to --wait';
      return undefined;
    },
    run: async (ref, { client }, values, io) => {
      const key = `${ref.namespace}/${ref.name}`;
      const current = await client.get(ref);
      if (current.spec?.suspend) {
        io.stderr(
          `trigger: ${key} is suspended, so a run-now would be skipped; resume it first: ecs-scheduler resume ${key}\n`,
        );
        return 1;
      }
      const value = runNowValue(io.now());
      await client.mergePatch(ref, { metadata: { annotations: { [RUN_NOW_ANNOTATION]: value } } });
      io.stdout(`${key} triggered (${RUN_NOW_ANNOTATION}=${value})\n`);
      if (!values.wait) {
        io.stdout(`Follow it with: ecs-scheduler runs ${key}\n`);
        return 0;
      }
      const timeoutMs = Number(values.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
      const taken = await waitForRunNow(() => client.get(ref), value, timeoutMs, deps.sleep);
      if (!taken) {
        throw new ClusterError(
          `the controller has not taken the run-now of ${key} within ${timeoutMs / 1000}s; is it running and watching namespace ${ref.namespace}?`,
        );
      }
      // The run-now run is the newest: its scheduled time is the moment the controller took it.
      const view = runHistoryView(taken, io.now());
      io.stdout(renderRunTable({ ...view, runs: view.runs.slice(0, 1) }, true));
      return 0;
    },
  };
}

/** The object once status.lastRunNow shows the value, or undefined after `timeoutMs` of polling. */
async function waitForRunNow(
  read: () => Promise<EcsScheduledTaskResource>,
  value: string,
  timeoutMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<EcsScheduledTaskResource | undefined> {
  for (let waited = 0; ; waited += WAIT_POLL_MS) {
    const resource = await read();
    if (resource.status?.lastRunNow === value) return resource;
    if (waited >= timeoutMs) return undefined;
    await sleep(WAIT_POLL_MS);
  }
}

export const triggerVerb = triggerVerbWith({
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});
export const triggerCommand = clusterCommand(triggerVerb, connectCluster);
