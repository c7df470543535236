import { expect } from 'chai';
import { createMetrics } from '../../../src/metrics/index.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics: passed-over lookups', () => {
  it('counts lookups by result, and the resources waiting for the budget until they are done or deleted', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const c = m.controller;
    c.adoptionLookups!('data/a', { found: 1, none: 3 }, true);
    c.adoptionLookups!('data/b', { found: 0, none: 0 }, true);
    let text = await m.registry.metrics();
    expect(sample(text, 'ecs_scheduler_adoption_lookups_total{result="found"}')).to.equal(1);
    expect(sample(text, 'ecs_scheduler_adoption_lookups_total{result="none"}')).to.equal(3);
    expect(sample(text, 'ecs_scheduler_adoption_lookups_waiting')).to.equal(2);
    c.adoptionLookups!('data/a', { found: 2, none: 0 }, false);
    c.forget('data/b');
    text = await m.registry.metrics();
    expect(sample(text, 'ecs_scheduler_adoption_lookups_total{result="found"}')).to.equal(3);
    expect(sample(text, 'ecs_scheduler_adoption_lookups_waiting')).to.equal(0);
  });
});
