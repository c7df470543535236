// The tasks' part of a pass: what the tracker observed folded into the runs, and the tasks that
// outlived activeDeadlineSeconds stopped. Each run's tasks are followed in the cluster they were
// launched in.
import { EventReason, type TaskLauncher } from '../ports.js';
import { callOptions, replaceRun, settled, toTransient, type Pass } from './reconcile-pass.js';
import { awaitingRetry } from '../decide/run-retry.js';
import { isPendingRun } from '../decide/older-runs.js';
import { isFinished, overdueRuns, RunReason, trackRuns, withReason } from '../decide/run-tracking.js';
import type { TaskTracker, TrackedTask } from '../runtime/task-tracker.js';

/** The tasks of unfinished runs, each in the cluster it was launched in. */
export function trackedTasks(pass: Pass): TrackedTask[] {
  return pass.runs
    .filter((r) => r.result === 'Running')
    .flatMap((r) =>
      (r.tasks ?? [])
        .filter((t) => !isFinished(t))
        .map((t) => ({
          taskArn: t.taskArn,
          cluster: r.cluster ?? pass.cluster,
          launchedAt: new Date(r.launchedAt ?? r.scheduledTime),
        })),
    );
}

/** The earliest activeDeadlineSeconds expiry among running runs. */
export function nextDeadline(pass: Pass): Date | undefined {
  const seconds = pass.spec.activeDeadlineSeconds;
  if (seconds === undefined) return undefined;
  const times = pass.runs
    .filter((r) => r.result === 'Running' && r.reason !== RunReason.DeadlineExceeded && !awaitingRetry(r))
    .map((r) => Date.parse(r.launchedAt ?? r.scheduledTime) + seconds * 1000);
  return times.length > 0 ? new Date(Math.min(...times)) : undefined;
}

/** `checkBy`: the tasks are asked about by then (a launch whose write waits for their end). */
export function followTasks(tracker: TaskTracker, pass: Pass, checkBy?: Date): void {
  const deadline = nextDeadline(pass);
  tracker.follow(pass.key, trackedTasks(pass), {
    ...(pass.identity ? { identity: pass.identity } : {}),
    ...(deadline ? { deadline } : {}),
    ...(checkBy ? { checkBy } : {}),
  });
}

/**
 * Folds the tracker's observations into the runs. Inline, or when `fresh` (the pass is about to
 * decide a launch that depends on which tasks still run), asks ECS first: a shared tracker's
 * observations may be a poll interval old, and a stop it has not seen yet would turn a launch
 * into a Skipped run.
 */
export async function observeRuns(
  pass: Pass,
  tracker: TaskTracker,
  options: { readonly inline: boolean; readonly fresh: boolean; readonly missingGraceMs: number },
): Promise<void> {
  if (options.inline || options.fresh) {
    followTasks(tracker, pass);
    try {
      await tracker.refresh(pass.key, pass.signal);
    } catch (error) {
      // Nothing is decided yet, so there is nothing to write: retry the whole pass.
      throw toTransient(error, 'describing tasks');
    }
  }
  const tracked = trackRuns(pass.runs, tracker.observations(pass.key), {
    now: pass.now,
    missingGraceMs: options.missingGraceMs,
    isPending: (run) => isPendingRun(run, { now: pass.now, ...pass.window }),
  });
  pass.runs = tracked.runs;
  for (const run of tracked.settled) settled(pass, run);
}

export async function enforceActiveDeadline(pass: Pass, launcher: TaskLauncher): Promise<void> {
  for (const { run, taskArns } of overdueRuns(pass.runs, pass.spec.activeDeadlineSeconds, pass.now)) {
    const message = `stopped ${taskArns.length} task(s) still running after activeDeadlineSeconds (${pass.spec.activeDeadlineSeconds}s)`;
    try {
      await launcher.stopTasks(
        run.cluster ?? pass.cluster,
        taskArns,
        'ecs-scheduler: activeDeadlineSeconds exceeded',
        callOptions(pass),
      );
    } catch (error) {
      pass.errors.push(toTransient(error, 'stopping overdue tasks'));
      continue;
    }
    pass.log.info('stopped overdue tasks', { scheduledTime: run.scheduledTime, taskArns });
    replaceRun(pass, run, withReason(run, RunReason.DeadlineExceeded, message));
    pass.events.push({
      type: 'Warning',
      reason: EventReason.DeadlineExceeded,
      message: `run scheduled at ${run.scheduledTime}: ${message}`,
    });
  }
}
