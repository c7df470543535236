import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { validateCalendar } from '../../../src/api/calendar-validation.js';
import { calendarCrdYaml } from '../../../src/api/crd-yaml.js';
import { buildCalendarCrd } from '../../../src/api/crd.js';

const calendar = (spec: Record<string, unknown>) => ({
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduleCalendar',
  metadata: { name: 'holidays', namespace: 'data' },
  spec,
});
const paths = (spec: Record<string, unknown>) => validateCalendar(calendar(spec)).map((i) => i.path);

describe('EcsScheduleCalendar validation (offline twin of the CRD)', () => {
  it('accepts every kind of rule', () => {
    expect(
      validateCalendar(
        calendar({
          timeZone: 'Europe/Berlin',
          dates: ['2026-12-24', '--12-25', '--02-29'],
          ranges: [{ start: '2026-12-20T00:00:00+01:00', end: '2027-01-04T00:00:00+01:00' }],
          daysOfWeek: ['SAT', 'SUN'],
          dailyRanges: [{ start: '22:00', end: '06:00' }],
          expressions: ['* * 1 * *', 'cron(0 12 ? * MON *)'],
        }),
      ),
    ).to.deep.equal([]);
  });

  it('names the field of each problem', () => {
    expect(paths({ dates: ['2026-13-01'] })).to.deep.equal(['spec.dates[0]']);
    expect(paths({ dates: ['2027-02-29'] })).to.deep.equal(['spec.dates[0]']);
    expect(paths({ ranges: [{ start: '2026-12-20T00:00:00Z', end: '2026-12-19T00:00:00Z' }] })).to.deep.equal(
      ['spec.ranges[0].end'],
    );
    expect(paths({ dailyRanges: [{ start: '25:00', end: '06:00' }] })).to.deep.equal([
      'spec.dailyRanges[0].start',
    ]);
    expect(paths({ dailyRanges: [{ start: '06:00', end: '06:00' }] })).to.deep.equal([
      'spec.dailyRanges[0].end',
    ]);
    expect(paths({ timeZone: 'Mars/Olympus' })).to.deep.equal(['spec.timeZone']);
    expect(paths({ expressions: ['0 25 * * *'] })).to.deep.equal(['spec.expressions[0]']);
    expect(paths({ daysOfWeek: ['FUNDAY'] })).to.deep.equal(['spec.daysOfWeek[0]']);
  });

  it('the CRD is namespaced, has a short name, and carries the CEL rules', () => {
    const crd = buildCalendarCrd() as { spec: { scope: string; names: Record<string, unknown> } };
    expect(crd.spec.scope).to.equal('Namespaced');
    expect(crd.spec.names).to.include({ plural: 'ecsschedulecalendars', kind: 'EcsScheduleCalendar' });
    expect(crd.spec.names.shortNames).to.deep.equal(['escal']);
    expect(calendarCrdYaml()).to.contain('end must be after start');
  });

  it('matches crds/ecsschedulecalendars.yaml and the kustomize copy (npm run crd:generate)', async () => {
    expect(await readFile('crds/ecsschedulecalendars.yaml', 'utf8')).to.equal(calendarCrdYaml());
    expect(await readFile('manifests/crd/ecsschedulecalendars.yaml', 'utf8')).to.equal(calendarCrdYaml());
  });
});
