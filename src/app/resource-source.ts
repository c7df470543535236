// Where resources come from (the API server, or the manifests folder of standalone mode), and how
// a change reaches the controller.
import type { Clock } from '../controller/clock.js';
import type {
  EventRecorder,
  LeaseFence,
  PolicyGate,
  ResourceKey,
  ResourceStore,
} from '../controller/ports.js';
import { overviewOf, summarize } from '../controller/runtime/startup-summary.js';
import type { Logger } from '../log/logger.js';
import { StartupError } from './startup-error.js';

export interface ResourceSource {
  readonly store: ResourceStore;
  readonly events: EventRecorder;
  subscribe(listener: (key: ResourceKey) => void): void;
  keys(): ResourceKey[];
  hasSynced(): boolean;
  /** How long the API server has said nothing, and the watchdog period; none in standalone mode. */
  silence?(): { silentMs: number; watchdogMs: number };
  /** The admin policies of this source (EcsSchedulerPolicy), when enforced; start() syncs them too. */
  readonly policy?: PolicyGate;
  /** Standalone mode: the state file's lock, which launches must still hold. */
  readonly fence?: LeaseFence;
  /** The lease was lost while running: what the source still holds for the term (event series) goes. */
  leadershipLost?(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the source; rejects with a StartupError when the first list takes longer than `seconds`. */
export async function startWithin(source: ResourceSource, seconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      source.start(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new StartupError(
                `resources not loaded within ${seconds} s (--cache-sync-timeout): is the API server reachable?`,
              ),
            ),
          seconds * 1000,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Logs what the first list found: each resource at debug, the summary at info. */
export function logSynced(source: ResourceSource, mode: string, clock: Clock, logger: Logger): void {
  const overviews = source
    .keys()
    .map((key) => source.store.get(key))
    .filter((r) => r !== undefined)
    .map((r) => overviewOf(r, clock.now()));
  for (const o of overviews) logger.debug('resource known', { ...o });
  logger.info('resources synced', { mode, ...summarize(overviews) });
}
