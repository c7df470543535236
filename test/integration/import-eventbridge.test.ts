// `ecs-scheduler import --from eventbridge-scheduler / eventbridge-rules` against moto's Scheduler
// and EventBridge APIs: 20 varied schedules and 10 rules are created there, the command reads
// them through the SDK (AWS_ENDPOINT_URL points it at moto), and each resource's next 20 fire
// times from `ecs-scheduler next` are compared with an independent reading of EventBridge's
// expression semantics written below (it walks wall-clock days with Intl, shares nothing with
// src/schedule, and skips wall times a spring-forward gap removes, as EventBridge Scheduler does).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteRuleCommand,
  RemoveTargetsCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  type Target as RuleTarget,
} from '@aws-sdk/client-eventbridge';
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  SchedulerClient,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import type { EcsSchedulerPolicyResource } from '../../src/api/policy-types.js';
import { validatePolicy } from '../../src/api/policy-validation.js';
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { validateResource } from '../../src/api/validation.js';
import { importCommand } from '../../src/cli/import-command.js';
import { nextCommand } from '../../src/cli/next-command.js';
import { expectPoliciesAllowExactly } from '../support/imported-policy-check.js';
import { recordingIo } from '../support/recording-io.js';
import { kubectlOk, loadTestEnv } from './support/index.js';

// ---------------------------------------------------------------------------------------------
// The reference: EventBridge's cron(), rate() and at(), as its documentation describes them.

const MIN = 60_000;
const DAY_MS = 86_400_000;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The wall clock of `instant` in `zone`, as "local as UTC" milliseconds. */
function wallOf(instant: number, zone: string): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
  return Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!);
}
/** Instants showing wall time `wall`: none in a gap, the earlier in an overlap (EventBridge runs once). */
function instantOf(wall: number, zone: string): number | null {
  const candidates = [wall - 14 * 3_600_000, wall + 14 * 3_600_000]
    .map((probe) => wall - (wallOf(probe, zone) - probe))
    .filter((c) => wallOf(c, zone) === wall)
    .sort((a, b) => a - b);
  return candidates[0] ?? null;
}

function values(field: string, min: number, max: number, names: string[] = [], base = 0): Set<number> {
  const out = new Set<number>();
  const num = (t: string) =>
    names.includes(t.toUpperCase()) ? names.indexOf(t.toUpperCase()) + base : Number(t);
  for (const item of field.split(',')) {
    const [range, stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range!.includes('-')) [lo, hi] = range!.split('-').map(num) as [number, number];
    else [lo, hi] = [num(range!), stepText === undefined ? num(range!) : max];
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function dayMatches(dom: string, dow: string, y: number, m: number, d: number): boolean {
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 = Sunday
  if (dom !== '?') {
    if (dom === 'L') return d === last;
    const w = /^(\d+)W$/.exec(dom);
    if (w) {
      // The weekday nearest day N, within the month.
      const n = Math.min(Number(w[1]), last);
      const nd = new Date(Date.UTC(y, m - 1, n)).getUTCDay();
      let target = n;
      if (nd === 6) target = n === 1 ? 3 : n - 1;
      else if (nd === 0) target = n === last ? n - 2 : n + 1;
      return d === target;
    }
    return values(dom, 1, 31).has(d);
  }
  // Day-of-week: 1 = SUN .. 7 = SAT.
  const ebDay = weekday + 1;
  if (dow === 'L') return ebDay === 7;
  const lastOf = /^(\w+)L$/.exec(dow);
  if (lastOf) return values(lastOf[1]!, 1, 7, DAYS, 1).has(ebDay) && d + 7 > last;
  const nth = /^(\w+)#(\d)$/.exec(dow);
  if (nth) return values(nth[1]!, 1, 7, DAYS, 1).has(ebDay) && Math.ceil(d / 7) === Number(nth[2]);
  return values(dow, 1, 7, DAYS, 1).has(ebDay);
}

interface Window {
  readonly zone: string;
  readonly start?: number;
  readonly end?: number;
  /** When a rate() counts from. */
  readonly anchor?: number;
}

function referenceFires(expression: string, w: Window, after: number, count: number): number[] {
  const inWindow = (t: number) =>
    t > after && (w.start === undefined || t >= w.start) && (w.end === undefined || t < w.end);
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) {
    const period = Number(rate[1]) * { minute: MIN, hour: 60 * MIN, day: DAY_MS }[rate[2] as 'minute'];
    const anchor = w.anchor!;
    const out: number[] = [];
    for (let k = Math.max(0, Math.floor((after - anchor) / period)); out.length < count; k++) {
      const t = anchor + k * period;
      if (w.end !== undefined && t >= w.end) break;
      if (inWindow(t)) out.push(t);
    }
    return out;
  }
  const at = /^at\((\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\)$/.exec(expression);
  if (at) {
    const [y, mo, d, h, mi] = at.slice(1, 6).map(Number) as [number, number, number, number, number];
    const t = instantOf(Date.UTC(y, mo - 1, d, h, mi), w.zone);
    return t !== null && inWindow(t) ? [t] : [];
  }
  const [minF, hourF, domF, monF, dowF, yearF] = /^cron\((.*)\)$/.exec(expression)![1]!.split(' ') as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const minutes = [...values(minF, 0, 59)].sort((a, b) => a - b);
  const hours = [...values(hourF, 0, 23)].sort((a, b) => a - b);
  const months = values(monF, 1, 12, MONTHS, 1);
  const years = values(yearF, 1970, 2199);
  const out: number[] = [];
  const firstDay = Math.floor(wallOf(after, w.zone) / DAY_MS) * DAY_MS - DAY_MS;
  for (let day = firstDay; out.length < count && day < firstDay + 30 * 366 * DAY_MS; day += DAY_MS) {
    const date = new Date(day);
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (!years.has(y) || !months.has(m) || !dayMatches(domF, dowF, y, m, d)) continue;
    for (const h of hours) {
      for (const mi of minutes) {
        const t = instantOf(day + h * 3_600_000 + mi * MIN, w.zone);
        if (t !== null && inWindow(t) && out.length < count && !out.includes(t)) out.push(t);
      }
    }
    if (w.end !== undefined && day > w.end + DAY_MS) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

const ACCOUNT = '123456789012';

function documents(yaml: string): unknown[] {
  return parseAllDocuments(yaml).map((d) => d.toJS() as unknown);
}

async function nextTimes(resources: EcsScheduledTaskResource[], from: Date): Promise<Map<string, number[]>> {
  const dir = mkdtempSync(join(tmpdir(), 'import-eb-'));
  try {
    const file = join(dir, 'resources.yaml');
    writeFileSync(file, resources.map((r) => JSON.stringify(r)).join('\n---\n'));
    const io = recordingIo(from);
    const code = await nextCommand(['-f', file, '--from', from.toISOString(), '--count', '20'], io);
    expect(code, io.err).to.equal(0);
    const out = new Map<string, number[]>();
    for (const line of io.out.split('\n').filter(Boolean)) {
      const [key, time] = line.split('\t') as [string, string];
      out.set(key, [...(out.get(key) ?? []), Date.parse(time)]);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('import from EventBridge (moto)', function () {
  this.timeout(120_000);
  const env = loadTestEnv();
  const config = {
    endpoint: env.awsEndpoint,
    region: env.region,
    credentials: env.credentials,
    maxAttempts: 1,
  };
  const scheduler = new SchedulerClient(config);
  const events = new EventBridgeClient(config);
  const suffix = randomBytes(3).toString('hex');
  const group = `import-${suffix}`;
  // Scheduled rules live on the default bus only (EventBridge refuses them elsewhere).
  const prefix = `imp-${suffix}-`;
  const ruleNames: string[] = [];
  const clusterArn = `arn:aws:ecs:${env.region}:${ACCOUNT}:cluster/${env.ecsCluster}`;
  const role = `arn:aws:iam::${ACCOUNT}:role/scheduler-ecs`;
  const dlq = `arn:aws:sqs:${env.region}:${ACCOUNT}:import-dlq`;
  // Whole minutes, so the reference and moto's dates agree to the second.
  const now = Math.ceil(Date.now() / MIN) * MIN;

  after(async () => {
    await scheduler.send(new DeleteScheduleGroupCommand({ Name: group })).catch(() => undefined);
    for (const name of ruleNames) {
      await events
        .send(new RemoveTargetsCommand({ Rule: name, Ids: ['task', 'full', 'notify', 't'] }))
        .catch(() => undefined);
      await events.send(new DeleteRuleCommand({ Name: name })).catch(() => undefined);
    }
    scheduler.destroy();
    events.destroy();
  });

  it('converts 20 Scheduler schedules: next 20 fire times equal EventBridge semantics, the rest refused by field', async () => {
    await scheduler.send(new CreateScheduleGroupCommand({ Name: group }));
    const ecs = (extra: Record<string, unknown> = {}) => ({
      Arn: clusterArn,
      RoleArn: role,
      EcsParameters: {
        TaskDefinitionArn: `arn:aws:ecs:${env.region}:${ACCOUNT}:task-definition/sleeper-task:1`,
        ...extra,
      },
    });
    type Case = Omit<CreateScheduleCommandInput, 'GroupName' | 'FlexibleTimeWindow' | 'Target'> & {
      Target?: Record<string, unknown>;
      FlexibleTimeWindow?: CreateScheduleCommandInput['FlexibleTimeWindow'];
    };
    const start = new Date(now + 2 * DAY_MS);
    // Relative to today, so the one-off and the year range stay in the future.
    const oneOffDay = new Date(now + 60 * DAY_MS).toISOString().slice(0, 10);
    const nextYear = new Date(now).getUTCFullYear() + 1;
    const cases: Case[] = [
      { Name: 'quarter-hourly', ScheduleExpression: 'cron(0/15 * * * ? *)' },
      {
        Name: 'ny-weekdays',
        ScheduleExpression: 'cron(30 9 ? * MON-FRI *)',
        ScheduleExpressionTimezone: 'America/New_York',
      },
      { Name: 'last-day', ScheduleExpression: 'cron(0 12 L * ? *)' },
      {
        Name: 'nearest-weekday',
        ScheduleExpression: 'cron(0 8 15W * ? *)',
        ScheduleExpressionTimezone: 'Europe/London',
      },
      { Name: 'third-friday', ScheduleExpression: 'cron(0 10 ? * 6#3 *)' },
      {
        Name: 'last-monday',
        ScheduleExpression: 'cron(45 23 ? * 2L *)',
        ScheduleExpressionTimezone: 'Asia/Tokyo',
      },
      {
        Name: 'sydney-hours',
        ScheduleExpression: 'cron(5 0-6/3 ? * * *)',
        ScheduleExpressionTimezone: 'Australia/Sydney',
      },
      { Name: 'quarterly', ScheduleExpression: 'cron(0 0 1 JAN,APR,JUL,OCT ? *)', State: 'DISABLED' },
      { Name: 'every-five', ScheduleExpression: 'rate(5 minutes)' },
      { Name: 'two-hourly', ScheduleExpression: 'rate(2 hours)', StartDate: start },
      { Name: 'three-daily', ScheduleExpression: 'rate(3 days)', StartDate: start },
      {
        Name: 'one-off',
        ScheduleExpression: `at(${oneOffDay}T09:30:00)`,
        ScheduleExpressionTimezone: 'Europe/Paris',
        ActionAfterCompletion: 'DELETE',
      },
      {
        Name: 'windowed',
        ScheduleExpression: 'cron(10 4 * * ? *)',
        StartDate: start,
        EndDate: new Date(start.getTime() + 10 * DAY_MS),
      },
      {
        Name: 'flexible',
        ScheduleExpression: 'cron(0/20 8-17 ? * MON-FRI *)',
        ScheduleExpressionTimezone: 'Europe/Berlin',
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 },
      },
      {
        Name: 'retry-dlq',
        ScheduleExpression: 'cron(0 3 * * ? *)',
        ScheduleExpressionTimezone: 'America/Chicago',
        Target: {
          ...ecs(),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: dlq },
        },
      },
      {
        Name: 'overrides',
        ScheduleExpression: 'cron(30 6 ? * SUN *)',
        Target: {
          ...ecs({ TaskCount: 3 }),
          Input: JSON.stringify({
            containerOverrides: [
              { name: 'sleeper', command: ['sleep', '1'], environment: [{ name: 'A', value: 'b' }] },
            ],
          }),
        },
      },
      {
        Name: 'network',
        ScheduleExpression: 'cron(0 18 ? * MON,WED,FRI *)',
        Target: ecs({
          LaunchType: 'FARGATE',
          PlatformVersion: 'LATEST',
          NetworkConfiguration: {
            awsvpcConfiguration: {
              Subnets: [env.subnetId],
              SecurityGroups: [env.securityGroupId],
              AssignPublicIp: 'DISABLED',
            },
          },
        }),
      },
      {
        Name: 'capacity-tags',
        ScheduleExpression: `cron(15 1 ? * * ${nextYear}-${nextYear + 2})`,
        Target: ecs({
          CapacityProviderStrategy: [
            { capacityProvider: 'FARGATE_SPOT', weight: 2, base: 0 },
            { capacityProvider: 'FARGATE', weight: 1 },
          ],
          Tags: [{ team: 'data' }],
          PropagateTags: 'TASK_DEFINITION',
          EnableECSManagedTags: true,
        }),
      },
      {
        Name: 'lambda',
        ScheduleExpression: 'rate(1 hour)',
        Target: {
          Arn: `arn:aws:lambda:${env.region}:${ACCOUNT}:function:cleanup`,
          RoleArn: role,
          Input: '{}',
        },
      },
      {
        Name: 'unmappable',
        ScheduleExpression: 'cron(30 2 * * ? *)',
        ScheduleExpressionTimezone: 'Europe/Berlin',
        Target: {
          ...ecs({ ReferenceId: 'ref-1' }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
        },
      },
    ];
    expect(cases).to.have.length(20);
    for (const c of cases) {
      await scheduler.send(
        new CreateScheduleCommand({
          ...c,
          GroupName: group,
          FlexibleTimeWindow: c.FlexibleTimeWindow ?? { Mode: 'OFF' },
          Target: (c.Target ?? ecs()) as CreateScheduleCommandInput['Target'],
        }),
      );
    }

    const io = recordingIo(new Date(now));
    const code = await importCommand(
      ['--from', 'eventbridge-scheduler', '--group', group, '--namespace', 'default'],
      io,
    );
    expect(code, io.err).to.equal(1);
    const docs = documents(io.out);
    const resources = docs.filter(
      (d) => (d as { kind: string }).kind === 'EcsScheduledTask',
    ) as EcsScheduledTaskResource[];
    const policies = docs.filter(
      (d) => (d as { kind: string }).kind === 'EcsSchedulerPolicy',
    ) as EcsSchedulerPolicyResource[];
    expect(resources.map((r) => r.metadata.name).sort()).to.deep.equal(
      cases
        .map((c) => `${group}-${c.Name}`)
        .filter((n) => !n.endsWith('-lambda') && !n.endsWith('-unmappable'))
        .sort(),
    );
    for (const r of resources) expect(validateResource(r), r.metadata.name).to.deep.equal([]);
    // Ready for kubectl apply: the real API server (its CRD schemas and CEL rules) accepts it all.
    await kubectlOk(['apply', '--dry-run=server', '-f', '-'], { input: io.out });
    expect(policies).to.have.length(1);
    expect(validatePolicy(policies[0])).to.deep.equal([]);
    expect(policies[0]!.spec.assumeRoleArn).to.equal(role);
    // The controller's evaluator allows all 18 as the role they ran as, and none with one override more.
    expectPoliciesAllowExactly(resources, policies, () => role);
    expect(policies[0]!.spec.overrides).to.deep.equal({
      containers: [{ name: 'sleeper', command: true, environment: ['A'] }],
      tags: ['team'],
      platformVersions: ['LATEST'],
    });

    // Not ECS: named with the reason. Unmappable: one reason per field.
    expect(io.err).to.match(
      new RegExp(`schedule ${group}/lambda: Target.Arn: the target is not ECS RunTask`),
    );
    const unmappable = io.err
      .split('\n')
      .filter((l) => l.startsWith(`schedule ${group}/unmappable: `) && !l.includes('note:'));
    expect(
      unmappable.map((l) => /: (\S+?):/.exec(l.slice(`schedule ${group}/unmappable`.length))?.[1]),
    ).to.have.members([
      'ScheduleExpression',
      'Target.EcsParameters.ReferenceId',
      'Target.RetryPolicy.MaximumRetryAttempts',
    ]);

    const byName = new Map(resources.map((r) => [r.metadata.name!.slice(group.length + 1), r]));
    expect(byName.get('flexible')!.spec.jitterSeconds).to.equal(1800);
    expect(byName.get('retry-dlq')!.spec.startingDeadlineSeconds).to.equal(7200);
    expect(byName.get('retry-dlq')!.spec.deadLetter).to.deep.equal({
      sqs: { queueUrl: `https://sqs.${env.region}.amazonaws.com/${ACCOUNT}/import-dlq` },
    });
    expect(byName.get('quarterly')!.spec.suspend).to.equal(true);
    expect(byName.get('overrides')!.spec.taskCount).to.equal(3);
    expect(byName.get('overrides')!.spec.task.overrides?.containerOverrides?.[0]?.command).to.deep.equal([
      'sleep',
      '1',
    ]);
    expect(byName.get('network')!.spec.task.networkConfiguration?.awsvpcConfiguration?.subnets).to.deep.equal(
      [env.subnetId],
    );
    expect(byName.get('capacity-tags')!.spec.task.tags).to.deep.equal([{ key: 'team', value: 'data' }]);

    // rate() without StartDate counts from the schedule's creation, as moto reports it.
    const created = (
      await scheduler.send(new GetScheduleCommand({ Name: 'every-five', GroupName: group }))
    ).CreationDate!.getTime();
    // The differential: ecs-scheduler next against the reference, 20 fire times each.
    const from = new Date(now);
    const got = await nextTimes(resources, from);
    for (const c of cases) {
      const r = byName.get(c.Name!);
      if (r === undefined) continue;
      const expected = referenceFires(
        c.ScheduleExpression!,
        {
          zone: c.ScheduleExpressionTimezone ?? 'UTC',
          ...(c.StartDate !== undefined && { start: c.StartDate.getTime() }),
          ...(c.EndDate !== undefined && { end: c.EndDate.getTime() }),
          anchor: c.StartDate?.getTime() ?? Math.floor(created / 1000) * 1000,
        },
        now,
        20,
      );
      expect(expected.length, `${c.Name}: the reference finds fires`).to.be.greaterThan(0);
      expect(
        (got.get(`default/${r.metadata.name}`) ?? []).map((t) => new Date(t).toISOString()),
        c.Name,
      ).to.deep.equal(expected.map((t) => new Date(t).toISOString()));
    }
  });

  it('converts 10 scheduled rules: next 20 fire times equal EventBridge semantics, the rest refused by field', async () => {
    const rateStart = now - 7 * MIN;
    const ecsTarget = (id: string, extra: Partial<RuleTarget> = {}): RuleTarget => ({
      Id: id,
      Arn: clusterArn,
      RoleArn: role,
      EcsParameters: {
        TaskDefinitionArn: `arn:aws:ecs:${env.region}:${ACCOUNT}:task-definition/sleeper-task:1`,
        TaskCount: 1,
      },
      ...extra,
    });
    const rules: { name: string; expression: string; targets?: RuleTarget[] }[] = [
      { name: 'hourly', expression: 'cron(0 * * * ? *)' },
      { name: 'weekday-morning', expression: 'cron(15 10 ? * MON-FRI *)' },
      { name: 'month-end', expression: 'cron(0 0 L * ? *)' },
      { name: 'first-weekday', expression: 'cron(0 6 1W * ? *)' },
      { name: 'second-tuesday', expression: 'cron(0 12 ? * 3#2 *)' },
      { name: 'rate-quarter', expression: 'rate(15 minutes)' },
      { name: 'rate-daily', expression: 'rate(1 day)' },
      {
        name: 'weekend-full',
        expression: 'cron(0/30 * ? * SAT,SUN *)',
        targets: [
          ecsTarget('full', {
            Input: JSON.stringify({
              containerOverrides: [{ name: 'sleeper', environment: [{ name: 'X', value: '1' }] }],
            }),
            EcsParameters: {
              TaskDefinitionArn: `arn:aws:ecs:${env.region}:${ACCOUNT}:task-definition/sleeper-task:1`,
              TaskCount: 2,
              LaunchType: 'FARGATE',
              NetworkConfiguration: {
                awsvpcConfiguration: { Subnets: [env.subnetId], AssignPublicIp: 'DISABLED' },
              },
            },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 },
            DeadLetterConfig: { Arn: dlq },
          }),
        ],
      },
      {
        name: 'mixed-targets',
        expression: 'cron(0 1 * * ? *)',
        targets: [
          ecsTarget('task'),
          { Id: 'notify', Arn: `arn:aws:lambda:${env.region}:${ACCOUNT}:function:notify` },
        ],
      },
      {
        name: 'transformed',
        expression: 'cron(0 2 * * ? *)',
        targets: [
          ecsTarget('t', {
            InputTransformer: { InputPathsMap: { t: '$.time' }, InputTemplate: '{"containerOverrides":[]}' },
          }),
        ],
      },
    ];
    expect(rules).to.have.length(10);
    for (const r of rules) {
      ruleNames.push(prefix + r.name);
      await events.send(new PutRuleCommand({ Name: prefix + r.name, ScheduleExpression: r.expression }));
      await events.send(
        new PutTargetsCommand({ Rule: prefix + r.name, Targets: r.targets ?? [ecsTarget('task')] }),
      );
    }

    const io = recordingIo(new Date(now));
    const code = await importCommand(
      [
        '--from',
        'eventbridge-rules',
        '--name-prefix',
        prefix,
        '--rate-start',
        new Date(rateStart).toISOString(),
        '--namespace',
        'default',
      ],
      io,
    );
    expect(code, io.err).to.equal(1);
    const docs = documents(io.out);
    const resources = docs.filter(
      (d) => (d as { kind: string }).kind === 'EcsScheduledTask',
    ) as EcsScheduledTaskResource[];
    expect(resources.map((r) => r.metadata.name).sort()).to.deep.equal(
      rules
        .slice(0, 9)
        .map((r) => prefix + r.name)
        .sort(),
    );
    for (const r of resources) expect(validateResource(r), r.metadata.name).to.deep.equal([]);
    const policies = docs.filter(
      (d) => (d as { kind: string }).kind === 'EcsSchedulerPolicy',
    ) as EcsSchedulerPolicyResource[];
    expect(policies.map((p) => validatePolicy(p))).to.deep.equal([[]]);
    expectPoliciesAllowExactly(resources, policies, () => role);
    expect(policies[0]!.spec.overrides).to.deep.equal({
      containers: [{ name: 'sleeper', environment: ['X'] }],
    });
    await kubectlOk(['apply', '--dry-run=server', '-f', '-'], { input: io.out });
    expect(io.err).to.include(
      `rule default/${prefix}mixed-targets target notify: Targets[Id=notify].Arn: the target is not ECS RunTask`,
    );
    expect(io.err).to.include(`rule default/${prefix}transformed target t: Targets[Id=t].InputTransformer:`);
    const full = resources.find((r) => r.metadata.name === `${prefix}weekend-full`)!;
    expect(full.spec.startingDeadlineSeconds).to.equal(3600);
    expect(full.spec.taskCount).to.equal(2);
    expect(full.spec.deadLetter?.sqs.queueUrl).to.match(/import-dlq$/);

    const got = await nextTimes(resources, new Date(now));
    for (const rule of rules.slice(0, 9)) {
      const expected = referenceFires(rule.expression, { zone: 'UTC', anchor: rateStart }, now, 20);
      expect(expected).to.have.length(20);
      expect(
        (got.get(`default/${prefix}${rule.name}`) ?? []).map((t) => new Date(t).toISOString()),
        rule.name,
      ).to.deep.equal(expected.map((t) => new Date(t).toISOString()));
    }
  });
});
