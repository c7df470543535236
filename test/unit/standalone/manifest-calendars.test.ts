// Standalone mode: EcsScheduleCalendars come from the manifests folder, beside the tasks.
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/log/logger.js';
import { ManifestStore } from '../../../src/standalone/manifest-store.js';
import { FakeClock } from '../../support/fake-clock.js';

const calendar = (name: string, dates: string[], namespace?: string) =>
  [
    'apiVersion: ecs-scheduler.dev/v1alpha1',
    'kind: EcsScheduleCalendar',
    'metadata:',
    `  name: ${name}`,
    ...(namespace ? [`  namespace: ${namespace}`] : []),
    'spec:',
    `  dates: [${dates.map((d) => JSON.stringify(d)).join(', ')}]`,
  ].join('\n');

const task = [
  'apiVersion: ecs-scheduler.dev/v1alpha1',
  'kind: EcsScheduledTask',
  'metadata: {name: report}',
  'spec:',
  '  schedule: "0 * * * *"',
  '  excludeCalendars: [holidays]',
  '  task: {taskDefinition: report}',
].join('\n');

describe('ManifestStore: calendars', () => {
  let dir: string;
  let store: ManifestStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-scheduler-calendars-'));
    await mkdir(join(dir, 'manifests'));
    store = new ManifestStore({
      dir: join(dir, 'manifests'),
      stateFile: join(dir, 'state.json'),
      logger: silentLogger,
      clock: new FakeClock('2026-03-01T00:00:00Z'),
      watch: false,
      pollIntervalMs: 0,
    });
  });
  afterEach(async () => {
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads calendars from a file holding a task and its calendar, and reports edits and removals', async () => {
    const file = join(dir, 'manifests', 'report.yaml');
    await writeFile(file, `${task}\n---\n${calendar('holidays', ['--12-25'])}\n`);
    const changes: string[] = [];
    store.calendars.onChange((namespace, name) => changes.push(`${namespace}/${name}`));
    await store.start();
    expect(store.keys()).to.deep.equal(['default/report']);
    expect(store.calendars.get('default', 'holidays')?.spec.dates).to.deep.equal(['--12-25']);
    expect(changes).to.deep.equal(['default/holidays']);

    await writeFile(file, `${task}\n---\n${calendar('holidays', ['--12-25', '--12-26'])}\n`);
    await store.rescan();
    expect(store.calendars.get('default', 'holidays')?.spec.dates).to.deep.equal(['--12-25', '--12-26']);
    expect(changes).to.deep.equal(['default/holidays', 'default/holidays']);

    // Unchanged content: no change reported.
    await store.rescan();
    expect(changes).to.have.length(2);

    await writeFile(file, `${task}\n`);
    await store.rescan();
    expect(store.calendars.get('default', 'holidays')).to.equal(undefined);
    expect(changes).to.have.length(3);
  });

  it('keeps calendars of one name apart by namespace', async () => {
    await writeFile(
      join(dir, 'manifests', 'calendars.yaml'),
      `${calendar('holidays', ['--01-01'], 'a')}\n---\n${calendar('holidays', ['--05-01'], 'b')}\n`,
    );
    await store.start();
    expect(store.calendars.get('a', 'holidays')?.spec.dates).to.deep.equal(['--01-01']);
    expect(store.calendars.get('b', 'holidays')?.spec.dates).to.deep.equal(['--05-01']);
    expect(store.calendars.get('default', 'holidays')).to.equal(undefined);
  });
});
