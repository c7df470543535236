// Every metric the controller exports, with its type and labels: dashboards and alerts name them,
// so a rename or a lost label is a breaking change. The table was taken from the registry of
// createMetrics before it was split into one file per subsystem.
import { expect } from 'chai';
import { createMetrics } from '../../../src/metrics/index.js';

type Row = [name: string, type: string, labels: string[]];

const EXPORTED: Row[] = [
  ['controller_runtime_active_workers', 'gauge', ['controller']],
  ['controller_runtime_max_concurrent_reconciles', 'gauge', ['controller']],
  ['controller_runtime_reconcile_errors_total', 'counter', ['controller']],
  ['controller_runtime_reconcile_time_seconds', 'histogram', ['controller']],
  ['controller_runtime_reconcile_total', 'counter', ['controller', 'result']],
  ['controller_runtime_terminal_reconcile_errors_total', 'counter', ['controller']],
  ['ecs_scheduler_adoption_lookups_total', 'counter', ['result']],
  ['ecs_scheduler_adoption_lookups_waiting', 'gauge', []],
  ['ecs_scheduler_dead_letters_total', 'counter', ['namespace', 'name', 'outcome']],
  ['ecs_scheduler_ecs_requests_total', 'counter', ['operation', 'outcome']],
  ['ecs_scheduler_last_run_result', 'gauge', ['namespace', 'name', 'result']],
  ['ecs_scheduler_last_schedule_time', 'gauge', ['namespace', 'name']],
  ['ecs_scheduler_last_success_time', 'gauge', ['namespace', 'name']],
  ['ecs_scheduler_launch_delay_seconds', 'histogram', []],
  ['ecs_scheduler_next_schedule_time', 'gauge', ['namespace', 'name']],
  ['ecs_scheduler_policy_denials_total', 'counter', ['namespace', 'field']],
  ['ecs_scheduler_relists_total', 'counter', ['reason']],
  ['ecs_scheduler_run_retries_total', 'counter', ['namespace', 'name', 'reason']],
  ['ecs_scheduler_runs_total', 'counter', ['namespace', 'name', 'result']],
  ['ecs_scheduler_task_events_receive_errors_total', 'counter', []],
  ['ecs_scheduler_task_events_total', 'counter', ['outcome']],
  ['ecs_scheduler_task_tracker_describe_calls_total', 'counter', []],
  ['ecs_scheduler_task_tracker_hints_total', 'counter', ['outcome']],
  ['ecs_scheduler_task_tracker_polls_total', 'counter', ['outcome']],
  ['ecs_scheduler_task_tracking_mode', 'gauge', ['mode']],
  ['ecs_scheduler_tracked_tasks', 'gauge', []],
  ['ecs_scheduler_trigger_queue_depth', 'gauge', ['namespace', 'name']],
  ['ecs_scheduler_watch_events_total', 'counter', ['type']],
  ['ecs_scheduler_watch_restarts_total', 'counter', ['reason']],
  ['leader_election_master_status', 'gauge', ['name']],
  ['workqueue_adds_total', 'counter', ['name']],
  ['workqueue_depth', 'gauge', ['name']],
  ['workqueue_queue_duration_seconds', 'histogram', ['name']],
  ['workqueue_retries_total', 'counter', ['name']],
  ['workqueue_work_duration_seconds', 'histogram', ['name']],
];

// --per-resource-metrics=false: these counters keep only the namespace of the resource.
const WITHOUT_PER_RESOURCE: Record<string, string[]> = {
  ecs_scheduler_dead_letters_total: ['namespace', 'outcome'],
  ecs_scheduler_run_retries_total: ['namespace', 'reason'],
  ecs_scheduler_runs_total: ['namespace', 'result'],
};

// The series that exist before anything happened, so rates start at 0 (histograms left out).
const PRE_CREATED = [
  'controller_runtime_reconcile_total{controller="ecsscheduledtask",result="success"} 0',
  'controller_runtime_reconcile_total{controller="ecsscheduledtask",result="error"} 0',
  'controller_runtime_reconcile_total{controller="ecsscheduledtask",result="aborted"} 0',
  'controller_runtime_reconcile_total{controller="ecsscheduledtask",result="requeue"} 0',
  'controller_runtime_reconcile_total{controller="ecsscheduledtask",result="requeue_after"} 0',
  'controller_runtime_reconcile_errors_total{controller="ecsscheduledtask"} 0',
  'controller_runtime_terminal_reconcile_errors_total{controller="ecsscheduledtask"} 0',
  'workqueue_depth{name="ecsscheduledtask"} 0',
  'workqueue_adds_total{name="ecsscheduledtask"} 0',
  'workqueue_retries_total{name="ecsscheduledtask"} 0',
  'leader_election_master_status{name="ecs-scheduler"} 0',
  'ecs_scheduler_adoption_lookups_waiting 0',
  'ecs_scheduler_tracked_tasks 0',
  'ecs_scheduler_task_tracker_polls_total{outcome="success"} 0',
  'ecs_scheduler_task_tracker_polls_total{outcome="error"} 0',
  'ecs_scheduler_task_tracker_describe_calls_total 0',
  'ecs_scheduler_task_tracking_mode{mode="polling"} 1',
  'ecs_scheduler_task_tracking_mode{mode="events"} 0',
  'ecs_scheduler_task_events_total{outcome="stopped"} 0',
  'ecs_scheduler_task_events_total{outcome="other"} 0',
  'ecs_scheduler_task_events_total{outcome="foreign"} 0',
  'ecs_scheduler_task_events_total{outcome="malformed"} 0',
  'ecs_scheduler_task_events_receive_errors_total 0',
];

interface Described {
  name: string;
  type: string;
  labelNames: readonly string[];
}

function exported(perResource: boolean): Row[] {
  const { registry } = createMetrics({ defaultMetrics: false, perResource });
  return (registry.getMetricsAsArray() as unknown as Described[])
    .map((m): Row => [m.name, m.type, [...m.labelNames]])
    .sort(([a], [b]) => a.localeCompare(b));
}

describe('the exported metrics', () => {
  it('are exactly the names, types and labels dashboards know', () => {
    expect(exported(true)).to.deep.equal(EXPORTED);
  });

  it('keep only the namespace on the per-resource counters with --per-resource-metrics=false', () => {
    const expected = EXPORTED.map(([name, type, labels]): Row => [
      name,
      type,
      WITHOUT_PER_RESOURCE[name] ?? labels,
    ]);
    expect(exported(false)).to.deep.equal(expected);
  });

  it('pre-create the same series at 0', async () => {
    const text = await createMetrics({ defaultMetrics: false }).registry.metrics();
    const series = text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#') && !/_(bucket|sum|count)[{ ]/.test(l));
    expect([...series].sort()).to.deep.equal([...PRE_CREATED].sort());
  });
});
