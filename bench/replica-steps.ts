// Carries out the controller bench's replica plan and kill against running controller processes,
// and reads the owner labels until each handover is over. What the figures mean is judged in
// replica-plan.ts; this only acts and observes.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { setHeaderOptions } from '@kubernetes/client-node';
import { DRAIN_LABEL, OWNER_LABEL } from '../src/shard/shard-labels.js';
import type { ControllerProcess } from '../test/integration/support/controller-process.js';
import { EST } from '../test/integration/support/kube.js';
import { sleep } from '../test/integration/support/scheduled-runs.js';
import { settledOn, type OwnerLabels, type ReplicaPlan } from './replica-plan.js';

export interface Replica {
  readonly process: ControllerProcess;
  readonly identity: string;
}

export interface StepRecord {
  /** "3 -> 5", or "SIGKILL 3 -> 2". */
  readonly label: string;
  readonly from: number;
  readonly to: number;
  /** When the step began (before any process was started or signalled). */
  readonly at: number;
  /** The labels just before the step and once it settled (or when the bench gave up waiting). */
  readonly before: Map<string, OwnerLabels>;
  readonly after: Map<string, OwnerLabels>;
  /** Infinity when the labels had not settled within the timeout. */
  readonly settledAt: number;
  /** SIGKILL only: the replica killed, and whether it was running the sharder. */
  readonly killed?: { identity: string; wasSharder: boolean };
  /**
   * A replica this step stopped or killed had run the sharder: the handover then waits for a new
   * leader, which first watches the ring for a Lease duration.
   */
  readonly stoppedSharder: boolean;
}

// The API server's metadata-only projection: polling 3,000 resources every 250 ms with their run
// histories would load the API server the controllers are measured against.
const METADATA_LIST = setHeaderOptions(
  'Accept',
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
);

/** Owner and drain labels of every resource in `namespace`, by uid. */
export async function readOwnerLabels(
  api: CustomObjectsApi,
  namespace: string,
): Promise<Map<string, OwnerLabels>> {
  const list = (await api.listNamespacedCustomObject({ ...EST, namespace }, METADATA_LIST)) as {
    items: { metadata: { uid?: string; labels?: Record<string, string> } }[];
  };
  return new Map(
    list.items.map((o) => [
      o.metadata.uid ?? '',
      { owner: o.metadata.labels?.[OWNER_LABEL], draining: o.metadata.labels?.[DRAIN_LABEL] !== undefined },
    ]),
  );
}

/** The identity a sharded controller logs when it starts working on its shard. */
export async function identityOf(process: ControllerProcess): Promise<string> {
  const line = await process.waitForLine((l) => l.msg.startsWith('sharding:'), 30_000, 'sharding on');
  return line.identity as string;
}

export interface ReplicaStepsOptions {
  readonly windowStart: number;
  readonly plan: ReplicaPlan;
  /** SIGKILL the newest replica this long after the window starts. */
  readonly killAtMs?: number;
  /** The running replicas, oldest first; steps add and remove entries. */
  readonly replicas: Replica[];
  startReplica(): Promise<Replica>;
  readLabels(): Promise<Map<string, OwnerLabels>>;
  readonly pollMs: number;
  readonly settleTimeoutMs: number;
  log(line: string): void;
}

/** Runs the steps in time order; resolves with what each saw once the last has settled. */
export async function runReplicaSteps(options: ReplicaStepsOptions): Promise<StepRecord[]> {
  // An overloaded API server times a list out (504) now and then: read again rather than lose the run.
  const o = {
    ...options,
    readLabels: async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await options.readLabels();
        } catch (err) {
          if (attempt >= 5) throw err;
          options.log(`reading the owner labels failed (${String(err).split('\n')[0]}); trying again`);
          await sleep(options.pollMs);
        }
      }
    },
  };
  const events = [
    ...o.plan.steps.map((s) => ({ atMs: s.atMs, replicas: s.replicas, kill: false })),
    ...(o.killAtMs === undefined ? [] : [{ atMs: o.killAtMs, replicas: NaN, kill: true }]),
  ].sort((a, b) => a.atMs - b.atMs);
  const records: StepRecord[] = [];
  const stopping: Promise<unknown>[] = [];
  for (const event of events) {
    await sleep(Math.max(0, o.windowStart + event.atMs - Date.now()));
    const before = await o.readLabels();
    const at = Date.now();
    const from = o.replicas.length;
    let killed: StepRecord['killed'];
    const ranSharder = (r: Replica) => r.process.lines.some((l) => l.msg === 'sharder started');
    let stoppedSharder = false;
    if (event.kill) {
      // The newest, as a node failure would pick any; whether it ran the sharder is printed.
      const victim = o.replicas.pop()!;
      victim.process.child.kill('SIGKILL');
      killed = { identity: victim.identity, wasSharder: ranSharder(victim) };
      stoppedSharder = killed.wasSharder;
      stopping.push(victim.process.exited);
    } else if (event.replicas > from) {
      o.replicas.push(...(await Promise.all(Array.from({ length: event.replicas - from }, o.startReplica))));
    } else {
      // As a Deployment scales down: SIGTERM, newest first, without waiting for them to exit.
      for (const victim of o.replicas.splice(event.replicas)) {
        stoppedSharder ||= ranSharder(victim);
        stopping.push(victim.process.kill('SIGTERM'));
      }
    }
    const to = o.replicas.length;
    const label = `${event.kill ? 'SIGKILL ' : ''}${from} -> ${to}`;
    const live = o.replicas.map((r) => r.identity);
    let after = await o.readLabels();
    while (!settledOn(after, live) && Date.now() - at < o.settleTimeoutMs) {
      await sleep(o.pollMs);
      after = await o.readLabels();
    }
    const settledAt = settledOn(after, live) ? Date.now() : Infinity;
    o.log(
      `replica step ${label} at +${((at - o.windowStart) / 1000).toFixed(1)} s: ` +
        (Number.isFinite(settledAt)
          ? `settled after ${((settledAt - at) / 1000).toFixed(2)} s`
          : `not settled within ${o.settleTimeoutMs / 1000} s`),
    );
    records.push({
      label,
      from,
      to,
      at,
      before,
      after,
      settledAt,
      stoppedSharder,
      ...(killed ? { killed } : {}),
    });
  }
  await Promise.all(stopping);
  return records;
}
