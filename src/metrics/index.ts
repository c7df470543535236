// The prom-client side of the metric ports: one file per subsystem, composed here into the shape
// the app hands out. The subsystems register in this order, which is the order of /metrics.
import { Registry, collectDefaultMetrics, type Gauge } from 'prom-client';
import type { ControllerMetrics, WorkQueueMetrics } from '../controller/metrics-port.js';
import type { TaskTrackerMetrics } from '../controller/runtime/task-tracker.js';
import type { EcsRequestMetrics } from '../aws/ecs/ports.js';
import type { LeaderMetrics, WatchMetrics } from '../kube/metrics-port.js';
import { adoptionLookupMetrics } from './adoption-lookup-metrics.js';
import { deadLetterMetrics } from './dead-letter-metrics.js';
import { ecsRequestMetrics } from './ecs-request-metrics.js';
import { leaderMetrics } from './leader-metrics.js';
import { MetricScope } from './metric-scope.js';
import { policyMetrics } from './policy-metrics.js';
import { calendarMetrics } from './calendar-metrics.js';
import { reconcileMetrics } from './reconcile-metrics.js';
import { resourceGauges } from './resource-gauges.js';
import { runMetrics } from './run-metrics.js';
import { taskEventMetrics, type TaskEventsMetrics } from './task-event-metrics.js';
import { trackerMetrics } from './tracker-metrics.js';
import { watchMetrics } from './watch-metrics.js';
import { workQueueMetrics } from './work-queue-metrics.js';

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
  /**
   * --sharding: this replica's shard Lease. The per-resource series then follow the shard Lease
   * (`shardLease`), not the leader Lease, which only picks the sharder.
   */
  readonly shardLeaseName?: string;
}

export interface Metrics {
  readonly registry: Registry;
  readonly controller: ControllerMetrics;
  readonly workQueue: WorkQueueMetrics;
  readonly ecs: EcsRequestMetrics;
  readonly watch: WatchMetrics;
  readonly leader: LeaderMetrics;
  /**
   * With `shardLeaseName`: leader_election_master_status of the shard Lease, and the term of
   * this replica's own resources, which their per-resource series follow.
   */
  readonly shardLease?: LeaderMetrics;
  /** The shared task tracker: what it follows and how its DescribeTasks rounds go. */
  readonly tracker: TaskTrackerMetrics;
  /** --task-events-queue: the events read, and which way tasks are followed. */
  readonly taskEvents: TaskEventsMetrics;
  /**
   * Drops every per-resource gauge. Called on losing the Lease (leader.setLeader(false) does it),
   * so that after a failover only the new leader exports them and `max by (name)` or a join never
   * sees two replicas' values for one resource; later writes are ignored until leading again.
   */
  clearPerResource(): void;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  const scope = new MetricScope(registry, options.perResource ?? true);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const reconciles = reconcileMetrics(scope, options.controllerName ?? 'ecsscheduledtask');
  const workQueue = workQueueMetrics(scope, options.workQueueName ?? 'ecsscheduledtask');
  const runs = runMetrics(scope);
  const deadLetters = deadLetterMetrics(scope);
  const ecs = ecsRequestMetrics(scope);
  const gauges = resourceGauges(scope);
  const policy = policyMetrics(scope);
  const calendars = calendarMetrics(scope);
  const adoption = adoptionLookupMetrics(scope);
  const watch = watchMetrics(scope);
  const sharded = options.shardLeaseName !== undefined;
  const leader = leaderMetrics(
    scope,
    options.leaseName ?? 'ecs-scheduler',
    sharded ? () => undefined : gauges.leading,
  );
  const shardLease = sharded
    ? shardLeaseMetrics(registry, options.shardLeaseName!, gauges.leading)
    : undefined;
  const tracker = trackerMetrics(scope);
  const taskEvents = taskEventMetrics(scope);

  const controller: ControllerMetrics = {
    ...reconciles,
    ...runs,
    scheduleTimes: gauges.scheduleTimes,
    queueDepth: gauges.queueDepth,
    lastRun: gauges.lastRun,
    ...deadLetters,
    ...policy,
    ...calendars,
    adoptionLookups: adoption.adoptionLookups,
    // Every series of a deleted resource goes, counters too, or every name ever used would stay
    // exported.
    forget: (key) => {
      adoption.forget(key);
      scope.resources.forget(key);
    },
  };
  return {
    registry,
    controller,
    workQueue,
    ecs,
    watch,
    leader,
    ...(shardLease === undefined ? {} : { shardLease }),
    tracker,
    taskEvents,
    clearPerResource: gauges.clear,
  };
}

/** A second series of leader_election_master_status, for the shard Lease. */
function shardLeaseMetrics(
  registry: Registry,
  leaseLabel: string,
  onTerm: (holds: boolean) => void,
): LeaderMetrics {
  const status = registry.getSingleMetric('leader_election_master_status') as Gauge<'name'>;
  status.set({ name: leaseLabel }, 0);
  return {
    setLeader: (holds) => {
      status.set({ name: leaseLabel }, holds ? 1 : 0);
      onTerm(holds);
    },
  };
}
