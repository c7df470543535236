// Three controller replicas with --sharding against the real API server and the ECS simulator:
// every resource is labelled with one live shard, each is launched only by its owner, and no
// scheduled time is launched twice while replicas are paused past their Lease (SIGSTOP), killed
// (SIGKILL) and stopped (SIGTERM). Who launched what is read from the simulator's RunTask ledger,
// not from the controllers' logs: each replica signs with its own access key, which the ledger
// records. The figures (resources per shard, handover seconds) are printed.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { assignShard } from '../../src/shard/shard-assignment.js';
import { DRAIN_LABEL, OWNER_LABEL, shardLeaseName } from '../../src/shard/shard-labels.js';
import { startEcsSimulatorServer, type EcsSimulatorServer } from '../support/ecs-simulator/server.js';
import {
  customObjects,
  EST,
  kubeConfig,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
} from './support/index.js';
import {
  createScheduledTask,
  everySeconds,
  fargateTask,
  launchedRuns,
  metricSum,
  scrapeMetrics,
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
  /** The access key it signs ECS calls with: the ledger's `caller`. */
  readonly key: string;
}

describe('controller: three replicas with --sharding (real API server and the ECS simulator)', function () {
  this.timeout(300_000);
  const ns = useTestNamespace('ctrl-shard');
  const env = loadTestEnv();
  const api = customObjects();
  const leases = kubeConfig().makeApiClient(CoordinationV1Api);
  const replicas: Replica[] = [];
  let sim: EcsSimulatorServer;
  let started = 0;

  before(async () => {
    sim = await startEcsSimulatorServer({
      clusters: [env.ecsCluster],
      lifecycle: { provisioningMs: 100, pendingMs: 100, runningMs: 1_000 },
      taskDefinitions: [
        {
          family: fargateTask(env).taskDefinition,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'sleeper', image: 'busybox', essential: true }],
        },
      ],
    });
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.process.kill('SIGKILL')));
    await sim?.close();
  });

  const start = async (ring: string): Promise<Replica> => {
    // Counted before any await: the three start together.
    const key = `replica-${started++}`;
    const args = [
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
      '--ecs-endpoint',
      sim.endpoint,
    ];
    const process = await startController(args, {
      env: { AWS_ENDPOINT_URL: sim.endpoint, AWS_ACCESS_KEY_ID: key },
    });
    const line = await process.waitForLine((l) => l.msg.startsWith('sharding:'), 10_000, 'sharding on');
    const replica = { process, identity: line.identity as string, key };
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
  /** RunTask calls in the simulator's ledger from `from` (epoch ms) on, with the resource they were for. */
  const ledgerCalls = (from: number) =>
    sim.simulator.ledger
      .entries()
      .filter((e) => e.at >= from)
      .map((e) => ({ ...e, name: nameOfUid.get(uidIn(e.startedBy ?? '') ?? '') }));
  const nameOfUid = new Map<string, string>();
  const uidIn = (startedBy: string) =>
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(startedBy)?.[0];
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
    for (const r of created) nameOfUid.set(r.metadata.uid!, r.metadata.name!);
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
    const identityOfKey = new Map(all.map((r) => [r.key, r.identity]));
    const steadyCalls = ledgerCalls(steadyAt);
    expect(steadyCalls.length, 'RunTask calls in the steady state').to.be.above(0);
    for (const call of steadyCalls)
      expect(
        identityOfKey.get(call.caller ?? ''),
        `${call.name} @ ${call.startedBy} sent by ${call.caller}`,
      ).to.equal(initial.get(call.name!));
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
    const lost = new Set([...initial].filter(([, o]) => o === paused.identity).map(([n]) => n));
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
    // What ECS saw: after SIGCONT the resumed replica sent RunTask only for resources handed back to
    // it (its interim owner acknowledged the drain before the call), never for one it had lost.
    const handedBackAt = new Map<string, number>();
    for (const l of drains) {
      const at = Date.parse(l.ts as string);
      const name = (l.resource as string).split('/')[1]!;
      if (at >= continuedAt) handedBackAt.set(name, Math.min(at, handedBackAt.get(name) ?? Infinity));
    }
    const resumedCalls = ledgerCalls(continuedAt).filter((c) => c.caller === paused.key);
    expect(
      resumedCalls
        .filter((c) => !(c.at >= (handedBackAt.get(c.name!) ?? Infinity)))
        .map((c) => `${c.name} ${c.outcome} +${c.at - continuedAt} ms`),
      'RunTask calls by the resumed replica for resources it had lost',
    ).to.deep.equal([]);
    expect(
      resumedCalls.every((c) => lost.has(c.name!)),
      'the resumed replica launched only its own share',
    ).to.equal(true);
    figures.sigstop = { ...(figures.sigstop as object), ledgerCallsAfterContinue: resumedCalls.length };
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
    const survivorKeys = new Set(survivors.map((r) => r.key));
    await waitFor(
      'the moved resources launched by their new owners (simulator ledger)',
      () => {
        const calls = ledgerCalls(killedAt).filter(
          (c) => c.outcome === 'accepted' && survivorKeys.has(c.caller ?? ''),
        );
        return movedFromKilled.every((name) => calls.some((c) => c.name === name));
      },
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

    // Nothing launched twice, across every owner: the simulator's ledger of every RunTask.
    const report = sim.simulator.ledger.report();
    expect(
      report.duplicateRuns.map((r) => `${nameOfUid.get(uidIn(r.startedBy) ?? '')} ${r.startedBy}`),
      'scheduled times launched more than once',
    ).to.deep.equal([]);
    expect(report.accepted, 'launches in the ledger').to.be.above(RESOURCES * 4);
    figures.ledger = { accepted: report.accepted, replays: report.replays, conflicts: report.conflicts };
    console.log(`      sharding figures: ${JSON.stringify(figures)}`);
  });
});
