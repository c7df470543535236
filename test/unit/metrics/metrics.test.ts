import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/metrics/index.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics', () => {
  it('exposes every metric name, with Node defaults, in its own registry', async () => {
    const m = createMetrics();
    const text = await m.registry.metrics();
    for (const name of [
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_time_seconds',
      'controller_runtime_reconcile_errors_total',
      'workqueue_depth',
      'workqueue_adds_total',
      'workqueue_retries_total',
      'workqueue_queue_duration_seconds',
      'workqueue_work_duration_seconds',
      'ecs_scheduler_launch_delay_seconds',
      'ecs_scheduler_runs_total',
      'ecs_scheduler_ecs_requests_total',
      'ecs_scheduler_next_schedule_time',
      'ecs_scheduler_last_schedule_time',
      'ecs_scheduler_trigger_queue_depth',
      'ecs_scheduler_last_run_result',
      'ecs_scheduler_last_success_time',
      'ecs_scheduler_policy_denials_total',
      'ecs_scheduler_watch_restarts_total',
      'ecs_scheduler_watch_events_total',
      'ecs_scheduler_relists_total',
      'leader_election_master_status',
      'process_cpu_user_seconds_total',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text, name).to.include(`# TYPE ${name} `);
    }
  });

  it('two instances do not collide (no global registry)', () => {
    createMetrics({ defaultMetrics: false });
    expect(() => createMetrics({ defaultMetrics: false })).not.to.throw();
  });

  it('records what the ports report', async () => {
    const m = createMetrics({ registry: new Registry(), defaultMetrics: false, leaseName: 'ecs-scheduler' });
    m.controller.reconciled('success', 0.02);
    m.controller.reconciled('error', 0.5);
    m.controller.runRecorded('Succeeded');
    m.controller.launchDelay(1.5);
    m.controller.scheduleTimes(
      'data/report',
      new Date('2026-01-01T00:01:00Z'),
      new Date('2026-01-01T00:00:00Z'),
    );
    m.controller.queueDepth('data/report', 250);
    m.workQueue.added();
    m.workQueue.retried();
    m.workQueue.depth(4);
    m.workQueue.queueDuration(0.001);
    m.workQueue.workDuration(0.2);
    m.ecs.request('RunTask', 'success');
    m.ecs.request('RunTask', 'throttled');
    m.watch.restarted('error');
    m.watch.event('ADDED');
    m.watch.relisted('gone');
    m.leader.setLeader(true);
    const text = await m.registry.metrics();
    const cases: [string, number][] = [
      ['controller_runtime_reconcile_total{controller="ecsscheduledtask",result="success"}', 1],
      ['controller_runtime_reconcile_total{controller="ecsscheduledtask",result="error"}', 1],
      ['controller_runtime_reconcile_total{controller="ecsscheduledtask",result="requeue"}', 0],
      ['controller_runtime_reconcile_errors_total{controller="ecsscheduledtask"}', 1],
      ['controller_runtime_reconcile_time_seconds_count{controller="ecsscheduledtask"}', 2],
      ['ecs_scheduler_runs_total{result="Succeeded"}', 1],
      ['ecs_scheduler_launch_delay_seconds_bucket{le="2"}', 1],
      ['ecs_scheduler_launch_delay_seconds_bucket{le="1"}', 0],
      ['ecs_scheduler_next_schedule_time{namespace="data",name="report"}', 1767225660],
      ['ecs_scheduler_last_schedule_time{namespace="data",name="report"}', 1767225600],
      ['ecs_scheduler_trigger_queue_depth{namespace="data",name="report"}', 250],
      ['workqueue_adds_total{name="ecsscheduledtask"}', 1],
      ['workqueue_retries_total{name="ecsscheduledtask"}', 1],
      ['workqueue_depth{name="ecsscheduledtask"}', 4],
      ['workqueue_queue_duration_seconds_count{name="ecsscheduledtask"}', 1],
      ['workqueue_work_duration_seconds_count{name="ecsscheduledtask"}', 1],
      ['ecs_scheduler_ecs_requests_total{operation="RunTask",outcome="success"}', 1],
      ['ecs_scheduler_ecs_requests_total{operation="RunTask",outcome="throttled"}', 1],
      ['ecs_scheduler_watch_restarts_total{reason="error"}', 1],
      ['ecs_scheduler_watch_events_total{type="ADDED"}', 1],
      ['ecs_scheduler_relists_total{reason="gone"}', 1],
      ['leader_election_master_status{name="ecs-scheduler"}', 1],
    ];
    for (const [series, value] of cases) expect(sample(text, series), series).to.equal(value);
  });

  it('removes per-resource series on forget, and a schedule time when it is unset', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.controller.scheduleTimes('data/a', new Date(0), new Date(0));
    m.controller.scheduleTimes('data/b', new Date(0), undefined);
    m.controller.queueDepth('data/a', 1);
    m.controller.runRecorded('Failed', 'data/a');
    m.controller.lastRun!('data/a', 'Failed', new Date(0));
    m.controller.forget('data/a');
    const text = await m.registry.metrics();
    expect(text).not.to.include('name="a"');
    expect(sample(text, 'ecs_scheduler_next_schedule_time{namespace="data",name="b"}')).to.equal(0);
    expect(text).not.to.include('ecs_scheduler_last_schedule_time{namespace="data",name="b"}');
  });

  describe('per-resource series', () => {
    const noon = new Date('2026-03-01T12:00:00Z');
    const noonSeconds = noon.getTime() / 1000;

    it('labels ecs_scheduler_runs_total with namespace and name', async () => {
      const m = createMetrics({ defaultMetrics: false });
      m.controller.runRecorded('Failed', 'data/nightly');
      m.controller.runRecorded('Failed', 'data/nightly');
      m.controller.runRecorded('Succeeded', 'web/cleanup');
      const text = await m.registry.metrics();
      expect(
        sample(text, 'ecs_scheduler_runs_total{namespace="data",name="nightly",result="Failed"}'),
      ).to.equal(2);
      expect(
        sample(text, 'ecs_scheduler_runs_total{namespace="web",name="cleanup",result="Succeeded"}'),
      ).to.equal(1);
    });

    it('exports the last run result as 1 on its result only, and moves it when the result changes', async () => {
      const m = createMetrics({ defaultMetrics: false });
      m.controller.lastRun!('data/nightly', 'Succeeded', noon);
      let text = await m.registry.metrics();
      expect(
        sample(text, 'ecs_scheduler_last_run_result{namespace="data",name="nightly",result="Succeeded"}'),
      ).to.equal(1);
      expect(sample(text, 'ecs_scheduler_last_success_time{namespace="data",name="nightly"}')).to.equal(
        noonSeconds,
      );
      m.controller.lastRun!('data/nightly', 'Failed', noon);
      text = await m.registry.metrics();
      expect(
        sample(text, 'ecs_scheduler_last_run_result{namespace="data",name="nightly",result="Failed"}'),
      ).to.equal(1);
      expect(text, 'the old result series is gone').not.to.include('result="Succeeded"');
      expect(sample(text, 'ecs_scheduler_last_success_time{namespace="data",name="nightly"}')).to.equal(
        noonSeconds,
      );
    });

    it('has no last success time before the first success', async () => {
      const m = createMetrics({ defaultMetrics: false });
      m.controller.lastRun!('data/nightly', 'Failed', undefined);
      const text = await m.registry.metrics();
      expect(text).not.to.include('ecs_scheduler_last_success_time{');
    });

    it('counts policy denials by namespace and field', async () => {
      const m = createMetrics({ defaultMetrics: false });
      m.controller.policyDenied!('team-a/job', 'taskDefinition');
      m.controller.policyDenied!('team-a/other', 'taskDefinition');
      m.controller.policyDenied!('team-b/job', 'cluster');
      const text = await m.registry.metrics();
      expect(
        sample(text, 'ecs_scheduler_policy_denials_total{namespace="team-a",field="taskDefinition"}'),
      ).to.equal(2);
      expect(sample(text, 'ecs_scheduler_policy_denials_total{namespace="team-b",field="cluster"}')).to.equal(
        1,
      );
    });

    it('with perResource false: no per-resource gauges, and runs counted by namespace only', async () => {
      const m = createMetrics({ defaultMetrics: false, perResource: false });
      m.controller.scheduleTimes('data/nightly', noon, noon);
      m.controller.queueDepth('data/nightly', 3);
      m.controller.lastRun!('data/nightly', 'Succeeded', noon);
      m.controller.runRecorded('Succeeded', 'data/nightly');
      m.controller.runRecorded('Succeeded', 'data/other');
      const text = await m.registry.metrics();
      expect(text).not.to.include('name="nightly"');
      expect(sample(text, 'ecs_scheduler_runs_total{namespace="data",result="Succeeded"}')).to.equal(2);
    });

    const clearing: { name: string; clear: (m: ReturnType<typeof createMetrics>) => void }[] = [
      { name: 'losing the lease (setLeader(false))', clear: (m) => m.leader.setLeader(false) },
      { name: 'clearPerResource()', clear: (m) => m.clearPerResource() },
    ];
    for (const c of clearing) {
      it(`drops every per-resource gauge on ${c.name}; counters stay`, async () => {
        const m = createMetrics({ defaultMetrics: false, leaseName: 'ecs-scheduler' });
        m.leader.setLeader(true);
        m.controller.scheduleTimes('data/nightly', noon, noon);
        m.controller.queueDepth('data/nightly', 3);
        m.controller.lastRun!('data/nightly', 'Failed', noon);
        m.controller.runRecorded('Failed', 'data/nightly');
        c.clear(m);
        const text = await m.registry.metrics();
        for (const gauge of [
          'ecs_scheduler_next_schedule_time',
          'ecs_scheduler_last_schedule_time',
          'ecs_scheduler_trigger_queue_depth',
          'ecs_scheduler_last_run_result',
          'ecs_scheduler_last_success_time',
        ])
          expect(text, gauge).not.to.include(`${gauge}{`);
        expect(
          sample(text, 'ecs_scheduler_runs_total{namespace="data",name="nightly",result="Failed"}'),
        ).to.equal(1);
      });
    }

    it('sharded: the per-resource gauges follow the shard Lease, not the leader Lease (which only picks the sharder)', async () => {
      const m = createMetrics({
        defaultMetrics: false,
        leaseName: 'ecs-scheduler-leader',
        shardLeaseName: 'ecs-scheduler-shard-pod-a',
      });
      m.shardLease!.setLeader(true);
      // Another replica runs the sharder: this one's own resources keep their series.
      m.leader.setLeader(false);
      m.controller.queueDepth('data/nightly', 3);
      let text = await m.registry.metrics();
      expect(sample(text, 'ecs_scheduler_trigger_queue_depth{namespace="data",name="nightly"}')).to.equal(3);
      expect(sample(text, 'leader_election_master_status{name="ecs-scheduler-leader"}')).to.equal(0);
      expect(sample(text, 'leader_election_master_status{name="ecs-scheduler-shard-pod-a"}')).to.equal(1);
      // The shard Lease lost: its resources may be another replica's now.
      m.shardLease!.setLeader(false);
      text = await m.registry.metrics();
      expect(text).not.to.include('ecs_scheduler_trigger_queue_depth{');
      expect(sample(text, 'leader_election_master_status{name="ecs-scheduler-shard-pod-a"}')).to.equal(0);
    });

    it('ignores per-resource writes after losing the lease until leading again', async () => {
      const m = createMetrics({ defaultMetrics: false, leaseName: 'ecs-scheduler' });
      m.leader.setLeader(true);
      m.leader.setLeader(false);
      // A pass of the lost term finishing late.
      m.controller.scheduleTimes('data/late', noon, noon);
      m.controller.lastRun!('data/late', 'Succeeded', noon);
      let text = await m.registry.metrics();
      expect(text).not.to.include('name="late"');
      expect(sample(text, 'leader_election_master_status{name="ecs-scheduler"}')).to.equal(0);
      m.leader.setLeader(true);
      m.controller.scheduleTimes('data/late', noon, noon);
      text = await m.registry.metrics();
      expect(sample(text, 'ecs_scheduler_next_schedule_time{namespace="data",name="late"}')).to.equal(
        noonSeconds,
      );
    });
  });
});
