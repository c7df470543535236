// Folding ECS task observations into run records, and settling runs whose tasks have all stopped.
// Pure: every function returns new records and leaves its inputs alone.
import type { ActiveTask, RunRecord, TaskRecord } from '../../api/types.js';
import type { TaskObservation } from '../ports.js';

/** CamelCase reasons a run record can carry. */
export const RunReason = {
  CapacityUnavailable: 'CapacityUnavailable',
  RunTaskFailure: 'RunTaskFailure',
  NonZeroExit: 'NonZeroExit',
  TaskStopped: 'TaskStopped',
  /** ECS has no record of a task past the grace period: it was never seen to finish. */
  TasksVanished: 'TasksVanished',
  DeadlineExceeded: 'DeadlineExceeded',
  Replaced: 'Replaced',
  ConcurrencyForbid: 'ConcurrencyForbid',
  AlreadyRunning: 'AlreadyRunning',
  QueueEmpty: 'QueueEmpty',
  Suspended: 'Suspended',
  TriggerUnavailable: 'TriggerUnavailable',
  Coalesced: 'Coalesced',
  StartingDeadlineExceeded: 'StartingDeadlineExceeded',
  Superseded: 'Superseded',
  PolicyDenied: 'PolicyDenied',
  /** Waiting for the next attempt after a failed one (spec.retryPolicy). */
  Retrying: 'Retrying',
  /** A retry or a capacity retry not made: the spec now names another cluster. */
  SpecChanged: 'SpecChanged',
  /** The trigger's queue depth could not be read for now; the due run waits for it. */
  QueueDepthUnavailable: 'QueueDepthUnavailable',
  /** RunTask batches got no answer: their tasks are confirmed before anything new launches. */
  LaunchUnconfirmed: 'LaunchUnconfirmed',
  /** BufferOne: a run already waits for the running one; a further one is Skipped. */
  BufferFull: 'BufferFull',
  /** spec.maxRuns scheduled runs were launched: no more are. */
  MaxRunsReached: 'MaxRunsReached',
} as const;

/**
 * While a run is Running its reason says what already went wrong. A stronger reason replaces a
 * weaker one and the first of equal strength stays, so the record shows the decisive cause: the
 * controller stopping the tasks outranks a task's own failure, which outranks a capacity retry.
 */
const STRENGTH: Readonly<Record<string, number>> = {
  [RunReason.CapacityUnavailable]: 1,
  // Weaker than a failure seen in ECS: vanished tasks say nothing about how the others ended.
  [RunReason.TasksVanished]: 1.5,
  [RunReason.RunTaskFailure]: 2,
  [RunReason.NonZeroExit]: 2,
  [RunReason.TaskStopped]: 2,
  [RunReason.DeadlineExceeded]: 3,
  [RunReason.Replaced]: 3,
};

const strengthOf = (reason: string | undefined) => (reason === undefined ? 0 : (STRENGTH[reason] ?? 0));

/** Tasks a run launched: listed in `tasks`, or only counted in `omittedTasks`. */
export function launchedTaskCount(run: RunRecord): number {
  const omitted = Object.values(run.omittedTasks ?? {}).reduce((a, b) => a + b, 0);
  return (run.tasks?.length ?? 0) + omitted;
}

/** Tasks a run set out to launch; older records carried it in desiredCount. */
export function plannedTasks(run: RunRecord): number {
  return run.launchCount ?? run.desiredCount ?? launchedTaskCount(run);
}

/** The run with `reason` recorded, unless it already carries an equal or stronger one. */
export function withReason(run: RunRecord, reason: string, message: string): RunRecord {
  return strengthOf(reason) > strengthOf(run.reason) ? { ...run, reason, message } : run;
}

/** A task we will hear no more about: stopped, or lost after the MISSING grace period. */
export function isFinished(task: TaskRecord): boolean {
  return task.lastStatus === 'STOPPED' || task.lastStatus === 'MISSING';
}

export function unfinishedTaskArns(runs: readonly RunRecord[]): string[] {
  return runs
    .filter((r) => r.result === 'Running')
    .flatMap((r) => (r.tasks ?? []).filter((t) => !isFinished(t)).map((t) => t.taskArn));
}

/** status.active: every unfinished task, newest run first. */
export function activeTasks(runs: readonly RunRecord[]): ActiveTask[] {
  return runs
    .filter((r) => r.result === 'Running')
    .flatMap((r) =>
      (r.tasks ?? [])
        .filter((t) => !isFinished(t))
        .map((t) => {
          const startedAt = t.startedAt ?? r.launchedAt;
          return { taskArn: t.taskArn, scheduledTime: r.scheduledTime, ...(startedAt ? { startedAt } : {}) };
        }),
    );
}

const shortArn = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

interface TaskVerdict {
  readonly task: TaskRecord;
  readonly failure?: { readonly reason: string; readonly message: string };
}

function stoppedVerdict(task: TaskRecord, obs: TaskObservation): TaskVerdict {
  const essentials =
    obs.essentialContainers.length > 0 ? obs.essentialContainers : Object.keys(obs.exitCodes);
  const nonZero = essentials.find((c) => (obs.exitCodes[c] ?? 0) !== 0 && obs.exitCodes[c] !== undefined);
  if (nonZero !== undefined) {
    return {
      task,
      failure: {
        reason: RunReason.NonZeroExit,
        message: `task ${shortArn(task.taskArn)}: container ${nonZero} exited ${obs.exitCodes[nonZero]}`,
      },
    };
  }
  const noExit = essentials.length === 0 || essentials.some((c) => obs.exitCodes[c] === undefined);
  if (noExit) {
    const why = [obs.stopCode, obs.stoppedReason].filter(Boolean).join(': ') || 'no exit code';
    return {
      task,
      failure: { reason: RunReason.TaskStopped, message: `task ${shortArn(task.taskArn)} stopped: ${why}` },
    };
  }
  return { task };
}

function observeTask(
  task: TaskRecord,
  obs: TaskObservation | undefined,
  sinceLaunchMs: number,
  now: Date,
  missingGraceMs: number,
): TaskVerdict {
  // No observation yet (the tracker has not asked ECS since the launch): nothing is known.
  if (!obs) return { task };
  if (obs.lastStatus === 'MISSING') {
    // DescribeTasks is eventually consistent: a fresh ARN may be unknown for a while.
    if (sinceLaunchMs < missingGraceMs) return { task };
    return {
      task: {
        ...task,
        lastStatus: 'MISSING',
        stoppedAt: now.toISOString(),
        stoppedReason: 'ECS has no record of the task',
      },
      failure: {
        reason: RunReason.TasksVanished,
        message: `task ${shortArn(task.taskArn)} is unknown to ECS: it was not seen to finish (ECS forgets stopped tasks after about an hour)`,
      },
    };
  }
  const updated: TaskRecord = {
    taskArn: task.taskArn,
    lastStatus: obs.lastStatus,
    ...(obs.startedAt
      ? { startedAt: obs.startedAt.toISOString() }
      : task.startedAt
        ? { startedAt: task.startedAt }
        : {}),
    ...(obs.stoppedAt ? { stoppedAt: obs.stoppedAt.toISOString() } : {}),
    ...(obs.stopCode ? { stopCode: obs.stopCode } : {}),
    ...(obs.stoppedReason ? { stoppedReason: obs.stoppedReason } : {}),
    ...(Object.keys(obs.exitCodes).length > 0 ? { exitCodes: { ...obs.exitCodes } } : {}),
  };
  return obs.lastStatus === 'STOPPED' ? stoppedVerdict(updated, obs) : { task: updated };
}

export interface TrackOptions {
  readonly now: Date;
  /** How long an ARN may be unknown to ECS after launch before the task counts as lost. */
  readonly missingGraceMs: number;
  /** True while a run may still launch tasks it is short of (capacity retries). */
  readonly isPending: (run: RunRecord) => boolean;
}

export interface TrackResult {
  readonly runs: RunRecord[];
  /** Runs that reached a final result in this pass, for events and metrics. */
  readonly settled: RunRecord[];
}

/** Applies observations to Running runs and settles those with nothing left to wait for. */
export function trackRuns(
  runs: readonly RunRecord[],
  observations: readonly TaskObservation[],
  options: TrackOptions,
): TrackResult {
  const byArn = new Map(observations.map((o) => [o.taskArn, o]));
  const settled: RunRecord[] = [];
  const next = runs.map((run) => {
    // A run waiting to retry has no tasks to follow until its next attempt launches.
    if (run.result !== 'Running' || run.retryAt !== undefined) return run;
    const sinceLaunchMs = options.now.getTime() - Date.parse(run.launchedAt ?? run.scheduledTime);
    let updated: RunRecord = { ...run };
    const tasks = (run.tasks ?? []).map((task) => {
      if (isFinished(task)) return task;
      const verdict = observeTask(
        task,
        byArn.get(task.taskArn),
        sinceLaunchMs,
        options.now,
        options.missingGraceMs,
      );
      if (verdict.failure) updated = withReason(updated, verdict.failure.reason, verdict.failure.message);
      return verdict.task;
    });
    if (run.tasks) updated = { ...updated, tasks };
    const done = settle(updated, options);
    if (done) settled.push(done);
    return done ?? updated;
  });
  return { runs: next, settled };
}

function settle(run: RunRecord, options: TrackOptions): RunRecord | undefined {
  const tasks = run.tasks ?? [];
  if (options.isPending(run) || !tasks.every(isFinished)) return undefined;
  const finishedAt = options.now.toISOString();
  const launched = launchedTaskCount(run);
  if (launched === 0) {
    return {
      ...run,
      result: 'LaunchFailed',
      reason: run.reason ?? RunReason.CapacityUnavailable,
      message: run.message ?? 'no task could be launched before the launch window closed',
      finishedAt,
    };
  }
  const shortfall = plannedTasks(run) - launched;
  const lastStop = tasks
    .map((t) => t.stoppedAt)
    .filter((s): s is string => s !== undefined)
    .sort()
    .at(-1);
  if (strengthOf(run.reason) > 0 || shortfall > 0) {
    const known = strengthOf(run.reason) > 0 && run.reason !== undefined;
    return {
      ...run,
      result: 'Failed',
      reason: known ? run.reason : RunReason.CapacityUnavailable,
      message: known && run.message ? run.message : `launched ${launched} of ${plannedTasks(run)} task(s)`,
      finishedAt: lastStop ?? finishedAt,
    };
  }
  const { reason: _reason, ...rest } = run;
  return {
    ...rest,
    result: 'Succeeded',
    message: `${launched} task(s) succeeded`,
    finishedAt: lastStop ?? finishedAt,
  };
}

/** Runs whose tasks outlived activeDeadlineSeconds and were not yet stopped for it. */
export function overdueRuns(
  runs: readonly RunRecord[],
  activeDeadlineSeconds: number | undefined,
  now: Date,
): { run: RunRecord; taskArns: string[] }[] {
  if (activeDeadlineSeconds === undefined) return [];
  return runs
    .filter((r) => r.result === 'Running' && r.reason !== RunReason.DeadlineExceeded)
    .filter(
      (r) => Date.parse(r.launchedAt ?? r.scheduledTime) + activeDeadlineSeconds * 1000 <= now.getTime(),
    )
    .map((run) => ({ run, taskArns: (run.tasks ?? []).filter((t) => !isFinished(t)).map((t) => t.taskArn) }))
    .filter((o) => o.taskArns.length > 0);
}
