// Standalone mode with a calendar: the built CLI (`run --manifests DIR --dry-run`) reads the
// EcsScheduleCalendar from the manifests folder, beside the task. While it excludes today, the
// every-second task launches nothing; an edit of the calendar's file lifts it while running.
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportedRuns, runStandalone } from './support/standalone-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

const task = JSON.stringify({
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduledTask',
  metadata: { name: 'every-second', namespace: 'default' },
  spec: {
    schedule: '* * * * * *',
    excludeCalendars: ['holidays'],
    task: { cluster: 'default', taskDefinition: 'sleeper-task', launchType: 'EC2' },
  },
});
const calendar = (dates: string[]) =>
  JSON.stringify({
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduleCalendar',
    metadata: { name: 'holidays', namespace: 'default' },
    spec: { dates },
  });

describe('standalone mode with a calendar in the manifests folder', function () {
  this.timeout(90_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'standalone-calendars-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('launches nothing on an excluded day, and launches once the calendar file no longer excludes it', async () => {
    const manifests = join(dir, 'manifests');
    mkdirSync(manifests);
    writeFileSync(join(manifests, 'task.yaml'), task);
    writeFileSync(join(manifests, 'holidays.yaml'), calendar([day(0), day(1)]));
    const run = runStandalone(manifests, join(dir, 'state.json'));
    try {
      await run.waitFor((l) => l.msg === 'running', 20_000, '"running"');
      await sleep(4_000);
      expect(reportedRuns(run.lines), run.output()).to.deep.equal([]);

      const liftedAt = Date.now();
      writeFileSync(join(manifests, 'holidays.yaml'), calendar(['2000-01-01']));
      const first = await run.waitFor(
        (l) => l.reason === 'DryRun' && l.resource === 'default/every-second',
        20_000,
        'a DryRun run after the calendar edit',
      );
      // Nothing from the excluded seconds before the edit was launched late, or recorded Missed.
      expect(Date.parse(String(first.scheduledTime))).to.be.at.least(liftedAt - 1_000);
      expect(run.lines.filter((l) => l.reason === 'MissedSchedule')).to.deep.equal([]);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
