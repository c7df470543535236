import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import {
  convertJob,
  convertJobs,
  IMPORTED_FROM_ANNOTATION,
  parseOldDateTime,
  toResourceName,
  UNSCALED_MESSAGES_PER_TASK,
  type JobConversion,
} from '../../../src/migrate/job-conversion.js';

const options = { namespace: 'default' };

function converted(result: JobConversion): { resource: EcsScheduledTaskResource; notes: readonly string[] } {
  if (!result.ok) expect.fail(`not converted: ${result.reasons.join('; ')}`);
  return result;
}

function refused(result: JobConversion): readonly string[] {
  if (result.ok) expect.fail('converted, expected a refusal');
  return result.reasons;
}

describe('convertJob', () => {
  it('maps every field of a full job', () => {
    const { resource, notes } = converted(
      convertJob(
        {
          id: 'nightly-report',
          taskDefinition: 'report-task',
          schedule: '0 30 2 mon-fri',
          scheduleStart: '2026-05-01T00:00:00+02:00',
          scheduleEnd: '2026-12-31T23:59:59+00:00',
          timezone: 'Europe/Berlin',
          taskCount: 2,
          maxCount: 4,
          suspended: true,
          overrides: [{ containerName: 'app', environment: { MODE: 'daily', SLEEP_SECONDS: '10' } }],
          trigger: { type: 'sqs', queueName: 'report-queue', messagesPerTask: 100 },
          // Read-only fields the old API reported are ignored.
          link: { href: '/jobs/nightly-report', rel: 'item', title: 'Job for nightly-report' },
          lastRun: '2026-04-30T00:30:00+00:00',
          lastRunTasks: [{ taskId: 'arn:task', hostId: 'arn:host' }],
          estimatedNextRun: '2026-05-01T00:30:00+00:00',
        },
        { namespace: 'data', cluster: 'prod' },
      ),
    );
    expect(resource).to.deep.equal({
      apiVersion: 'ecs-scheduler.dev/v1alpha1',
      kind: 'EcsScheduledTask',
      metadata: {
        name: 'nightly-report',
        namespace: 'data',
        annotations: { [IMPORTED_FROM_ANNOTATION]: 'nightly-report' },
      },
      spec: {
        schedule: '0 30 2 * * 1-5',
        timeZone: 'Europe/Berlin',
        startTime: '2026-04-30T22:00:00Z',
        endTime: '2027-01-01T00:00:00Z',
        suspend: true,
        concurrencyPolicy: 'TopUp',
        startingDeadlineSeconds: 3600,
        taskCount: 2,
        maxCount: 4,
        trigger: { sqs: { queueName: 'report-queue', messagesPerTask: 100 } },
        task: {
          cluster: 'prod',
          taskDefinition: 'report-task',
          overrides: {
            containerOverrides: [
              {
                name: 'app',
                environment: [
                  { name: 'MODE', value: 'daily' },
                  { name: 'SLEEP_SECONDS', value: '10' },
                ],
              },
            ],
          },
        },
      },
    });
    expect(notes).to.include(
      'scheduleEnd: endTime is one second after the last whole second of the old (inclusive) end',
    );
  });

  describe('the usage guide jobs', () => {
    const cases: {
      name: string;
      job: Record<string, unknown>;
      check: (r: EcsScheduledTaskResource) => void;
    }[] = [
      {
        name: 'sleeper-task: minimal, "? */5"',
        job: { taskDefinition: 'sleeper-task', schedule: '? */5' },
        check: (r) => {
          expect(r.metadata.name).to.equal('sleeper-task');
          expect(r.spec.schedule).to.equal('? */5 * * * *');
          expect(r.spec.task).to.deep.equal({ taskDefinition: 'sleeper-task' });
          expect(r.spec.concurrencyPolicy).to.equal('TopUp');
        },
      },
      {
        name: 'long-sleep-task: own id, SLEEP_SECONDS=10',
        job: {
          taskDefinition: 'sleeper-task',
          id: 'long-sleep-task',
          schedule: '? */7',
          overrides: [{ containerName: 'drmonkeysee-task', environment: { SLEEP_SECONDS: '10' } }],
        },
        check: (r) => {
          expect(r.metadata.name).to.equal('long-sleep-task');
          expect(r.spec.task.taskDefinition).to.equal('sleeper-task');
          expect(r.spec.task.overrides).to.deep.equal({
            containerOverrides: [
              { name: 'drmonkeysee-task', environment: [{ name: 'SLEEP_SECONDS', value: '10' }] },
            ],
          });
        },
      },
      {
        name: 'consumer-task: SQS trigger, 100 messages per task, maxCount 10',
        job: {
          taskDefinition: 'consumer-task',
          schedule: '? */3',
          maxCount: 10,
          trigger: { type: 'sqs', queueName: 'consumer-task-queue', messagesPerTask: 100 },
        },
        check: (r) => {
          expect(r.spec.trigger).to.deep.equal({
            sqs: { queueName: 'consumer-task-queue', messagesPerTask: 100 },
          });
          expect(r.spec.maxCount).to.equal(10);
        },
      },
    ];
    for (const c of cases) it(c.name, () => c.check(converted(convertJob(c.job, options)).resource));
  });

  describe('adjustments that keep the old behaviour, with a note', () => {
    const cases: {
      name: string;
      job: Record<string, unknown>;
      check: (r: EcsScheduledTaskResource) => void;
      note: RegExp;
    }[] = [
      {
        name: 'an id that is not a Kubernetes name',
        job: { id: 'Nightly_Report', taskDefinition: 'report', schedule: '0 0 0' },
        check: (r) => {
          expect(r.metadata.name).to.equal('nightly-report');
          expect(r.metadata.annotations).to.deep.equal({ [IMPORTED_FROM_ANNOTATION]: 'Nightly_Report' });
        },
        note: /metadata.name is "nightly-report": the id "Nightly_Report" is not a valid Kubernetes name/,
      },
      {
        name: 'a datetime without an offset is UTC',
        job: {
          taskDefinition: 'report',
          schedule: '0 0 0',
          scheduleStart: '2026-05-01T06:00:00',
          timezone: 'Asia/Tokyo',
        },
        check: (r) => expect(r.spec.startTime).to.equal('2026-05-01T06:00:00Z'),
        note: /scheduleStart: "2026-05-01T06:00:00" has no UTC offset and is read as UTC/,
      },
      {
        name: 'the inclusive end with a fraction',
        job: { taskDefinition: 'report', schedule: '0 0 0', scheduleEnd: '2026-05-01T06:00:00.500Z' },
        check: (r) => expect(r.spec.endTime).to.equal('2026-05-01T06:00:01Z'),
        note: /endTime is one second after/,
      },
      {
        name: 'maxCount below taskCount: the old service launched maxCount',
        job: { taskDefinition: 'report', schedule: '0 0 0', taskCount: 5, maxCount: 3 },
        check: (r) => expect([r.spec.taskCount, r.spec.maxCount]).to.deep.equal([3, 3]),
        note: /taskCount 5 is above maxCount 3; the old service launched 3/,
      },
      {
        name: 'an sqs trigger without messagesPerTask',
        job: { taskDefinition: 'consumer', schedule: '0 */3', trigger: { type: 'sqs', queueName: 'q' } },
        check: (r) => expect(r.spec.trigger?.sqs?.messagesPerTask).to.equal(UNSCALED_MESSAGES_PER_TASK),
        note: /no messagesPerTask/,
      },
      {
        name: 'a trigger type the old service did not know ran as no trigger',
        job: { taskDefinition: 'consumer', schedule: '0 */3', trigger: { type: 'sns' } },
        check: (r) => expect(r.spec.trigger).to.equal(undefined),
        note: /type "sns" was not a trigger the old service knew/,
      },
      {
        name: 'an override without environment',
        job: { taskDefinition: 'report', schedule: '0 0 0', overrides: [{ containerName: 'app' }] },
        check: (r) => expect(r.spec.task.overrides).to.deep.equal({ containerOverrides: [{ name: 'app' }] }),
        note: /overrides\[0\]: has no environment; the old service failed every run/,
      },
      {
        name: 'the schedule translation notes',
        job: { taskDefinition: 'report', schedule: '0 0 0 * * last_fri' },
        check: (r) => expect(r.spec.schedule).to.equal('0 0 0 * * 5L'),
        note: /^schedule: day "last_fri" became day-of-week "5L"/,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const { resource, notes } = converted(convertJob(c.job, options));
        c.check(resource);
        expect(
          notes.some((n) => c.note.test(n)),
          notes.join('\n'),
        ).to.equal(true);
      });
    }
  });

  describe('refusals name the field and the reason', () => {
    const cases: { name: string; job: unknown; reason: RegExp }[] = [
      { name: 'not an object', job: ['x'], reason: /is not a JSON object/ },
      {
        name: 'unknown field',
        job: { taskDefinition: 't', schedule: '0', retries: 3 },
        reason: /^unknown field "retries"$/,
      },
      {
        name: 'unknown trigger field',
        job: {
          taskDefinition: 't',
          schedule: '0',
          trigger: { type: 'sqs', queueName: 'q', region: 'eu-west-1' },
        },
        reason: /^trigger: unknown field "region"$/,
      },
      {
        name: 'unknown override field',
        job: { taskDefinition: 't', schedule: '0', overrides: [{ containerName: 'c', command: ['x'] }] },
        reason: /^overrides\[0\]: unknown field "command"$/,
      },
      {
        name: 'missing taskDefinition',
        job: { id: 'x', schedule: '0' },
        reason: /^taskDefinition: missing$/,
      },
      { name: 'missing schedule', job: { taskDefinition: 't' }, reason: /^schedule: missing$/ },
      {
        name: 'week in the schedule',
        job: { taskDefinition: 't', schedule: '0 0 0 * 10' },
        reason: /^schedule: "0 0 0 \* 10" week "10" \(ISO week number\) has no cron field/,
      },
      {
        name: 'bad taskCount',
        job: { taskDefinition: 't', schedule: '0', taskCount: 0 },
        reason: /^taskCount: must be a whole number/,
      },
      {
        name: 'bad suspended',
        job: { taskDefinition: 't', schedule: '0', suspended: 'yes' },
        reason: /^suspended: must be true or false$/,
      },
      {
        name: 'bad datetime',
        job: { taskDefinition: 't', schedule: '0', scheduleStart: 'tomorrow' },
        reason: /^scheduleStart: "tomorrow" is not an ISO 8601/,
      },
      {
        name: 'a non-string environment value',
        job: {
          taskDefinition: 't',
          schedule: '0',
          overrides: [{ containerName: 'c', environment: { N: 10 } }],
        },
        reason: /^overrides\[0\].environment.N: must be a string$/,
      },
      {
        name: 'an sqs trigger without a queue',
        job: { taskDefinition: 't', schedule: '0', trigger: { type: 'sqs', messagesPerTask: 5 } },
        reason: /^trigger.queueName: an sqs trigger needs a queue name$/,
      },
      {
        name: 'an unknown time zone (from validation)',
        job: { taskDefinition: 't', schedule: '0', timezone: 'Mars/Olympus' },
        reason: /^spec.timeZone: /,
      },
      {
        name: 'end before start (from validation)',
        job: {
          taskDefinition: 't',
          schedule: '0',
          scheduleStart: '2026-02-01T00:00:00Z',
          scheduleEnd: '2026-01-01T00:00:00Z',
        },
        reason: /^spec: endTime must be after startTime$/,
      },
      {
        name: 'an id without usable characters',
        job: { id: '___', taskDefinition: 't', schedule: '0' },
        reason: /has no character usable/,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const reasons = refused(convertJob(c.job, options));
        expect(
          reasons.some((r) => c.reason.test(r)),
          reasons.join('\n'),
        ).to.equal(true);
      });
    }

    it('lists every problem of a job, not just the first', () => {
      const reasons = refused(convertJob({ schedule: '0 0 0 * 10', colour: 'red' }, options));
      expect(reasons).to.have.length(3);
    });
  });

  it('keeps the job id for messages even when the job is refused', () => {
    const result = convertJob({ id: 'foo', taskDefinition: 't', schedule: '0 0 0 * 10' }, options);
    expect(result.jobId).to.equal('foo');
  });
});

describe('convertJobs', () => {
  it('refuses the later of two jobs that would share a name', () => {
    const results = convertJobs(
      [
        { id: 'report_job', taskDefinition: 't', schedule: '0' },
        { id: 'report-job', taskDefinition: 't', schedule: '0' },
      ],
      options,
    );
    expect(results[0]?.ok).to.equal(true);
    expect(refused(results[1] as JobConversion)).to.deep.equal([
      'metadata.name "report-job" is already taken by job "report_job"',
    ]);
  });
});

describe('toResourceName', () => {
  const cases: [string, string | undefined][] = [
    ['sleeper-task', 'sleeper-task'],
    ['Nightly_Report', 'nightly-report'],
    ['_leading', 'leading'],
    ['trailing-_', 'trailing'],
    ['__', undefined],
  ];
  for (const [id, name] of cases)
    it(`${id} -> ${String(name)}`, () => expect(toResourceName(id)).to.equal(name));
});

describe('parseOldDateTime', () => {
  const cases: { name: string; text: string; iso?: string; naive?: boolean }[] = [
    {
      name: 'as the old API reports it',
      text: '2017-04-03T01:49:22+00:00',
      iso: '2017-04-03T01:49:22.000Z',
      naive: false,
    },
    { name: 'Z', text: '2017-04-03T01:49:22Z', iso: '2017-04-03T01:49:22.000Z', naive: false },
    {
      name: 'negative offset without colon',
      text: '2017-04-03T01:49:22-0530',
      iso: '2017-04-03T07:19:22.000Z',
      naive: false,
    },
    { name: 'no offset', text: '2017-04-03T01:49', iso: '2017-04-03T01:49:00.000Z', naive: true },
    { name: 'date only', text: '2017-04-03', iso: '2017-04-03T00:00:00.000Z', naive: true },
    {
      name: 'space separator and microseconds',
      text: '2017-04-03 01:49:22.123456',
      iso: '2017-04-03T01:49:22.123Z',
      naive: true,
    },
    { name: 'February 30th', text: '2017-02-30T00:00:00Z' },
    { name: 'hour 24', text: '2017-02-03T24:00:00Z' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const parsed = parseOldDateTime(c.text);
      if (c.iso === undefined) {
        expect(parsed).to.have.property('error');
        return;
      }
      if ('error' in parsed) expect.fail(parsed.error);
      expect(new Date(parsed.epochMs).toISOString()).to.equal(c.iso);
      expect(parsed.naive).to.equal(c.naive);
    });
  }
});
