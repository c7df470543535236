// Reads EventBridge Scheduler schedules and EventBridge rules from an account, for `ecs-scheduler
// import`. The SDK's own configuration applies (region, credentials, AWS_ENDPOINT_URL and the
// per-service AWS_ENDPOINT_URL_SCHEDULER / AWS_ENDPOINT_URL_EVENTBRIDGE), as for the AWS CLI. The
// port hands plain JSON in the shape the AWS CLI prints, so a file of that output and the account
// go through the same conversion.
import {
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  type ListRulesCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';

export interface EventBridgeSource {
  /** GetSchedule of every schedule (of one group, and with a name prefix, when given). */
  schedules(filter?: { group?: string; namePrefix?: string }): Promise<unknown[]>;
  /**
   * Every rule of the bus that has a schedule expression, with its targets under `Targets`; and
   * how many rules were left out for having none (event-pattern rules are not schedules).
   */
  rules(filter?: {
    eventBus?: string;
    namePrefix?: string;
  }): Promise<{ rules: unknown[]; withoutSchedule: number }>;
}

/** Reading the account failed; the message names the call. */
export class EventBridgeReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventBridgeReadError';
  }
}

export interface EventBridgeSourceOptions {
  readonly region?: string;
}

/** JSON as the AWS CLI prints it: dates as ISO 8601, no SDK bookkeeping. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === '$metadata' ? undefined : v)));
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const e = error as Error;
    throw new EventBridgeReadError(`${what}: ${e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`, {
      cause: error,
    });
  }
}

export function awsEventBridgeSource(options: EventBridgeSourceOptions = {}): EventBridgeSource {
  const config = options.region === undefined ? {} : { region: options.region };
  return {
    async schedules({ group, namePrefix } = {}) {
      const scheduler = new SchedulerClient(config);
      try {
        const out: unknown[] = [];
        let token: string | undefined;
        do {
          const page = await call('scheduler:ListSchedules', () =>
            scheduler.send(
              new ListSchedulesCommand({
                ...(group !== undefined && { GroupName: group }),
                ...(namePrefix !== undefined && { NamePrefix: namePrefix }),
                ...(token !== undefined && { NextToken: token }),
              }),
            ),
          );
          for (const summary of page.Schedules ?? []) {
            const name = summary.Name ?? '';
            const groupName = summary.GroupName ?? 'default';
            const full = await call(`scheduler:GetSchedule ${groupName}/${name}`, () =>
              scheduler.send(new GetScheduleCommand({ Name: name, GroupName: groupName })),
            );
            out.push(plain(full));
          }
          token = page.NextToken;
        } while (token !== undefined && token !== '');
        return out;
      } finally {
        scheduler.destroy();
      }
    },

    async rules({ eventBus, namePrefix } = {}) {
      const events = new EventBridgeClient(config);
      try {
        const rules: unknown[] = [];
        let withoutSchedule = 0;
        let token: string | undefined;
        do {
          const page: ListRulesCommandOutput = await call('events:ListRules', () =>
            events.send(
              new ListRulesCommand({
                ...(eventBus !== undefined && { EventBusName: eventBus }),
                ...(namePrefix !== undefined && { NamePrefix: namePrefix }),
                ...(token !== undefined && { NextToken: token }),
              }),
            ),
          );
          for (const rule of page.Rules ?? []) {
            if (rule.ScheduleExpression === undefined || rule.ScheduleExpression === '') {
              withoutSchedule++;
              continue;
            }
            const targets: unknown[] = [];
            let targetToken: string | undefined;
            do {
              const targetPage = await call(`events:ListTargetsByRule ${rule.Name ?? ''}`, () =>
                events.send(
                  new ListTargetsByRuleCommand({
                    Rule: rule.Name,
                    ...(rule.EventBusName !== undefined && { EventBusName: rule.EventBusName }),
                    ...(targetToken !== undefined && { NextToken: targetToken }),
                  }),
                ),
              );
              targets.push(...(targetPage.Targets ?? []));
              targetToken = targetPage.NextToken;
            } while (targetToken !== undefined && targetToken !== '');
            rules.push(plain({ ...rule, Targets: targets }));
          }
          token = page.NextToken;
        } while (token !== undefined && token !== '');
        return { rules, withoutSchedule };
      } finally {
        events.destroy();
      }
    },
  };
}
