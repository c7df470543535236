// KubeCalendars: the calendars' informer behind the CalendarSource port. A spec change is
// reported; a change of labels only is not (it changes nothing a calendar excludes).
import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { KubeCalendars } from '../../../src/kube/calendar-informer.js';
import type { ListResult, ListWatchSource, WatchHandlers } from '../../../src/kube/list-watch-source.js';
import { silentLogger } from '../../../src/log/logger.js';
import { FakeClock, flushPromises } from '../../support/fake-clock.js';

class OneWatchSource implements ListWatchSource {
  items: unknown[] = [];
  handlers: WatchHandlers | undefined;
  async list(): Promise<ListResult> {
    return { items: this.items as EcsScheduledTaskResource[], resourceVersion: '1' };
  }
  async watch(_rv: string, handlers: WatchHandlers): Promise<() => void> {
    this.handlers = handlers;
    return () => undefined;
  }
}

const calendar = (rv: string, dates: string[], labels: Record<string, string> = {}) => ({
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduleCalendar',
  metadata: { name: 'holidays', namespace: 'data', resourceVersion: rv, labels },
  spec: { dates },
});

describe('KubeCalendars', () => {
  it('lists, then reports created, edited and deleted calendars by namespace and name', async () => {
    const source = new OneWatchSource();
    source.items = [calendar('1', ['--12-25'])];
    const calendars = new KubeCalendars(undefined, {
      source,
      clock: new FakeClock('2026-03-01T00:00:00Z'),
      logger: silentLogger,
    });
    const changes: string[] = [];
    calendars.onChange((namespace, name) => changes.push(`${namespace}/${name}`));
    calendars.start();
    await calendars.waitForSync();
    expect(calendars.hasSynced()).to.equal(true);
    expect(calendars.get('data', 'holidays')?.spec.dates).to.deep.equal(['--12-25']);
    expect(changes).to.deep.equal(['data/holidays']);
    await flushPromises();

    source.handlers!.onEvent('MODIFIED', calendar('2', ['--12-25'], { team: 'data' }));
    expect(changes, 'labels only').to.have.length(1);
    source.handlers!.onEvent('MODIFIED', calendar('3', ['--12-26']));
    expect(changes).to.have.length(2);
    expect(calendars.get('data', 'holidays')?.spec.dates).to.deep.equal(['--12-26']);
    source.handlers!.onEvent('DELETED', calendar('4', ['--12-26']));
    expect(changes).to.have.length(3);
    expect(calendars.get('data', 'holidays')).to.equal(undefined);
    calendars.stop();
  });
});
