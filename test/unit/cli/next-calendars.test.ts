// `next` and `validate` with EcsScheduleCalendars: one file holding a task and its calendar, or
// one -f each.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextCommand } from '../../../src/cli/next-command.js';
import { validateCommand } from '../../../src/cli/validate-command.js';
import { recordingIo } from '../../support/recording-io.js';

const task = `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: nightly-report, namespace: data}
spec:
  schedule: "0 2 * * *"
  timeZone: Europe/Berlin
  excludeCalendars: [company-holidays]
  task: {taskDefinition: report}
`;
const holidays = (dates: string) => `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduleCalendar
metadata: {name: company-holidays, namespace: data}
spec:
  timeZone: Europe/Berlin
  dates: ${dates}
  daysOfWeek: [SAT, SUN]
`;
const from = ['--from', '2026-12-22T00:00:00Z'];

describe('next and validate with calendars', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'next-calendars-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('next -f task.yaml -f holidays.yaml prints the times that run and marks the excluded ones', async () => {
    await writeFile(join(dir, 'task.yaml'), task);
    await writeFile(join(dir, 'holidays.yaml'), holidays('["2026-12-24", "--12-25"]'));
    const io = recordingIo(new Date('2026-12-01T00:00:00Z'));
    const code = await nextCommand(
      ['-f', join(dir, 'task.yaml'), '-f', join(dir, 'holidays.yaml'), ...from, '-n', '3'],
      io,
    );
    expect(code, io.err).to.equal(0);
    expect(io.out.trim().split('\n')).to.deep.equal([
      'data/nightly-report\t2026-12-22T01:00:00Z',
      'data/nightly-report\t2026-12-23T01:00:00Z',
      'data/nightly-report\t2026-12-24T01:00:00Z\texcluded by data/company-holidays',
      'data/nightly-report\t2026-12-25T01:00:00Z\texcluded by data/company-holidays',
      'data/nightly-report\t2026-12-26T01:00:00Z\texcluded by data/company-holidays', // Saturday
      'data/nightly-report\t2026-12-27T01:00:00Z\texcluded, as is every time until 2026-12-28T01:00:00Z',
      'data/nightly-report\t2026-12-28T01:00:00Z',
    ]);
  });

  it('one file holding both documents works the same', async () => {
    await writeFile(join(dir, 'both.yaml'), `${task}---\n${holidays('["2026-12-24"]')}`);
    const io = recordingIo(new Date('2026-12-01T00:00:00Z'));
    expect(await nextCommand(['-f', join(dir, 'both.yaml'), ...from, '-n', '3'], io), io.err).to.equal(0);
    expect(io.out).to.contain('2026-12-24T01:00:00Z\texcluded by data/company-holidays');
    expect(
      io.out
        .trim()
        .split('\n')
        .filter((l) => !l.includes('excluded')),
    ).to.have.length(3);
  });

  it('a task naming a calendar in none of the files is an error, as the controller would not run it', async () => {
    await writeFile(join(dir, 'task.yaml'), task);
    const io = recordingIo(new Date('2026-12-01T00:00:00Z'));
    expect(await nextCommand(['-f', join(dir, 'task.yaml'), ...from], io)).to.equal(1);
    expect(io.err).to.contain('EcsScheduleCalendar data/company-holidays is in none of the files');
  });

  it('validate checks calendars, naming the field, and notes a calendar no file holds', async () => {
    await writeFile(join(dir, 'holidays.yaml'), holidays('["2027-02-29"]'));
    let io = recordingIo(new Date('2026-12-01T00:00:00Z'));
    expect(await validateCommand([join(dir, 'holidays.yaml')], io)).to.equal(1);
    expect(io.err).to.match(/holidays\.yaml:6:\d+: spec\.dates\[0\]: /);
    expect(io.err).to.contain(
      '0 EcsScheduledTask and 0 EcsSchedulerPolicy document(s) checked, 1 EcsScheduleCalendar document(s) checked',
    );

    await writeFile(join(dir, 'task.yaml'), task);
    io = recordingIo(new Date('2026-12-01T00:00:00Z'));
    expect(await validateCommand([join(dir, 'task.yaml')], io)).to.equal(0);
    expect(io.err).to.contain(
      'spec.excludeCalendars: note: EcsScheduleCalendar data/company-holidays is in none of the files',
    );
  });
});
