import { expect } from 'chai';
import { validateResource } from '../../../src/api/validation.js';

const valid = () => ({
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduledTask',
  metadata: { name: 'nightly', namespace: 'data' },
  spec: { schedule: '0 2 * * *', task: { taskDefinition: 'sleeper-task' } } as Record<string, unknown>,
});

const withSpec = (patch: Record<string, unknown>) => {
  const r = valid();
  r.spec = { ...r.spec, ...patch };
  return r;
};

describe('validateResource', () => {
  it('accepts a minimal resource', () => {
    expect(validateResource(valid())).to.deep.equal([]);
  });

  it('accepts schedules in place of schedule, with maxRuns', () => {
    const r = withSpec({
      schedule: undefined,
      schedules: ['0 8 * * 1-5', 'cron(0 10 ? * SAT *)'],
      maxRuns: 5,
    });
    expect(validateResource(JSON.parse(JSON.stringify(r)))).to.deep.equal([]);
  });

  const cases: { name: string; resource: unknown; path: string; message: RegExp }[] = [
    {
      name: 'a missing taskDefinition',
      resource: withSpec({ task: {} }),
      path: 'spec.task.taskDefinition',
      message: /required/,
    },
    {
      name: 'taskCount below 1',
      resource: withSpec({ taskCount: 0 }),
      path: 'spec.taskCount',
      message: />= 1/,
    },
    {
      name: 'an unknown concurrency policy',
      resource: withSpec({ concurrencyPolicy: 'Sometimes' }),
      path: 'spec.concurrencyPolicy',
      message: /"Allow", "Forbid", "Replace", "TopUp"/,
    },
    {
      name: 'a misspelt field',
      resource: withSpec({ taskcount: 2 }),
      path: 'spec.taskcount',
      message: /unknown field/,
    },
    {
      // Quoted, so a hostile key cannot split `file:line:col: field: problem` or pose as a path.
      name: 'an unknown field whose name holds a newline and path syntax',
      resource: withSpec({ 'a\nb: c.d': 1 }),
      path: 'spec["a\\nb: c.d"]',
      message: /unknown field/,
    },
    {
      name: 'maxCount below taskCount',
      resource: withSpec({ taskCount: 5, maxCount: 2 }),
      path: 'spec',
      message: /maxCount must be greater than or equal to taskCount/,
    },
    {
      name: 'an end before the start',
      resource: withSpec({ startTime: '2027-01-01T00:00:00Z', endTime: '2026-01-01T00:00:00Z' }),
      path: 'spec',
      message: /endTime must be after startTime/,
    },
    {
      name: 'launchType with capacityProviderStrategy',
      resource: withSpec({
        task: {
          taskDefinition: 't',
          launchType: 'FARGATE',
          capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }],
        },
      }),
      path: 'spec.task',
      message: /mutually exclusive/,
    },
    {
      name: 'both queueName and queueUrl',
      resource: withSpec({ trigger: { sqs: { queueName: 'q', queueUrl: 'http://q', messagesPerTask: 1 } } }),
      path: 'spec.trigger.sqs',
      message: /exactly one of queueName and queueUrl/,
    },
    {
      name: 'an invalid schedule',
      resource: withSpec({ schedule: '0 25 * * *' }),
      path: 'spec.schedule',
      message: /hour/,
    },
    {
      name: 'both schedule and schedules',
      resource: withSpec({ schedules: ['0 3 * * *'] }),
      path: 'spec.schedules',
      message: /exactly one of schedule and schedules/,
    },
    {
      name: 'neither schedule nor schedules',
      resource: withSpec({ schedule: undefined }),
      path: 'spec.schedules',
      message: /exactly one of schedule and schedules/,
    },
    {
      name: 'an empty schedules list',
      resource: withSpec({ schedule: undefined, schedules: [] }),
      path: 'spec.schedules',
      message: /fewer than 1/,
    },
    {
      name: 'more than 20 schedules',
      resource: withSpec({ schedule: undefined, schedules: Array.from({ length: 21 }, () => '@daily') }),
      path: 'spec.schedules',
      message: /more than 20/,
    },
    {
      name: 'an invalid expression in schedules, by its index',
      resource: withSpec({ schedule: undefined, schedules: ['0 2 * * *', 'rate(0 minutes)'] }),
      path: 'spec.schedules[1]',
      message: /rate value/,
    },
    {
      name: 'maxRuns below 1',
      resource: withSpec({ maxRuns: 0 }),
      path: 'spec.maxRuns',
      message: />= 1/,
    },
    {
      name: 'an unknown time zone',
      resource: withSpec({ timeZone: 'Mars/Olympus' }),
      path: 'spec.timeZone',
      message: /Mars\/Olympus/,
    },
    {
      name: 'a malformed startTime',
      resource: withSpec({ startTime: 'tomorrow' }),
      path: 'spec.startTime',
      message: /date-time/,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}, naming the field`, () => {
      const issues = validateResource(c.resource);
      const hit = issues.find((i) => i.path === c.path);
      expect(hit, JSON.stringify(issues)).to.not.equal(undefined);
      expect(hit!.message).to.match(c.message);
    });
  }
});
