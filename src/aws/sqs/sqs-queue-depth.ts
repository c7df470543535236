// The SQS trigger's signal: how many messages wait in a queue. Queue URLs are resolved once per
// (identity, region, name). Errors leave as ours, as AWS_ERROR_TABLE says: a missing queue is
// terminal (QueueNotFound: the resource is Stalled until the spec changes or the resync finds the
// queue), throttling is ThrottledError, a queue URL on a foreign host is terminal.
//
// A tenant writes `queueUrl`, so it is hostile input. The SDK's default is to send the request to
// the queue URL's host whenever it differs from the client's endpoint, which would let a tenant
// aim SigV4-signed requests, session token included, at any host. So:
// - clients are built with `useQueueUrlAsEndpoint: false`: the URL is only a request parameter;
// - before any call, the URL's host must be the Region's SQS endpoint (or the configured endpoint
//   override), else the run stops with a TerminalError naming `spec.trigger.sqs.queueUrl`.
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
  type GetQueueAttributesCommandOutput,
  type GetQueueUrlCommandOutput,
  type QueueAttributeName,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { awsRegionProblem } from '../aws-region.js';
import { systemClock, type Clock } from '../../controller/clock.js';
import type { AwsApi } from '../aws-call.js';
import { QueueUrlCache, type QueueRef } from '../queue-url-cache.js';
import { sqsCall } from './sqs-call.js';
import { awsRequestHandler } from '../aws-http-handler.js';
import { TerminalError, TransientError } from '../../controller/errors.js';
import type { AwsIdentity, QueueDepthSource } from '../../controller/ports.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { awsErrorMessage, awsErrorName, classifyAwsError, mapAwsError } from '../aws-errors.js';

export type SqsTrigger = Parameters<QueueDepthSource['queueDepth']>[0];

/** What the SQS adapters need of an SDK client: the base's AwsApi. An SQSClient satisfies it. */
export type SqsApi = AwsApi;

/**
 * The SQS client to use for a region, with the controller's own credentials (no identity) or
 * an admin policy's assumed role. The provider owns the clients it returns (caching, closing).
 */
export type SqsClientFor = (identity: AwsIdentity | undefined, region: string | undefined) => SqsApi;

const QUEUE_URL_FIELD = 'spec.trigger.sqs.queueUrl';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface SqsClientSettings {
  readonly region?: string;
  /** Endpoint override, for moto or LocalStack; the same one ECS uses. */
  readonly endpoint?: string;
  /** SDK-level attempts per call. Default 3. */
  readonly maxAttempts?: number;
  /** Whole-request deadline, in ms. Default 10 s; the whole call is bounded by the caller too. */
  readonly requestTimeoutMs?: number;
  /** Connect deadline, in ms. Default: requestTimeoutMs. */
  readonly connectionTimeoutMs?: number;
  /** Credentials other than the default chain's (an assumed role). */
  readonly credentials?: SQSClientConfig['credentials'];
}

/**
 * An SQSClient that never sends to a queue URL's host. Anything that builds SQS clients for the
 * trigger (the per-identity pool included) builds them here, so the setting cannot be forgotten.
 */
export function createSqsClient(settings: SqsClientSettings): SQSClient {
  const timeout = settings.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new SQSClient({
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
    maxAttempts: settings.maxAttempts ?? 3,
    useQueueUrlAsEndpoint: false,
    requestHandler: awsRequestHandler({
      connectionTimeoutMs: settings.connectionTimeoutMs ?? timeout,
      requestTimeoutMs: timeout,
    }),
  });
}

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

/** The region in a queue URL such as https://sqs.eu-west-1.amazonaws.com/123/q, if it names one. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  const region =
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
  // Each region gets a client: a host label that is no AWS region makes the URL no SQS endpoint.
  return region !== undefined && awsRegionProblem(region) === undefined ? region : undefined;
}

/**
 * Why a tenant's queue URL may not be read in `region`, or undefined when it may. Allowed hosts:
 * sqs.<region>.amazonaws.com, the legacy <region>.queue.amazonaws.com (both also under
 * .amazonaws.com.cn), and the endpoint override's host and port.
 */
export function queueUrlProblem(
  queueUrl: string,
  region: string | undefined,
  endpoint: string | undefined,
  regionField = 'spec.trigger.sqs.region',
): string | undefined {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `has scheme ${url.protocol}, not https:`;
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (endpoint !== undefined) {
    try {
      if (new URL(endpoint).host === url.host) return undefined;
    } catch {
      // An unparsable override allows nothing extra.
    }
  }
  const urlRegion = regionOfQueueUrl(queueUrl);
  const official = urlRegion !== undefined && url.port === '';
  if (!official) {
    const allowed = [
      region === undefined ? 'sqs.<region>.amazonaws.com' : `sqs.${region}.amazonaws.com`,
      ...(endpoint === undefined ? [] : [safeHost(endpoint)]),
    ];
    return `host ${url.host} is not an SQS endpoint (allowed: ${allowed.join(', ')})`;
  }
  if (region !== undefined && urlRegion !== region)
    return `is in region ${urlRegion}, but the queue is read in ${region} (${regionField})`;
  return undefined;
}

function safeHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
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
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
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
