// The schedule's part of a pass: times passed over while nobody looked (adopted when an earlier
// pass launched them unrecorded, else Missed), a time too late to start, the due time, and the
// run-now annotation.
import { RUN_NOW_ANNOTATION } from '../api/constants.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { EventReason, type TaskLauncher } from './ports.js';
import { addRun, adoptedRun, callOptions, iso, later, toTransient, type Pass } from './reconcile-pass.js';
import { runNowIdentity, runNowKeyOf, scheduledRunIdentity } from './run-identity.js';
import type { LaunchStep } from './run-launch.js';
import type { LaunchLedger } from './run-ledger.js';
import type { SchedulePlan } from './run-plan.js';
import { RunReason } from './run-tracking.js';

/** Passed-over times looked up in ECS per pass (each lookup is two ListTasks calls). */
const MAX_MISSED_LOOKUPS = 10;

export class ScheduleStep {
  readonly #launcher: TaskLauncher;
  readonly #launches: LaunchStep;
  readonly #ledger: LaunchLedger;

  constructor(launcher: TaskLauncher, launches: LaunchStep, ledger: LaunchLedger) {
    this.#launcher = launcher;
    this.#launches = launches;
    this.#ledger = ledger;
  }

  /** Missed and due scheduled times. Returns the new lastScheduleTime (the watermark). */
  async runSchedule(
    pass: Pass,
    plan: SchedulePlan,
    previous: string | undefined,
  ): Promise<string | undefined> {
    // A passed-over time may have been launched by an earlier pass whose status write never
    // landed (the API server was down, or the process died right after RunTask). Those tasks are
    // adopted rather than reported Missed. The token cannot tell (asking RunTask would launch what
    // was never launched), so they are looked up by startedBy. Only where the ledger says someone
    // may have: a time due before this term began, or a launch of ours whose write did not land
    // (a time this term passed over while it fell behind has no tasks: nobody else launches during
    // our term). And only the oldest few: the time right after the watermark is the one a crash
    // leaves behind; each lookup costs ListTasks calls.
    // One after another: all at once, ten lookups of every resource after a failover came to
    // hundreds of ListTasks together, past ECS's read quota; the throttled passes failed and were
    // retried with growing backoff, and the torture suite recorded thousands of runs lost.

    // A time that already has a run record was handled by an earlier pass, even if the watermark
    // stayed behind it (see launchesFirst): it is never recorded or launched twice.
    const recordedTimes = new Set(
      pass.runs.filter((r) => r.runNowKey === undefined).map((r) => Date.parse(r.scheduledTime)),
    );
    const unhandled = (time: Date | undefined) =>
      time !== undefined && !recordedTimes.has(time.getTime()) ? time : undefined;
    // plan.missed is newest first.
    const missed = plan.missed.filter((time) => unhandled(time));
    const due = unhandled(plan.due);
    const tooLate = unhandled(plan.tooLate);
    const lookedUp = missed
      .filter((time) =>
        this.#ledger.needsLookup({
          key: pass.key,
          scheduledTime: time,
          kind: 'scheduled',
          now: pass.now,
          signal: pass.signal,
        }),
      )
      .slice(-MAX_MISSED_LOOKUPS);
    // Under Allow a launch does not depend on other runs, so the due time does not wait for the
    // lookups: after a failover they can take seconds (quota, faults), and an every-2-seconds
    // schedule would pass over its next time while they ran. Other policies must first know
    // whether older runs are still going (adopted tasks count for Forbid, Replace and TopUp).
    let started: boolean | undefined;
    if (due && lookedUp.length > 0 && launchesFirst(pass)) started = await this.#start(pass, due);
    const adopted = new Map<Date, string[]>();
    for (const time of lookedUp) {
      try {
        const found = await this.#launcher.findTasks(
          pass.cluster,
          scheduledRunIdentity(pass.resource, time).startedBy,
          callOptions(pass),
        );
        if (found.length > 0) adopted.set(time, found);
      } catch (error) {
        // Nothing of the passed-over times is added yet: they are looked up again by the retried
        // pass, with the watermark unmoved. A due run launched above keeps its record.
        pass.errors.push(toTransient(error, 'looking for tasks already launched'));
        return previous;
      }
    }
    for (const time of missed) {
      const found = adopted.get(time);
      addRun(
        pass,
        found
          ? adoptedRun(time, found, pass.cluster)
          : {
              scheduledTime: time.toISOString(),
              result: 'Missed',
              reason: RunReason.Coalesced,
              message: 'a later scheduled time was due at the same pass; only the most recent one runs',
            },
      );
    }
    // Counted beyond the records kept, so missedRunsTotal stays true after a long outage.
    for (let i = plan.missed.length; i < plan.missedCount; i++) pass.recorded.push('Missed');
    const missedCount = plan.missedCount - (plan.missed.length - missed.length) - adopted.size;
    pass.missedRunsTotal += missedCount;
    if (missedCount > 0) {
      const count = plan.missedMore ? `at least ${missedCount}` : String(missedCount);
      pass.events.push({
        type: 'Warning',
        reason: EventReason.MissedSchedule,
        message: `missed ${count} scheduled time(s) before ${iso(plan.lastScheduleTime)}; only the most recent is considered`,
      });
    }
    const handledUpTo = later(previous, iso(plan.missed[0]));
    if (tooLate) {
      if (!(await this.#recordTooLate(pass, tooLate))) return handledUpTo;
    }
    if (due && started === undefined) started = await this.#start(pass, due);
    if (due && !started) return handledUpTo;
    return later(previous, iso(plan.lastScheduleTime));
  }

  #start(pass: Pass, due: Date): Promise<boolean> {
    return this.#launches.startRun(pass, due, scheduledRunIdentity(pass.resource, due), 'scheduled');
  }

  /** Missed by startingDeadlineSeconds, unless an earlier pass launched it and crashed before writing. */
  async #recordTooLate(pass: Pass, time: Date): Promise<boolean> {
    let found: string[];
    try {
      found = await this.#launcher.findTasks(
        pass.cluster,
        scheduledRunIdentity(pass.resource, time).startedBy,
        callOptions(pass),
      );
    } catch (error) {
      pass.errors.push(toTransient(error, 'looking for tasks already launched'));
      return false;
    }
    if (found.length > 0) {
      addRun(pass, adoptedRun(time, found, pass.cluster));
      return true;
    }
    const deadline = pass.spec.startingDeadlineSeconds ?? 0;
    const message = `too late to start: more than startingDeadlineSeconds (${deadline}s) after ${time.toISOString()}`;
    pass.missedRunsTotal += 1;
    addRun(pass, {
      scheduledTime: time.toISOString(),
      result: 'Missed',
      reason: RunReason.StartingDeadlineExceeded,
      message,
    });
    pass.events.push({ type: 'Warning', reason: EventReason.MissedSchedule, message });
    return true;
  }

  /** Run-now by annotation: once per distinct value. Returns the new status.lastRunNow. */
  async runNow(pass: Pass, previous: string | undefined): Promise<string | undefined> {
    if (!wantsRunNow(pass.resource, previous)) return previous;
    const value = pass.resource.metadata.annotations![RUN_NOW_ANNOTATION]!;
    if (pass.spec.suspend) {
      addRun(pass, {
        scheduledTime: pass.now.toISOString(),
        result: 'Skipped',
        reason: RunReason.Suspended,
        message: `run-now "${value}" ignored: the resource is suspended`,
      });
      return value;
    }
    const started = await this.#launches.startRun(
      pass,
      pass.now,
      runNowIdentity(pass.resource, value, pass.now),
      'run-now',
      runNowKeyOf(value),
    );
    return started ? value : previous;
  }
}

/** Allow (the default) with no trigger: the due run's launch cannot depend on any other run. */
function launchesFirst(pass: Pass): boolean {
  return (pass.spec.concurrencyPolicy ?? 'Allow') === 'Allow' && pass.spec.trigger === undefined;
}

/** A run-now value this resource has not acted on yet (whether it launches or is Skipped). */
export function wantsRunNow(resource: EcsScheduledTaskResource, previous: string | undefined): boolean {
  const value = resource.metadata.annotations?.[RUN_NOW_ANNOTATION];
  return value !== undefined && value !== '' && value !== previous;
}
