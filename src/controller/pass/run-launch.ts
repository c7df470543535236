// Launching a run as decideRun (../decide/run-decision.ts) decides it (the concurrency policy, the
// trigger's count, the capped desired count): the queue depth read when the decision asks for it,
// the stops of a Replace, and one RunTask attempt with its deterministic token, fenced by the lease.
// Capacity retries of runs short of tasks go through the same attempt, with the next token; so
// does the next attempt of a failed run (spec.retryPolicy), under that attempt's own identity.
import type { RunRecord } from '../../api/types.js';
import { ConditionType, findCondition } from '../decide/conditions.js';
import { decideRun, type StartRunAction } from '../decide/run-decision.js';
import { TerminalError } from '../errors.js';
import { assertMayLaunch, launchCheck, PassAbortedError } from '../runtime/fencing.js';
import {
  confirmedRunRecord,
  newRunRecord,
  retriedRunRecord,
  type LaunchOutcome,
  type UnconfirmedLaunch,
} from '../decide/launch-outcome.js';
import {
  EventReason,
  type LaunchResult,
  type LeaseFence,
  type QueueDepthSource,
  type TaskLauncher,
} from '../ports.js';
import {
  addRun,
  callOptions,
  launchDelay,
  replaceRun,
  settled,
  toTransient,
  type Pass,
} from './reconcile-pass.js';
import {
  attemptIdentity,
  recordedRunIdentity,
  runNowIdentity,
  runNowKeyOf,
  scheduledRunIdentity,
  type RunIdentity,
} from '../decide/run-identity.js';
import { launchClientToken, type LaunchLedger } from '../runtime/run-ledger.js';
import { attemptOf, cancelledRetry } from '../decide/run-retry.js';
import { launchedTaskCount, plannedTasks, RunReason, withReason } from '../decide/run-tracking.js';
import { launchedNote } from '../decide/event-notes.js';

export type RunKind = 'scheduled' | 'run-now';

export interface LaunchStepDeps {
  readonly launcher: TaskLauncher;
  readonly queueDepth?: QueueDepthSource;
  readonly fence: LeaseFence;
  readonly fenceMarginMs: number;
  readonly ledger: LaunchLedger;
}

export class LaunchStep {
  readonly #deps: LaunchStepDeps;

  constructor(deps: LaunchStepDeps) {
    this.#deps = deps;
  }

  /**
   * Scheduled runs short of tasks after capacity failures try again for the remainder; first,
   * every run's batches without an answer are confirmed.
   */
  async retryPending(pass: Pass): Promise<void> {
    await this.#confirmBatches(pass);
    const { actions } = decideRun({
      at: 'capacity',
      spec: pass.spec,
      now: pass.now,
      runs: pass.runs,
      cluster: pass.cluster,
      window: pass.window,
    });
    for (const action of actions) {
      const { run } = action;
      if (action.do === 'end-short-run') {
        this.#endShortRun(pass, run);
        continue;
      }
      const scheduled = new Date(run.scheduledTime);
      const known = (run.tasks ?? []).map((t) => t.taskArn);
      const outcome = await this.#launch(pass, {
        identity: recordedRunIdentity(pass.resource, run),
        scheduled,
        kind: 'scheduled',
        count: action.count,
        known,
        // Records from before attempts were counted made one attempt at least.
        attempt: run.launchAttempts ?? 1,
        cluster: pass.cluster,
      });
      if (!outcome) continue;
      const updated = retriedRunRecord(run, outcome, pass.now);
      if (!run.launchedAt && updated.launchedAt) launchDelay(pass, scheduled, new Date(updated.launchedAt));
      replaceRun(pass, run, updated);
      if (updated.result === 'LaunchFailed') settled(pass, updated);
      else if (outcome.tasks.length > 0) {
        pass.events.push({
          type: 'Normal',
          reason: EventReason.Launched,
          message: `run scheduled at ${run.scheduledTime}: launched ${outcome.tasks.length} more task(s) after capacity retries`,
        });
      }
    }
  }

  /**
   * The next attempt of each run whose retry is due: the same planned task count, in the run's
   * cluster, under the attempt's own identity. The concurrency policy is not asked again: a retry
   * is the run it belongs to, not a new one.
   */
  async launchRetries(pass: Pass): Promise<void> {
    const { actions } = decideRun({
      at: 'retries',
      spec: pass.spec,
      now: pass.now,
      runs: pass.runs,
      cluster: pass.cluster,
    });
    for (const action of actions) {
      if (action.do === 'close-retry') {
        const closed = cancelledRetry(action.run, action.why, pass.now);
        replaceRun(pass, action.run, closed);
        settled(pass, closed, { retry: false });
        continue;
      }
      const { run, attempt, count, desiredCount, message } = action;
      const outcome = await this.#launch(pass, {
        identity: attemptIdentity(recordedRunIdentity(pass.resource, run), attempt),
        // The attempt's own due time: the ledger compares it with the start of this term.
        scheduled: new Date(run.retryAt!),
        kind: 'scheduled',
        count,
        known: [],
        attempt: 0,
        cluster: pass.cluster,
      });
      if (!outcome) continue;
      const { retryAt: _retryAt, reason: _reason, message: _message, ...base } = run;
      const record = newRunRecord({
        base,
        desired: desiredCount,
        count,
        outcome,
        now: pass.now,
        retryable: false,
        message,
      });
      replaceRun(pass, run, record);
      if (record.result === 'LaunchFailed') settled(pass, record);
      else if (record.result === 'Running' && outcome.tasks.length > 0) {
        pass.events.push({
          type: 'Normal',
          reason: EventReason.Launched,
          message: `run scheduled at ${run.scheduledTime}: ${record.message}`,
        });
      }
    }
  }

  /**
   * Launches one due run as decideRun decides it. False after a transient failure (or a wait): the
   * time stays due.
   */
  async startRun(pass: Pass, start: StartRunAction): Promise<boolean> {
    const { time: scheduled, since: waitingSince } = start;
    const kind: RunKind = start.kind === 'run-now' ? 'run-now' : 'scheduled';
    const runNowKey = start.value !== undefined ? runNowKeyOf(start.value) : undefined;
    const identity =
      start.value !== undefined
        ? runNowIdentity(pass.resource, start.value, pass.now)
        : scheduledRunIdentity(pass.resource, scheduled);
    const ask = (queueDepth?: number) =>
      decideRun({
        at: 'due',
        kind: start.kind,
        spec: pass.spec,
        now: pass.now,
        runs: pass.runs,
        maxTasksPerRun: pass.maxTasksPerRun,
        queueClient: this.#deps.queueDepth !== undefined,
        ...(queueDepth !== undefined ? { queueDepth } : {}),
        ...(pass.buffered ? { buffered: pass.buffered.scheduledTime } : {}),
        launchedRunsTotal: pass.launchedRunsTotal,
      }).actions[0];
    const scheduledTime = scheduled.toISOString();
    const sqs = pass.spec.trigger?.sqs;
    const source = this.#deps.queueDepth;
    let decision = ask();
    let depth: number | undefined;
    if (decision.do === 'read-queue-depth' && sqs && source) {
      // The queue already failed this pass (the due time, then a run-now): it is reported once.
      if (pass.triggerProblem) return false;
      try {
        depth = await source.queueDepth(sqs, callOptions(pass));
      } catch (error) {
        this.#triggerFailed(pass, error);
        return false;
      }
      pass.queueDepth = depth;
      decision = ask(depth);
    }
    if (decision.do === 'wait' || decision.do === 'read-queue-depth') return false;
    if (decision.do === 'buffer') {
      pass.buffered = { scheduledTime, since: waitingSince ?? pass.now.toISOString() };
      if (waitingSince === undefined) {
        pass.events.push({
          type: 'Normal',
          reason: EventReason.Buffered,
          message: `run scheduled at ${scheduledTime}: ${decision.message}`,
        });
      }
      return true;
    }
    // Skipped before any count was reached (no SQS client): the record carries only the reason.
    if (decision.do === 'skip' && decision.desiredCount === undefined) {
      addRun(pass, { scheduledTime, result: 'Skipped', reason: decision.reason, message: decision.message });
      return true;
    }
    const base: RunRecord = {
      scheduledTime,
      result: 'Running',
      cluster: pass.cluster,
      ...(depth !== undefined ? { queueDepth: depth } : {}),
      ...(runNowKey !== undefined ? { runNowKey } : {}),
      ...(waitingSince !== undefined
        ? { launchDelaySeconds: Math.max(0, Math.round((pass.now.getTime() - scheduled.getTime()) / 1000)) }
        : {}),
    };
    if (decision.do === 'skip') {
      addRun(pass, {
        ...base,
        result: 'Skipped',
        reason: decision.reason,
        message: decision.message,
        desiredCount: decision.desiredCount,
      });
      return true;
    }
    if (decision.stop.length > 0 && !(await this.#replace(pass, decision.stop, scheduledTime))) return false;

    const outcome = await this.#launch(pass, {
      identity,
      scheduled,
      kind,
      count: decision.count,
      known: [],
      attempt: 0,
      cluster: pass.cluster,
    });
    if (!outcome) return false;
    if (kind === 'scheduled') pass.launchedRunsTotal += 1;
    if (decision.supersede) this.#supersedePending(pass, scheduledTime);
    const run = newRunRecord({
      base,
      desired: decision.desiredCount,
      count: decision.count,
      outcome,
      now: pass.now,
      retryable: kind === 'scheduled',
      message: decision.message,
    });
    addRun(pass, run);
    // Adopted tasks, or batches without an answer, are another launch's outcome: written at once.
    if (kind === 'scheduled' && outcome.adopted === 0 && !outcome.unconfirmed)
      pass.launched.push(scheduledTime);
    if (run.result === 'Running' && outcome.tasks.length > 0) {
      if (kind === 'scheduled') launchDelay(pass, scheduled, new Date(run.launchedAt ?? pass.now));
      pass.events.push({
        type: 'Normal',
        reason: EventReason.Launched,
        message: launchedNote(kind),
        scheduledTime,
      });
    }
    return true;
  }

  /** A run short of tasks whose cluster the spec no longer names: it keeps what it launched. */
  #endShortRun(pass: Pass, run: RunRecord): void {
    const launched = launchedTaskCount(run);
    const message = `spec.task.cluster is now ${pass.cluster}, and the run's was ${run.cluster}: no more tasks are launched for it`;
    if (launched === 0) {
      const { tasks: _tasks, ...rest } = run;
      const closed: RunRecord = {
        ...rest,
        result: 'LaunchFailed',
        reason: RunReason.SpecChanged,
        message,
        finishedAt: pass.now.toISOString(),
      };
      replaceRun(pass, run, closed);
      settled(pass, closed, { retry: false });
      return;
    }
    // It keeps its reason (the capacity shortfall); the message says why no more are launched.
    replaceRun(pass, run, {
      ...run,
      launchCount: launched,
      message: `launched ${launched} of ${plannedTasks(run)}; ${message}`,
    });
    pass.events.push({
      type: 'Warning',
      reason: EventReason.LaunchFailed,
      message: `run scheduled at ${run.scheduledTime}: ${message}`,
    });
  }

  /**
   * One RunTask attempt of a run, with the attempt's deterministic token. Where the token cannot
   * vouch for an earlier attempt (see LaunchLedger), tasks started under the run's startedBy are
   * looked up first and adopted, and only the remainder is launched. Undefined after a transient
   * failure, which is recorded on the pass. Throws PassAbortedError when the lease is not held.
   */
  async #launch(
    pass: Pass,
    a: {
      readonly identity: RunIdentity;
      readonly scheduled: Date;
      readonly kind: RunKind;
      readonly count: number;
      readonly known: readonly string[];
      readonly attempt: number;
      readonly cluster: string;
    },
  ): Promise<LaunchOutcome | undefined> {
    const { launcher } = this.#deps;
    const { identity } = a;
    try {
      const already = new Set(a.known);
      const lookup = this.#deps.ledger.needsLookup({
        key: pass.key,
        scheduledTime: a.scheduled,
        kind: a.kind,
        now: pass.now,
        signal: pass.signal,
      });
      const found = lookup
        ? (await launcher.findTasks(a.cluster, identity.startedBy, callOptions(pass))).filter(
            (arn) => !already.has(arn),
          )
        : [];
      const adopted = found.map((taskArn) => ({ taskArn }));
      // Tasks found unrecorded mean this attempt already went out: the next one gets a new token.
      const attempt = found.length > 0 ? a.attempt + 1 : a.attempt;
      const remainder = a.count - found.length;
      if (remainder <= 0) {
        return { tasks: adopted, adopted: found.length, failures: [], dryRun: false, attempts: attempt };
      }
      assertMayLaunch(pass.signal, this.#deps.fence, this.#deps.fenceMarginMs, pass.key);
      this.#deps.ledger.launching(pass.key);
      const result = await launcher.runTasks(
        {
          cluster: a.cluster,
          task: pass.spec.task,
          count: remainder,
          startedBy: identity.startedBy,
          clientToken: launchClientToken(identity, attempt),
          tags: identity.tags,
          ...(pass.identity ? { identity: pass.identity } : {}),
        },
        this.#callOptions(pass),
      );
      const unconfirmed = this.#unconfirmed(pass, identity, attempt, result);
      // A replayed or conflicting token names tasks we may already hold: keep each task once.
      const seen = new Set([...already, ...found]);
      const launched = result.tasks
        .filter((t) => !seen.has(t.taskArn) && seen.add(t.taskArn))
        .map((t) => ({ taskArn: t.taskArn, ...(t.lastStatus ? { lastStatus: t.lastStatus } : {}) }));
      pass.log.info('launched tasks', {
        startedBy: identity.startedBy,
        attempt,
        launched: launched.length,
        adopted: found.length,
        failures: result.failures.length,
      });
      return {
        tasks: [...adopted, ...launched],
        adopted: found.length,
        failures: result.failures,
        dryRun: result.dryRun === true,
        attempts: attempt + 1,
        ...(result.acceptedAt ? { acceptedAt: result.acceptedAt } : {}),
        ...(unconfirmed ? { unconfirmed } : {}),
      };
    } catch (error) {
      if (error instanceof PassAbortedError) throw error;
      if (error instanceof TerminalError) {
        // ECS refused the request itself (bad parameters): retrying the same request cannot help.
        return {
          tasks: [],
          adopted: 0,
          failures: [{ reason: error.reason, detail: error.message, capacity: false }],
          dryRun: false,
          attempts: a.attempt + 1,
        };
      }
      if (pass.signal.aborted) throw new PassAbortedError('the pass was cancelled while launching');
      pass.log.warn('launch attempt failed; will retry', { startedBy: identity.startedBy, error });
      pass.errors.push(toTransient(error, 'launching tasks'));
      return undefined;
    }
  }

  /** The pass's cancellation, and the fence asked before every RunTask call of the launch. */
  #callOptions(pass: Pass) {
    return {
      signal: pass.signal,
      mayLaunch: launchCheck(pass.signal, this.#deps.fence, this.#deps.fenceMarginMs, pass.key),
    };
  }

  /**
   * The batches of a launch that got no answer, as the run records them. The pass ends with an
   * error, so this process keeps looking the key's tasks up (see LaunchLedger) and the next pass
   * comes soon. A launch the fence or the term stopped ends the pass as aborted instead: the lease
   * is gone, so the next leader confirms the batches (its term started after this run was due).
   */
  #unconfirmed(
    pass: Pass,
    identity: RunIdentity,
    attempt: number,
    result: LaunchResult,
  ): UnconfirmedLaunch | undefined {
    const missing = result.unconfirmed;
    if (!missing) return undefined;
    const known = {
      startedBy: identity.startedBy,
      launched: result.tasks.length,
      unconfirmedFromBatch: missing.fromBatch,
      unconfirmed: missing.count,
    };
    if (missing.error instanceof PassAbortedError || pass.signal.aborted) {
      pass.log.warn('launch stopped: the lease is lost or the pass cancelled', {
        ...known,
        error: missing.error,
      });
      throw missing.error instanceof PassAbortedError
        ? missing.error
        : new PassAbortedError('the pass was cancelled while launching');
    }
    pass.log.warn('RunTask batches without an answer; confirming them next pass', {
      ...known,
      error: missing.error,
    });
    pass.errors.push(toTransient(missing.error, 'launching tasks'));
    return { launchAttempt: attempt, fromBatch: missing.fromBatch, count: missing.count };
  }

  /**
   * Confirms the batches of `runs` now (passed-over runs adopted short of their tasks), rather than
   * at the next pass's retryPending: until then no due time launches.
   */
  async confirmBatches(pass: Pass, runs: readonly RunRecord[]): Promise<void> {
    await this.#confirmBatches(pass, new Set(runs.map((r) => r.scheduledTime)));
  }

  /**
   * Every run with batches that got no answer: its tasks are looked up by startedBy (moto ignores
   * tokens) and adopted. With none found, the batches are resent under their original tokens, so
   * ECS answers with the tasks it already started and starts the rest. With some found, the first
   * batch did reach ECS and the ones after it never went out: only those are sent, still under
   * their own tokens, and a shortfall of the first is a capacity shortfall like any other.
   */
  async #confirmBatches(pass: Pass, only?: ReadonlySet<string>): Promise<void> {
    for (const run of pass.runs.filter(
      (r) => r.result === 'Running' && r.unconfirmedLaunch && (!only || only.has(r.scheduledTime)),
    )) {
      const missing = run.unconfirmedLaunch!;
      const identity = attemptIdentity(recordedRunIdentity(pass.resource, run), attemptOf(run));
      const cluster = run.cluster ?? pass.cluster;
      try {
        const known = new Set((run.tasks ?? []).map((t) => t.taskArn));
        const found = (
          await this.#deps.launcher.findTasks(cluster, identity.startedBy, callOptions(pass))
        ).filter((arn) => !known.has(arn) && known.add(arn));
        const [resend] = decideRun({
          at: 'unanswered',
          run,
          found: found.length,
          cluster: pass.cluster,
        }).actions;
        let result: LaunchResult = { tasks: [], failures: [] };
        if (resend.count > 0) {
          assertMayLaunch(pass.signal, this.#deps.fence, this.#deps.fenceMarginMs, pass.key);
          this.#deps.ledger.launching(pass.key);
          result = await this.#deps.launcher.runTasks(
            {
              cluster,
              task: pass.spec.task,
              count: resend.count,
              startedBy: identity.startedBy,
              clientToken: launchClientToken(identity, missing.launchAttempt),
              tags: identity.tags,
              firstBatch: resend.fromBatch,
              ...(pass.identity ? { identity: pass.identity } : {}),
            },
            this.#callOptions(pass),
          );
        }
        const unconfirmed = this.#unconfirmed(pass, identity, missing.launchAttempt, result);
        const launched = result.tasks.filter((t) => !known.has(t.taskArn) && known.add(t.taskArn));
        pass.log.info('confirmed RunTask batches without an answer', {
          startedBy: identity.startedBy,
          found: found.length,
          resent: resend.count,
          launched: launched.length,
        });
        const outcome: LaunchOutcome = {
          tasks: [
            ...found.map((taskArn) => ({ taskArn })),
            ...launched.map((t) => ({
              taskArn: t.taskArn,
              ...(t.lastStatus ? { lastStatus: t.lastStatus } : {}),
            })),
          ],
          adopted: found.length,
          failures: result.failures,
          dryRun: false,
          attempts: run.launchAttempts ?? missing.launchAttempt + 1,
          ...(result.acceptedAt ? { acceptedAt: result.acceptedAt } : {}),
          ...(unconfirmed ? { unconfirmed } : {}),
        };
        const updated = confirmedRunRecord(run, outcome, pass.now, resend.retryable);
        replaceRun(pass, run, updated);
      } catch (error) {
        if (error instanceof PassAbortedError) throw error;
        if (pass.signal.aborted) throw new PassAbortedError('the pass was cancelled while launching');
        // The record keeps the batches: the next pass confirms them, and nothing new launches first.
        pass.log.warn('could not confirm RunTask batches without an answer; will retry', {
          startedBy: identity.startedBy,
          error,
        });
        pass.errors.push(toTransient(error, 'confirming RunTask batches without an answer'));
      }
    }
  }

  /**
   * The queue depth could not be read, so the due time stays due. A TerminalError (a refused
   * queueUrl host or region, an unavailable identity) stalls the resource as an invalid spec does;
   * anything else is retried with backoff and shown as Reconciling. Either way the first pass to
   * see it says so in a Warning event; passes that see it again stay quiet.
   */
  #triggerFailed(pass: Pass, error: unknown): void {
    const conditions = pass.resource.status?.conditions;
    if (error instanceof TerminalError) {
      pass.triggerProblem = { terminal: true, reason: error.reason, message: error.message };
      const stalled = findCondition(conditions, ConditionType.Stalled);
      if (
        stalled?.status !== 'True' ||
        stalled.reason !== error.reason ||
        stalled.message !== error.message
      ) {
        pass.events.push({ type: 'Warning', reason: error.reason, message: error.message });
      }
      return;
    }
    const transient = toTransient(error, 'reading the trigger queue depth');
    pass.errors.push(transient);
    pass.triggerProblem = {
      terminal: false,
      reason: RunReason.QueueDepthUnavailable,
      message: `could not read the trigger queue depth, retrying: ${transient.message}`,
    };
    const reconciling = findCondition(conditions, ConditionType.Reconciling);
    if (reconciling?.status !== 'True' || reconciling.reason !== RunReason.QueueDepthUnavailable) {
      pass.events.push({
        type: 'Warning',
        reason: RunReason.QueueDepthUnavailable,
        message: pass.triggerProblem.message,
      });
    }
  }

  /** Replace: stop the running tasks before the new run launches. */
  async #replace(pass: Pass, taskArns: readonly string[], scheduledTime: string): Promise<boolean> {
    const stopped = new Set(taskArns);
    const byCluster = new Map<string, string[]>();
    for (const run of pass.runs.filter((r) => r.result === 'Running')) {
      const cluster = run.cluster ?? pass.cluster;
      for (const t of run.tasks ?? []) {
        if (stopped.has(t.taskArn)) byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), t.taskArn]);
      }
    }
    try {
      for (const [cluster, arns] of byCluster) {
        await this.#deps.launcher.stopTasks(
          cluster,
          arns,
          `ecs-scheduler: replaced by the run scheduled at ${scheduledTime}`,
          callOptions(pass),
        );
      }
    } catch (error) {
      pass.errors.push(toTransient(error, 'stopping tasks to replace them'));
      return false;
    }
    pass.runs = pass.runs.map((r) =>
      r.result === 'Running' && (r.tasks ?? []).some((t) => stopped.has(t.taskArn))
        ? withReason(r, RunReason.Replaced, `replaced by the run scheduled at ${scheduledTime}`)
        : r,
    );
    return true;
  }

  /**
   * Under Forbid, Replace and TopUp a new run takes over: older runs stop retrying for capacity,
   * and a run waiting for its next attempt ends with its last attempt's result.
   */
  #supersedePending(pass: Pass, scheduledTime: string): void {
    const { actions } = decideRun({
      at: 'launched',
      spec: pass.spec,
      now: pass.now,
      runs: pass.runs,
      scheduledTime,
      window: pass.window,
    });
    for (const { run, updated, settle } of actions) {
      replaceRun(pass, run, updated);
      if (settle === 'final') settled(pass, updated, { retry: false });
      else if (settle === 'retryable') settled(pass, updated);
    }
  }
}
