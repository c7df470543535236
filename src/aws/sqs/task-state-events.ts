// `--task-events-queue`: ECS Task State Change events, delivered by an EventBridge rule to an SQS
// queue, tell the task tracker at once that a task stopped, instead of at its next poll (up to
// minutes later for a long task). An event is only a hint: the tracker asks DescribeTasks about the
// task before anything is recorded, so a late, repeated, reordered or forged event costs one
// batched call at most, and a lost one is found by the polls, which go on as the fallback.
//
// The queue is read with long polls: SQS holds each ReceiveMessage until a message arrives or the
// wait ends. An idle queue answers only when the wait ends, so the reading client must allow each
// request longer than the wait (createTaskEventsSqsClient); with the 10 s every other SQS call
// gets, every idle poll failed as a timeout, backed off, and left SQS to hand the next message to
// a poll nobody read any more, hidden for the queue's visibility timeout.
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Clock } from '../../controller/clock.js';
import { RUN_STARTED_BY_PREFIX } from '../../controller/decide/run-identity.js';
import { backoffDelayMs, type BackoffPolicy } from '../../flow/backoff.js';
import type { Logger } from '../../log/logger.js';
import { createSqsClient, type SqsApi, type SqsClientSettings } from './sqs-client.js';

/** SQS's longest long poll: the fewest empty receives, and a message still read as it arrives. */
export const TASK_EVENTS_WAIT_SECONDS = 20;
/**
 * How long past the wait a ReceiveMessage may take before it is called hung: the 10 s any other
 * SQS call gets, for the answer (up to 10 messages of 256 KiB) to travel once the wait is over.
 */
export const RECEIVE_MARGIN_MS = 10_000;

/** The request timeout of a client long-polling for `waitSeconds`: the wait plus the margin. */
export function receiveRequestTimeoutMs(waitSeconds: number = TASK_EVENTS_WAIT_SECONDS): number {
  return waitSeconds * 1000 + RECEIVE_MARGIN_MS;
}

/** What the task-events client is built with, beside the region, endpoint and credentials. */
export function taskEventsClientTimeouts(waitSeconds: number = TASK_EVENTS_WAIT_SECONDS): {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
} {
  // Connecting is not waiting for messages: it keeps the deadline of every other SQS call.
  return { connectionTimeoutMs: RECEIVE_MARGIN_MS, requestTimeoutMs: receiveRequestTimeoutMs(waitSeconds) };
}

/**
 * The SQS client that reads --task-events-queue: its own, not one shared with the trigger, whose
 * calls keep their 10 s deadline. Pass the same `waitSeconds` to TaskStateEvents.
 */
export function createTaskEventsSqsClient(
  settings: Omit<SqsClientSettings, 'requestTimeoutMs' | 'connectionTimeoutMs'> & {
    readonly waitSeconds?: number;
  },
): SQSClient {
  const { waitSeconds, ...rest } = settings;
  return createSqsClient({ ...rest, ...taskEventsClientTimeouts(waitSeconds) });
}

export type TaskEventOutcome = 'stopped' | 'other' | 'foreign' | 'malformed';

export interface TaskEventMetrics {
  /** One message read off the queue, by what it said. */
  received(outcome: TaskEventOutcome): void;
  /** A ReceiveMessage or DeleteMessageBatch call failed. */
  failed(): void;
}

export interface TaskStateEventsOptions {
  readonly sqs: SqsApi;
  readonly queueUrl: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A task this controller may have launched reached STOPPED. */
  readonly onStopped: (taskArn: string) => void;
  readonly metrics?: TaskEventMetrics;
  /**
   * Long-poll wait per ReceiveMessage, in whole seconds (SQS allows 1-20 for a long poll). Default
   * 20. The client's request timeout must be longer: build it with createTaskEventsSqsClient.
   */
  readonly waitSeconds?: number;
  /** Between failed receives. Default 1 s doubling to 60 s, half jittered. */
  readonly backoff?: BackoffPolicy;
}

const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, jitter: 0.5 };

/**
 * What one SQS message says: the ARN of a task of ours that stopped, or why it is ignored. An
 * EventBridge target delivers the event as the body; an SNS subscription wraps it in a
 * Notification whose Message is the event.
 */
export function readTaskEvent(body: string | undefined): { outcome: TaskEventOutcome; taskArn?: string } {
  let event: unknown;
  try {
    event = JSON.parse(body ?? '');
    if (isRecord(event) && event.Type === 'Notification' && typeof event.Message === 'string') {
      event = JSON.parse(event.Message);
    }
  } catch {
    return { outcome: 'malformed' };
  }
  if (!isRecord(event) || !isRecord(event.detail)) return { outcome: 'malformed' };
  if (event['detail-type'] !== 'ECS Task State Change') return { outcome: 'other' };
  const { taskArn, lastStatus, startedBy } = event.detail;
  if (typeof taskArn !== 'string') return { outcome: 'malformed' };
  // Other tools' tasks share the account's event bus: not worth a look-up.
  if (typeof startedBy !== 'string' || !startedBy.startsWith(RUN_STARTED_BY_PREFIX)) {
    return { outcome: 'foreign' };
  }
  return lastStatus === 'STOPPED' ? { outcome: 'stopped', taskArn } : { outcome: 'other' };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class TaskStateEvents {
  readonly #o: TaskStateEventsOptions;
  readonly #log: Logger;
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #cancelSleep: (() => void) | undefined;

  constructor(options: TaskStateEventsOptions) {
    const wait = options.waitSeconds ?? TASK_EVENTS_WAIT_SECONDS;
    if (!Number.isInteger(wait) || wait < 1 || wait > 20)
      throw new RangeError(`task events: waitSeconds ${wait} is not a whole number of seconds from 1 to 20`);
    this.#o = options;
    this.#log = options.logger.child({ component: 'task-events', queue: options.queueUrl });
  }

  start(): void {
    if (this.#loop) return;
    this.#stopping = new AbortController();
    this.#loop = this.#run(this.#stopping.signal);
  }

  /** Ends the long poll in flight and resolves when the loop has stopped. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#cancelSleep?.();
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.#receiveOnce(signal);
        if (failures > 0) this.#log.info('reading task state change events again');
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        this.#o.metrics?.failed();
        const delayMs = backoffDelayMs(failures, this.#o.backoff ?? DEFAULT_BACKOFF);
        // Polling covers every task meanwhile: a warning, not an error.
        if (failures === 0 || failures % 10 === 0) {
          this.#log.warn('cannot read task state change events; tasks are still polled', {
            error,
            retryInMs: delayMs,
            failures: failures + 1,
          });
        }
        failures++;
        await new Promise<void>((resolve) => {
          const cancel = this.#o.clock.setTimer(resolve, delayMs);
          this.#cancelSleep = () => {
            cancel();
            resolve();
          };
        });
        this.#cancelSleep = undefined;
      }
    }
  }

  async #receiveOnce(signal: AbortSignal): Promise<void> {
    const { sqs, queueUrl } = this.#o;
    // Nothing in the queue is an empty answer when the wait ends: no error, no backoff.
    const out = (await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: this.#o.waitSeconds ?? TASK_EVENTS_WAIT_SECONDS,
      }),
      { abortSignal: signal },
    )) as { Messages?: Message[] };
    const messages = out.Messages ?? [];
    if (messages.length === 0) return;
    for (const message of messages) {
      const { outcome, taskArn } = readTaskEvent(message.Body);
      this.#o.metrics?.received(outcome);
      if (outcome === 'malformed')
        this.#log.debug('ignored a message that is no ECS event', { id: message.MessageId });
      if (taskArn !== undefined) this.#o.onStopped(taskArn);
    }
    // Every message is done with once read: a hint is worth nothing twice, and polling is the net.
    const entries = messages.flatMap((m, i) =>
      m.ReceiptHandle ? [{ Id: String(i), ReceiptHandle: m.ReceiptHandle }] : [],
    );
    if (entries.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }), {
        abortSignal: signal,
      });
    }
  }
}
