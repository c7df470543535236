import { expect } from 'chai';
import { createMetrics } from '../../../src/metrics/index.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics: retries and dead letters', () => {
  const cases = [
    {
      name: 'per resource (the default)',
      perResource: true,
      series: [
        ['ecs_scheduler_run_retries_total{namespace="data",name="report",reason="NonZeroExit"}', 2],
        ['ecs_scheduler_dead_letters_total{namespace="data",name="report",outcome="sent"}', 1],
        ['ecs_scheduler_dead_letters_total{namespace="data",name="report",outcome="failed"}', 1],
        ['ecs_scheduler_runs_total{namespace="data",name="report",result="Failed"}', 1],
      ],
    },
    {
      name: 'with --per-resource-metrics=false, by namespace only',
      perResource: false,
      series: [
        ['ecs_scheduler_run_retries_total{namespace="data",reason="NonZeroExit"}', 2],
        ['ecs_scheduler_dead_letters_total{namespace="data",outcome="sent"}', 1],
        ['ecs_scheduler_runs_total{namespace="data",result="Failed"}', 1],
      ],
    },
  ] as const;
  for (const c of cases) {
    it(c.name, async () => {
      const m = createMetrics({ defaultMetrics: false, perResource: c.perResource });
      m.controller.runRetried!('data/report', 'NonZeroExit');
      m.controller.runRetried!('data/report', 'NonZeroExit');
      m.controller.deadLetter!('data/report', 'failed');
      m.controller.deadLetter!('data/report', 'sent');
      m.controller.runRecorded('Failed', 'data/report');
      const text = await m.registry.metrics();
      for (const [series, value] of c.series) expect(sample(text, series), series).to.equal(value);
      if (!c.perResource) expect(text).to.not.contain('name="report"');
    });
  }
});
