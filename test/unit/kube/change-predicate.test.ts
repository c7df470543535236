import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { specOrMetadataChanged } from '../../../src/kube/change-predicate.js';

const base: EcsScheduledTaskResource = {
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduledTask',
  metadata: { name: 'report', namespace: 'data', uid: 'u1', generation: 1, resourceVersion: '10' },
  spec: { schedule: '0 * * * *', task: { taskDefinition: 'td' } },
};

function changed(edit: (r: EcsScheduledTaskResource) => void): EcsScheduledTaskResource {
  const r = structuredClone(base);
  r.metadata.resourceVersion = '11';
  edit(r);
  return r;
}

describe('specOrMetadataChanged', () => {
  const cases: { name: string; after: EcsScheduledTaskResource; expected: boolean }[] = [
    {
      name: 'a status-only update (our own write echoed)',
      after: changed((r) => (r.status = { activeCount: 1 })),
      expected: false,
    },
    {
      name: 'a spec change (generation)',
      after: changed((r) => (r.metadata.generation = 2)),
      expected: true,
    },
    {
      name: 'a run-now annotation',
      after: changed((r) => (r.metadata.annotations = { 'ecs-scheduler.dev/run-now': 'x' })),
      expected: true,
    },
    { name: 'a label', after: changed((r) => (r.metadata.labels = { team: 'a' })), expected: true },
    { name: 'a recreated object (new uid)', after: changed((r) => (r.metadata.uid = 'u2')), expected: true },
  ];
  for (const c of cases)
    it(`${c.name}: ${c.expected ? 'reconcile' : 'no pass'}`, () => {
      expect(specOrMetadataChanged(base, c.after)).to.equal(c.expected);
    });

  it('a first sighting always asks for a pass', () => {
    expect(specOrMetadataChanged(undefined, base)).to.equal(true);
  });
});
