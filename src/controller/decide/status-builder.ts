// The status a pass writes, built from what the pass decided. Pure: no clock, no I/O; `now` only
// stamps condition transitions.
import type { Condition, RunRecord, Status } from '../../api/types.js';
import { ConditionType, setConditions, type ConditionUpdate } from './conditions.js';
import { lastResult, trimRuns, type HistoryLimits } from './run-history.js';
import { activeTasks, RunReason } from './run-tracking.js';
import { boundStatus } from './status-size.js';

/** Results that say whether the schedule's work gets done; Skipped is a decision, not an outcome. */
const VERDICTS: ReadonlySet<string> = new Set(['Succeeded', 'DryRun', 'Failed', 'LaunchFailed', 'Missed']);

/** The newest run with a verdict: the one LastRunSucceeded and the last-run metrics describe. */
export function newestVerdict(runs: readonly RunRecord[] | undefined): RunRecord | undefined {
  return (runs ?? [])
    .filter((r) => VERDICTS.has(r.result))
    .sort((a, b) => Date.parse(b.scheduledTime) - Date.parse(a.scheduledTime))[0];
}

/** LastRunSucceeded for Argo CD (Degraded on False) and `kubectl wait`. */
export function lastRunCondition(
  run: RunRecord | undefined,
  generation: number | undefined,
): ConditionUpdate | undefined {
  if (!run) return undefined;
  const ok = run.result === 'Succeeded' || run.result === 'DryRun';
  const detail = run.reason ? `${run.reason}: ${run.message ?? ''}` : (run.message ?? run.result);
  return {
    type: ConditionType.LastRunSucceeded,
    status: ok ? 'True' : 'False',
    reason: run.result,
    message: `run scheduled at ${run.scheduledTime}: ${detail}`.slice(0, 1024),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

export interface StatusInput {
  readonly previous: Status;
  readonly generation: number | undefined;
  readonly now: Date;
  readonly suspended: boolean;
  /** A capacity retry is still going on. */
  readonly pending: boolean;
  /** A run waiting for its next attempt (spec.retryPolicy), if any. */
  readonly retrying?: RunRecord | undefined;
  readonly resolvedSchedule: string;
  /** The Schedule printer column's text (scheduleSummary). */
  readonly scheduleSummary?: string;
  readonly nextScheduleTime: string | undefined;
  readonly lastScheduleTime: string | undefined;
  readonly lastSuccessfulTime: string | undefined;
  readonly lastRunNow: string | undefined;
  readonly missedRunsTotal: number;
  /** Passed-over times still to look up in ECS (see passed-over.ts); omitted when none. */
  readonly pendingLookups?: NonNullable<Status['pendingLookups']>;
  readonly launchedRunsTotal?: number;
  /** BufferOne's waiting run, if any. */
  readonly bufferedRun?: Status['bufferedRun'];
  /** Set to spec.maxRuns once that many scheduled runs were launched: Ready says MaxRunsReached. */
  readonly maxRunsReached?: number;
  readonly runs: readonly RunRecord[];
  readonly limits: HistoryLimits;
  /**
   * The trigger's queue depth could not be read: terminal stalls the resource (as an invalid spec
   * does), otherwise Reconciling says what is being retried.
   */
  readonly trigger?: {
    readonly terminal: boolean;
    readonly reason: string;
    readonly message: string;
    /** What a terminal problem waits for, in Reconciling. Default: WAITING_FOR_SPEC. */
    readonly waitingFor?: string;
  };
}

/** The Ready reason once spec.maxRuns scheduled runs were launched. */
export const MAX_RUNS_REACHED = RunReason.MaxRunsReached;

/** What a stalled resource waits for, in its Reconciling condition. */
export const WAITING_FOR_SPEC = 'waiting for the spec to be fixed';

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function buildStatus(input: StatusInput): Status {
  const { generation } = input;
  const ready = input.suspended
    ? { reason: 'Suspended', message: 'suspended: no new runs are launched' }
    : input.maxRunsReached !== undefined
      ? {
          reason: MAX_RUNS_REACHED,
          message: `maxRuns reached: ${input.launchedRunsTotal ?? input.maxRunsReached} of ${input.maxRunsReached} scheduled runs launched; no further runs are scheduled`,
        }
      : input.nextScheduleTime
        ? { reason: 'Scheduled', message: 'the schedule is active' }
        : { reason: 'NoFutureRuns', message: 'the schedule has no future fire times' };
  const runs = trimRuns(input.runs, input.limits);
  const lastRun = lastRunCondition(newestVerdict(runs) ?? newestVerdict(input.runs), generation);
  const stall = input.trigger?.terminal ? input.trigger : undefined;
  const updates: ConditionUpdate[] = [
    ...(stall
      ? stalledConditions(generation, stall.reason, stall.message, stall.waitingFor ?? WAITING_FOR_SPEC)
      : [
          { type: ConditionType.Ready, status: 'True' as const, ...ready, observedGeneration: generation },
          {
            type: ConditionType.Stalled,
            status: 'False' as const,
            reason: 'ValidSpec',
            message: 'the spec is valid',
            observedGeneration: generation,
          },
          reconciling(input),
        ]),
    ...(lastRun ? [lastRun] : []),
  ];
  const conditions = setConditions(input.previous.conditions, updates, input.now);
  const active = activeTasks(input.runs);
  return boundStatus(
    withoutUndefined<Status>({
      observedGeneration: generation,
      conditions,
      resolvedSchedule: input.resolvedSchedule,
      scheduleSummary: input.scheduleSummary,
      nextScheduleTime: input.suspended ? undefined : input.nextScheduleTime,
      lastScheduleTime: input.lastScheduleTime,
      lastSuccessfulTime: input.lastSuccessfulTime,
      lastResult: lastResult(input.runs) ?? input.previous.lastResult,
      activeCount: active.length,
      active,
      lastRunNow: input.lastRunNow,
      missedRunsTotal: input.missedRunsTotal,
      pendingLookups: input.pendingLookups?.length ? [...input.pendingLookups] : undefined,
      // Absent until a first scheduled launch, so statuses of resources that never ran stay as they were.
      launchedRunsTotal: input.launchedRunsTotal || input.previous.launchedRunsTotal,
      bufferedRun: input.bufferedRun,
      // boundStatus adds the runs it leaves out this time.
      droppedRunsTotal: input.previous.droppedRunsTotal,
      runs,
    }),
  );
}

/** Reconciling: what is in progress, the most pressing first. */
function reconciling(input: StatusInput): ConditionUpdate {
  const { generation } = input;
  const inProgress = (reason: string, message: string): ConditionUpdate => ({
    type: ConditionType.Reconciling,
    status: 'True',
    reason,
    message: message.slice(0, 1024),
    observedGeneration: generation,
  });
  if (input.trigger) return inProgress(input.trigger.reason, input.trigger.message);
  if (input.retrying) {
    return inProgress(
      RunReason.Retrying,
      `run scheduled at ${input.retrying.scheduledTime}: attempt ${input.retrying.attempt ?? 2} at ${input.retrying.retryAt ?? ''}`,
    );
  }
  if (input.pending) {
    return inProgress(RunReason.CapacityUnavailable, 'retrying a launch that found no capacity');
  }
  return {
    type: ConditionType.Reconciling,
    status: 'False',
    reason: 'Idle',
    message: 'nothing in progress',
    observedGeneration: generation,
  };
}

function stalledConditions(
  generation: number | undefined,
  reason: string,
  message: string,
  waitingFor: string,
): ConditionUpdate[] {
  const text = message.slice(0, 1024);
  return [
    { type: ConditionType.Ready, status: 'False', reason, message: text, observedGeneration: generation },
    { type: ConditionType.Stalled, status: 'True', reason, message: text, observedGeneration: generation },
    {
      type: ConditionType.Reconciling,
      status: 'False',
      reason,
      message: waitingFor,
      observedGeneration: generation,
    },
  ];
}

/**
 * A resource the controller will not act on until it changes: an invalid spec, or one the admin
 * policy denies. Everything else in the status (the watermark, the runs) is kept as it was.
 */
export function stalledStatus(
  previous: Status,
  generation: number | undefined,
  reason: string,
  message: string,
  now: Date,
  waitingFor = WAITING_FOR_SPEC,
): Status {
  const conditions: Condition[] = setConditions(
    previous.conditions,
    stalledConditions(generation, reason, message, waitingFor),
    now,
  );
  return withoutUndefined({ ...structuredClone(previous), observedGeneration: generation, conditions });
}
