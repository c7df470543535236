// The SQS trigger's signal: how many messages wait in a queue. Queue URLs are resolved once per
// (region, name) and SDK clients are kept per region. Errors leave as ours: a missing queue is
// transient (it may be created after the resource), throttling is ThrottledError.
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
  type GetQueueAttributesCommandOutput,
  type GetQueueUrlCommandOutput,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import { TransientError } from '../controller/errors.js';
import type { QueueDepthSource } from '../controller/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { awsErrorName, mapAwsError } from '../ecs/aws-errors.js';
import type { AwsApi } from '../ecs/ports.js';

export type SqsTrigger = Parameters<QueueDepthSource['queueDepth']>[0];

const QUEUE_NOT_FOUND = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);

export interface SqsQueueDepthOptions {
  /** Region of queues whose trigger names none. Default: the SDK's resolution (AWS_REGION, profile). */
  readonly region?: string;
  /** Endpoint override, for moto or LocalStack; the same one ECS uses. */
  readonly endpoint?: string;
  /** SDK-level attempts per call. Default 3. */
  readonly maxAttempts?: number;
  /** Builds the client for a region. Default: an SQSClient with the options above. */
  readonly clientFactory?: (region: string | undefined) => AwsApi;
  /** Default: silent. */
  readonly logger?: Logger;
}

/** The region in a queue URL such as https://sqs.eu-west-1.amazonaws.com/123/q, if it names one. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  return (
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/.exec(host)?.[1]
  );
}

export class SqsQueueDepth implements QueueDepthSource {
  readonly #defaultRegion: string | undefined;
  readonly #factory: (region: string | undefined) => AwsApi;
  readonly #log: Logger;
  readonly #clients = new Map<string, AwsApi>();
  readonly #urls = new Map<string, string>();

  constructor(options: SqsQueueDepthOptions = {}) {
    this.#defaultRegion = options.region;
    this.#log = options.logger ?? silentLogger;
    this.#factory =
      options.clientFactory ??
      ((region) =>
        new SQSClient({
          ...(region === undefined ? {} : { region }),
          ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
          maxAttempts: options.maxAttempts ?? 3,
        }));
  }

  async queueDepth(trigger: SqsTrigger): Promise<number> {
    const region =
      trigger.region ??
      (trigger.queueUrl === undefined ? undefined : regionOfQueueUrl(trigger.queueUrl)) ??
      this.#defaultRegion;
    const client = this.#client(region);
    const queueUrl = trigger.queueUrl ?? (await this.#resolveUrl(client, region, trigger.queueName));
    const attributes: QueueAttributeName[] = trigger.includeInFlight
      ? ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']
      : ['ApproximateNumberOfMessages'];
    let out: GetQueueAttributesCommandOutput;
    try {
      out = (await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: attributes }),
      )) as GetQueueAttributesCommandOutput;
    } catch (err) {
      // A cached URL may belong to a queue deleted since; resolve it afresh next time.
      if (trigger.queueName !== undefined) this.#urls.delete(urlKey(region, trigger.queueName));
      throw toSqsError('GetQueueAttributes', queueUrl, err);
    }
    let depth = 0;
    for (const name of attributes) {
      const raw = out.Attributes?.[name];
      const value = raw === undefined ? NaN : Number(raw);
      if (!Number.isInteger(value) || value < 0) {
        throw new TransientError(
          `SQS GetQueueAttributes for ${queueUrl}: ${name} is ${String(raw)}`,
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

  /** Releases every client's sockets. */
  close(): void {
    for (const client of this.#clients.values()) client.destroy?.();
    this.#clients.clear();
  }

  #client(region: string | undefined): AwsApi {
    const key = region ?? '';
    let client = this.#clients.get(key);
    if (client === undefined) {
      client = this.#factory(region);
      this.#clients.set(key, client);
    }
    return client;
  }

  async #resolveUrl(
    client: AwsApi,
    region: string | undefined,
    queueName: string | undefined,
  ): Promise<string> {
    if (queueName === undefined)
      throw new TransientError('SQS trigger names neither queueName nor queueUrl', 'QueueNotFound');
    const key = urlKey(region, queueName);
    const cached = this.#urls.get(key);
    if (cached !== undefined) return cached;
    let out: GetQueueUrlCommandOutput;
    try {
      out = (await client.send(new GetQueueUrlCommand({ QueueName: queueName }))) as GetQueueUrlCommandOutput;
    } catch (err) {
      throw toSqsError('GetQueueUrl', queueName, err);
    }
    if (out.QueueUrl === undefined)
      throw new TransientError(`SQS GetQueueUrl returned no URL for ${queueName}`, 'QueueNotFound');
    this.#urls.set(key, out.QueueUrl);
    return out.QueueUrl;
  }
}

function urlKey(region: string | undefined, queueName: string): string {
  return `${region ?? ''}\u0000${queueName}`;
}

function toSqsError(operation: string, queue: string, err: unknown): TransientError {
  if (QUEUE_NOT_FOUND.has(awsErrorName(err))) {
    return new TransientError(`SQS queue ${queue} does not exist (yet)`, 'QueueNotFound', { cause: err });
  }
  return mapAwsError(`SQS ${operation} (${queue})`, err);
}
