// Helpers for the controller's integration tests: EcsScheduledTasks with a 5-second schedule, what
// ECS holds for each scheduled time, and the controller's /metrics.
import { ListTasksCommand, StopTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { EventsV1Api, type CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../../../src/api/constants.js';
import type { EcsScheduledTaskResource, RunRecord } from '../../../src/api/types.js';
import type { TestEnv } from './env.js';
import { EST } from './kube.js';

/** A 6-field schedule firing at every second divisible by 5. */
export { sleep, waitFor } from './wait-for.js';

export const EVERY_5_SECONDS = '*/5 * * * * *';
export const TICK_MS = 5_000;

/**
 * A FARGATE task on the seeded task definition. moto never gives back an EC2 container instance's
 * memory, so EC2 tasks would run out after a few hundred launches; Fargate has no such limit.
 */
export function fargateTask(env: TestEnv) {
  return {
    cluster: env.ecsCluster,
    taskDefinition: 'sleeper-task-fargate',
    launchType: 'FARGATE' as const,
    networkConfiguration: {
      awsvpcConfiguration: { subnets: [env.subnetId], securityGroups: [env.securityGroupId] },
    },
  };
}

export async function createScheduledTask(
  api: CustomObjectsApi,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<EcsScheduledTaskResource> {
  return (await api.createNamespacedCustomObject({
    ...EST,
    namespace,
    body: { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec },
  })) as EcsScheduledTaskResource;
}

export async function getScheduledTask(
  api: CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<EcsScheduledTaskResource> {
  return (await api.getNamespacedCustomObject({ ...EST, namespace, name })) as EcsScheduledTaskResource;
}

/** Polls `probe` until it returns something other than undefined/false; throws after `timeoutMs`. */

/** Runs that got tasks (launched or adopted), newest first. */
export function launchedRuns(resource: EcsScheduledTaskResource): RunRecord[] {
  return (resource.status?.runs ?? []).filter((r) => (r.tasks?.length ?? 0) > 0);
}

export const epochSeconds = (iso: string | Date) => Math.floor(new Date(iso).getTime() / 1000);

/**
 * Fire times (epoch seconds) of EVERY_5_SECONDS (or of everySeconds(period)) strictly after
 * `from`, up to and including `to`.
 */
export function ticksBetween(from: Date | string, to: Date | string, periodSeconds = 5): number[] {
  const ticks: number[] = [];
  const first = Math.floor(epochSeconds(from) / periodSeconds) * periodSeconds + periodSeconds;
  for (let t = first; t <= epochSeconds(to); t += periodSeconds) ticks.push(t);
  return ticks;
}

/** A 6-field schedule firing at every second divisible by `period` (a divisor of 60, or 60). */
export function everySeconds(period: number): string {
  if (period === 60) return '0 * * * * *';
  if (60 % period !== 0) throw new Error(`${period} s does not divide a minute`);
  return `*/${period} * * * * *`;
}

/** startedBy of the run for a scheduled time, as the controller derives it (run-identity.ts). */
export function startedByFor(uid: string, epoch: number): string {
  return `ecss/${uid}/${epoch}`;
}

/** ARNs of every task (running or stopped) ECS holds for each scheduled time, by ListTasks on startedBy. */
export async function tasksPerTick(
  ecs: ECSClient,
  cluster: string,
  uid: string,
  ticks: readonly number[],
): Promise<Map<number, string[]>> {
  const result = new Map<number, string[]>();
  const list = async (tick: number) => {
    const arns = new Set<string>();
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      let nextToken: string | undefined;
      do {
        const out = await ecs.send(
          new ListTasksCommand({ cluster, startedBy: startedByFor(uid, tick), desiredStatus, nextToken }),
        );
        for (const arn of out.taskArns ?? []) arns.add(arn);
        nextToken = out.nextToken || undefined;
      } while (nextToken);
    }
    result.set(tick, [...arns]);
  };
  // A few at a time: moto serves requests on a handful of threads.
  for (let i = 0; i < ticks.length; i += 8) await Promise.all(ticks.slice(i, i + 8).map(list));
  return result;
}

export async function stopTasks(ecs: ECSClient, cluster: string, arns: readonly string[]): Promise<void> {
  for (const task of arns) await ecs.send(new StopTaskCommand({ cluster, task, reason: 'test: done' }));
}

/** events.k8s.io/v1 Events about one object, oldest first. */
export async function eventsFor(kc: KubeConfig, namespace: string, name: string) {
  const list = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
  return list.items
    .filter((e) => e.regarding?.name === name)
    .map((e) => ({ reason: e.reason ?? '', type: e.type ?? '', note: e.note ?? '' }));
}

export async function scrapeMetrics(port: number): Promise<string> {
  const resp = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!resp.ok) throw new Error(`/metrics answered HTTP ${resp.status}`);
  return resp.text();
}

/**
 * The sum of every sample of `name` whose labels include `labels` (Prometheus text format);
 * undefined when there is no such sample at all.
 */
export function metricSum(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (!Object.entries(labels).every(([k, v]) => found[k] === v)) continue;
    sum = (sum ?? 0) + Number(m[4]);
  }
  return sum;
}

/**
 * Scheduled times with more than `max` tasks in ECS, as "time: n tasks" lines (empty when none):
 * the exactly-once property the controller promises.
 */
export function duplicates(perTick: ReadonlyMap<number, readonly string[]>, max = 1): string[] {
  return [...perTick]
    .filter(([, arns]) => arns.length > max)
    .map(([tick, arns]) => `${new Date(tick * 1000).toISOString()}: ${arns.length} tasks`);
}

/**
 * Where status and ECS disagree about a scheduled time, one line each (empty when they agree):
 * a time with tasks in ECS must be a run in status naming exactly those tasks, and a time without
 * any must be recorded as Missed. Status must be read after the controller stopped, with history
 * limits large enough to keep every run of the window.
 */
export function disagreements(
  runs: readonly RunRecord[],
  perTick: ReadonlyMap<number, readonly string[]>,
): string[] {
  const byTime = new Map(runs.map((r) => [epochSeconds(r.scheduledTime), r]));
  const lines: string[] = [];
  for (const [tick, arns] of perTick) {
    const at = new Date(tick * 1000).toISOString();
    const run = byTime.get(tick);
    const recorded = (run?.tasks ?? []).map((t) => t.taskArn).sort();
    const inEcs = [...arns].sort();
    if (inEcs.length === 0) {
      if (run?.result !== 'Missed')
        lines.push(`${at}: no task in ECS, status says ${run?.result ?? 'nothing'}`);
    } else if (recorded.join() !== inEcs.join()) {
      lines.push(
        `${at}: ${inEcs.length} task(s) in ECS, status records ${recorded.length} (${run?.result ?? 'no run'})`,
      );
    }
  }
  return lines;
}
