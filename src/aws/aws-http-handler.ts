// The HTTP settings every AWS SDK client of the controller should share (ECS, SQS, STS, logs):
// keep-alive sockets with a bound per client, and deadlines that actually fail a call. The SDK's
// `requestTimeout` on its own only logs a warning when exceeded (it was long a socket idle
// timeout); `throwOnRequestTimeout` makes it a TimeoutError, which our error mapping retries.
// Pass the result as the client's `requestHandler`; the SDK builds its NodeHttpHandler from it.

export interface AwsHttpOptions {
  /** TCP (and TLS) connect deadline. Default 3 s: AWS endpoints answer a SYN in milliseconds. */
  readonly connectionTimeoutMs?: number;
  /**
   * Whole-call deadline, request sent to response read. Default 10 s: ECS and SQS answer in well
   * under a second; a call past this is hung, and holding a worker on it is worse than retrying.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Sockets per client and endpoint. Default 64, one per reconcile worker, so a burst of launches
   * never waits for a socket while the token buckets, not the pool, set the pace.
   */
  readonly maxSockets?: number;
}

/** The subset of the SDK's NodeHttpHandlerOptions we set (structural, so no @smithy import). */
export interface AwsRequestHandlerOptions {
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
  readonly throwOnRequestTimeout: true;
  readonly httpAgent: { readonly keepAlive: true; readonly maxSockets: number };
  readonly httpsAgent: { readonly keepAlive: true; readonly maxSockets: number };
}

export const AWS_HTTP_DEFAULTS: Required<AwsHttpOptions> = {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
  maxSockets: 64,
};

/** `requestHandler` options for an AWS SDK v3 client. */
export function awsRequestHandler(options: AwsHttpOptions = {}): AwsRequestHandlerOptions {
  const { connectionTimeoutMs, requestTimeoutMs, maxSockets } = { ...AWS_HTTP_DEFAULTS, ...options };
  // http too: moto, LocalStack and VPC endpoints behind a proxy are often plain HTTP.
  const agent = { keepAlive: true, maxSockets } as const;
  return {
    connectionTimeout: connectionTimeoutMs,
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
    httpAgent: agent,
    httpsAgent: agent,
  };
}
