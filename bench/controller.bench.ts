/**
 * The controller under load, against the real test environment (kube-apiserver + moto):
 *
 *   node scripts/with-testenv.js npm run bench:controller -- [--resources 1000] [--minutes 2]
 *       [--launch-type FARGATE|EC2] [--task-seconds 5] [--max-concurrent-reconciles N]
 *
 * N EcsScheduledTasks with the same every-minute schedule (`* * * * *`, so all N fire at the same
 * second: the worst case) are created in a fresh namespace; `ecs-scheduler run` (from dist/: run
 * `npm run build` first) is started as a child process and left to run M scheduled minutes. Then it
 * prints:
 *   - launch delay p50/p99/max: status.runs[].launchedAt - scheduledTime over every resource and
 *     scheduled minute (and the mean of the controller's ecs_scheduler_launch_delay_seconds);
 *   - the controller's RSS (max of samples) and CPU seconds per minute (process_* metrics);
 *   - API writes per run: PUTs of ecsscheduledtasks/status and POSTs of events counted by the
 *     kube-apiserver's own apiserver_request_total, over the scheduled window, divided by runs;
 *   - what else bounds it: ECS request counts, reconcile time, work queue depth.
 * Launches are held to ECS's documented per-account RunTask quotas by the controller's token
 * buckets (Fargate: 100 tasks burst then 20/s; EC2: 100 calls burst then 40/s), so with N well above
 * 100 the launch delay measures those quotas more than the controller.
 */
import { ECSClient, RegisterContainerInstanceCommand } from '@aws-sdk/client-ecs';
import type { KubeConfig } from '@kubernetes/client-node';
import { request, type RequestOptions } from 'node:https';
import { parseArgs } from 'node:util';
import type { EcsScheduledTaskResource } from '../src/api/types.js';
import { startController, type ControllerProcess } from '../test/integration/support/controller-process.js';
import { loadTestEnv, type TestEnv } from '../test/integration/support/env.js';
import { coreV1, customObjects, deleteAllTasks, EST, kubeConfig } from '../test/integration/support/kube.js';
import { resetEcsTaskTransition, setEcsTaskTransition } from '../test/integration/support/aws.js';
import { fargateTask, metricSum, scrapeMetrics, sleep } from '../test/integration/support/scheduled-runs.js';
import { API_VERSION, KIND } from '../src/api/constants.js';

const USAGE = `Usage: node scripts/with-testenv.js npm run bench:controller -- [options]
  --resources N                  resources, all on "* * * * *" (default 1000)
  --minutes M                    scheduled minutes to measure (default 2)
  --launch-type FARGATE|EC2      (default FARGATE; EC2 registers more moto container instances)
  --task-seconds S               moto stops each task ~4*S s after launch; 0 keeps them running (default 5)
  --max-concurrent-reconciles N  passed to the controller (default: the controller's, 4)
Needs the test environment (scripts/with-testenv.js sets it up) and dist/ (npm run build).`;

function options() {
  const { values } = parseArgs({
    options: {
      resources: { type: 'string', default: '1000' },
      minutes: { type: 'string', default: '2' },
      'launch-type': { type: 'string', default: 'FARGATE' },
      'task-seconds': { type: 'string', default: '5' },
      'max-concurrent-reconciles': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const int = (name: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return n;
  };
  const launchType = values['launch-type'];
  if (launchType !== 'FARGATE' && launchType !== 'EC2')
    throw new Error('--launch-type must be FARGATE or EC2');
  return {
    help: values.help === true,
    resources: int('resources', values.resources, 1),
    minutes: int('minutes', values.minutes, 1),
    launchType: launchType as 'FARGATE' | 'EC2',
    taskSeconds: int('task-seconds', values['task-seconds'], 0),
    workers: values['max-concurrent-reconciles'],
  };
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** Runs `fn` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** GET on the kube-apiserver with the kubeconfig's credentials (for /metrics, not a typed API). */
function apiGet(kc: KubeConfig, path: string): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  return new Promise((resolve, reject) => {
    const opts: RequestOptions & { headers: Record<string, string> } = {
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'GET',
      headers: {},
    };
    void kc.applyToHTTPSOptions(opts).then(() => {
      const req = request(opts, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: HTTP ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end();
    }, reject);
  });
}

/** Writes the controller makes, as the API server counts them. */
async function apiWrites(kc: KubeConfig) {
  const text = await apiGet(kc, '/metrics');
  const status = (verb: string) =>
    metricSum(text, 'apiserver_request_total', {
      resource: 'ecsscheduledtasks',
      subresource: 'status',
      verb,
    }) ?? 0;
  return {
    statusWrites: status('PUT') + status('PATCH'),
    events: metricSum(text, 'apiserver_request_total', { resource: 'events', verb: 'POST' }) ?? 0,
  };
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

async function main(): Promise<number> {
  let opts;
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
      ? fargateTask(env)
      : { cluster: env.ecsCluster, taskDefinition: 'sleeper-task', launchType: 'EC2' as const };

  console.log(
    `controller bench: ${N} resources on "* * * * *", ${opts.minutes} scheduled minute(s), ${opts.launchType}, ` +
      `tasks stop after ~${opts.taskSeconds ? 4 * opts.taskSeconds : '∞'} s, namespace ${namespace}`,
  );
  if (opts.launchType === 'EC2') await ensureEc2Capacity(env, N * opts.minutes);
  if (opts.taskSeconds > 0) await setEcsTaskTransition(opts.taskSeconds, env);

  await core.createNamespace({
    body: { metadata: { name: namespace, labels: { 'ecs-scheduler.dev/bench': 'true' } } },
  });
  let controller: ControllerProcess | undefined;
  try {
    const names = Array.from({ length: N }, (_, i) => `r-${String(i).padStart(5, '0')}`);
    const t0 = performance.now();
    await pool(names, 32, async (name) => {
      await api.createNamespacedCustomObject({
        ...EST,
        namespace,
        body: {
          apiVersion: API_VERSION,
          kind: KIND,
          metadata: { name, namespace },
          // History limits above the default, so no measured run is trimmed before it is read.
          spec: { schedule: '* * * * *', successfulRunsHistoryLimit: 10, failedRunsHistoryLimit: 10, task },
        },
      });
    });
    console.log(`created ${N} resources in ${fmt((performance.now() - t0) / 1000, 1)} s`);

    const writesAtStart = await apiWrites(kc);
    const args = ['--namespace', namespace, '--log-level', 'info'];
    if (opts.workers) args.push('--max-concurrent-reconciles', opts.workers);
    controller = await startController(args, { startTimeoutMs: 120_000 });
    const startedAt = Date.now();
    // The scheduled minutes measured: the first M minute boundaries at least 10 s after start-up,
    // so that the initial pass over every resource is behind us.
    const firstMinute = Math.ceil((startedAt + 10_000) / 60_000) * 60_000;
    const minutes = Array.from({ length: opts.minutes }, (_, i) => firstMinute + i * 60_000);
    console.log(
      `controller running (pid ${controller.child.pid}); measuring ${minutes.map((m) => new Date(m).toISOString()).join(', ')}`,
    );

    // Sample the controller's own metrics every 2 s until every resource has dealt with the last minute.
    const samples: { at: number; rss: number; heap: number; cpu: number; depth: number }[] = [];
    let writesBefore: Awaited<ReturnType<typeof apiWrites>> | undefined;
    const lastMinute = minutes.at(-1)!;
    const deadline = lastMinute + 5 * 60_000;
    let handledLast = 0;
    for (;;) {
      const now = Date.now();
      if (!writesBefore && now >= firstMinute - 3_000) writesBefore = await apiWrites(kc);
      const text = await scrapeMetrics(controller.metricsPort);
      samples.push({
        at: now,
        rss: metricSum(text, 'process_resident_memory_bytes') ?? NaN,
        heap: metricSum(text, 'nodejs_heap_size_used_bytes') ?? NaN,
        cpu: metricSum(text, 'process_cpu_seconds_total') ?? NaN,
        depth: metricSum(text, 'workqueue_depth') ?? NaN,
      });
      if (now > lastMinute) {
        const list = (await api.listNamespacedCustomObject({ ...EST, namespace })) as {
          items: EcsScheduledTaskResource[];
        };
        // Launched, or recorded otherwise (Missed when the controller fell a whole minute behind).
        handledLast = list.items.filter((r) =>
          (r.status?.runs ?? []).some((run) => Date.parse(run.scheduledTime) === lastMinute),
        ).length;
        if (handledLast === N || now > deadline) break;
      }
      await sleep(2_000);
    }
    // A little longer, for the runs' tasks to stop and the status writes that records (task-seconds).
    const settleMs = opts.taskSeconds > 0 ? Math.max(0, lastMinute + 60_000 - Date.now()) : 0;
    if (settleMs > 0) {
      console.log(`waiting ${fmt(settleMs / 1000, 0)} s more, to the next minute, for runs to settle`);
      await sleep(settleMs - 1_000);
    }
    const writesAfter = await apiWrites(kc);
    const finalMetrics = await scrapeMetrics(controller.metricsPort);
    const endedAt = Date.now();
    const exit = await controller.kill('SIGTERM');

    const list = (await api.listNamespacedCustomObject({ ...EST, namespace })) as {
      items: EcsScheduledTaskResource[];
    };
    const delays: number[] = [];
    const perMinute = new Map<number, number>(minutes.map((m) => [m, 0]));
    const results = new Map<string, number>();
    for (const r of list.items) {
      for (const run of r.status?.runs ?? []) {
        const at = Date.parse(run.scheduledTime);
        if (!perMinute.has(at)) continue;
        results.set(run.result, (results.get(run.result) ?? 0) + 1);
        if (!run.launchedAt) continue;
        perMinute.set(at, perMinute.get(at)! + 1);
        delays.push((Date.parse(run.launchedAt) - at) / 1000);
      }
    }
    delays.sort((a, b) => a - b);
    const runs = delays.length;
    // CPU over the scheduled window: from the last sample before the first minute to the end.
    const windowStart = samples.filter((s) => s.at <= firstMinute).at(-1) ?? samples[0]!;
    const cpuFinal = metricSum(finalMetrics, 'process_cpu_seconds_total') ?? NaN;
    const rssMax = Math.max(
      ...samples.map((s) => s.rss),
      metricSum(finalMetrics, 'process_resident_memory_bytes') ?? 0,
    );
    // RSS alone cannot tell retained objects from a heap V8 has not shrunk yet; the heap in use can.
    const heapMax = Math.max(...samples.map((s) => s.heap));
    const cpuPerMinute = (cpuFinal - windowStart.cpu) / ((endedAt - windowStart.at) / 60_000);
    const before = writesBefore ?? writesAtStart;
    const statusWrites = writesAfter.statusWrites - before.statusWrites;
    const eventWrites = writesAfter.events - before.events;
    const initialWrites = before.statusWrites - writesAtStart.statusWrites;
    const ecs = (op: string) =>
      metricSum(finalMetrics, 'ecs_scheduler_ecs_requests_total', { operation: op }) ?? 0;
    const reconcileMean =
      (metricSum(finalMetrics, 'controller_runtime_reconcile_time_seconds_sum') ?? NaN) /
      (metricSum(finalMetrics, 'controller_runtime_reconcile_time_seconds_count') ?? NaN);
    const histogramMean =
      (metricSum(finalMetrics, 'ecs_scheduler_launch_delay_seconds_sum') ?? NaN) /
      (metricSum(finalMetrics, 'ecs_scheduler_launch_delay_seconds_count') ?? NaN);

    console.log('');
    console.log(`runs launched per scheduled minute: ${[...perMinute.values()].join(', ')} (of ${N} each)`);
    console.log(`run results in status: ${[...results].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(
      `launch delay (launchedAt - scheduledTime, ${runs} runs): p50 ${fmt(quantile(delays, 0.5))} s, ` +
        `p99 ${fmt(quantile(delays, 0.99))} s, max ${fmt(delays.at(-1) ?? NaN)} s ` +
        `(histogram mean ${fmt(histogramMean)} s)`,
    );
    console.log(
      `controller RSS: max ${fmt(rssMax / 2 ** 20, 0)} MiB (JS heap in use: max ${fmt(heapMax / 2 ** 20, 0)} MiB); CPU ${fmt(cpuPerMinute)} s per minute over the ` +
        `scheduled window (${fmt(cpuFinal, 1)} s in ${fmt((endedAt - startedAt) / 1000, 0)} s since start-up)`,
    );
    console.log(
      `API writes over the window: ${statusWrites} status PUTs + ${eventWrites} event POSTs = ` +
        `${fmt(statusWrites / runs)} status writes and ${fmt(eventWrites / runs)} events per run ` +
        `(start-up: ${initialWrites} status writes for ${N} resources)`,
    );
    console.log(
      `ECS requests: RunTask ${ecs('RunTask')}, ListTasks ${ecs('ListTasks')}, DescribeTasks ${ecs('DescribeTasks')}, ` +
        `StopTask ${ecs('StopTask')}; reconcile mean ${fmt(reconcileMean * 1000, 1)} ms; ` +
        `work queue depth max ${Math.max(...samples.map((s) => s.depth))}`,
    );
    console.log(`controller exit code after SIGTERM: ${exit}`);
    return 0;
  } finally {
    await controller?.kill('SIGKILL');
    if (opts.taskSeconds > 0) await resetEcsTaskTransition(env).catch(() => undefined);
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
