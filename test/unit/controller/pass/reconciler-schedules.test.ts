// spec.schedules through a whole pass: one run per instant, whichever expressions name it.
import { expect } from 'chai';
import { ConditionType, findCondition } from '../../../../src/controller/decide/conditions.js';
import { fixtureUid } from '../../../support/resources.js';
import { harness } from './harness.js';

const epochOf = (iso: string) => Date.parse(iso) / 1000;
const list = (...schedules: string[]) => ({ schedule: undefined, schedules });

describe('Reconciler: spec.schedules', () => {
  it('launches one run for an instant two schedules name, and one for each other instant', async () => {
    const h = harness(list('*/30 * * * *', '0 * * * *'));
    for (const at of ['2026-03-01T10:00:01Z', '2026-03-01T10:30:01Z', '2026-03-01T11:00:01Z']) {
      await h.reconcile(at);
      h.launcher.finishAll();
    }
    expect(h.launcher.runRequests.map((r) => r.startedBy)).to.deep.equal(
      ['2026-03-01T10:00:00Z', '2026-03-01T10:30:00Z', '2026-03-01T11:00:00Z'].map(
        (t) => `ecss/${fixtureUid}/${epochOf(t)}`,
      ),
    );
  });

  it('after downtime the union coalesces as one schedule does: the newest runs, older ones are Missed', async () => {
    const h = harness({ ...list('0 * * * *', '20 * * * *'), failedRunsHistoryLimit: 5 });
    await h.reconcile('2026-03-01T11:25:00Z');
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.runs().map((r) => `${r.scheduledTime.slice(11, 16)} ${r.result}`)).to.deep.equal([
      '11:20 Running',
      '11:00 Missed',
      '10:20 Missed',
      '10:00 Missed',
    ]);
  });

  it('writes resolvedSchedule and the Schedule column text for the list, and the next time of the union', async () => {
    const h = harness({ ...list('H 8 * * 1-5', '0 10 * * 6'), timeZone: 'Europe/Berlin' });
    await h.reconcile('2026-03-06T12:00:00Z'); // a Friday
    const status = h.status();
    expect(status.resolvedSchedule).to.match(/^\d{1,2} 8 \* \* 1-5; 0 10 \* \* 6$/);
    expect(status.scheduleSummary).to.equal('H 8 * * 1-5; 0 10 * * 6');
    expect(status.nextScheduleTime).to.equal('2026-03-07T09:00:00.000Z');
  });

  it('an invalid expression stalls the resource, naming schedules[i]', async () => {
    const h = harness(list('0 8 * * *', '0 8 * * MOONDAY'));
    await h.reconcile('2026-03-01T10:00:00Z');
    const stalled = findCondition(h.status().conditions, ConditionType.Stalled);
    expect(stalled?.status).to.equal('True');
    expect(stalled?.message).to.match(/^spec\.schedules\[1\]: /);
    expect(h.launcher.runRequests).to.have.length(0);
  });

  it('spec.schedule keeps working and shows in the Schedule column', async () => {
    const h = harness({ schedule: '0 * * * *' });
    await h.reconcile('2026-03-01T10:00:01Z');
    expect(h.launcher.runRequests).to.have.length(1);
    expect(h.status().scheduleSummary).to.equal('0 * * * *');
    expect(h.status().resolvedSchedule).to.equal('0 * * * *');
  });
});
