// The prom-client side of the metric ports. Everything lives in one Registry created here (or
// passed in), never in prom-client's global one, so tests and several controllers in one process
// do not collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { RunResult } from '../api/types.js';
import type {
  ControllerMetrics,
  DeadLetterOutcome,
  ReconcileOutcome,
  WorkQueueMetrics,
} from '../controller/metrics-port.js';
import type { ResourceKey } from '../controller/ports.js';
import type { TaskTrackerMetrics } from '../controller/runtime/task-tracker.js';
import type { TaskEventMetrics, TaskEventOutcome } from '../aws/sqs/task-state-events.js';
import type { EcsRequestMetrics, EcsRequestOutcome } from '../aws/ecs/ports.js';
import type { LeaderMetrics, WatchMetrics } from '../kube/metrics-port.js';
import { ResourceSeries, splitKey, type ResourceGauge } from './resource-series.js';

export type { LeaderMetrics, WatchMetrics };

export interface MetricsOptions {
  /** Default: a new Registry. */
  readonly registry?: Registry;
  /** The `controller` label of controller_runtime_*. Default "ecsscheduledtask". */
  readonly controllerName?: string;
  /** The `name` label of workqueue_*. Default "ecsscheduledtask". */
  readonly workQueueName?: string;
  /** The `name` label of leader_election_master_status. Default "ecs-scheduler". */
  readonly leaseName?: string;
  /** Also collect Node's default process metrics. Default true. */
  readonly defaultMetrics?: boolean;
  /**
   * Series labelled with a resource's namespace and name. Default true. False (the
   * --per-resource-metrics=false flag) keeps their cardinality out of very large installations:
   * the per-resource gauges are not exported and ecs_scheduler_runs_total keeps only `namespace`.
   */
  readonly perResource?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  readonly controller: ControllerMetrics;
  readonly workQueue: WorkQueueMetrics;
  readonly ecs: EcsRequestMetrics;
  readonly watch: WatchMetrics;
  readonly leader: LeaderMetrics;
  /** The shared task tracker: what it follows and how its DescribeTasks rounds go. */
  readonly tracker: TaskTrackerMetrics;
  /** --task-events-queue: the events read, and which way tasks are followed. */
  readonly taskEvents: TaskEventMetrics & { mode(mode: 'polling' | 'events'): void };
  /**
   * Drops every per-resource gauge. Called on losing the Lease (leader.setLeader(false) does it),
   * so that after a failover only the new leader exports them and `max by (name)` or a join never
   * sees two replicas' values for one resource; later writes are ignored until leading again.
   */
  clearPerResource(): void;
}

// controller-runtime's buckets, so existing dashboards read ours unchanged.
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
const WORKQUEUE_BUCKETS = exponentialBuckets(10e-9, 10, 12);
// From "on time" to the 10 minutes after which a run is usually past any sensible deadline.
const LAUNCH_DELAY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  const perResource = options.perResource ?? true;
  const registers = [registry];
  const controllerLabel = options.controllerName ?? 'ecsscheduledtask';
  const queueLabel = options.workQueueName ?? 'ecsscheduledtask';
  const leaseLabel = options.leaseName ?? 'ecs-scheduler';
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  // Every series labelled with a resource is made through `resources`, so forget() removes it.
  const resources = new ResourceSeries(registry);
  // With --per-resource-metrics=false, a per-resource counter keeps only `namespace`.
  const resourceCounter = <E extends string>(config: { name: string; help: string; extraLabels: E[] }) => {
    if (perResource) return resources.counter(config);
    const counter = new Counter({ ...config, labelNames: ['namespace', ...config.extraLabels], registers });
    return {
      inc: (key: ResourceKey | undefined, extra: Record<E, string>) =>
        counter.inc(key === undefined ? extra : { namespace: splitKey(key).namespace, ...extra }),
    };
  };

  const reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers,
  });
  const reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const terminalErrors = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const maxWorkers = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const,
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  // Pre-create the series dashboards expect, so rates start at 0 rather than appearing later.
  for (const result of [
    'success',
    'error',
    'aborted',
    'requeue',
    'requeue_after',
  ] satisfies ReconcileOutcome[]) {
    reconcileTotal.inc({ controller: controllerLabel, result }, 0);
  }
  reconcileErrors.inc({ controller: controllerLabel }, 0);
  terminalErrors.inc({ controller: controllerLabel }, 0);

  const queueDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name'] as const,
    registers,
  });
  const queueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name'] as const,
    registers,
  });
  const queueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name'] as const,
    registers,
  });
  const queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name'] as const,
    buckets: WORKQUEUE_BUCKETS,
    registers,
  });
  const workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name'] as const,
    buckets: WORKQUEUE_BUCKETS,
    registers,
  });
  queueDepth.set({ name: queueLabel }, 0);
  queueAdds.inc({ name: queueLabel }, 0);
  queueRetries.inc({ name: queueLabel }, 0);

  const launchDelay = new Histogram({
    name: 'ecs_scheduler_launch_delay_seconds',
    help: 'Seconds from the scheduled time of a run to ECS RunTask accepting its tasks',
    buckets: LAUNCH_DELAY_BUCKETS,
    registers,
  });
  // One series per resource and result seen (at most 7 results, in practice 2 or 3 per resource).
  const runsTotal = resourceCounter({
    name: 'ecs_scheduler_runs_total',
    help: 'Runs recorded, by resource (namespace, name) and result',
    extraLabels: ['result'],
  });
  const runRetries = resourceCounter({
    name: 'ecs_scheduler_run_retries_total',
    help: 'Failed run attempts retried under spec.retryPolicy, by resource and the failure reason',
    extraLabels: ['reason'],
  });
  // Scheduled times spec.excludeCalendars passed over: neither launched nor Missed nor Skipped.
  const excludedRuns = resourceCounter({
    name: 'ecs_scheduler_excluded_runs_total',
    help: 'Scheduled times not launched because an EcsScheduleCalendar of spec.excludeCalendars excluded them, by resource',
    extraLabels: [],
  });
  const deadLetters = resourceCounter({
    name: 'ecs_scheduler_dead_letters_total',
    help: 'Dead letters of finally-failed runs: sent, failed (retried), refused (never sendable), abandoned (given up)',
    extraLabels: ['outcome'],
  });
  const ecsRequests = new Counter({
    name: 'ecs_scheduler_ecs_requests_total',
    help: 'ECS API calls, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const nextSchedule = resources.gauge({
    name: 'ecs_scheduler_next_schedule_time',
    help: 'Next time the resource is scheduled to run, in unix seconds',
    extraLabels: [],
  });
  const lastSchedule = resources.gauge({
    name: 'ecs_scheduler_last_schedule_time',
    help: 'Last time the resource was scheduled to run, in unix seconds',
    extraLabels: [],
  });
  const triggerDepth = resources.gauge({
    name: 'ecs_scheduler_trigger_queue_depth',
    help: 'Messages in the trigger queue of the resource at its last check',
    extraLabels: [],
  });
  // Only the current result has a series (value 1), so one series per resource, not seven.
  const lastRunResult = resources.gauge({
    name: 'ecs_scheduler_last_run_result',
    help: 'Result of the newest finished run of the resource: 1 on the series of its result',
    extraLabels: ['result'],
  });
  const lastSuccess = resources.gauge({
    name: 'ecs_scheduler_last_success_time',
    help: 'When the newest successful run of the resource finished (status.lastSuccessfulTime), in unix seconds',
    extraLabels: [],
  });
  const policyDenials = new Counter({
    name: 'ecs_scheduler_policy_denials_total',
    help: 'Runs or specs an EcsSchedulerPolicy denied, by namespace and the field it denied',
    labelNames: ['namespace', 'field'] as const,
    registers,
  });

  const watchRestarts = new Counter({
    name: 'ecs_scheduler_watch_restarts_total',
    help: 'Times the resource watch was restarted, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const watchEvents = new Counter({
    name: 'ecs_scheduler_watch_events_total',
    help: 'Watch events received, by type',
    labelNames: ['type'] as const,
    registers,
  });
  const relists = new Counter({
    name: 'ecs_scheduler_relists_total',
    help: 'Full relists of the resource cache, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const leaderStatus = new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of whether this process is the leader (1) or not (0)',
    labelNames: ['name'] as const,
    registers,
  });
  leaderStatus.set({ name: leaseLabel }, 0);

  // Per-resource gauges are written only while this process may hold them: with the flag on, and
  // not after losing the Lease (a pass of the lost term can still be finishing).
  const perResourceGauges = [nextSchedule, lastSchedule, triggerDepth, lastRunResult, lastSuccess];
  let leading: boolean | undefined;
  const writable = () => perResource && leading !== false;
  const clearPerResource = () => {
    for (const gauge of perResourceGauges) gauge.reset();
  };

  const setOrRemove = (gauge: ResourceGauge<never>, key: ResourceKey, at: Date | undefined) => {
    if (!writable()) return;
    if (at === undefined) gauge.remove(key, {});
    else gauge.set(key, {}, at.getTime() / 1000);
  };

  const controller: ControllerMetrics = {
    reconciled(outcome: ReconcileOutcome, seconds: number) {
      // As controller-runtime: a terminal error is an error, also counted on its own.
      reconcileTotal.inc({ controller: controllerLabel, result: outcome === 'terminal' ? 'error' : outcome });
      if (outcome === 'error' || outcome === 'terminal') reconcileErrors.inc({ controller: controllerLabel });
      if (outcome === 'terminal') terminalErrors.inc({ controller: controllerLabel });
      reconcileTime.observe({ controller: controllerLabel }, seconds);
    },
    workers(max: number, active: number) {
      maxWorkers.set({ controller: controllerLabel }, max);
      activeWorkers.set({ controller: controllerLabel }, active);
    },
    runRecorded(result: RunResult, key?: ResourceKey) {
      runsTotal.inc(key, { result });
    },
    launchDelay(seconds: number) {
      launchDelay.observe(Math.max(0, seconds));
    },
    scheduleTimes(key: ResourceKey, next: Date | undefined, last: Date | undefined) {
      setOrRemove(nextSchedule, key, next);
      setOrRemove(lastSchedule, key, last);
    },
    queueDepth(key: ResourceKey, depth: number) {
      if (writable()) triggerDepth.set(key, {}, depth);
    },
    lastRun(key: ResourceKey, result: RunResult, at: Date | undefined) {
      if (!writable()) return;
      lastRunResult.removeAll(key);
      lastRunResult.set(key, { result }, 1);
      setOrRemove(lastSuccess, key, at);
    },
    runRetried(key: ResourceKey, reason: string) {
      runRetries.inc(key, { reason });
    },
    deadLetter(key: ResourceKey, outcome: DeadLetterOutcome) {
      deadLetters.inc(key, { outcome });
    },
    excludedRuns(key: ResourceKey, count: number) {
      if (count > 0) excludedRuns.inc(key, {}, count);
    },
    policyDenied(key: ResourceKey, field: string) {
      policyDenials.inc({ namespace: splitKey(key).namespace, field });
    },
    // Every series of a deleted resource goes, counters too, or every name ever used would stay
    // exported.
    forget: (key: ResourceKey) => resources.forget(key),
  };

  const workQueue: WorkQueueMetrics = {
    depth: (n) => queueDepth.set({ name: queueLabel }, n),
    added: () => queueAdds.inc({ name: queueLabel }),
    retried: () => queueRetries.inc({ name: queueLabel }),
    queueDuration: (seconds) => queueDuration.observe({ name: queueLabel }, Math.max(0, seconds)),
    workDuration: (seconds) => workDuration.observe({ name: queueLabel }, Math.max(0, seconds)),
  };

  const ecs: EcsRequestMetrics = {
    request: (operation: string, outcome: EcsRequestOutcome) => ecsRequests.inc({ operation, outcome }),
  };

  const watch: WatchMetrics = {
    restarted: (reason) => watchRestarts.inc({ reason }),
    event: (type) => watchEvents.inc({ type }),
    relisted: (reason) => relists.inc({ reason }),
  };

  const leader: LeaderMetrics = {
    setLeader: (isLeader) => {
      leaderStatus.set({ name: leaseLabel }, isLeader ? 1 : 0);
      if (!isLeader) clearPerResource();
      leading = isLeader;
    },
  };

  const trackedTasks = new Gauge({
    name: 'ecs_scheduler_tracked_tasks',
    help: 'ECS tasks the shared task tracker follows, over every resource',
    registers,
  });
  const trackerPolls = new Counter({
    name: 'ecs_scheduler_task_tracker_polls_total',
    help: "Rounds of the shared task tracker's DescribeTasks batches, by outcome",
    labelNames: ['outcome'] as const,
    registers,
  });
  const trackerDescribeCalls = new Counter({
    name: 'ecs_scheduler_task_tracker_describe_calls_total',
    help: 'DescribeTasks calls made by the shared task tracker (up to 100 tasks of many resources each)',
    registers,
  });
  const trackerHints = new Counter({
    name: 'ecs_scheduler_task_tracker_hints_total',
    help: 'Task stop events the tracker acted on (tracked: asked about at once) or ignored (not followed, or already stopped)',
    labelNames: ['outcome'] as const,
    registers,
  });
  trackedTasks.set(0);
  for (const outcome of ['success', 'error'] as const) trackerPolls.inc({ outcome }, 0);
  const tracker: TaskTrackerMetrics = {
    tracked: (tasks) => trackedTasks.set(tasks),
    polled: (outcome, describeCalls) => {
      trackerPolls.inc({ outcome });
      trackerDescribeCalls.inc(describeCalls);
    },
    hinted: (outcome) => trackerHints.inc({ outcome }),
  };

  const trackingMode = new Gauge({
    name: 'ecs_scheduler_task_tracking_mode',
    help: 'How task ends are noticed: 1 for the mode in use (polling alone, or events with polling as the fallback)',
    labelNames: ['mode'] as const,
    registers,
  });
  const taskEventsReceived = new Counter({
    name: 'ecs_scheduler_task_events_total',
    help: 'Messages read from --task-events-queue, by what they were (stopped: a stop of our task)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const taskEventsFailed = new Counter({
    name: 'ecs_scheduler_task_events_receive_errors_total',
    help: 'Failed reads of --task-events-queue (tasks are still polled meanwhile)',
    registers,
  });
  const outcomes: readonly TaskEventOutcome[] = ['stopped', 'other', 'foreign', 'malformed'];
  for (const outcome of outcomes) taskEventsReceived.inc({ outcome }, 0);
  const taskEvents: Metrics['taskEvents'] = {
    received: (outcome) => taskEventsReceived.inc({ outcome }),
    failed: () => taskEventsFailed.inc(),
    mode: (mode) => {
      trackingMode.set({ mode: 'polling' }, mode === 'polling' ? 1 : 0);
      trackingMode.set({ mode: 'events' }, mode === 'events' ? 1 : 0);
    },
  };
  taskEvents.mode('polling');

  return { registry, controller, workQueue, ecs, watch, leader, tracker, taskEvents, clearPerResource };
}
