// Three controller replicas with --sharding against the real API server and moto: every resource
// is labelled with one live shard, each is launched only by its owner, and no scheduled time is
// launched twice while replicas are paused past their Lease (SIGSTOP), killed (SIGKILL) and
// stopped (SIGTERM). The figures (resources per shard, handover seconds) are printed.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { assignShard } from '../../src/shard/shard-assignment.js';
import { DRAIN_LABEL, OWNER_LABEL, shardLeaseName } from '../../src/shard/shard-labels.js';
import {
  customObjects,
  ecsClient,
  EST,
  kubeConfig,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import {
  createScheduledTask,
  duplicates,
  everySeconds,
  fargateTask,
  launchedRuns,
  metricSum,
  scrapeMetrics,
  tasksPerTick,
  ticksBetween,
  waitFor,
} from './support/scheduled-runs.js';

const LEASE_SECONDS = 4;
const RETRY_SECONDS = 1;
const RESOURCES = 12;
// Every 3 seconds: the launches the test waits for (two per resource once the ring settled, one
// after the last handover) come sooner than at 5.
const PERIOD = 3;

interface Replica {
  readonly process: ControllerProcess;
  readonly identity: string;
}

describe('controller: three replicas with --sharding (real API server and moto)', function () {
  this.timeout(300_000);
  const ns = useTestNamespace('ctrl-shard');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  const leases = kubeConfig().makeApiClient(CoordinationV1Api);
  const replicas: Replica[] = [];

  after(async () => {
    await Promise.all(replicas.map((r) => r.process.kill('SIGKILL')));
    ecs.destroy();
  });

  const start = async (ring: string): Promise<Replica> => {
    const process = await startController([
      '--namespace',
      ns.name,
      '--sharding',
      '--leader-election-namespace',
      ns.name,
      '--leader-election-id',
      ring,
      '--lease-duration',
      `${LEASE_SECONDS}s`,
      '--renew-deadline',
      '3s',
      '--retry-period',
      `${RETRY_SECONDS}s`,
    ]);
    const line = await process.waitForLine((l) => l.msg.startsWith('sharding:'), 10_000, 'sharding on');
    const replica = { process, identity: line.identity as string };
    replicas.push(replica);
    return replica;
  };

  const list = async () =>
    (
      (await api.listNamespacedCustomObject({ ...EST, namespace: ns.name })) as {
        items: EcsScheduledTaskResource[];
      }
    ).items;
  const ownerOf = (r: EcsScheduledTaskResource) => r.metadata.labels?.[OWNER_LABEL];
  const owners = async () => new Map((await list()).map((r) => [r.metadata.name!, ownerOf(r)]));
  const launchesOf = (replica: Replica, after = 0) =>
    replica.process.lines.filter((l) => l.msg === 'launched tasks' && Date.parse(l.ts as string) >= after);
  const isSharder = (replica: Replica) => replica.process.lines.some((l) => l.msg === 'sharder started');
  const shareOf = (map: Map<string, string | undefined>, identity: string) =>
    [...map.values()].filter((o) => o === identity).length;
  /** Waits until every resource is labelled with one of `live` and none is draining; the time it took. */
  const settledOn = async (live: readonly Replica[], timeoutMs: number, what: string) => {
    const from = Date.now();
    const ids = new Set(live.map((r) => r.identity));
    await waitFor(
      what,
      async () =>
        (await list()).every(
          (r) => ids.has(ownerOf(r) ?? '') && r.metadata.labels?.[DRAIN_LABEL] === undefined,
        ),
      timeoutMs,
      200,
    );
    return (Date.now() - from) / 1000;
  };

  it('labels every resource with one live shard, launches each once, and hands over on SIGSTOP, SIGKILL and SIGTERM', async () => {
    const ring = 'shard-ring';
    const created = await Promise.all(
      Array.from({ length: RESOURCES }, (_, i) =>
        createScheduledTask(api, ns.name, `job-${i}`, {
          schedule: everySeconds(PERIOD),
          successfulRunsHistoryLimit: 100,
          failedRunsHistoryLimit: 100,
          task: fargateTask(env),
        }),
      ),
    );
    const all = await Promise.all([start(ring), start(ring), start(ring)]);
    // The first replica up assigns everything to the shards live so far; the ring has settled
    // once the sharder sees all three and every resource sits with one of them.
    await waitFor(
      'the sharder to see three live shards',
      async () => {
        const sharder = all.find(isSharder);
        if (sharder === undefined) return false;
        const text = await scrapeMetrics(sharder.process.metricsPort);
        return (
          metricSum(text, 'ecs_scheduler_shard_live_shards') === 3 &&
          metricSum(text, 'ecs_scheduler_shard_resources') === RESOURCES
        );
      },
      20_000,
    );
    await settledOn(all, 20_000, 'every resource labelled');
    const steadyAt = Date.now();
    const initial = await owners();
    const figures: Record<string, unknown> = {
      perShard: all.map((r) => shareOf(initial, r.identity)),
    };
    // The ring is visible: one Lease per replica, found by its label.
    const ringLeases = await leases.listNamespacedLease({
      namespace: ns.name,
      labelSelector: `ecs-scheduler.dev/shard-ring=${ring}`,
    });
    expect(ringLeases.items.map((l) => l.metadata?.name).sort()).to.deep.equal(
      all.map((r) => shardLeaseName(r.identity)).sort(),
    );

    // Steady state: each resource is launched only by its owner.
    await waitFor(
      'two launched runs each since the ring settled',
      async () =>
        (await list()).every(
          (r) => launchedRuns(r).filter((run) => Date.parse(run.scheduledTime) >= steadyAt).length >= 2,
        ),
      30_000,
      500,
    );
    expect(await owners(), 'no resource moved in the steady state').to.deep.equal(initial);
    for (const replica of all) {
      for (const line of launchesOf(replica, steadyAt)) {
        const name = (line.resource as string).split('/')[1]!;
        expect(initial.get(name), `${line.resource} launched by ${replica.identity}`).to.equal(
          replica.identity,
        );
      }
    }
    const sharder = all.find(isSharder)!;
    expect(sharder, 'one replica runs the sharder').to.not.equal(undefined);
    const metrics = await scrapeMetrics(sharder.process.metricsPort);
    expect(metricSum(metrics, 'ecs_scheduler_shard_resources')).to.equal(RESOURCES);
    const workers = all.filter((r) => r !== sharder);

    // SIGSTOP a worker past its Lease: its Lease is taken over and its resources move; resumed,
    // it launches nothing for them, then joins again and gets its share back through drains.
    const paused = workers[0]!;
    const pausedShare = shareOf(await owners(), paused.identity);
    const stoppedAt = Date.now();
    paused.process.child.kill('SIGSTOP');
    figures.sigstopMovedSeconds = await settledOn(
      all.filter((r) => r !== paused),
      (LEASE_SECONDS + 3 * RETRY_SECONDS + 10) * 1000,
      'the paused replica’s resources moved',
    );
    figures.sigstopMovedAfterStopSeconds = (Date.now() - stoppedAt) / 1000;
    const taken = await leases.readNamespacedLease({
      namespace: ns.name,
      name: shardLeaseName(paused.identity),
    });
    expect(taken.spec?.holderIdentity, 'the sharder took the expired Lease over').to.equal(sharder.identity);
    const continuedAt = Date.now();
    paused.process.child.kill('SIGCONT');
    const back = await paused.process.waitForLine(
      (l) => l.msg === 'became leader' && Date.parse(l.ts as string) >= continuedAt,
      (3 * LEASE_SECONDS + 10) * 1000,
      'the resumed replica to start a new term',
    );
    const backAt = Date.parse(back.ts as string);
    expect(
      launchesOf(paused, continuedAt).filter((l) => Date.parse(l.ts as string) < backAt),
      'launches by the resumed replica before its new term',
    ).to.deep.equal([]);
    // The new term starts on a fresh list, not on what the replica cached before its pause.
    await paused.process.waitForLine(
      (l) => l.msg === 'listing' && l.reason === 'new shard term',
      5_000,
      'the new term to list afresh',
    );
    figures.sigstop = { share: pausedShare, newTermAfterContinueSeconds: (backAt - continuedAt) / 1000 };
    // Back in the ring, it gets its rendezvous share back: every resource where the hash puts it.
    const ids = all.map((r) => r.identity);
    await waitFor(
      'every resource with its rendezvous owner among all three',
      async () =>
        (await list()).every(
          (r) =>
            ownerOf(r) === assignShard(r.metadata.uid!, ids) &&
            r.metadata.labels?.[DRAIN_LABEL] === undefined,
        ),
      30_000,
      200,
    );
    // Its share came back from live owners, through the drain handshake.
    const drains = all.flatMap((r) =>
      r.process.lines.filter((l) => l.msg === 'drained: let the resource go'),
    );
    const wonBack = shareOf(await owners(), paused.identity);
    expect(drains.length, 'drains acknowledged on the way back').to.equal(wonBack);
    const handovers = await scrapeMetrics(sharder.process.metricsPort);
    const drained = { reason: 'drained' };
    figures.rejoin = {
      drains: drains.length,
      meanDrainHandoverSeconds:
        metricSum(handovers, 'ecs_scheduler_shard_handover_duration_seconds_sum', drained)! /
        metricSum(handovers, 'ecs_scheduler_shard_handover_duration_seconds_count', drained)!,
    };

    // SIGKILL the other worker: its Lease expires and its resources go to the others within a
    // Lease duration (plus the sharder's retry and the machine's slack).
    const killed = workers[1]!;
    const killedShare = shareOf(await owners(), killed.identity);
    const killedAt = Date.now();
    killed.process.child.kill('SIGKILL');
    await killed.process.exited;
    const survivors = all.filter((r) => r !== killed);
    figures.sigkillMovedSeconds = await settledOn(
      survivors,
      (LEASE_SECONDS + 3 * RETRY_SECONDS + 10) * 1000,
      'the killed replica’s resources moved',
    );
    figures.sigkill = { share: killedShare, movedAfterKillSeconds: (Date.now() - killedAt) / 1000 };
    expect((Date.now() - killedAt) / 1000).to.be.below(LEASE_SECONDS + 3 * RETRY_SECONDS + 5);
    const movedFromKilled = [...initial].filter(([, o]) => o === killed.identity).map(([n]) => n);
    await waitFor(
      'the moved resources launched by their new owners',
      () =>
        movedFromKilled.every((name) =>
          survivors.some((r) => launchesOf(r, killedAt).some((l) => l.resource === `${ns.name}/${name}`)),
        ),
      (LEASE_SECONDS + 15) * 1000,
      250,
    );
    figures.sigkillFirstLaunchSeconds = (Date.now() - killedAt) / 1000;

    // SIGTERM the resumed worker: it drains, releases its Lease, and its resources move in seconds.
    const termShare = shareOf(await owners(), paused.identity);
    const termAt = Date.now();
    expect(await paused.process.kill('SIGTERM'), paused.process.output().slice(-2000)).to.equal(0);
    expect(paused.process.lines.some((l) => l.msg === 'released the lease')).to.equal(true);
    figures.sigterm = { share: termShare, exitSeconds: (Date.now() - termAt) / 1000 };
    await settledOn([sharder], 10_000, 'the stopped replica’s resources moved');
    figures.sigtermMovedAfterTermSeconds = (Date.now() - termAt) / 1000;
    expect((Date.now() - termAt) / 1000).to.be.below(LEASE_SECONDS);
    const lastTick = Math.floor(Date.now() / (PERIOD * 1000)) * PERIOD;
    await waitFor(
      'the last replica launches everything',
      async () =>
        (await list()).every((r) =>
          launchedRuns(r).some((run) => Date.parse(run.scheduledTime) / 1000 > lastTick + PERIOD),
        ),
      20_000,
      500,
    );
    expect(await sharder.process.kill('SIGTERM')).to.equal(0);

    // Nothing launched twice, across every owner.
    for (const resource of created) {
      const ticks = ticksBetween(resource.metadata.creationTimestamp!, new Date(), PERIOD);
      const perTick = await tasksPerTick(ecs, env.ecsCluster, resource.metadata.uid!, ticks);
      expect(duplicates(perTick), `${resource.metadata.name}: times launched more than once`).to.deep.equal(
        [],
      );
    }
    console.log(`      sharding figures: ${JSON.stringify(figures)}`);
  });
});
