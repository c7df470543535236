// The dead letter of a run that failed after its last retry (spec.deadLetter): one JSON message
// per run, sent once. Settling marks the run `deadLetter.state: Pending` in the same status write
// that records the failure; this step sends Pending letters and marks them Sent. A crash between
// the send and the write sends again on the next pass, with the same deduplication id (the run's
// identity), which a FIFO queue drops; a standard queue carries the id in the message for its
// consumer.
//
// A send that fails is tried again with backoff, recorded on the letter (attempts, nextAttemptAt),
// not by failing the pass: a queue that is missing or denied must not hold the schedule back
// behind the work queue's backoff. A letter is given up (state Failed, a Warning event, the
// `abandoned` metric) after `maxAttempts` failed sends or once it is `maxAgeMs` old, whichever
// comes first: a Pending letter keeps its run in the status, and a job that fails every minute
// into a missing queue would otherwise keep a run per minute forever.
import { API_VERSION, KIND } from '../../api/constants.js';
import type { EcsScheduledTaskResource, RunRecord } from '../../api/types.js';
import { TerminalError } from '../errors.js';
import { assertMayLaunch, PassAbortedError } from '../runtime/fencing.js';
import type { AwsIdentity, LeaseFence } from '../ports.js';
import { replaceRun, type Pass } from './reconcile-pass.js';
import { recordedRunIdentity } from '../decide/run-identity.js';
import { compactRun } from '../decide/status-size.js';
import { DEAD_LETTER_SENT_NOTE } from '../decide/event-notes.js';

export interface DeadLetterQueue {
  readonly queueName?: string;
  readonly queueUrl?: string;
  readonly region?: string;
}

export interface DeadLetterMessage {
  /** JSON, see deadLetterMessage. */
  readonly body: string;
  /** The run's identity: the same for every send of the same run, on every replica. */
  readonly deduplicationId: string;
  /** Keeps one resource's letters in order on a FIFO queue. */
  readonly groupId: string;
}

export interface DeadLetterSendOptions {
  /** Send as this role (the policy's `assumeRoleArn`); default: the controller's own. */
  readonly identity?: AwsIdentity;
  readonly signal?: AbortSignal;
}

/**
 * Where dead letters go. Throws TerminalError when the queue can never be used as written (the
 * error names the field), TransientError otherwise.
 */
export interface DeadLetterSink {
  send(
    queue: DeadLetterQueue,
    message: DeadLetterMessage,
    options?: DeadLetterSendOptions,
  ): Promise<{ readonly messageId?: string }>;
}

/** CamelCase event reasons of this step. */
export const DeadLetterReason = {
  Sent: 'DeadLetterSent',
  Failed: 'DeadLetterFailed',
  GaveUp: 'DeadLetterGaveUp',
} as const;

/** When a letter that cannot be sent is given up. */
export interface DeadLetterRetryOptions {
  /** Failed sends after which the letter is given up. Default 8 (about 26 minutes of backoff). */
  readonly maxAttempts?: number;
  /** A letter still unsent this long after its run failed is given up at its next failure. Default 1 h. */
  readonly maxAgeMs?: number;
}

export const DEFAULT_DEAD_LETTER_MAX_ATTEMPTS = 8;
export const DEFAULT_DEAD_LETTER_MAX_AGE_MS = 60 * 60_000;
// 15 s, 30 s, 1 min ... 10 min: a queue created a little after the resource is found quickly, and
// a missing one costs a few SQS calls an hour per letter.
const FIRST_BACKOFF_MS = 15_000;
const MAX_BACKOFF_MS = 10 * 60_000;

/** The wait after the `attempts`-th failed send. Pure. */
export function deadLetterBackoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
}

/** The earliest time a Pending letter of `runs` is due to be tried again, if any waits. Pure. */
export function nextDeadLetterAttempt(runs: readonly RunRecord[]): Date | undefined {
  const times = runs
    .filter((r) => r.deadLetter?.state === 'Pending' && r.deadLetter.nextAttemptAt !== undefined)
    .map((r) => Date.parse(r.deadLetter!.nextAttemptAt!));
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}

/** The `kind` field of every dead-letter message, for consumers that read several sources. */
export const DEAD_LETTER_KIND = 'EcsScheduledTaskRunFailed';

/** The message for a finally-failed run. Pure. */
export function deadLetterMessage(resource: EcsScheduledTaskResource, run: RunRecord): DeadLetterMessage {
  const runId = recordedRunIdentity(resource, run).clientToken;
  const { deadLetter: _deadLetter, ...record } = compactRun(run);
  const body = {
    kind: DEAD_LETTER_KIND,
    version: 1,
    runId,
    resource: {
      apiVersion: API_VERSION,
      kind: KIND,
      namespace: resource.metadata.namespace ?? 'default',
      name: resource.metadata.name ?? '',
      uid: resource.metadata.uid ?? '',
    },
    run: record,
  };
  return {
    body: JSON.stringify(body),
    deduplicationId: runId,
    groupId: `${resource.metadata.namespace ?? 'default'}/${resource.metadata.name ?? ''}`,
  };
}

export interface DeadLetterStepDeps {
  /** Absent: letters stay Pending, with a warning, until a controller with a sink runs or they are too old. */
  readonly sink?: DeadLetterSink;
  readonly fence: LeaseFence;
  readonly fenceMarginMs: number;
  readonly retry?: DeadLetterRetryOptions;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Sends the pass's Pending dead letters that are due and records each one Sent, retried or given up. */
export async function deliverDeadLetters(pass: Pass, deps: DeadLetterStepDeps): Promise<void> {
  const queue = pass.spec.deadLetter?.sqs;
  const pending = pass.runs.filter((r) => r.deadLetter?.state === 'Pending');
  if (pending.length === 0) return;
  if (queue === undefined) {
    // deadLetter was removed from the spec: nothing to deliver to.
    for (const run of pending) {
      const { deadLetter: _deadLetter, ...rest } = run;
      replaceRun(pass, run, rest);
    }
    return;
  }
  const maxAttempts = deps.retry?.maxAttempts ?? DEFAULT_DEAD_LETTER_MAX_ATTEMPTS;
  const maxAgeMs = deps.retry?.maxAgeMs ?? DEFAULT_DEAD_LETTER_MAX_AGE_MS;
  const now = pass.now.getTime();
  const ageMs = (run: RunRecord) => now - Date.parse(run.finishedAt ?? run.scheduledTime);
  if (deps.sink === undefined) {
    pass.log.warn('dead letters are pending but this controller has no SQS client', {
      runs: pending.length,
    });
    for (const run of pending.filter((r) => ageMs(r) >= maxAgeMs)) {
      giveUp(pass, run, run.deadLetter?.attempts ?? 0, 'this controller has no SQS client');
    }
    return;
  }
  for (const run of pending) {
    const due = run.deadLetter?.nextAttemptAt;
    if (due !== undefined && Date.parse(due) > now) continue;
    const message = deadLetterMessage(pass.resource, run);
    try {
      // A paused former leader must not send what the new one sends.
      assertMayLaunch(pass.signal, deps.fence, deps.fenceMarginMs, pass.key);
      const sent = await deps.sink.send(queue, message, {
        signal: pass.signal,
        ...(pass.identity ? { identity: pass.identity } : {}),
      });
      replaceRun(pass, run, {
        ...run,
        deadLetter: {
          state: 'Sent',
          sentAt: pass.now.toISOString(),
          ...(sent.messageId !== undefined ? { messageId: sent.messageId } : {}),
        },
      });
      pass.deadLetters.push('sent');
      pass.log.info('sent the dead letter of a failed run', {
        scheduledTime: run.scheduledTime,
        runId: message.deduplicationId,
        messageId: sent.messageId,
      });
      pass.events.push({
        type: 'Normal',
        reason: DeadLetterReason.Sent,
        message: DEAD_LETTER_SENT_NOTE,
        scheduledTime: run.scheduledTime,
      });
    } catch (error) {
      if (error instanceof PassAbortedError) throw error;
      if (error instanceof TerminalError) {
        // It can never be sent as written: report it once and stop trying for this run.
        pass.deadLetters.push('refused');
        const { deadLetter: _deadLetter, ...rest } = run;
        replaceRun(pass, run, {
          ...rest,
          deadLetter: { state: 'Failed', error: error.message.slice(0, 1024) },
        });
        pass.events.push({
          type: 'Warning',
          reason: DeadLetterReason.Failed,
          message: `run scheduled at ${run.scheduledTime}: the dead letter cannot be sent: ${error.message}`,
        });
        continue;
      }
      const attempts = (run.deadLetter?.attempts ?? 0) + 1;
      if (attempts >= maxAttempts || ageMs(run) >= maxAgeMs) {
        giveUp(pass, run, attempts, errorText(error));
        continue;
      }
      const nextAttemptAt = new Date(now + deadLetterBackoffMs(attempts)).toISOString();
      replaceRun(pass, run, {
        ...run,
        deadLetter: { state: 'Pending', attempts, nextAttemptAt, error: errorText(error).slice(0, 1024) },
      });
      pass.deadLetters.push('failed');
      pass.events.push({
        type: 'Warning',
        reason: DeadLetterReason.Failed,
        message: `run scheduled at ${run.scheduledTime}: sending the dead letter failed (attempt ${attempts} of ${maxAttempts}), will retry at ${nextAttemptAt}: ${errorText(error)}`,
      });
    }
  }
}

function giveUp(pass: Pass, run: RunRecord, attempts: number, why: string): void {
  const error = `gave up after ${attempts} failed attempt(s): ${why}`.slice(0, 1024);
  replaceRun(pass, run, { ...run, deadLetter: { state: 'Failed', attempts, error } });
  pass.deadLetters.push('abandoned');
  pass.events.push({
    type: 'Warning',
    reason: DeadLetterReason.GaveUp,
    message: `run scheduled at ${run.scheduledTime}: the dead letter was not sent and is given up: ${error}`,
  });
}
