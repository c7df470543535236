// The SQS trigger's signal: how many messages wait in a queue. Queue URLs are resolved once per
// (identity, region, name). Errors leave as ours, as AWS_ERROR_TABLE says: a missing queue is
// terminal (QueueNotFound: the resource is Stalled until the spec changes or the resync finds the
// queue), throttling is ThrottledError, a queue URL on a foreign host is terminal.
//
// A tenant writes `queueUrl`, so it is hostile input: the clients never send to its host
// (sqs-client.ts), and before any call the URL's host must be the Region's SQS endpoint (or the
// configured endpoint override), else the run stops with a TerminalError naming
// `spec.trigger.sqs.queueUrl` (sqs-queue-url.ts).
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type GetQueueAttributesCommandOutput,
  type GetQueueUrlCommandOutput,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import { systemClock, type Clock } from '../../controller/clock.js';
import { TerminalError, TransientError } from '../../controller/errors.js';
import type { AwsIdentity, QueueDepthSource } from '../../controller/ports.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { awsRegionProblem } from '../aws-region.js';
import { QueueUrlCache, type QueueRef } from '../queue-url-cache.js';
import { sqsCall } from './sqs-call.js';
import { createSqsClient, DEFAULT_SQS_TIMEOUT_MS, type SqsApi, type SqsClientFor } from './sqs-client.js';
import { queueUrlProblem, regionOfQueueUrl } from './sqs-queue-url.js';
import { awsErrorMessage, awsErrorName, classifyAwsError, mapAwsError } from '../aws-errors.js';

export type SqsTrigger = Parameters<QueueDepthSource['queueDepth']>[0];

const QUEUE_URL_FIELD = 'spec.trigger.sqs.queueUrl';
export interface SqsQueueDepthOptions {
  /** Region of queues whose trigger names none. Default: the SDK's resolution (AWS_REGION, profile). */
  readonly region?: string;
  /** Endpoint override, for moto or LocalStack; its host is an allowed queue URL host. */
  readonly endpoint?: string;
  /** SDK-level attempts per call, for the default clients. Default 3. */
  readonly maxAttempts?: number;
  /**
   * Clients per identity and region. Default: one client per region built by createSqsClient
   * with the controller's credentials; an identity is then refused, as it cannot be honoured.
   */
  readonly sqsClientFor?: SqsClientFor;
  /** Upper bound on each SQS call, SDK retries included, in ms. Default 10 s. */
  readonly timeoutMs?: number;
  /** Drives the per-call timeout. Default: the system clock. */
  readonly clock?: Clock;
  /** Default: silent. */
  readonly logger?: Logger;
}

export interface QueueDepthOptions {
  /** Read the queue with this role's credentials instead of the controller's own. */
  readonly identity?: AwsIdentity;
  /** Gives up (TransientError 'Aborted') when this aborts, e.g. at shutdown. */
  readonly signal?: AbortSignal;
}

export class SqsQueueDepth implements QueueDepthSource {
  readonly #defaultRegion: string | undefined;
  readonly #endpoint: string | undefined;
  readonly #clientFor: SqsClientFor;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  /** Clients this instance built itself (the default provider); closed by close(). */
  readonly #ownClients = new Map<string, SqsApi>();
  readonly #urls = new QueueUrlCache();

  constructor(options: SqsQueueDepthOptions = {}) {
    this.#defaultRegion = options.region;
    this.#endpoint = options.endpoint;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_SQS_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#clientFor =
      options.sqsClientFor ??
      ((identity, region) => {
        if (identity !== undefined) {
          throw new TerminalError(
            `this controller cannot assume ${identity.roleArn} to read the queue (no role provider configured)`,
            'IdentityUnavailable',
          );
        }
        const key = region ?? '';
        let client = this.#ownClients.get(key);
        if (client === undefined) {
          client = createSqsClient({
            region,
            endpoint: options.endpoint,
            maxAttempts: options.maxAttempts,
            requestTimeoutMs: this.#timeoutMs,
          });
          this.#ownClients.set(key, client);
        }
        return client;
      });
  }

  async queueDepth(trigger: SqsTrigger, options: QueueDepthOptions = {}): Promise<number> {
    const region =
      trigger.region ??
      (trigger.queueUrl === undefined ? undefined : regionOfQueueUrl(trigger.queueUrl)) ??
      this.#defaultRegion;
    // The SDK builds the endpoint from the region (it must stay one host label), and each region
    // gets a client of its own.
    const regionProblem = trigger.region === undefined ? undefined : awsRegionProblem(trigger.region);
    if (regionProblem !== undefined) {
      throw new TerminalError(`spec.trigger.sqs.region: ${regionProblem}`, 'RegionRefused');
    }
    if (trigger.queueUrl !== undefined) {
      const problem = queueUrlProblem(trigger.queueUrl, region, this.#endpoint);
      if (problem !== undefined) {
        throw new TerminalError(`${QUEUE_URL_FIELD}: ${problem}`, 'QueueUrlRefused');
      }
    }
    const client = this.#clientFor(options.identity, region);
    const queue: QueueRef = { identity: options.identity, region, queueName: trigger.queueName };
    const queueUrl = trigger.queueUrl ?? (await this.#resolveUrl(client, queue, options.signal));
    const attributes: QueueAttributeName[] = trigger.includeInFlight
      ? ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']
      : ['ApproximateNumberOfMessages'];
    let out: GetQueueAttributesCommandOutput;
    try {
      out = (await this.#send(
        client,
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: attributes }),
        options.signal,
      )) as GetQueueAttributesCommandOutput;
    } catch (err) {
      // A cached URL may belong to a queue deleted since; resolve it afresh next time.
      this.#urls.forget(queue);
      throw toSqsError('GetQueueAttributes', queueUrl, err);
    }
    let depth = 0;
    for (const name of attributes) {
      const raw = out.Attributes?.[name];
      const value = raw === undefined ? NaN : Number(raw);
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new TransientError(
          `SQS GetQueueAttributes for ${queueUrl}: ${name} is ${String(raw).slice(0, 64)}`,
          'SqsBadResponse',
        );
      }
      depth += value;
    }
    this.#log.debug('SQS queue depth', {
      queueUrl,
      depth,
      includeInFlight: trigger.includeInFlight ?? false,
    });
    return depth;
  }

  /** Releases the sockets of the clients this instance built; an injected provider closes its own. */
  close(): void {
    for (const client of this.#ownClients.values()) client.destroy?.();
    this.#ownClients.clear();
  }

  /** One SDK call, bounded by the timeout and the caller's signal, whichever comes first. */
  #send(client: SqsApi, command: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    return sqsCall(client, command, {
      clock: this.#clock,
      timeoutMs: this.#timeoutMs,
      ...(signal ? { signal } : {}),
    });
  }

  async #resolveUrl(client: SqsApi, queue: QueueRef, signal: AbortSignal | undefined): Promise<string> {
    const queueName = queue.queueName;
    if (queueName === undefined)
      throw new TerminalError(
        'spec.trigger.sqs: exactly one of queueName and queueUrl must be set',
        'QueueNotFound',
      );
    return this.#urls.resolve({ ...queue, queueName }, async () => {
      try {
        const out = (await this.#send(
          client,
          new GetQueueUrlCommand({ QueueName: queueName }),
          signal,
        )) as GetQueueUrlCommandOutput;
        return out.QueueUrl;
      } catch (err) {
        throw toSqsError('GetQueueUrl', queueName, err);
      }
    });
  }
}

/**
 * The error table (aws-errors.ts) decides: a queue that does not exist, or a key policy that forbids
 * reading it, is a spec problem shown as Stalled until the spec changes or a resync finds the queue;
 * everything else is retried.
 */
function toSqsError(operation: string, queue: string, err: unknown): TransientError | TerminalError {
  if (err instanceof TransientError) return err;
  const cls = classifyAwsError(err);
  if (cls.disposition === 'terminal-resource') {
    return new TerminalError(
      `spec.trigger.sqs: SQS ${operation} (${queue}) failed: ${awsErrorName(err)}: ${awsErrorMessage(err)}`,
      cls.reason,
    );
  }
  return mapAwsError(`SQS ${operation} (${queue})`, err);
}
