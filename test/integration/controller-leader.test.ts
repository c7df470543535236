// Two controller replicas with leader election on a real Lease: only the leader launches; when it
// is SIGKILLed the follower takes over within the lease duration, and when it is SIGTERMed it
// releases the lease so the follower takes over at once. No scheduled time is ever launched twice.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import {
  customObjects,
  ecsClient,
  kubeConfig,
  loadTestEnv,
  startController,
  useTestNamespace,
  type ControllerProcess,
  type LogLine,
} from './support/index.js';
import {
  createScheduledTask,
  disagreements,
  duplicates,
  everySeconds,
  fargateTask,
  getScheduledTask,
  launchedRuns,
  metricSum,
  scrapeMetrics,
  tasksPerTick,
  ticksBetween,
  waitFor,
} from './support/scheduled-runs.js';

const LEASE_SECONDS = 4;
const RETRY_SECONDS = 1;

// Every 3 seconds: the two launches each step waits for come sooner than at 5.
const PERIOD = 3;

describe('controller: two replicas with leader election (real API server and moto)', function () {
  this.timeout(120_000);
  const ns = useTestNamespace('ctrl-leader');
  const env = loadTestEnv();
  const api = customObjects();
  const ecs = ecsClient();
  const controllers: ControllerProcess[] = [];

  after(async () => {
    await Promise.all(controllers.map((c) => c.kill('SIGKILL')));
    ecs.destroy();
  });

  const replica = async (leaseName: string) => {
    const c = await startController([
      '--namespace',
      ns.name,
      '--leader-elect',
      '--leader-election-namespace',
      ns.name,
      '--leader-election-id',
      leaseName,
      '--lease-duration',
      `${LEASE_SECONDS}s`,
      '--renew-deadline',
      '3s',
      '--retry-period',
      `${RETRY_SECONDS}s`,
    ]);
    controllers.push(c);
    return c;
  };
  const becameLeader = (l: LogLine) => l.msg === 'became leader';
  const launches = (c: ControllerProcess, key: string) =>
    c.lines.filter((l) => l.msg === 'launched tasks' && l.resource === key);

  /** Starts two replicas and a resource; resolves once the leader has launched two runs. */
  async function twoReplicas(name: string) {
    const created = await createScheduledTask(api, ns.name, name, {
      schedule: everySeconds(PERIOD),
      successfulRunsHistoryLimit: 50,
      failedRunsHistoryLimit: 50,
      task: fargateTask(env),
    });
    const [a, b] = await Promise.all([replica(`${name}-lease`), replica(`${name}-lease`)]);
    const first = await Promise.race([
      a.waitForLine(becameLeader, 20_000, 'a leader').then(() => a),
      b.waitForLine(becameLeader, 20_000, 'a leader').then(() => b),
    ]);
    const leader = first;
    const follower = first === a ? b : a;
    await waitFor(
      'two launched runs',
      async () => launchedRuns(await getScheduledTask(api, ns.name, name)).length >= 2,
      20_000,
    );
    return { created, leader, follower, key: `${ns.name}/${name}` };
  }

  /** No scheduled time has more than one task; each scheduled time appears once in status. */
  async function exactlyOnce(name: string, uid: string, createdAt: string) {
    const status = (await getScheduledTask(api, ns.name, name)).status!;
    const ticks = ticksBetween(createdAt, status.lastScheduleTime!, PERIOD);
    const perTick = await tasksPerTick(ecs, env.ecsCluster, uid, ticks);
    expect(duplicates(perTick), 'scheduled times launched more than once').to.deep.equal([]);
    const times = (status.runs ?? []).map((r) => r.scheduledTime);
    expect(new Set(times).size, `each scheduled time once in status: ${times.join(', ')}`).to.equal(
      times.length,
    );
    expect(disagreements(status.runs ?? [], perTick)).to.deep.equal([]);
    const launchedTicks = ticks.filter((t) => (perTick.get(t)?.length ?? 0) > 0);
    return { status, ticks, launchedTicks };
  }

  it('only the leader launches; after SIGKILL the follower takes over within the lease duration', async () => {
    const name = 'handover-kill';
    const { created, leader, follower, key } = await twoReplicas(name);

    expect(launches(follower, key), 'the follower launched').to.deep.equal([]);
    expect(follower.lines.some(becameLeader)).to.equal(false);
    expect(metricSum(await scrapeMetrics(leader.metricsPort), 'leader_election_master_status')).to.equal(1);
    expect(metricSum(await scrapeMetrics(follower.metricsPort), 'leader_election_master_status')).to.equal(0);
    // A healthy follower is ready too (it serves probes and keeps its cache warm).
    expect((await fetch(`http://127.0.0.1:${follower.healthPort}/readyz`)).status).to.equal(200);

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await leader.exited;
    const took = await follower.waitForLine(becameLeader, 20_000, 'the follower to take over');
    const takeoverMs = Date.parse(took.ts as string) - killedAt;
    // The lease runs out LEASE_SECONDS after the follower last saw it renewed (at most one retry
    // period before the kill); the follower notices at its next retry. 2 s of slack for the machine.
    expect(takeoverMs).to.be.below((LEASE_SECONDS + 2 * RETRY_SECONDS + 2) * 1000);

    const takeoverTick = Math.ceil(Date.parse(took.ts as string) / (PERIOD * 1000)) * PERIOD;
    await waitFor('the new leader to launch two runs', () => launches(follower, key).length >= 2, 20_000);
    expect(metricSum(await scrapeMetrics(follower.metricsPort), 'leader_election_master_status')).to.equal(1);
    expect(await follower.kill('SIGTERM')).to.equal(0);

    const { launchedTicks, ticks } = await exactlyOnce(
      name,
      created.metadata.uid!,
      created.metadata.creationTimestamp!,
    );
    // Ticks from the new leader's first pass on are all launched.
    const afterTakeover = ticks.filter((t) => t >= takeoverTick);
    expect(afterTakeover.filter((t) => !launchedTicks.includes(t))).to.deep.equal([]);
  });

  it('on SIGTERM the leader exits 0 and releases the lease, and the follower takes over at once', async () => {
    const name = 'handover-term';
    const { created, leader, follower, key } = await twoReplicas(name);
    const before = launches(leader, key).length;
    expect(before).to.be.at.least(1);

    const termAt = Date.now();
    expect(await leader.kill('SIGTERM'), leader.output().slice(-2000)).to.equal(0);
    expect(Date.now() - termAt).to.be.below(5_000);
    expect(leader.lines.some((l) => l.msg === 'released the lease')).to.equal(true);
    const took = await follower.waitForLine(becameLeader, 10_000, 'the follower to take over');
    // Released, so no waiting out the lease: the follower's next retry takes it.
    expect(Date.parse(took.ts as string) - termAt).to.be.below((2 * RETRY_SECONDS + 2) * 1000);
    const lease = await kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: `${name}-lease`, namespace: ns.name });
    expect(lease.spec?.holderIdentity).to.equal(took.identity);

    await waitFor('the new leader to launch two runs', () => launches(follower, key).length >= 2, 20_000);
    expect(await follower.kill('SIGTERM')).to.equal(0);
    await exactlyOnce(name, created.metadata.uid!, created.metadata.creationTimestamp!);
  });
});
