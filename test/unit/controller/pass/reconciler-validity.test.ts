import { expect } from 'chai';
import type { Spec } from '../../../../src/api/types.js';
import { harness } from './harness.js';

const quarterToTen = '2026-03-01T09:45:00Z';
const fiveSecondsPastTen = '2026-03-01T10:00:05Z';

describe('Reconciler: invalid specs', () => {
  const cases: { name: string; spec: Partial<Spec>; field: string }[] = [
    { name: 'a value the schema forbids', spec: { taskCount: 0 }, field: 'spec.taskCount' },
    { name: 'a schedule that cannot be parsed', spec: { schedule: 'every tuesday' }, field: 'spec.schedule' },
    { name: 'an unknown time zone', spec: { timeZone: 'Mars/Olympus' }, field: 'spec.timeZone' },
    { name: 'a broken cross-field rule', spec: { taskCount: 5, maxCount: 2 }, field: 'spec' },
  ];
  for (const c of cases) {
    it(`${c.name}: Stalled, one Warning event, no requeue, no throw`, async () => {
      const h = harness(c.spec);
      expect(await h.reconcile(quarterToTen)).to.deep.equal({});
      expect(await h.reconcile(fiveSecondsPastTen)).to.deep.equal({});
      const conditions = h.status().conditions ?? [];
      const stalled = conditions.find((x) => x.type === 'Stalled')!;
      expect(stalled).to.include({ status: 'True', reason: 'InvalidSpec', observedGeneration: 1 });
      expect(stalled.message).to.contain(c.field);
      expect(stalled.lastTransitionTime).to.equal(new Date(quarterToTen).toISOString());
      expect(conditions.find((x) => x.type === 'Ready')).to.include({
        status: 'False',
        reason: 'InvalidSpec',
      });
      expect(h.events.events.map((e) => `${e.type} ${e.reason}`)).to.deep.equal(['Warning InvalidSpec']);
      expect(h.store.statusWrites, 'the second pass changed nothing').to.have.length(1);
      expect(h.launcher.runRequests).to.have.length(0);
    });
  }

  it('recovers when the spec is fixed: Ready=True, Stalled=False with a new transition time', async () => {
    const h = harness({ taskCount: 0 });
    await h.reconcile(quarterToTen);
    h.apply({ taskCount: 1 });
    await h.reconcile(fiveSecondsPastTen);
    const conditions = h.status().conditions ?? [];
    expect(conditions.find((x) => x.type === 'Stalled')).to.include({
      status: 'False',
      lastTransitionTime: new Date(fiveSecondsPastTen).toISOString(),
      observedGeneration: 2,
    });
    expect(conditions.find((x) => x.type === 'Ready')?.status).to.equal('True');
    expect(h.launcher.runRequests).to.have.length(1);
  });
});
