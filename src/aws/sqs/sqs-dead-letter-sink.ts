// spec.deadLetter.sqs: one SendMessage per finally-failed run. The queue is the tenant's input, so
// it gets the SQS trigger's treatment: clients come from the same per-identity provider (built
// with `useQueueUrlAsEndpoint: false`), and a queueUrl must be on the Region's SQS endpoint
// (queueUrlProblem), else the send is refused with a TerminalError naming the field.
//
// A FIFO queue (its name ends in .fifo) gets MessageDeduplicationId = the run's identity, so a
// replay after a crash is dropped by SQS within its 5-minute window. Standard queues refuse that
// parameter; there the id travels as the `ecs-scheduler-run-id` attribute (and in the body) for
// the consumer to drop repeats.
import {
  GetQueueUrlCommand,
  SendMessageCommand,
  type GetQueueUrlCommandOutput,
  type SendMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import { awsRegionProblem } from '../aws-region.js';
import { systemClock, type Clock } from '../../controller/clock.js';
import type {
  DeadLetterMessage,
  DeadLetterQueue,
  DeadLetterSendOptions,
  DeadLetterSink,
} from '../../controller/pass/dead-letter.js';
import { TerminalError, TransientError } from '../../controller/errors.js';
import { classifyAwsError, mapAwsError } from '../aws-errors.js';
import { QueueUrlCache, type QueueRef } from '../queue-url-cache.js';
import { sqsCall } from './sqs-call.js';
import { DEFAULT_SQS_TIMEOUT_MS, type SqsApi, type SqsClientFor } from './sqs-client.js';
import { queueUrlProblem, regionOfQueueUrl } from './sqs-queue-url.js';

/** The message attribute that carries the run's identity on every queue type. */
export const RUN_ID_ATTRIBUTE = 'ecs-scheduler-run-id';

const FIELD = 'spec.deadLetter.sqs';

export interface SqsDeadLetterSinkOptions {
  /** The SQS clients per identity and region: the same provider the trigger uses. */
  readonly sqsClientFor: SqsClientFor;
  /** Region of queues that name none. Default: the SDK's resolution. */
  readonly region?: string;
  /** Endpoint override (moto, LocalStack); its host is an allowed queueUrl host. */
  readonly endpoint?: string;
  /** Upper bound on each SQS call, SDK retries included, in ms. Default 10 s. */
  readonly timeoutMs?: number;
  /** Drives the per-call timeout. Default: the system clock. */
  readonly clock?: Clock;
}

export class SqsDeadLetterSink implements DeadLetterSink {
  readonly #options: SqsDeadLetterSinkOptions;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #urls = new QueueUrlCache();

  constructor(options: SqsDeadLetterSinkOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_SQS_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
  }

  async send(
    queue: DeadLetterQueue,
    message: DeadLetterMessage,
    options: DeadLetterSendOptions = {},
  ): Promise<{ messageId?: string }> {
    const regionProblem = queue.region === undefined ? undefined : awsRegionProblem(queue.region);
    if (regionProblem !== undefined) {
      throw new TerminalError(`${FIELD}.region: ${regionProblem}`, 'RegionRefused');
    }
    const region =
      queue.region ??
      (queue.queueUrl === undefined ? undefined : regionOfQueueUrl(queue.queueUrl)) ??
      this.#options.region;
    if (queue.queueUrl !== undefined) {
      const problem = queueUrlProblem(queue.queueUrl, region, this.#options.endpoint, `${FIELD}.region`);
      if (problem !== undefined) throw new TerminalError(`${FIELD}.queueUrl: ${problem}`, 'QueueUrlRefused');
    } else if (queue.queueName === undefined) {
      throw new TerminalError(`${FIELD}: exactly one of queueName and queueUrl must be set`, 'QueueNotFound');
    }
    const client = this.#options.sqsClientFor(options.identity, region);
    const ref: QueueRef = { identity: options.identity, region, queueName: queue.queueName };
    const queueUrl =
      queue.queueUrl ??
      (await this.#resolveUrl(client, { ...ref, queueName: queue.queueName! }, options.signal));
    const fifo = (queue.queueName ?? new URL(queueUrl).pathname).endsWith('.fifo');
    let out: SendMessageCommandOutput;
    try {
      out = (await this.#call(
        client,
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: message.body,
          MessageAttributes: {
            [RUN_ID_ATTRIBUTE]: { DataType: 'String', StringValue: message.deduplicationId },
          },
          ...(fifo
            ? { MessageDeduplicationId: message.deduplicationId, MessageGroupId: message.groupId }
            : {}),
        }),
        options.signal,
      )) as SendMessageCommandOutput;
    } catch (error) {
      // A cached URL may name a queue deleted since: resolve it afresh next time.
      this.#urls.forget(ref);
      throw deadLetterSendError('SendMessage', queueUrl, error);
    }
    return out.MessageId === undefined ? {} : { messageId: out.MessageId };
  }

  #resolveUrl(
    client: SqsApi,
    queue: QueueRef & { readonly queueName: string },
    signal: AbortSignal | undefined,
  ) {
    return this.#urls.resolve(queue, async () => {
      try {
        const out = (await this.#call(
          client,
          new GetQueueUrlCommand({ QueueName: queue.queueName }),
          signal,
        )) as GetQueueUrlCommandOutput;
        return out.QueueUrl;
      } catch (error) {
        throw deadLetterSendError('GetQueueUrl', queue.queueName, error);
      }
    });
  }

  /** One SDK call, bounded by the timeout and the caller's signal, whichever comes first. */
  #call(client: SqsApi, command: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    return sqsCall(client, command, {
      clock: this.#clock,
      timeoutMs: this.#timeoutMs,
      ...(signal ? { signal } : {}),
    });
  }
}

/**
 * AWS_ERROR_TABLE calls QueueNotFound and PolicyDenied terminal-resource: right for the trigger,
 * whose resource is Stalled while its queue is missing. A dead letter's queue may be created after
 * the resource, and the controller (deliverDeadLetters) retries a failed send with backoff and
 * gives the letter up itself. So for the dead letter every row of the table is a failed send: a
 * TransientError, never a TerminalError (mapAwsError's AwsRejectedError is one). Only a queue the
 * spec can never name (a foreign host, no name) is a TerminalError, before any call.
 */
export function deadLetterSendError(operation: string, queue: string, error: unknown): TransientError {
  if (error instanceof TransientError) return error;
  if (classifyAwsError(error).reason === 'QueueNotFound') {
    // The queue may be created after the resource: keep the letter Pending and try again.
    return new TransientError(`SQS dead-letter queue ${queue} does not exist (yet)`, 'QueueNotFound', {
      cause: error,
    });
  }
  return mapAwsError(`SQS ${operation} (${queue}) for ${FIELD}`, error);
}
