/**
 * The controller under load, against the real test environment (kube-apiserver, and moto or the
 * ECS simulator):
 *
 *   node scripts/with-testenv.js npm run bench:controller -- [options]    (npm run build first)
 *
 * N EcsScheduledTasks on one schedule are created in a fresh namespace, `ecs-scheduler run` (from
 * dist/) is started as R child processes (leader-elected when R > 1), and the scheduled times in a
 * window of M minutes are measured. It prints, per run in the window:
 *   - ECS calls by operation (the simulator's own count when on the simulator, which also sees
 *     throttled calls; the controllers' ecs_scheduler_ecs_requests_total otherwise);
 *   - API-server writes: status writes, events (creations plus series updates) and their total, as
 *     the kube-apiserver counts them (apiserver_request_total);
 *   - Missed runs (status says Missed, or nothing was recorded) and, on the simulator, duplicate
 *     launches from its RunTask ledger (moto ignores clientToken and keeps no ledger);
 *   - launch delay p50/p99/max (status.runs[].launchedAt - scheduledTime), split into the wait
 *     ECS's quotas impose (what an ideal client calling RunTask the moment each run is due would
 *     wait, given the backend's token buckets) and our own (the rest);
 *   - each controller's RSS and CPU seconds per minute, and the simulator's CPU;
 *   - the kube-apiserver's and etcd's CPU, and the API server's CPU per API write: at thousands of
 *     resources a minute they, not the controller, are what this machine runs out of;
 * per scheduled minute ("round") and the median over rounds. The last line is BENCH_RESULT {json}.
 */
import { ECSClient, RegisterContainerInstanceCommand } from '@aws-sdk/client-ecs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION, KIND } from '../src/api/constants.js';
import type { EcsScheduledTaskResource } from '../src/api/types.js';
import { compileSchedule } from '../src/schedule/schedule.js';
import { startController, type ControllerProcess } from '../test/integration/support/controller-process.js';
import { benchControllerArgs } from './controller-args.js';
import { captureRun } from '../test/integration/support/captured-run.js';
import { loadTestEnv, REPO_ROOT, type TestEnv } from '../test/integration/support/env.js';
import { coreV1, customObjects, deleteAllTasks, EST, kubeConfig } from '../test/integration/support/kube.js';
import { metricSum, scrapeMetrics, sleep } from '../test/integration/support/scheduled-runs.js';
import { apiWrites, type ApiWrites } from './apiserver-writes.js';
import { firstLaunchAt, watchColdStart } from './cold-start.js';
import { watchRunRecords, type SeenRun } from './run-records.js';
import {
  FARGATE_FAMILY,
  motoBackend,
  simulatorBackend,
  type EcsBackend,
  type SimulatorStatsSnapshot,
} from './ecs-backend.js';
import { median, quantile, splitLaunchDelays, type MeasuredRun } from './launch-delay.js';
import { parseDuration, parseReplicaPlan, reportSteps } from './replica-plan.js';
import {
  identityOf,
  readOwnerLabels,
  runReplicaSteps,
  type Replica,
  type StepRecord,
} from './replica-steps.js';
import { procUsage } from './process-usage.js';
import { peerCpu, peerPids, type PeerCpu } from './peer-usage.js';

const USAGE = `Usage: node scripts/with-testenv.js npm run bench:controller -- [options]
  --resources N                  resources (default 1000)
  --schedule EXPR                their schedule (default "* * * * *": all due in the same second);
                                 "H * * * * *" spreads them over the minute
  --due-together                 all resources due in the same second (the same as --schedule "* * * * *")
  --minutes M                    length of the measured window in minutes, may be fractional (default 2)
  --ecs moto|simulator           ECS backend (default moto)
  --quotas aws|off               simulator only: ECS's documented token buckets, or none (default aws)
  --faults JSON                  simulator only: fault injection, e.g. '{"serverErrorRate":0.01}'
                                 (see test/support/ecs-simulator/README.md)
  --replicas R                   controller processes, leader-elected when R > 1 (default 1); with
                                 --controller-arg=--sharding each works on its own shard, and the
                                 resources per shard are printed
  --replica-plan PLAN            with --controller-arg=--sharding: scale during the window, e.g.
                                 "3,5@60s,2@120s" (start 3; 60 s into the window scale to 5, at 120 s
                                 to 2; scale-down SIGTERMs the newest, as a Deployment does); prints
                                 per step the owners before/after, the share moved against the
                                 ideal, the handover time and the runs lost inside/outside handovers
  --kill-replica-at T            with --controller-arg=--sharding: SIGKILL the newest replica T into
                                 the window (e.g. 60s); prints how soon the others launched its
                                 resources against the Lease duration
  --launch-type FARGATE|EC2      (default FARGATE; EC2 on moto registers more container instances)
  --task-seconds S               tasks stop after about S s (on moto, the bench's agent moves them along); 0 keeps them running (default 5)
  --max-concurrent-reconciles N  passed to the controller (default: the controller's)
  --controller-arg ARG           one more argument for the controller (repeatable)
  --controller-node-options STR  NODE_OPTIONS for the controller processes only, e.g. the heap
                                 limit the Deployment sets: --max-old-space-size=300
  --history-limit N|default      the resources' successfulRunsHistoryLimit and failedRunsHistoryLimit
                                 (default 10, so that every measured run is still in status at the
                                 end); "default" leaves both unset (the CRD's 3 and 1), which makes
                                 each status write as small as a default resource's, and the bench
                                 then gathers the runs from a watch as they pass
  --warmup-seconds S             time after start-up before the window may begin (default 10)
  --align-seconds S              the window starts on a multiple of S seconds (default 60)
Needs the test environment (scripts/with-testenv.js sets it up) and dist/ (npm run build).`;

type Options = ReturnType<typeof options>;

function options() {
  const { values } = parseArgs({
    options: {
      resources: { type: 'string', default: '1000' },
      schedule: { type: 'string' },
      'due-together': { type: 'boolean', default: false },
      minutes: { type: 'string', default: '2' },
      ecs: { type: 'string', default: 'moto' },
      quotas: { type: 'string' },
      faults: { type: 'string' },
      replicas: { type: 'string', default: '1' },
      'replica-plan': { type: 'string' },
      'kill-replica-at': { type: 'string' },
      'launch-type': { type: 'string', default: 'FARGATE' },
      'task-seconds': { type: 'string', default: '5' },
      'max-concurrent-reconciles': { type: 'string' },
      'controller-arg': { type: 'string', multiple: true, default: [] },
      'controller-node-options': { type: 'string' },
      'history-limit': { type: 'string', default: '10' },
      'warmup-seconds': { type: 'string', default: '10' },
      'align-seconds': { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const num = (name: string, raw: string, min: number, integer = true) => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${raw}"`);
    return n;
  };
  const launchType = values['launch-type'];
  if (launchType !== 'FARGATE' && launchType !== 'EC2')
    throw new Error('--launch-type must be FARGATE or EC2');
  const ecs = values.ecs;
  if (ecs !== 'moto' && ecs !== 'simulator') throw new Error('--ecs must be moto or simulator');
  if (values.quotas !== undefined && ecs !== 'simulator')
    throw new Error('--quotas applies to --ecs simulator only (moto enforces no quota)');
  if (values.faults !== undefined && ecs !== 'simulator')
    throw new Error('--faults applies to --ecs simulator only');
  const quotas = values.quotas ?? 'aws';
  if (quotas !== 'aws' && quotas !== 'off') throw new Error('--quotas must be aws or off');
  if (values['due-together'] && values.schedule !== undefined)
    throw new Error('--due-together and --schedule exclude each other');
  const schedule = values.schedule ?? '* * * * *';
  const plan = values['replica-plan'] === undefined ? undefined : parseReplicaPlan(values['replica-plan']);
  const killAtMs =
    values['kill-replica-at'] === undefined ? undefined : parseDuration(values['kill-replica-at']);
  if ((plan || killAtMs !== undefined) && !values['controller-arg'].includes('--sharding'))
    throw new Error('--replica-plan and --kill-replica-at need --controller-arg=--sharding');
  if (plan && values.replicas !== '1' && Number(values.replicas) !== plan.initial)
    throw new Error('--replicas and --replica-plan disagree on the starting number of replicas');
  const lastStepMs = Math.max(killAtMs ?? 0, ...(plan?.steps.map((s) => s.atMs) ?? []));
  if (lastStepMs >= Number(values.minutes) * 60_000)
    throw new Error(
      '--replica-plan and --kill-replica-at: every step must fall inside the window (--minutes)',
    );
  try {
    compileSchedule(schedule, { hashKey: 'bench/check' });
  } catch (err) {
    throw new Error(`--schedule: ${(err as Error).message}`, { cause: err });
  }
  return {
    help: values.help === true,
    resources: num('resources', values.resources, 1),
    schedule,
    minutes: num('minutes', values.minutes, 0.05, false),
    ecs: ecs as 'moto' | 'simulator',
    quotas: quotas as 'aws' | 'off',
    faults: values.faults,
    replicas: plan?.initial ?? num('replicas', values.replicas, 1),
    plan,
    killAtMs,
    launchType: launchType as 'FARGATE' | 'EC2',
    taskSeconds: num('task-seconds', values['task-seconds'], 0),
    workers: values['max-concurrent-reconciles'],
    controllerArgs: values['controller-arg'],
    controllerNodeOptions: values['controller-node-options'],
    historyLimit:
      values['history-limit'] === 'default' ? undefined : num('history-limit', values['history-limit'], 1),
    warmupMs: num('warmup-seconds', values['warmup-seconds'], 0, false) * 1000,
    alignMs: num('align-seconds', values['align-seconds'], 1) * 1000,
  };
}

/** The test environment's API server and etcd, read once: their CPU is sampled at the window's edges. */
const PEERS = peerPids();

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const MiB = 2 ** 20;

/** Runs `fn` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** moto's EC2 launch type needs container instances with room: 58 sleeper tasks per t3.large. */
async function ensureEc2Capacity(env: TestEnv, tasks: number): Promise<void> {
  const instances = Math.ceil(tasks / 58) + 1;
  const body = new URLSearchParams({
    Action: 'RunInstances',
    Version: '2016-11-15',
    ImageId: 'ami-12c6146b',
    InstanceType: 't3.large',
    MinCount: String(instances),
    MaxCount: String(instances),
  });
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const resp = await fetch(env.awsEndpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
      Authorization: `AWS4-HMAC-SHA256 Credential=testing/${day}/${env.region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  });
  const xml = await resp.text();
  if (!resp.ok) throw new Error(`moto RunInstances: HTTP ${resp.status} ${xml.slice(0, 200)}`);
  const ids = [...xml.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map((m) => m[1]!);
  const ecs = new ECSClient({ endpoint: env.awsEndpoint, region: env.region, credentials: env.credentials });
  try {
    await pool(ids, 8, async (instanceId) => {
      await ecs.send(
        new RegisterContainerInstanceCommand({
          cluster: env.ecsCluster,
          instanceIdentityDocument: JSON.stringify({ instanceId, region: env.region }),
        }),
      );
    });
  } finally {
    ecs.destroy();
  }
  console.log(`registered ${ids.length} more EC2 container instances in moto`);
}

/** --lease-duration among the controller's arguments (either form), else the controller's 15 s. */
function leaseDurationSeconds(args: readonly string[]): number {
  const i = args.findIndex((a) => a === '--lease-duration' || a.startsWith('--lease-duration='));
  if (i < 0) return 15;
  const value = args[i]!.includes('=') ? args[i]!.split('=')[1]! : (args[i + 1] ?? '15s');
  return parseDuration(value) / 1000;
}

/** `ecs-scheduler run --help`, to see which flags the controller under test has. */
async function controllerUsage(): Promise<string> {
  const run = await captureRun(join(REPO_ROOT, 'node_modules', '.bin', 'node'), [
    join(REPO_ROOT, 'bin', 'ecs-scheduler.js'),
    'run',
    '--help',
  ]);
  return `${run.stdout}\n${run.stderr}`;
}

/** Every scheduled time of `schedule` for resource `key` in [from, to). */
function fireTimes(schedule: string, key: string, from: number, to: number): number[] {
  const compiled = compileSchedule(schedule, { hashKey: key });
  const out: number[] = [];
  for (let t = compiled.next(new Date(from - 1)); t !== null && t.getTime() < to; t = compiled.next(t))
    out.push(t.getTime());
  return out;
}

const ECS_OPERATIONS = [
  'RunTask',
  'DescribeTasks',
  'ListTasks',
  'StopTask',
  'DescribeTaskDefinition',
] as const;

interface ControllerSample {
  readonly rss: number;
  readonly heap: number;
  readonly cpu: number;
  readonly depth: number;
  readonly ecs: Record<string, number>;
}

/**
 * A scrape costs the controller CPU: its per-resource series make a 3.5 MB page at 5,000
 * resources, about 60 ms to write (npm run bench:metrics), which every 2 s was some 8% of its
 * CPU. So the controller's /metrics is scraped this often, as a Prometheus would, and at the
 * window's edges; its CPU and RSS are read from /proc every 2 s, which costs it nothing.
 */
const SCRAPE_EVERY_MS = 15_000;
/** `scrape`: read /metrics too (heap, queue depth, ECS calls); otherwise those are NaN. */
async function sampleController(c: ControllerProcess, scrape = true): Promise<ControllerSample | undefined> {
  const proc = await procUsage(c.child.pid);
  let text = '';
  if (scrape || !proc) {
    try {
      text = await scrapeMetrics(c.metricsPort);
    } catch {
      return undefined; // exited, or busy past the scrape's patience: the next sample will tell
    }
  }
  const metric = (name: string) => (text === '' ? NaN : (metricSum(text, name) ?? NaN));
  const ecs: Record<string, number> = {};
  for (const op of ECS_OPERATIONS)
    ecs[op] =
      text === '' ? NaN : (metricSum(text, 'ecs_scheduler_ecs_requests_total', { operation: op }) ?? 0);
  return {
    rss: proc?.rss ?? metric('process_resident_memory_bytes'),
    heap: metric('nodejs_heap_size_used_bytes'),
    cpu: proc?.cpu ?? metric('process_cpu_seconds_total'),
    depth: metric('workqueue_depth'),
    ecs,
  };
}

/** The largest of the numbers that are numbers (a sample without a scrape has NaN). */
const maxOf = (values: readonly number[]) => Math.max(0, ...values.filter((v) => !Number.isNaN(v)));

/**
 * CPU seconds per minute (all controllers together) and the largest RSS of any controller
 * between `from` and `to`, from the samples nearest those instants.
 */
function controllerCost(
  samples: readonly { at: number; controllers: readonly (ControllerSample | undefined)[] }[],
  controllers: number,
  from: number,
  to: number,
): { cpuSecondsPerMinute: number; rssMiB: number } {
  const cpuAt = (i: number, t: number) => {
    let best: ControllerSample | undefined;
    let bestGap = Infinity;
    for (const s of samples) {
      const c = s.controllers[i];
      if (c !== undefined && Math.abs(s.at - t) < bestGap) [best, bestGap] = [c, Math.abs(s.at - t)];
    }
    return best?.cpu ?? NaN;
  };
  let cpu = 0;
  for (let i = 0; i < controllers; i++) cpu += cpuAt(i, to) - cpuAt(i, from);
  const rss = Math.max(
    0,
    ...samples
      .filter((s) => s.at >= from && s.at <= to)
      .flatMap((s) => s.controllers.map((c) => c?.rss ?? 0)),
  );
  return { cpuSecondsPerMinute: cpu / ((to - from) / 60_000), rssMiB: rss / MiB };
}

interface Snapshot {
  readonly at: number;
  readonly writes: ApiWrites;
  readonly controllers: (ControllerSample | undefined)[];
  readonly simulator: SimulatorStatsSnapshot | undefined;
  readonly peers: PeerCpu;
}

async function snapshot(
  kc: ReturnType<typeof kubeConfig>,
  controllers: readonly ControllerProcess[],
  backend: EcsBackend,
): Promise<Snapshot> {
  const [writes, samples, simulator, peers] = await Promise.all([
    apiWrites(kc),
    Promise.all(controllers.map((c) => sampleController(c))),
    backend.stats(),
    peerCpu(PEERS),
  ]);
  return { at: Date.now(), writes, controllers: samples, simulator, peers };
}

/** ECS calls by operation between two snapshots: the simulator's count if there is one. */
function ecsCalls(
  start: Snapshot,
  end: Snapshot,
): { source: string; calls: Record<string, number>; throttled: number } {
  const calls: Record<string, number> = {};
  if (start.simulator && end.simulator) {
    let throttled = 0;
    for (const op of ECS_OPERATIONS) {
      const a = start.simulator.operations[op];
      const b = end.simulator.operations[op];
      calls[op] = (b?.calls ?? 0) - (a?.calls ?? 0);
      throttled += (b?.throttled ?? 0) - (a?.throttled ?? 0);
    }
    return { source: 'counted by the simulator', calls, throttled };
  }
  for (const op of ECS_OPERATIONS) {
    calls[op] = end.controllers.reduce(
      (sum, s, i) => sum + (s?.ecs[op] ?? 0) - (start.controllers[i]?.ecs[op] ?? 0),
      0,
    );
  }
  return { source: "counted by the controllers' metrics", calls, throttled: NaN };
}

interface Expected {
  readonly key: string;
  readonly uid: string;
  readonly scheduledAt: number;
  readonly measured: boolean;
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = options();
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  let env: TestEnv;
  try {
    env = loadTestEnv();
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const kc = kubeConfig(env);
  const api = customObjects(kc);
  const core = coreV1(kc);
  const namespace = `bench-${Date.now().toString(36)}`;
  const N = opts.resources;
  const task =
    opts.launchType === 'FARGATE'
      ? {
          cluster: env.ecsCluster,
          taskDefinition: FARGATE_FAMILY,
          launchType: 'FARGATE' as const,
          networkConfiguration: {
            awsvpcConfiguration: { subnets: [env.subnetId], securityGroups: [env.securityGroupId] },
          },
        }
      : { cluster: env.ecsCluster, taskDefinition: 'sleeper-task', launchType: 'EC2' as const };

  console.log(
    `controller bench: ${N} resources on "${opts.schedule}", a ${fmt(opts.minutes, 2)}-minute window, ` +
      `ECS ${opts.ecs}${opts.ecs === 'simulator' ? ` (quotas ${opts.quotas})` : ''}, ${opts.replicas} replica(s), ` +
      `${opts.launchType}, tasks stop after ~${opts.taskSeconds ? `${opts.taskSeconds} s` : '∞'}, namespace ${namespace}`,
  );
  const backend =
    opts.ecs === 'moto'
      ? await motoBackend(env, opts.taskSeconds)
      : await simulatorBackend(env, {
          quotas: opts.quotas,
          taskSeconds: opts.taskSeconds,
          ...(opts.faults === undefined ? {} : { faults: opts.faults }),
        });
  const controllers: ControllerProcess[] = [];
  try {
    if (opts.ecs === 'moto' && opts.launchType === 'EC2')
      await ensureEc2Capacity(env, Math.ceil(N * Math.max(1, opts.minutes + 1)));
    // The test label makes the test environment's allow-all policy apply (policy enforcement is on).
    await core.createNamespace({
      body: {
        metadata: {
          name: namespace,
          labels: { 'ecs-scheduler.dev/bench': 'true', 'ecs-scheduler.dev/test': 'true' },
        },
      },
    });
    const names = Array.from({ length: N }, (_, i) => `r-${String(i).padStart(5, '0')}`);
    const uids = new Map<string, string>();
    const t0 = performance.now();
    await pool(names, 32, async (name) => {
      const created = (await api.createNamespacedCustomObject({
        ...EST,
        namespace,
        body: {
          apiVersion: API_VERSION,
          kind: KIND,
          metadata: { name, namespace },
          // By default, history limits above the CRD's, so no measured run is trimmed before it is read.
          spec: {
            schedule: opts.schedule,
            ...(opts.historyLimit === undefined
              ? {}
              : { successfulRunsHistoryLimit: opts.historyLimit, failedRunsHistoryLimit: opts.historyLimit }),
            task,
          },
        },
      })) as EcsScheduledTaskResource;
      uids.set(name, created.metadata.uid ?? '');
    });
    console.log(`created ${N} resources in ${fmt((performance.now() - t0) / 1000, 1)} s`);

    const { args, notes } = benchControllerArgs(
      {
        namespace,
        ecsEndpoint: backend.endpoint,
        replicas: opts.replicas,
        ...(opts.workers ? { workers: opts.workers } : {}),
        quotasOff: opts.ecs === 'simulator' && opts.quotas === 'off',
        controllerArgs: opts.controllerArgs,
      },
      await controllerUsage(),
    );
    for (const note of notes) console.log(`note: ${note}`);
    const coldStart = await watchColdStart(kc, namespace, N);
    // With the CRD's history limits, a measured run may be trimmed before the end: seen as it passes.
    const runRecords = opts.historyLimit === undefined ? await watchRunRecords(kc, namespace) : undefined;
    const spawnedAt = Date.now();
    // Together, as a Deployment starts its pods (a sharded ring then forms before the first labels).
    controllers.push(
      ...(await Promise.all(
        Array.from({ length: opts.replicas }, () =>
          startController(args, {
            startTimeoutMs: 120_000,
            ...(opts.controllerNodeOptions ? { env: { NODE_OPTIONS: opts.controllerNodeOptions } } : {}),
          }),
        ),
      )),
    );
    const startedAt = Date.now();
    const windowStart = Math.ceil((startedAt + opts.warmupMs) / opts.alignMs) * opts.alignMs;
    const windowEnd = windowStart + Math.round(opts.minutes * 60_000);
    const rounds = Math.max(1, Math.ceil((windowEnd - windowStart) / 60_000));

    // Every (resource, scheduled time) from a minute before the window (they drain ECS's quota
    // before the window opens, as they did in the benchmark) to its end.
    const expected: Expected[] = [];
    for (const name of names)
      for (const at of fireTimes(opts.schedule, `${namespace}/${name}`, windowStart - 60_000, windowEnd))
        expected.push({ key: name, uid: uids.get(name)!, scheduledAt: at, measured: at >= windowStart });
    const measuredRuns = expected.filter((e) => e.measured).length;
    console.log(
      `controller(s) running (pid ${controllers.map((c) => c.child.pid).join(', ')}), ECS at ${backend.endpoint}; measuring ` +
        `${new Date(windowStart).toISOString()} to ${new Date(windowEnd).toISOString()}: ${measuredRuns} scheduled runs`,
    );
    if (measuredRuns === 0)
      throw new Error(`no run of "${opts.schedule}" falls in the window; widen --minutes`);
    // --replica-plan / --kill-replica-at: scale and kill while the window runs, beside the sampling.
    const leaseSeconds = leaseDurationSeconds(opts.controllerArgs);
    let steps: Promise<StepRecord[]> = Promise.resolve([]);
    if (opts.plan || opts.killAtMs !== undefined) {
      const replicas: Replica[] = [];
      for (const c of controllers) replicas.push({ process: c, identity: await identityOf(c) });
      steps = runReplicaSteps({
        windowStart,
        plan: opts.plan ?? { initial: opts.replicas, steps: [] },
        ...(opts.killAtMs === undefined ? {} : { killAtMs: opts.killAtMs }),
        replicas,
        startReplica: async () => {
          const c = await startController(args, {
            startTimeoutMs: 120_000,
            ...(opts.controllerNodeOptions ? { env: { NODE_OPTIONS: opts.controllerNodeOptions } } : {}),
          });
          controllers.push(c);
          return { process: c, identity: await identityOf(c) };
        },
        readLabels: () => readOwnerLabels(api, namespace),
        pollMs: 250,
        settleTimeoutMs: Math.max(90_000, 6 * leaseSeconds * 1000),
        log: (line) => console.log(line),
      });
      // Kept for after the window; a failure then is reported there, not as an unhandled rejection.
      steps.catch(() => undefined);
    }

    // Sample every 2 s, and snapshot the counters exactly at the window's edges.
    const samples: { at: number; controllers: (ControllerSample | undefined)[] }[] = [];
    let atStart: Snapshot | undefined;
    let atEnd: Snapshot | undefined;
    const deadline = windowEnd + Math.max(60_000, windowEnd - windowStart);
    let list: EcsScheduledTaskResource[] = [];
    let lastScrape = 0;
    for (;;) {
      const now = Date.now();
      if (!atStart && now >= windowStart) {
        atStart = await snapshot(kc, controllers, backend);
        samples.push({ at: atStart.at, controllers: atStart.controllers });
      }
      if (!atEnd && now >= windowEnd) {
        atEnd = await snapshot(kc, controllers, backend);
        samples.push({ at: atEnd.at, controllers: atEnd.controllers });
      }
      const scrape = now - lastScrape >= SCRAPE_EVERY_MS;
      if (scrape) lastScrape = now;
      samples.push({
        at: now,
        controllers: await Promise.all(controllers.map((c) => sampleController(c, scrape))),
      });
      if (atEnd) {
        // An overloaded API server answers a big list with 504 now and then: try again, do not lose the run.
        const page = await api.listNamespacedCustomObject({ ...EST, namespace }).catch((err: unknown) => {
          console.log(`listing the resources failed (${String(err).split('\n')[0]}); trying again`);
          return undefined;
        });
        if (page === undefined) {
          if (Date.now() > deadline) break;
          await sleep(2_000);
          continue;
        }
        list = (page as { items: EcsScheduledTaskResource[] }).items;
        const recorded = new Set([
          ...list.flatMap((r) =>
            (r.status?.runs ?? []).map((run) => `${r.metadata.name}@${Date.parse(run.scheduledTime)}`),
          ),
          ...(runRecords?.runs().keys() ?? []),
        ]);
        const pending = expected.filter(
          (e) => e.measured && !recorded.has(`${e.key}@${e.scheduledAt}`),
        ).length;
        if (pending === 0 || Date.now() > deadline) break;
      }
      const nextEdge = !atStart ? windowStart : !atEnd ? windowEnd : Infinity;
      await sleep(Math.max(50, Math.min(2_000, nextEdge - Date.now())));
    }
    const stepRecords = await steps;
    // --controller-arg=--sharding: how the resources spread over the replicas (their owner label).
    if (opts.controllerArgs.includes('--sharding')) {
      const owners = new Map<string, number>();
      for (const r of list) {
        const owner = r.metadata.labels?.['shard.ecs-scheduler.dev/owner'] ?? '(none)';
        owners.set(owner, (owners.get(owner) ?? 0) + 1);
      }
      console.log(`resources per shard: ${[...owners].map(([o, n]) => `${o}=${n}`).join(', ')}`);
      // Handovers since the start (the sharder's counters, summed over replicas: only one counts).
      const pages = await Promise.all(controllers.map((c) => scrapeMetrics(c.metricsPort).catch(() => '')));
      const sum = (name: string, labels: Record<string, string> = {}) =>
        pages.reduce((n, page) => n + (metricSum(page, name, labels) ?? 0), 0);
      console.log(
        `handovers since start: drained ${sum('ecs_scheduler_shard_handovers_total', { reason: 'drained' })}, ` +
          `owner gone ${sum('ecs_scheduler_shard_handovers_total', { reason: 'owner-gone' })}; ` +
          `drains acknowledged ${sum('ecs_scheduler_shard_drains_total')}`,
      );
    }
    const exits = await Promise.all(controllers.map((c) => c.kill('SIGTERM')));
    const ledger = await backend.ledger();
    coldStart.stop();
    {
      const first = ledger ? firstLaunchAt(ledger.runs) : undefined;
      const all = coldStart.allAt();
      console.log(
        `cold start beside ${N} resources: first RunTask ${first === undefined ? 'n/a (moto keeps no ledger)' : `${fmt((first - spawnedAt) / 1000, 1)} s`} ` +
          `after the controller(s) were spawned; every resource's next run time in status after ` +
          `${all === undefined ? `never (${coldStart.withNextRun()}/${N})` : `${fmt((all - spawnedAt) / 1000, 1)} s`}`,
      );
    }

    // Launches as ECS saw them (simulator only). A ledger run is matched to a scheduled run by the
    // resource uid and the epoch seconds its startedBy carries. Its first accepted RunTask is the
    // launch time: status.launchedAt is the controller's own word, which may be read before a
    // client-side quota wait.
    const firstLaunch = new Map<string, number>();
    let unattributed = NaN;
    if (ledger) {
      const uidSet = new Set(uids.values());
      const uidList = [...uidSet];
      // A Kubernetes uid is a UUID: find it directly, and search only when the format is unknown.
      const uidIn = (startedBy: string) => {
        const m = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(startedBy);
        return m !== null && uidSet.has(m[0]) ? m[0] : uidList.find((u) => startedBy.includes(u));
      };
      unattributed = 0;
      for (const run of ledger.runs) {
        const uid = uidIn(run.startedBy);
        const epoch = run.startedBy.split(/[/:._-]/).find((p) => /^\d{9,11}$/.test(p));
        if (uid === undefined || epoch === undefined) unattributed++;
        else firstLaunch.set(`${uid}@${Number(epoch) * 1000}`, run.firstLaunchAt);
      }
    }
    const ledgerLaunched = ledger
      ? expected.filter((e) => e.measured && firstLaunch.has(`${e.uid}@${e.scheduledAt}`)).length
      : NaN;
    const launchSource = ledger ? 'when the simulator accepted RunTask' : 'status launchedAt';

    // Runs as the status records them.
    const runsOf = new Map<string, SeenRun>(runRecords?.runs());
    runRecords?.stop();
    for (const r of list)
      for (const run of r.status?.runs ?? [])
        runsOf.set(`${r.metadata.name}@${Date.parse(run.scheduledTime)}`, run);
    const results = new Map<string, number>();
    let missedInStatus = 0;
    let notRecorded = 0;
    const measured: MeasuredRun[] = expected.map((e) => {
      const run = runsOf.get(`${e.key}@${e.scheduledAt}`);
      if (e.measured) {
        if (run === undefined) notRecorded++;
        else {
          results.set(run.result ?? '?', (results.get(run.result ?? '?') ?? 0) + 1);
          if (run.result === 'Missed') missedInStatus++;
        }
      }
      const launchedAt = ledger
        ? firstLaunch.get(`${e.uid}@${e.scheduledAt}`)
        : run?.launchedAt
          ? Date.parse(run.launchedAt)
          : undefined;
      return {
        scheduledAt: e.scheduledAt,
        tasks: 1,
        fargate: opts.launchType === 'FARGATE',
        ...(launchedAt === undefined ? {} : { launchedAt }),
      };
    });
    const split = splitLaunchDelays(
      measured,
      expected.map((e) => e.measured),
      backend.quotas,
    );

    // Per round (scheduled minute of the window), and the median over rounds.
    const perRound = Array.from({ length: rounds }, (_, round) => {
      const inRound = expected.map(
        (e) => e.measured && Math.floor((e.scheduledAt - windowStart) / 60_000) === round,
      );
      const s = splitLaunchDelays(measured, inRound, backend.quotas);
      const from = windowStart + round * 60_000;
      const to = Math.min(from + 60_000, windowEnd);
      return {
        runs: inRound.filter(Boolean).length,
        launched: s.total.length,
        p50: quantile(s.total, 0.5),
        p99: quantile(s.total, 0.99),
        max: s.total.at(-1) ?? NaN,
        ...controllerCost(samples, controllers.length, from, to),
      };
    });

    const start = atStart!;
    const end = atEnd!;
    const windowMinutes = (end.at - start.at) / 60_000;
    const ecs = ecsCalls(start, end);
    const statusWrites = end.writes.statusWrites - start.writes.statusWrites;
    const eventCreates = end.writes.eventCreates - start.writes.eventCreates;
    const eventUpdates = end.writes.eventUpdates - start.writes.eventUpdates;
    const events = eventCreates + eventUpdates;
    const perController = controllers.map((c, i) => {
      const cpu = ((end.controllers[i]?.cpu ?? NaN) - (start.controllers[i]?.cpu ?? NaN)) / windowMinutes;
      const rss = maxOf(samples.map((s) => s.controllers[i]?.rss ?? 0));
      const heap = maxOf(samples.map((s) => s.controllers[i]?.heap ?? 0));
      const depth = maxOf(samples.map((s) => s.controllers[i]?.depth ?? 0));
      return {
        pid: c.child.pid,
        cpuSecondsPerMinute: cpu,
        rssMiB: rss / MiB,
        heapMiB: heap / MiB,
        queueDepthMax: depth,
      };
    });
    const simulatorCpu =
      start.simulator && end.simulator
        ? (end.simulator.process.cpuSeconds - start.simulator.process.cpuSeconds) / windowMinutes
        : NaN;
    const peerSeconds = (peer: keyof PeerCpu) => {
      const from = start.peers[peer];
      const to = end.peers[peer];
      return from === undefined || to === undefined ? NaN : (to - from) / windowMinutes;
    };
    const apiServerCpu = peerSeconds('apiServer');
    const etcdCpu = peerSeconds('etcd');
    const apiWritesTotal = statusWrites + events;
    const missed = missedInStatus + notRecorded;
    const last = split.total.at(-1) ?? NaN;
    const idealLast = split.quota.at(-1) ?? NaN;

    console.log('');
    console.log(
      `run results in status: ${[...results].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} (of ${measuredRuns} scheduled)`,
    );
    console.log(
      `Missed: ${missed} (${missedInStatus} recorded as Missed, ${notRecorded} never recorded); duplicates: ` +
        (ledger
          ? `${ledger.report.duplicates} (simulator ledger: ${ledger.report.accepted} accepted launches, ${ledger.report.replays} token replays, ` +
            `${ledger.report.conflicts} conflicts; ${ledgerLaunched} of ${measuredRuns} scheduled runs launched per the ledger` +
            `${unattributed ? `, ${unattributed} ledger runs not matched to a resource` : ''})`
          : 'n/a (moto ignores clientToken and keeps no ledger; use --ecs simulator)'),
    );
    console.log(
      `launch delay (${launchSource} - scheduledTime, ${split.total.length} runs): p50 ${fmt(quantile(split.total, 0.5))} s, p99 ${fmt(quantile(split.total, 0.99))} s, max ${fmt(last)} s; ` +
        `waiting for ECS quota: p50 ${fmt(quantile(split.quota, 0.5))} s, p99 ${fmt(quantile(split.quota, 0.99))} s, max ${fmt(idealLast)} s; ` +
        `our own: p50 ${fmt(quantile(split.own, 0.5))} s, p99 ${fmt(quantile(split.own, 0.99))} s, max ${fmt(split.own.at(-1) ?? NaN)} s`,
    );
    if (idealLast > 0)
      console.log(
        `last launch ${fmt(last)} s after its scheduled time; ECS's quota alone would make it ${fmt(idealLast)} s ` +
          `(${fmt(((last - idealLast) / idealLast) * 100, 1)}% over)`,
      );
    if (rounds > 1)
      console.log(
        `per round: ${perRound.map((r, i) => `#${i + 1} ${r.launched}/${r.runs} p50 ${fmt(r.p50)} p99 ${fmt(r.p99)} max ${fmt(r.max)} CPU ${fmt(r.cpuSecondsPerMinute)} s/min RSS ${fmt(r.rssMiB, 0)} MiB`).join('; ')}; ` +
          `median over rounds: p50 ${fmt(median(perRound.map((r) => r.p50)))} s, p99 ${fmt(median(perRound.map((r) => r.p99)))} s, max ${fmt(median(perRound.map((r) => r.max)))} s, ` +
          `controller CPU ${fmt(median(perRound.map((r) => r.cpuSecondsPerMinute)))} s per minute, RSS ${fmt(median(perRound.map((r) => r.rssMiB)), 0)} MiB`,
      );
    console.log(
      `ECS calls per run (${ecs.source}): ${ECS_OPERATIONS.map((op) => `${op} ${fmt((ecs.calls[op] ?? 0) / measuredRuns, 3)}`).join(', ')}` +
        (Number.isNaN(ecs.throttled)
          ? ''
          : `; throttled ${ecs.throttled} (${fmt(ecs.throttled / measuredRuns, 3)} per run)`),
    );
    console.log(
      `API writes per run: ${fmt(statusWrites / measuredRuns)} status, ${fmt(events / measuredRuns)} events ` +
        `(${fmt(eventCreates / measuredRuns)} created, ${fmt(eventUpdates / measuredRuns)} series updates), ` +
        `${fmt((statusWrites + events) / measuredRuns)} total ` +
        `(${statusWrites} status writes, ${eventCreates} event creations and ${eventUpdates} event updates over the window)`,
    );
    for (const c of perController)
      console.log(
        `controller pid ${c.pid}: CPU ${fmt(c.cpuSecondsPerMinute)} s per minute (${fmt(c.cpuSecondsPerMinute / 60, 3)} core), ` +
          `RSS max ${fmt(c.rssMiB, 0)} MiB (JS heap in use max ${fmt(c.heapMiB, 0)} MiB), work queue depth max ${c.queueDepthMax}`,
      );
    const cpuPerMinute = perController.reduce((sum, c) => sum + c.cpuSecondsPerMinute, 0);
    console.log(
      `controller CPU per run: ${fmt((cpuPerMinute * windowMinutes * 1000) / measuredRuns)} ms over the window` +
        (rounds > 1
          ? `, ${fmt((median(perRound.map((r) => r.cpuSecondsPerMinute)) * 1000 * rounds) / measuredRuns)} ms at the median minute`
          : ''),
    );
    // All controllers together: with shards, each holds its own share of the resources.
    const rssTotalMiB = perController.reduce((sum, c) => sum + c.rssMiB, 0);
    const rssPer1000 = rssTotalMiB / (N / 1000);
    console.log(
      `RSS per 1,000 resources: ${fmt(rssPer1000, 1)} MiB (RSS max ${fmt(rssTotalMiB, 0)} MiB` +
        `${perController.length > 1 ? ' over all controllers' : ''} for ${N} resources, fixed costs included)`,
    );
    if (!Number.isNaN(simulatorCpu)) console.log(`simulator: CPU ${fmt(simulatorCpu)} s per minute`);
    if (!Number.isNaN(apiServerCpu))
      console.log(
        `kube-apiserver: CPU ${fmt(apiServerCpu)} s per minute, ` +
          `${fmt((apiServerCpu * windowMinutes * 1000) / apiWritesTotal)} ms per API write ` +
          `(all its work, reads and watches included, over the window's ${apiWritesTotal} status writes and events); ` +
          `etcd: CPU ${fmt(etcdCpu)} s per minute`,
      );
    const stepReport = reportSteps(
      stepRecords,
      ledger
        ? expected
            .filter((e) => e.measured)
            .map((e) => ({
              key: e.uid,
              scheduledAt: e.scheduledAt,
              launchedAt: firstLaunch.get(`${e.uid}@${e.scheduledAt}`),
            }))
        : undefined,
      leaseSeconds,
    );
    for (const line of stepReport.lines) console.log(line);
    console.log(`controller exit code(s) after SIGTERM: ${exits.join(', ')}`);
    const result = {
      ecs: opts.ecs,
      quotas: opts.ecs === 'simulator' ? opts.quotas : 'controller-side',
      schedule: opts.schedule,
      resources: N,
      replicas: opts.replicas,
      scheduledRuns: measuredRuns,
      launched: split.total.length,
      missed,
      duplicates: ledger ? ledger.report.duplicates : null,
      launchDelaySeconds: { p50: quantile(split.total, 0.5), p99: quantile(split.total, 0.99), max: last },
      quotaWaitSeconds: { p50: quantile(split.quota, 0.5), p99: quantile(split.quota, 0.99), max: idealLast },
      ownDelaySeconds: {
        p50: quantile(split.own, 0.5),
        p99: quantile(split.own, 0.99),
        max: split.own.at(-1) ?? NaN,
      },
      rounds: perRound,
      ecsCallsPerRun: Object.fromEntries(
        ECS_OPERATIONS.map((op) => [op, (ecs.calls[op] ?? 0) / measuredRuns]),
      ),
      throttledPerRun: ecs.throttled / measuredRuns,
      statusWritesPerRun: statusWrites / measuredRuns,
      eventsPerRun: events / measuredRuns,
      eventCreatesPerRun: eventCreates / measuredRuns,
      eventUpdatesPerRun: eventUpdates / measuredRuns,
      writesPerRun: (statusWrites + events) / measuredRuns,
      controllers: perController,
      controllerCpuMsPerRun: (cpuPerMinute * windowMinutes * 1000) / measuredRuns,
      rssMiBPer1000Resources: rssPer1000,
      simulatorCpuSecondsPerMinute: simulatorCpu,
      apiServerCpuSecondsPerMinute: apiServerCpu,
      etcdCpuSecondsPerMinute: etcdCpu,
      ...(stepRecords.length > 0
        ? { steps: stepReport.figures, lostOutsideHandovers: stepReport.lostOutside }
        : {}),
    };
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
    return 0;
  } finally {
    await Promise.all(controllers.map((c) => c.kill('SIGKILL')));
    await backend.close().catch((err: unknown) => console.error(`ECS backend cleanup: ${String(err)}`));
    await deleteAllTasks(namespace, api).catch((err: unknown) => console.error(`cleanup: ${String(err)}`));
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
