// The schedule's part of a pass, as decideRun decides it: times passed over while nobody looked
// (looked up in ECS first where an earlier leader may have launched them: adopted with their
// tasks, else Missed), a time too late to start, the due time, and the run-now annotation.
import type { RunRecord } from '../../api/types.js';
import { EventReason, type TaskLauncher } from '../ports.js';
import { addRun, callOptions, later, toTransient, type Pass } from './reconcile-pass.js';
import { scheduledRunIdentity } from '../decide/run-identity.js';
import type { LaunchStep } from './run-launch.js';
import type { LaunchLedger } from '../runtime/run-ledger.js';
import type { LookupBudget } from '../runtime/lookup-budget.js';
import { decideRun } from '../decide/run-decision.js';
import type { FireTimes, SchedulePlan } from '../decide/schedule-plan.js';

export class ScheduleStep {
  readonly #launcher: TaskLauncher;
  readonly #launches: LaunchStep;
  readonly #ledger: LaunchLedger;
  readonly #budget: LookupBudget;

  constructor(launcher: TaskLauncher, launches: LaunchStep, ledger: LaunchLedger, budget: LookupBudget) {
    this.#launcher = launcher;
    this.#launches = launches;
    this.#ledger = ledger;
    this.#budget = budget;
  }

  /**
   * Missed and due scheduled times. `after` is the watermark the plan was made from. Returns the
   * new lastScheduleTime (the watermark).
   */
  async runSchedule(
    pass: Pass,
    plan: SchedulePlan,
    previous: string | undefined,
    fires: FireTimes,
    after: Date,
  ): Promise<string | undefined> {
    // A passed-over time may have been launched by an earlier pass whose status write never
    // landed (the API server was down, or the process died right after RunTask). Those tasks are
    // adopted rather than reported Missed. The token cannot tell (asking RunTask would launch what
    // was never launched), so they are looked up by startedBy. Only where the ledger says someone
    // may have: a time due before this term began, or a launch of ours whose write did not land
    // (a time this term passed over while it fell behind has no tasks: nobody else launches during
    // our term). Every such time is looked up before it is recorded, oldest first, out of one
    // budget of lookups shared by all resources (see LookupBudget); those the budget cannot pay
    // for yet wait in status.pendingLookups, below the watermark, so the due time still launches
    // now and once.
    // One after another: all at once, ten lookups of every resource after a failover came to
    // hundreds of ListTasks together, past ECS's read quota; the throttled passes failed and were
    // retried with growing backoff, and the torture suite recorded thousands of runs lost.
    const { actions } = decideRun({
      at: 'schedule',
      plan,
      fires,
      after,
      pendingLookups: pass.pendingLookups,
      mayHaveLaunched: (time) =>
        this.#ledger.needsLookup({
          key: pass.key,
          scheduledTime: time,
          kind: 'scheduled',
          now: pass.now,
          signal: pass.signal,
        }),
    });
    let watermark = previous;
    for (const action of actions) {
      switch (action.do) {
        case 'look-up-passed-over':
          pass.pendingLookups = [...action.pending];
          await this.#lookUpPending(pass, fires);
          break;
        case 'record-missed':
          for (const run of action.runs) addRun(pass, run);
          // Counted beyond the records kept, so missedRunsTotal stays true after a long outage.
          for (let i = 0; i < action.uncounted; i++) pass.recorded.push('Missed');
          pass.missedRunsTotal += action.missed;
          if (action.warning) {
            pass.events.push({
              type: 'Warning',
              reason: EventReason.MissedSchedule,
              message: action.warning,
            });
          }
          break;
        case 'advance-watermark':
          watermark = later(watermark, action.to.toISOString());
          break;
        case 'look-up-too-late':
          if (!(await this.#recordTooLate(pass, action.time))) return watermark;
          break;
        case 'start-run':
          if (!(await this.#launches.startRun(pass, action))) return watermark;
          break;
      }
    }
    return watermark;
  }

  /**
   * Looks up the pending passed-over times, oldest first, while the budget allows; each becomes a
   * record (adopted or Missed) and leaves pendingLookups. A run found short of its tasks has its
   * missing batches confirmed at once, so the due time of this pass is not held up by it.
   */
  async #lookUpPending(pass: Pass, fires: FireTimes): Promise<void> {
    const missed: Date[] = [];
    const short: RunRecord[] = [];
    const ranges = [...pass.pendingLookups];
    lookups: while (ranges.length > 0) {
      const range = ranges[0]!;
      const to = Date.parse(range.to);
      let time: Date | null = new Date(range.from);
      while (time && time.getTime() <= to) {
        const wait = this.#budget.take(pass.key);
        if (wait > 0) {
          pass.lookupWaitMs = wait;
          ranges[0] = { from: time.toISOString(), to: range.to };
          break lookups;
        }
        let found: string[];
        try {
          found = await this.#launcher.findTasks(
            pass.cluster,
            scheduledRunIdentity(pass.resource, time).startedBy,
            callOptions(pass),
          );
        } catch (error) {
          // The time stays pending; the pass fails after its write and is retried with backoff.
          pass.errors.push(toTransient(error, 'looking for tasks already launched'));
          ranges[0] = { from: time.toISOString(), to: range.to };
          break lookups;
        }
        const [decision] = decideRun({
          at: 'looked-up',
          why: 'passed-over',
          spec: pass.spec,
          now: pass.now,
          time,
          found,
          cluster: pass.cluster,
          maxTasksPerRun: pass.maxTasksPerRun,
          window: pass.window,
        }).actions;
        addRun(pass, decision.run);
        if (decision.missed) {
          missed.push(time);
          pass.lookups.none++;
        } else {
          pass.lookups.found++;
          // Adopted: an earlier leader launched it, so it counts against spec.maxRuns.
          pass.launchedRunsTotal++;
        }
        if (decision.run.unconfirmedLaunch) short.push(decision.run);
        time = fires.next(time);
      }
      ranges.shift();
    }
    pass.pendingLookups = ranges;
    if (missed.length > 0) {
      pass.missedRunsTotal += missed.length;
      pass.events.push({
        type: 'Warning',
        reason: EventReason.MissedSchedule,
        message: `missed ${missed.length} scheduled time(s) from ${missed[0]!.toISOString()} to ${missed.at(-1)!.toISOString()}: passed over, and no task was found for them in ECS`,
      });
    }
    if (short.length > 0) await this.#launches.confirmBatches(pass, short);
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
    const [decision] = decideRun({
      at: 'looked-up',
      why: 'too-late',
      spec: pass.spec,
      now: pass.now,
      time,
      found,
      cluster: pass.cluster,
      maxTasksPerRun: pass.maxTasksPerRun,
      window: pass.window,
    }).actions;
    addRun(pass, decision.run);
    if (decision.adopted) pass.launchedRunsTotal += 1;
    if (decision.missed) pass.missedRunsTotal += 1;
    if (decision.warning) {
      pass.events.push({ type: 'Warning', reason: EventReason.MissedSchedule, message: decision.warning });
    }
    return true;
  }

  /** Run-now by annotation: once per distinct value. Returns the new status.lastRunNow. */
  async runNow(pass: Pass, previous: string | undefined): Promise<string | undefined> {
    const { actions } = decideRun({
      at: 'run-now',
      spec: pass.spec,
      now: pass.now,
      resource: pass.resource,
      lastRunNow: previous,
    });
    let lastRunNow = previous;
    for (const action of actions) {
      if (action.do === 'skip-run-now') {
        addRun(pass, action.run);
        lastRunNow = action.value;
      } else if (await this.#launches.startRun(pass, action)) {
        lastRunNow = action.value;
      }
    }
    return lastRunNow;
  }
}
