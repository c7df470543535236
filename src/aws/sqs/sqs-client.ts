// The SQS clients of every SQS adapter (trigger, dead letter, task events). A tenant writes the
// queue URL, so it is hostile input: the SDK's default is to send the request to the queue URL's
// host whenever it differs from the client's endpoint, which would let a tenant aim SigV4-signed
// requests, session token included, at any host. So clients are built with
// `useQueueUrlAsEndpoint: false` (the URL is only a request parameter), and only here.
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import type { AwsIdentity } from '../../controller/ports.js';
import type { AwsApi } from '../aws-call.js';
import { awsRequestHandler } from '../aws-http-handler.js';

/** What the SQS adapters need of an SDK client: the base's AwsApi. An SQSClient satisfies it. */
export type SqsApi = AwsApi;

/**
 * The SQS client to use for a region, with the controller's own credentials (no identity) or
 * an admin policy's assumed role. The provider owns the clients it returns (caching, closing).
 */
export type SqsClientFor = (identity: AwsIdentity | undefined, region: string | undefined) => SqsApi;

/** Every SQS call's deadline unless said otherwise: SQS answers in well under a second. */
export const DEFAULT_SQS_TIMEOUT_MS = 10_000;

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
  const timeout = settings.requestTimeoutMs ?? DEFAULT_SQS_TIMEOUT_MS;
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
