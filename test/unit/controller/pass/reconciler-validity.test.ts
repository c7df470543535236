import { expect } from 'chai';
import type { Spec } from '../../../../src/api/types.js';
import { validateResource, VersionedValidator } from '../../../../src/api/validation.js';
import { harness, key } from './harness.js';

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

describe('Reconciler: the versions its own status writes stored are not validated again', () => {
  /** The harness with a validator that lists the resourceVersions it really checks. */
  function counted() {
    const checked: string[] = [];
    const validator = new VersionedValidator((r) => {
      checked.push(r.metadata.resourceVersion ?? '(none)');
      return validateResource(r);
    });
    return { ...harness({}, { deps: { validator } }), checked };
  }

  it('launch and end passes check the first version only; an edit of the status or the spec is checked', async () => {
    const h = counted();
    const first = h.resource().metadata.resourceVersion!;
    await h.reconcile(fiveSecondsPastTen);
    const [arn] = h.launcher.taskArns();
    h.clock.set('2026-03-01T10:00:40Z');
    h.launcher.finish(arn!, { app: 0 });
    await h.reconcile();
    await h.reconcile('2026-03-01T10:30:00Z');
    expect(h.runs().map((r) => r.result)).to.deep.equal(['Succeeded']);
    expect(h.store.statusWrites.length, 'the passes read versions of their own writes').to.be.greaterThan(1);
    expect(h.checked, 'only the version nobody of us wrote').to.deep.equal([first]);

    // Someone else's status (kubectl edit --subresource=status): checked, and repaired.
    const edited = h.store.update(key, (r) => {
      (r.status!.runs as unknown as Record<string, unknown>[])[0]!.editedBy = 'someone';
    });
    await h.reconcile('2026-03-01T10:31:00Z');
    expect(h.checked.at(-1)).to.equal(edited.metadata.resourceVersion);
    expect(h.runs()[0]).to.not.have.property('editedBy');

    // A new generation: its spec is checked, and an invalid one stalls as ever.
    h.apply({ taskCount: 0 });
    const applied = h.resource().metadata.resourceVersion!;
    await h.reconcile('2026-03-01T10:32:00Z');
    expect(h.checked.at(-1)).to.equal(applied);
    expect(h.status().conditions?.find((c) => c.type === 'Stalled')).to.include({
      status: 'True',
      reason: 'InvalidSpec',
    });
    // The stall's own write carries the spec's issues on: the next pass stalls without a check.
    const count = h.checked.length;
    await h.reconcile('2026-03-01T10:33:00Z');
    expect(h.checked).to.have.length(count);
    expect(h.status().conditions?.find((c) => c.type === 'Stalled')?.reason).to.equal('InvalidSpec');
  });
});
