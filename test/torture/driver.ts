// Runs one torture scenario: the ECS simulator (a process, driven through its /_sim/ control API),
// N controller replicas (the real binary, leader-elected, against the test environment's real
// kube-apiserver), the load, and the faults at the planned moments. Every status version a watch
// sees is validated and its runs recorded; at the end the simulator's ledger says what ECS did,
// and scorecard.ts judges. Nothing here asserts: it reports what the current controller does.
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.js';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { validateResource } from '../../src/api/validation.js';
import { compileSchedule } from '../../src/schedule/schedule.js';
import { assignShard } from '../../src/shard/shard-assignment.js';
import { DRAIN_LABEL, OWNER_LABEL } from '../../src/shard/shard-labels.js';
import { loadTestEnv, REPO_ROOT } from '../integration/support/env.js';
import { seededRandom } from '../support/seeded-random.js';
import { planFaults, type PlannedFault } from './fault-plan.js';
import type { Scenario } from './scenario.js';
import {
  formatScorecard,
  scorecard,
  type Crash,
  type EcsFault,
  type ExpectedRun,
  type FaultWindow,
  type LedgerRun,
  type Scorecard,
} from './scorecard.js';

const NODE = join(REPO_ROOT, 'node_modules', '.bin', 'node');
const BIN = join(REPO_ROOT, 'bin', 'ecs-scheduler.js');
const TASK_FAMILY = 'torture-task';
const LEASE_NAME = 'torture-leader';

export interface DriverOptions {
  readonly seed: number;
  /** Where logs, the event timeline and scorecard.json go. */
  readonly outDir: string;
  /** How this run was started, printed in the scorecard. */
  readonly command: string;
  readonly log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Replica {
  readonly name: string;
  generation: number;
  identity: string;
  child: ChildProcess | undefined;
  logFile: string;
  /** Set just before we signal it, so its exit is not counted as a crash. */
  expectedExit: boolean;
  paused: boolean;
  /** Scaled down: SIGTERMed for good, never restarted. */
  retired: boolean;
}

/** The simulator as a child process; resolves with its endpoint once it listens. */
async function startSimulator(seed: number, scenario: Scenario, outDir: string) {
  const taskDefinition = {
    family: TASK_FAMILY,
    containerDefinitions: [{ name: 'app', image: 'busybox', essential: true }],
  };
  // 'w': a replay into the same directory must not read as one run with the last.
  const logFd = openSync(join(outDir, 'simulator.log'), 'w');
  const child = spawn(
    NODE,
    [
      '--import',
      'tsx',
      'test/support/ecs-simulator/main.ts',
      '--port',
      '0',
      '--random-seed',
      String(seed),
      '--lifecycle',
      JSON.stringify({ runningMs: scenario.taskRunningSeconds * 1000, provisioningMs: 200, pendingMs: 200 }),
      '--task-definition',
      JSON.stringify(taskDefinition),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', logFd] },
  );
  closeSync(logFd);
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the ECS simulator exited (${code}) before listening`)));
  });
  const { endpoint } = JSON.parse(line) as { endpoint: string };
  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(new URL(path, endpoint), {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`simulator ${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as unknown;
  };
  return { child, endpoint, control };
}

function ecsFaultConfig(scenario: Scenario, blackHole: boolean) {
  const { share, mix, latencySpikeRate, latencySpikeMs } = scenario.faults.ecs;
  const total = mix.serverError + mix.throttle + mix.capacity + mix.lostResponse || 1;
  return {
    serverErrorRate: (share * mix.serverError) / total,
    throttleRate: (share * mix.throttle) / total,
    capacityFailureRate: (share * mix.capacity) / total,
    lostResponseRate: (share * mix.lostResponse) / total,
    latencySpikeRate,
    latencySpikeMs,
    blackHoleRate: blackHole ? 1 : 0,
  };
}

/** Runs the scenario and returns its scorecard (also written to outDir/scorecard.json). */
export async function runScenario(scenario: Scenario, options: DriverOptions): Promise<Scorecard> {
  const say = options.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  mkdirSync(options.outDir, { recursive: true });
  const timeline: string[] = [];
  const note = (what: string) => {
    const line = `${new Date().toISOString()} ${what}`;
    timeline.push(line);
    say(`[torture] ${line}`);
  };
  note(
    `scenario ${scenario.name}, seed ${options.seed} (replay: --seed ${options.seed}), out ${options.outDir}`,
  );

  const env = loadTestEnv();
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const leases = kc.makeApiClient(CoordinationV1Api);
  const random = seededRandom(options.seed);
  const namespace = `torture-${options.seed.toString(36)}-${Date.now().toString(36)}`.slice(0, 63);
  // The test environment trusts namespaces with this label (an allow-all EcsSchedulerPolicy).
  await core.createNamespace({
    body: { metadata: { name: namespace, labels: { 'ecs-scheduler.dev/test': 'true' } } },
  });
  note(`namespace ${namespace}`);

  const sim = await startSimulator(options.seed, scenario, options.outDir);
  note(`ECS simulator at ${sim.endpoint}`);
  const windows: FaultWindow[] = [];
  const crashes: Crash[] = [];
  const injected: Record<string, number> = {
    kills: 0,
    pauses: 0,
    apiserverRestarts: 0,
    etcdRestarts: 0,
    blackHoles: 0,
    ecsFaultShare: scenario.faults.ecs.share,
  };

  // --- controllers ---
  const newReplica = (index: number): Replica => ({
    name: `replica-${index}`,
    generation: 0,
    identity: '',
    child: undefined,
    logFile: '',
    expectedExit: false,
    paused: false,
    retired: false,
  });
  const replicas: Replica[] = Array.from({ length: scenario.replicas }, (_, i) => newReplica(i));
  let stopping = false;
  const startReplica = (r: Replica) => {
    r.generation++;
    r.identity = `${r.name}-g${r.generation}`;
    r.logFile = join(options.outDir, `${r.identity}.log`);
    r.expectedExit = false;
    r.paused = false;
    const fd = openSync(r.logFile, 'w');
    const child = spawn(
      NODE,
      [
        BIN,
        'run',
        scenario.sharding ? '--sharding' : '--leader-elect',
        '--leader-election-id',
        LEASE_NAME,
        '--leader-election-namespace',
        namespace,
        '--namespace',
        namespace,
        '--lease-duration',
        `${scenario.leaseDurationSeconds}s`,
        '--renew-deadline',
        `${scenario.renewDeadlineSeconds}s`,
        '--retry-period',
        `${scenario.retryPeriodSeconds}s`,
        '--ecs-endpoint',
        sim.endpoint,
        // SQS triggers read moto's queues: the simulator speaks ECS only.
        '--sqs-endpoint',
        env.awsEndpoint,
        '--region',
        env.region,
        '--default-cluster',
        'default',
        '--metrics-bind-address',
        '0',
        '--health-probe-bind-address',
        '0',
        '--log-format',
        'json',
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env.vars, POD_NAME: r.identity, AWS_ENDPOINT_URL: sim.endpoint },
        stdio: ['ignore', fd, fd],
      },
    );
    closeSync(fd);
    r.child = child;
    child.once('exit', (code, signal) => {
      if (r.child !== child) return;
      r.child = undefined;
      if (r.expectedExit || stopping) return;
      const lines = readFileSync(r.logFile, 'utf8').trimEnd().split('\n');
      const crash: Crash = {
        replica: r.identity,
        atMs: Date.now(),
        exit: String(code ?? signal),
        lastLine: lines[lines.length - 1]?.slice(0, 500),
      };
      crashes.push(crash);
      windows.push({
        kind: 'crash',
        startMs: crash.atMs,
        endMs: crash.atMs + scenario.leaseDurationSeconds * 1000,
      });
      note(`UNEXPECTED exit of ${r.identity}: ${crash.exit}; restarting it`);
      setTimeout(() => {
        if (!stopping) startReplica(r);
      }, 1_000);
    });
  };
  for (const r of replicas) startReplica(r);

  const leaderIdentity = async (): Promise<string | undefined> => {
    try {
      const lease = await leases.readNamespacedLease({ name: LEASE_NAME, namespace });
      return lease.spec?.holderIdentity ?? undefined;
    } catch {
      return undefined;
    }
  };
  const leader = async (): Promise<Replica | undefined> => {
    const id = await leaderIdentity();
    return replicas.find((r) => r.identity === id && r.child !== undefined);
  };
  /** Waits until a live, unpaused replica holds the Lease; returns when (ms), or undefined. */
  const waitForLiveLeader = async (timeoutMs: number, not?: string): Promise<number | undefined> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const l = await leader();
      if (l !== undefined && !l.paused && l.identity !== not) return Date.now();
      await sleep(250);
    }
    return undefined;
  };
  /** Replicas that may own resources: running, not paused, not being scaled down. */
  const liveIdentities = () =>
    new Set(replicas.filter((r) => r.child !== undefined && !r.paused && !r.retired).map((r) => r.identity));
  /** With sharding, the replica a kill or a pause strikes: any live one, drawn with the seed. */
  const pickReplica = async (): Promise<Replica | undefined> => {
    if (!scenario.sharding) return leader();
    const live = replicas.filter((r) => r.child !== undefined && !r.paused && !r.retired);
    return live.length === 0 ? undefined : live[Math.floor(random.next() * live.length)];
  };
  /**
   * With sharding: waits until every resource is labelled with the live replica that rendezvous
   * hashing assigns it among the live ones, and none is draining: the end of a handover window.
   * (Labelled with any live replica is not enough: a replica that joins wins its share by drains
   * that go on well after its first resource.)
   */
  const waitForOwners = async (timeoutMs: number): Promise<number | undefined> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const list = (await custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
        })) as { items: EcsScheduledTaskResource[] };
        const live = [...liveIdentities()].sort();
        const settled = list.items.every((i) => {
          const labels = i.metadata.labels ?? {};
          return (
            labels[OWNER_LABEL] === assignShard(i.metadata.uid ?? '', live) &&
            labels[DRAIN_LABEL] === undefined
          );
        });
        if (settled) return Date.now();
      } catch {
        /* the API server is restarting */
      }
      await sleep(250);
    }
    return undefined;
  };
  if ((await waitForLiveLeader(60_000)) === undefined)
    throw new Error('no replica became leader within 60 s');
  note(`leader: ${await leaderIdentity()}`);

  // --- status watch: validate every version, record every run result ---
  const recorded = new Map<string, Map<number, Set<string>>>();
  const invalid: { resource: string; resourceVersion: string; issues: string[] }[] = [];
  const missedRunsTotal = new Map<string, number>();
  let versionsSeen = 0;
  const observe = (obj: EcsScheduledTaskResource) => {
    if (obj.status === undefined) return;
    versionsSeen++;
    const resource = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const issues = validateResource(obj)
      .filter((i) => i.path.startsWith('status'))
      .map((i) => `${i.path}: ${i.message}`);
    const times = (obj.status.runs ?? []).map((r) => r.scheduledTime);
    const dup = times.filter((t, i) => times.indexOf(t) !== i);
    if (dup.length > 0) issues.push(`status.runs: scheduledTime ${dup[0]} recorded twice`);
    if (issues.length > 0 && invalid.length < 1000)
      invalid.push({ resource, resourceVersion: obj.metadata.resourceVersion ?? '', issues });
    if (obj.status.missedRunsTotal !== undefined)
      missedRunsTotal.set(resource, Math.max(missedRunsTotal.get(resource) ?? 0, obj.status.missedRunsTotal));
    let byTime = recorded.get(resource);
    if (!byTime) recorded.set(resource, (byTime = new Map()));
    for (const run of obj.status.runs ?? []) {
      const t = Date.parse(run.scheduledTime);
      let results = byTime.get(t);
      if (!results) byTime.set(t, (results = new Set()));
      if (run.result) results.add(run.result);
    }
  };
  const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
  let watchAbort: AbortController | undefined;
  const watchLoop = async () => {
    while (!stopping) {
      try {
        const list = (await custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
        })) as { items: EcsScheduledTaskResource[]; metadata: { resourceVersion: string } };
        for (const item of list.items) observe(item);
        await new Promise<void>((resolve) => {
          void new Watch(kc)
            .watch(
              path,
              { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true },
              (type, obj: EcsScheduledTaskResource) => {
                if (type === 'ADDED' || type === 'MODIFIED') observe(obj);
              },
              () => resolve(),
            )
            .then(
              (c) => (watchAbort = c),
              () => resolve(),
            );
        });
      } catch {
        /* the API server is restarting: relist */
      }
      if (!stopping) await sleep(500);
    }
  };
  const watching = watchLoop();

  // --- load ---
  const sqs = new SQSClient({ endpoint: env.awsEndpoint, region: env.region, credentials: env.credentials });
  const queues: string[] = [];
  const created: { resource: EcsScheduledTaskResource; tasksWanted: number; schedule: string }[] = [];
  for (const group of scenario.load) {
    for (let i = 0; i < group.count; i++) {
      let trigger = {};
      // A trigger sizes a run by the queue depth, so all a run may start is maxCount.
      const maxCount = Math.max(group.taskCount, 3);
      if (group.sqsTrigger) {
        const queueName = `${namespace}-${group.name}-${i}`.slice(0, 80);
        const queue = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
        queues.push(queue.QueueUrl!);
        trigger = { trigger: { sqs: { queueName, messagesPerTask: 1 } }, maxCount };
      }
      const body = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'EcsScheduledTask',
        metadata: { name: `${group.name}-${i}`, namespace },
        spec: {
          schedule: group.schedule,
          concurrencyPolicy: group.concurrencyPolicy,
          startingDeadlineSeconds: group.startingDeadlineSeconds,
          ...(group.taskCount > 1 ? { taskCount: group.taskCount } : {}),
          ...trigger,
          // Every run record stays visible to the watch for a while; the defaults (3 and 1) would
          // trim a pass's older Missed records before any status write showed them.
          successfulRunsHistoryLimit: 20,
          failedRunsHistoryLimit: 20,
          task: { cluster: 'default', taskDefinition: TASK_FAMILY, launchType: 'EC2' },
        },
      };
      const resource = (await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        body,
      })) as EcsScheduledTaskResource;
      created.push({
        resource,
        tasksWanted: group.sqsTrigger ? maxCount : group.taskCount,
        schedule: group.schedule,
      });
    }
  }
  // Messages arrive at random (seeded): about one every 10 s per queue. Nothing consumes them (the
  // tasks are simulated), so the depth only grows and each run is capped by maxCount.
  const arrivals = seededRandom(options.seed + 1);
  const pump =
    queues.length === 0
      ? undefined
      : setInterval(() => {
          for (const url of queues) {
            if (arrivals.next() < 0.5)
              sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'work' })).catch(() => undefined);
          }
        }, 5_000);
  note(`created ${created.length} resources`);
  if (scenario.sharding) {
    // The sharder waits a Lease duration before labelling, so that every replica joins the ring.
    const start = Date.now();
    const end = (await waitForOwners(120_000)) ?? Date.now();
    windows.push({ kind: 'shard-assignment', startMs: start, endMs: end });
    note(`every resource labelled with its shard after ${end - start} ms`);
  }
  await sim.control('PUT', '/_sim/faults', ecsFaultConfig(scenario, false));
  // Scheduled times count from a little after creation, so the first is never one the controller
  // could not have known about.
  const t0 = Date.now() + 3_000;
  const loadEnd = t0 + scenario.durationSeconds * 1000;
  note(`load from ${new Date(t0).toISOString()} to ${new Date(loadEnd).toISOString()}, ECS faults on`);

  // --- faults ---
  const plan = planFaults(scenario, () => random.next());
  writeFileSync(join(options.outDir, 'fault-plan.json'), JSON.stringify(plan, null, 2));
  const inject = async (fault: PlannedFault) => {
    const start = Date.now();
    switch (fault.kind) {
      case 'kill': {
        const l = (await pickReplica()) ?? replicas.find((r) => r.child !== undefined && !r.retired);
        if (!l?.child) return note('kill: no live replica to kill');
        l.expectedExit = true;
        l.child.kill('SIGKILL');
        injected.kills!++;
        note(`SIGKILL ${l.identity}${l.paused ? ' (paused)' : ''}`);
        await sleep(1_000);
        // A Deployment's pod comes back under a new name: with sharding, a new shard.
        if (!stopping) startReplica(l);
        const led = (await waitForLiveLeader(60_000)) ?? Date.now();
        const end = scenario.sharding ? ((await waitForOwners(60_000)) ?? Date.now()) : led;
        windows.push({ kind: 'kill', startMs: start, endMs: end });
        return note(
          `after kill: leader ${await leaderIdentity()} after ${led - start} ms` +
            (scenario.sharding ? `, every resource with a live shard after ${end - start} ms` : ''),
        );
      }
      case 'scale-up': {
        const r = newReplica(replicas.length);
        replicas.push(r);
        startReplica(r);
        injected.scaleUps = (injected.scaleUps ?? 0) + 1;
        note(`scale up: ${r.identity} joins`);
        const end = (await waitForOwners(60_000)) ?? Date.now();
        windows.push({ kind: 'scale-up', startMs: start, endMs: end });
        return note(`after scale-up: ${r.identity} owns its share after ${end - start} ms`);
      }
      case 'scale-down': {
        const live = replicas.filter((r) => r.child !== undefined && !r.paused && !r.retired);
        if (live.length < 2) return note('scale-down: fewer than two live replicas; skipped');
        const r = live[Math.floor(random.next() * live.length)]!;
        r.retired = true;
        r.expectedExit = true;
        r.child!.kill('SIGTERM');
        injected.scaleDowns = (injected.scaleDowns ?? 0) + 1;
        note(`scale down: SIGTERM ${r.identity}`);
        const end = (await waitForOwners(60_000)) ?? Date.now();
        windows.push({ kind: 'scale-down', startMs: start, endMs: end });
        return note(`after scale-down: every resource with a live shard after ${end - start} ms`);
      }
      case 'pause': {
        // A pause planned right after a kill finds the Lease still naming the dead replica: wait
        // for the next leader instead of skipping, so every run injects the pauses it promises.
        await waitForLiveLeader(60_000);
        const l = await pickReplica();
        if (!l?.child || l.paused) return note('pause: no live leader to pause');
        l.paused = true;
        l.child.kill('SIGSTOP');
        injected.pauses!++;
        note(`SIGSTOP ${l.identity} for ${fault.durationMs} ms`);
        await sleep(fault.durationMs);
        if (l.child) {
          l.child.kill('SIGCONT');
          l.paused = false;
          note(`SIGCONT ${l.identity}`);
        }
        // The woken replica must notice it lost the lease; the window covers that. With sharding
        // it then rejoins the ring and gets its share back: the window lasts until it has.
        const woken = Date.now() + scenario.leaseDurationSeconds * 1000;
        const rejoined = scenario.sharding && l.child ? await waitForOwners(60_000) : undefined;
        windows.push({ kind: 'pause', startMs: start, endMs: Math.max(woken, rejoined ?? 0) });
        return;
      }
      case 'apiserver-restart':
      case 'etcd-restart': {
        const which = fault.kind === 'etcd-restart' ? 'restart-etcd' : 'restart-apiserver';
        note(which);
        const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(NODE, ['scripts/testenv.js', which], {
            cwd: REPO_ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let text = '';
          child.stdout.on('data', (c: Buffer) => (text += c.toString()));
          child.stderr.on('data', (c: Buffer) => (text += c.toString()));
          child.on('close', (c) => resolve({ code: c, out: text.trim().split('\n').pop() ?? '' }));
        });
        if (code !== 0) return note(`${which} FAILED (exit ${code}): ${out}; not counted as injected`);
        if (fault.kind === 'etcd-restart') injected.etcdRestarts!++;
        else injected.apiserverRestarts!++;
        windows.push({ kind: fault.kind, startMs: start, endMs: Date.now() });
        return note(`${which} done in ${Date.now() - start} ms: ${out}`);
      }
      case 'black-hole': {
        await sim.control('PUT', '/_sim/faults', ecsFaultConfig(scenario, true));
        injected.blackHoles!++;
        note(`ECS black hole for ${fault.durationMs} ms`);
        await sleep(fault.durationMs);
        await sim.control('PUT', '/_sim/faults', ecsFaultConfig(scenario, false));
        // Calls sent into the hole end only at the controller's own call timeout (30 s).
        windows.push({ kind: 'black-hole', startMs: start, endMs: Date.now() + 30_000 });
        return note('ECS black hole closed');
      }
    }
  };
  const running = plan.map(async (fault) => {
    await sleep(Math.max(0, t0 + fault.atMs - Date.now()));
    try {
      await inject(fault);
    } catch (err) {
      note(`fault ${fault.kind} failed to inject: ${(err as Error).message}`);
    }
  });
  await sleep(Math.max(0, loadEnd - Date.now()));
  if (pump) clearInterval(pump);
  await Promise.all(running);
  await sim.control('PUT', '/_sim/faults', ecsFaultConfig(scenario, false));
  await sim.control('PUT', '/_sim/faults', { serverErrorRate: 0 });
  note(`load over; ECS faults off; settling ${scenario.settleSeconds} s`);
  await sleep(scenario.settleSeconds * 1000);

  // --- judge ---
  const ledger = (await sim.control('GET', '/_sim/ledger?runs=1')) as {
    report: Record<string, unknown>;
    runs: LedgerRun[];
    entries: { at: number; outcome: string; startedBy?: string }[];
  };
  writeFileSync(join(options.outDir, 'ledger.json'), JSON.stringify(ledger, null, 2));
  // Every injected ECS fault with the request it struck: the evidence for misses it explains.
  const faultLog = (await sim.control('GET', '/_sim/fault-log')) as {
    report: { total: number; dropped: number };
    entries: EcsFault[];
  };
  writeFileSync(join(options.outDir, 'fault-log.json'), JSON.stringify(faultLog, null, 2));
  if (faultLog.report.dropped > 0)
    note(
      `the fault log dropped its ${faultLog.report.dropped} oldest entries: their misses stay unexplained`,
    );
  // One more list, so the latest status of every resource is seen even if the watch lags.
  try {
    const list = (await custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
    })) as {
      items: EcsScheduledTaskResource[];
    };
    for (const item of list.items) observe(item);
  } catch (err) {
    note(`final list failed: ${(err as Error).message}`);
  }
  stopping = true;
  watchAbort?.abort();
  await Promise.race([watching, sleep(2_000)]);
  const expected: ExpectedRun[] = [];
  for (const { resource, tasksWanted, schedule } of created) {
    const key = `${resource.metadata.namespace}/${resource.metadata.name}`;
    const compiled = compileSchedule(schedule, { hashKey: key });
    for (
      let t = compiled.next(new Date(t0 - 1));
      t !== null && t.getTime() <= loadEnd;
      t = compiled.next(t)
    ) {
      const next = compiled.next(t);
      expected.push({
        resource: key,
        startedBy: `ecss/${resource.metadata.uid}/${Math.floor(t.getTime() / 1000)}`,
        scheduledTimeMs: t.getTime(),
        ...(next === null ? {} : { nextScheduledTimeMs: next.getTime() }),
        tasksWanted,
      });
    }
  }
  const card = scorecard({
    scenario: scenario.name,
    seed: options.seed,
    command: options.command,
    expected,
    ledgerRuns: ledger.runs,
    missedRunsTotal,
    recorded,
    windows,
    explainSlackMs: scenario.leaseDurationSeconds * 1000 + 5_000,
    // A run scheduled shortly before a fault may still be in flight when it strikes: launches take
    // seconds at the 99th percentile while 30% of ECS calls fail and are retried.
    explainLeadMs: 5_000,
    ecsFaults: faultLog.entries,
    // A fault a little after the missed time may still be part of the struggle that delayed it
    // (SDK retries of the same call); beyond a couple of seconds it is a later pass's.
    ecsFaultMarginMs: 2_000,
    ledgerEntries: ledger.entries,
    // From a pass's last ECS answer to the next pass's plan: a status write and a dequeue, well
    // under this on the loaded CI machine. Any longer gap before the next time is the controller's.
    passSlackMs: 200,
    statusVersionsSeen: versionsSeen,
    invalidStatuses: invalid,
    unexpectedCrashes: crashes,
    injected,
  });

  // --- tear down: SIGTERM the replicas (SIGCONT first, a paused one cannot hear it) ---
  for (const r of replicas) {
    if (!r.child) continue;
    r.expectedExit = true;
    r.child.kill('SIGCONT');
    r.child.kill('SIGTERM');
  }
  await sleep(1_000);
  for (const r of replicas) r.child?.kill('SIGKILL');
  sim.child.kill('SIGTERM');
  sqs.destroy();
  try {
    await core.deleteNamespace({ name: namespace });
  } catch {
    /* the environment has no namespace controller: it stays Terminating, which is harmless */
  }
  writeFileSync(join(options.outDir, 'timeline.log'), `${timeline.join('\n')}\n`);
  writeFileSync(join(options.outDir, 'windows.json'), JSON.stringify(windows, null, 2));
  writeFileSync(join(options.outDir, 'scorecard.json'), `${JSON.stringify(card, null, 2)}\n`);
  say(formatScorecard(card));
  say(`[torture] scorecard written to ${join(options.outDir, 'scorecard.json')}`);
  return card;
}
