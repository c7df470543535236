// The schedule's part of a pass: times passed over while nobody looked (adopted when an earlier
// pass launched them unrecorded, else Missed), a time too late to start, the due time, and the
// run-now annotation.
import { EventReason, type TaskLauncher } from '../ports.js';
import { addRun, callOptions, iso, later, toTransient, type Pass } from './reconcile-pass.js';
import { runNowIdentity, runNowKeyOf, scheduledRunIdentity } from '../decide/run-identity.js';
import type { LaunchStep } from './run-launch.js';
import type { LaunchLedger } from '../runtime/run-ledger.js';
import { decideMissed, decideRunNow, decideTooLate, type SchedulePlan } from '../decide/run-decision.js';

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
    const adopted = new Map<Date, string[]>();
    // plan.missed is newest first.
    const lookedUp = plan.missed
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
    for (const time of lookedUp) {
      try {
        const found = await this.#launcher.findTasks(
          pass.cluster,
          scheduledRunIdentity(pass.resource, time).startedBy,
          callOptions(pass),
        );
        if (found.length > 0) adopted.set(time, found);
      } catch (error) {
        // Nothing added yet: the whole schedule step is retried with the watermark unmoved.
        pass.errors.push(toTransient(error, 'looking for tasks already launched'));
        return previous;
      }
    }
    const missed = decideMissed(plan, adopted, pass.cluster);
    for (const run of missed.runs) addRun(pass, run);
    // Counted beyond the records kept, so missedRunsTotal stays true after a long outage.
    for (let i = 0; i < missed.uncounted; i++) pass.recorded.push('Missed');
    pass.missedRunsTotal += missed.missed;
    if (missed.warning) {
      pass.events.push({ type: 'Warning', reason: EventReason.MissedSchedule, message: missed.warning });
    }
    // Times excluded before the due one are dealt with whatever becomes of it.
    const handledUpTo = later(later(previous, iso(plan.missed[0])), iso(plan.excludedBeforeDue));
    if (plan.tooLate) {
      if (!(await this.#recordTooLate(pass, plan.tooLate))) return handledUpTo;
    }
    if (
      plan.due &&
      !(await this.#launches.startRun(
        pass,
        plan.due,
        scheduledRunIdentity(pass.resource, plan.due),
        'scheduled',
      ))
    ) {
      return handledUpTo;
    }
    return later(previous, iso(plan.lastScheduleTime));
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
    const decision = decideTooLate(time, found, pass.cluster, pass.spec.startingDeadlineSeconds);
    addRun(pass, decision.run);
    if (decision.warning) {
      pass.missedRunsTotal += 1;
      pass.events.push({ type: 'Warning', reason: EventReason.MissedSchedule, message: decision.warning });
    }
    return true;
  }

  /** Run-now by annotation: once per distinct value. Returns the new status.lastRunNow. */
  async runNow(pass: Pass, previous: string | undefined): Promise<string | undefined> {
    const decision = decideRunNow(pass.resource, previous, pass.spec.suspend ?? false);
    if (decision.action === 'none') return previous;
    const { value } = decision;
    if (decision.action === 'skip') {
      addRun(pass, {
        scheduledTime: pass.now.toISOString(),
        result: 'Skipped',
        reason: decision.reason,
        message: decision.message,
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
