import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../../src/api/types.js';
import { overviewOf, summarize } from '../../../../src/controller/runtime/startup-summary.js';

const justBeforeTheHour = new Date('2026-11-27T09:59:30Z');

function resource(name: string, spec: Partial<EcsScheduledTaskResource['spec']>): EcsScheduledTaskResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { name, namespace: 'team-a' },
    spec: { schedule: '0 * * * *', task: { taskDefinition: 'td' }, ...spec },
  } as EcsScheduledTaskResource;
}

describe('start-up summary', () => {
  const cases = [
    {
      name: 'an hourly job runs at the top of the hour',
      input: resource('hourly', {}),
      expected: { resource: 'team-a/hourly', suspended: false, next: new Date('2026-11-27T10:00:00Z') },
    },
    {
      name: 'a suspended job still shows when it would run',
      input: resource('paused', { schedule: '0 12 * * *', suspend: true }),
      expected: { resource: 'team-a/paused', suspended: true, next: new Date('2026-11-27T12:00:00Z') },
    },
    {
      name: 'a time zone moves the next run',
      input: resource('berlin', { schedule: '0 12 * * *', timeZone: 'Europe/Berlin' }),
      expected: { resource: 'team-a/berlin', suspended: false, next: new Date('2026-11-27T11:00:00Z') },
    },
    {
      name: 'an ended window has no next run',
      input: resource('over', { endTime: '2026-01-01T00:00:00Z' }),
      expected: { resource: 'team-a/over', suspended: false },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      expect(overviewOf(c.input, justBeforeTheHour)).to.deep.equal(c.expected);
    });

  it('an invalid schedule is named, not thrown', () => {
    const o = overviewOf(resource('broken', { schedule: '61 * * * *' }), justBeforeTheHour);
    expect(o.resource).to.equal('team-a/broken');
    expect(o.problem)
      .to.be.a('string')
      .and.match(/61|minute/);
  });

  it('the summary counts and picks the earliest run of a resource that is not suspended', () => {
    const overviews = [
      overviewOf(resource('noon', { schedule: '0 12 * * *' }), justBeforeTheHour),
      overviewOf(resource('soon-but-suspended', { schedule: '* * * * *', suspend: true }), justBeforeTheHour),
      overviewOf(resource('hourly', {}), justBeforeTheHour),
      overviewOf(resource('broken', { schedule: 'nonsense' }), justBeforeTheHour),
    ];
    expect(summarize(overviews)).to.deep.equal({
      resources: 4,
      suspended: 1,
      invalid: 1,
      nextRun: new Date('2026-11-27T10:00:00Z'),
      nextResource: 'team-a/hourly',
    });
    expect(summarize([])).to.deep.equal({ resources: 0, suspended: 0, invalid: 0 });
  });
});
