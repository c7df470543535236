import { expect } from 'chai';
import { createMetrics } from '../../../src/metrics/index.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics: the task tracker', () => {
  it('starts at zero, then records the tasks followed, the polls by outcome and their DescribeTasks calls', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const before = await m.registry.metrics();
    expect(sample(before, 'ecs_scheduler_tracked_tasks')).to.equal(0);
    expect(sample(before, 'ecs_scheduler_task_tracker_polls_total{outcome="error"}')).to.equal(0);

    m.tracker.tracked(120);
    m.tracker.polled('success', 2);
    m.tracker.polled('success', 1);
    m.tracker.polled('error', 1);
    m.tracker.tracked(5);
    const text = await m.registry.metrics();
    const cases: [string, number][] = [
      ['ecs_scheduler_tracked_tasks', 5],
      ['ecs_scheduler_task_tracker_polls_total{outcome="success"}', 2],
      ['ecs_scheduler_task_tracker_polls_total{outcome="error"}', 1],
      ['ecs_scheduler_task_tracker_describe_calls_total', 4],
    ];
    for (const [series, value] of cases) expect(sample(text, series), series).to.equal(value);
  });
});
