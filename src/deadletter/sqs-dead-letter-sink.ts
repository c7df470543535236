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
import { awsRegionProblem } from '../aws/aws-region.js';
import { systemClock, type Clock } from '../controller/clock.js';
import type {
  DeadLetterMessage,
  DeadLetterQueue,
  DeadLetterSendOptions,
  DeadLetterSink,
} from '../controller/pass/dead-letter.js';
import { TerminalError, TransientError } from '../controller/errors.js';
import type { AwsIdentity } from '../controller/ports.js';
import { awsErrorName, mapAwsError } from '../ecs/aws-errors.js';
import {
  queueUrlProblem,
  regionOfQueueUrl,
  type SqsApi,
  type SqsClientFor,
} from '../trigger/sqs-queue-depth.js';

/** The message attribute that carries the run's identity on every queue type. */
export const RUN_ID_ATTRIBUTE = 'ecs-scheduler-run-id';

const FIELD = 'spec.deadLetter.sqs';
const QUEUE_NOT_FOUND = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);
const DEFAULT_TIMEOUT_MS = 10_000;

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
  readonly #urls = new Map<string, string>();

  constructor(options: SqsDeadLetterSinkOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
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
    const queueUrl =
      queue.queueUrl ??
      (await this.#resolveUrl(client, options.identity, region, queue.queueName!, options.signal));
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
      this.#urls.delete(urlKey(options.identity, region, queue.queueName));
      throw sqsError('SendMessage', queueUrl, error);
    }
    return out.MessageId === undefined ? {} : { messageId: out.MessageId };
  }

  async #resolveUrl(
    client: SqsApi,
    identity: AwsIdentity | undefined,
    region: string | undefined,
    queueName: string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const key = urlKey(identity, region, queueName);
    const cached = this.#urls.get(key);
    if (cached !== undefined) return cached;
    let out: GetQueueUrlCommandOutput;
    try {
      out = (await this.#call(
        client,
        new GetQueueUrlCommand({ QueueName: queueName }),
        signal,
      )) as GetQueueUrlCommandOutput;
    } catch (error) {
      throw sqsError('GetQueueUrl', queueName, error);
    }
    if (out.QueueUrl === undefined)
      throw new TransientError(`SQS GetQueueUrl returned no URL for ${queueName}`, 'QueueNotFound');
    this.#urls.set(key, out.QueueUrl);
    return out.QueueUrl;
  }

  /** One SDK call, bounded by the timeout and the caller's signal, whichever comes first. */
  async #call(client: SqsApi, command: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    if (signal?.aborted) throw new TransientError('SQS call cancelled', 'Aborted', { cause: signal.reason });
    const controller = new AbortController();
    const cancelTimer = this.#clock.setTimer(
      () => controller.abort(new TransientError(`no answer within ${this.#timeoutMs} ms`, 'SqsTimeout')),
      this.#timeoutMs,
    );
    const onAbort = () =>
      controller.abort(new TransientError('SQS call cancelled', 'Aborted', { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    // A client that ignores the signal still settles: the race ends the call regardless.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), {
        once: true,
      });
    });
    try {
      return await Promise.race([client.send(command, { abortSignal: controller.signal }), aborted]);
    } catch (error) {
      if (controller.signal.aborted && controller.signal.reason instanceof TransientError)
        throw controller.signal.reason;
      throw error;
    } finally {
      cancelTimer();
      signal?.removeEventListener('abort', onAbort);
      if (!controller.signal.aborted) controller.abort();
    }
  }
}

function urlKey(identity: AwsIdentity | undefined, region: string | undefined, queueName?: string): string {
  return [identity?.roleArn ?? '', identity?.externalId ?? '', region ?? '', queueName ?? ''].join('\u0000');
}

function sqsError(operation: string, queue: string, error: unknown): TransientError {
  if (error instanceof TransientError) return error;
  if (QUEUE_NOT_FOUND.has(awsErrorName(error))) {
    // The queue may be created after the resource: keep the letter Pending and try again.
    return new TransientError(`SQS dead-letter queue ${queue} does not exist (yet)`, 'QueueNotFound', {
      cause: error,
    });
  }
  return mapAwsError(`SQS ${operation} (${queue}) for ${FIELD}`, error);
}
