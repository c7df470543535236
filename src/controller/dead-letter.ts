// The dead letter of a run that failed after its last retry (spec.deadLetter): one JSON message
// per run, sent once. Settling marks the run `deadLetter.state: Pending` in the same status write
// that records the failure; this step sends Pending letters and marks them Sent. A crash between
// the send and the write sends again on the next pass, with the same deduplication id (the run's
// identity), which a FIFO queue drops; a standard queue carries the id in the message for its
// consumer. A send that fails stays Pending (and is kept in the history) until it succeeds.
import { API_VERSION, KIND } from '../api/constants.js';
import type { EcsScheduledTaskResource, RunRecord } from '../api/types.js';
import { TerminalError } from './errors.js';
import { assertMayLaunch, PassAbortedError } from './fencing.js';
import type { AwsIdentity, LeaseFence } from './ports.js';
import { replaceRun, toTransient, type Pass } from './reconcile-pass.js';
import { recordedRunIdentity } from './run-identity.js';
import { compactRun } from './status-size.js';

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
} as const;

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
  /** Absent: letters stay Pending, with a warning, until a controller with a sink runs. */
  readonly sink?: DeadLetterSink;
  readonly fence: LeaseFence;
  readonly fenceMarginMs: number;
}

/** Sends the pass's Pending dead letters and records each one Sent. */
export async function deliverDeadLetters(pass: Pass, deps: DeadLetterStepDeps): Promise<void> {
  const queue = pass.spec.deadLetter?.sqs;
  const pending = pass.runs.filter((r) => r.deadLetter?.state === 'Pending');
  if (pending.length === 0) return;
  if (queue === undefined || deps.sink === undefined) {
    // deadLetter was removed from the spec, or this controller cannot send: nothing to deliver to.
    if (queue === undefined) {
      for (const run of pending) {
        const { deadLetter: _deadLetter, ...rest } = run;
        replaceRun(pass, run, rest);
      }
    } else {
      pass.log.warn('dead letters are pending but this controller has no SQS client', {
        runs: pending.length,
      });
    }
    return;
  }
  for (const run of pending) {
    const message = deadLetterMessage(pass.resource, run);
    try {
      // A paused former leader must not send what the new one sends.
      assertMayLaunch(pass.signal, deps.fence, deps.fenceMarginMs);
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
        message: `run scheduled at ${run.scheduledTime}: sent to the dead-letter queue`,
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
      pass.deadLetters.push('failed');
      pass.errors.push(toTransient(error, 'sending a dead letter'));
      pass.events.push({
        type: 'Warning',
        reason: DeadLetterReason.Failed,
        message: `run scheduled at ${run.scheduledTime}: sending the dead letter failed, will retry: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
}
