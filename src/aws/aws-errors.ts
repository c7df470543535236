// Turns AWS SDK errors (ECS and SQS) into ours. Nothing from the SDK crosses a port: callers get a
// ThrottledError, an AwsRejectedError (the service refused the request as given) or a
// TransientError (anything else, retried with backoff by the core).
//
// AWS_ERROR_TABLE below is the one place that decides what an error means for a run; the "Error handling"
// table of docs/concepts/error-handling.md is the same table, and test/unit/aws/aws-errors.test.ts checks both.
// Each caller reads a row for what its own controller does: a terminal-resource row stalls the
// resource whose spec names the thing (the trigger's queue, a policy); the dead-letter sink, whose
// sends the controller retries and gives up on its own, reads every row as a failed send
// (deadLetterSendError in sqs/sqs-dead-letter-sink.ts).
import {
  AccessDeniedError,
  IAM_PROPAGATION_MS,
  ThrottledError,
  TransientError,
} from '../controller/errors.js';

export { IAM_PROPAGATION_MS };

/**
 * - `retry`: transient; the pass is retried with backoff while the time is due: until
 *   startingDeadlineSeconds passes (Missed, StartingDeadlineExceeded) or, without one, until the
 *   next scheduled time takes its place (Missed, Coalesced).
 * - `terminal-run`: a RunTask refused this way fails this run (LaunchFailed), the next one tries
 *   again. The same error from any other call is retried.
 * - `terminal-resource`: the spec or a policy is wrong; the resource is Stalled with this reason
 *   and a Warning event, and not retried until it changes or the 10-minute resync.
 */
export type ErrorDisposition = 'retry' | 'terminal-run' | 'terminal-resource';

export interface ErrorRow {
  /** The row's name; a terminal-resource error stalls the resource with it as the reason. */
  readonly reason: string;
  /** Error names, codes or RunTask failure reasons (a trailing `*` is a prefix). */
  readonly errors: readonly string[];
  readonly disposition: ErrorDisposition;
  /** Retried for at most this long after the first occurrence, then terminal-resource. */
  readonly retryForMs?: number;
  readonly why: string;
}

export const AWS_ERROR_TABLE: readonly ErrorRow[] = [
  {
    reason: 'Throttled',
    errors: [
      'ThrottlingException',
      'Throttling',
      'ThrottledException',
      'TooManyRequestsException',
      'RequestLimitExceeded',
      'RequestThrottled',
      'RequestThrottledException',
      'SlowDown',
      'HTTP 429',
    ],
    disposition: 'retry',
    why: 'the account or Region budget is spent for now; the token buckets and backoff slow down',
  },
  {
    reason: 'ServerError',
    errors: [
      'ServerException',
      'InternalFailure',
      'InternalError',
      'InternalServerError',
      'ServiceUnavailable',
      'ServiceUnavailableException',
      'HTTP 5xx',
    ],
    disposition: 'retry',
    why: 'a fault on the AWS side; the same request usually succeeds a moment later',
  },
  {
    reason: 'CapacityUnavailable',
    errors: ['RESOURCE:*', 'Capacity is unavailable at this time*'],
    disposition: 'retry',
    why: 'no CPU, memory, ENI or Fargate capacity right now; capacity frees up or scales out',
  },
  {
    reason: 'ContainerInstanceUnavailable',
    errors: ['AGENT', 'MISSING'],
    disposition: 'retry',
    why: 'the chosen container instance lost its agent or went away; another placement may succeed',
  },
  {
    reason: 'CredentialsExpired',
    errors: ['ExpiredTokenException', 'ExpiredToken', 'RequestExpired'],
    disposition: 'retry',
    why: 'temporary credentials expired mid-call; the SDK provider fetches fresh ones',
  },
  {
    reason: 'AccessDenied',
    errors: [
      'AccessDenied',
      'AccessDeniedException',
      'UnrecognizedClientException',
      'InvalidClientTokenId',
      'KMS.AccessDeniedException',
    ],
    disposition: 'retry',
    retryForMs: IAM_PROPAGATION_MS,
    why: "IAM is eventually consistent: a new role or policy takes a while to apply. Denied for longer than 2 min (counted from the resource's first denial; a pass that ends without error starts the count again), it is a policy problem: Stalled with reason AccessDenied and a Warning event, and no more retries with backoff: tried again at the next scheduled time, the 10-minute resync or a change to the resource",
  },
  {
    reason: 'LimitExceeded',
    errors: ['LimitExceededException', 'OverLimit'],
    disposition: 'retry',
    why: 'a service quota is reached for now (tasks in PROVISIONING, in-flight messages); it drains',
  },
  {
    reason: 'NetworkError',
    errors: [
      'ECONNRESET',
      'ECONNREFUSED',
      'ETIMEDOUT',
      'EPIPE',
      'EAI_AGAIN',
      'ENOTFOUND',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'UND_ERR_SOCKET',
      'socket hang up',
    ],
    disposition: 'retry',
    why: 'the connection failed or was cut; nothing says the service refused anything',
  },
  {
    reason: 'Timeout',
    errors: [
      'TimeoutError',
      'AbortError',
      'RequestTimeout',
      'RequestTimeoutException',
      'IDPCommunicationError',
    ],
    disposition: 'retry',
    why: 'our per-call timeout or the service gave up; a RunTask retry reuses its clientToken, so it cannot launch twice',
  },
  {
    reason: 'IdempotencyConflict',
    errors: ['ConflictException'],
    disposition: 'retry',
    why: "ECS already holds a launch for this run's clientToken: the launcher adopts the tasks it names (never a failure)",
  },
  {
    reason: 'InvalidParameter',
    errors: [
      'InvalidParameterException',
      'PlatformUnknownException',
      'PlatformTaskDefinitionIncompatibilityException',
      'UnsupportedFeatureException',
      'ATTRIBUTE',
    ],
    disposition: 'terminal-run',
    why: 'ECS refused these parameters (subnets, platform version, overrides, placement); this run fails and says why',
  },
  {
    reason: 'TaskDefinitionNotFound',
    errors: ['ClientException'],
    disposition: 'terminal-run',
    why: 'ECS answers "Unable to find task definition" (or an INACTIVE one) this way; a later run may find it registered',
  },
  {
    reason: 'ClusterNotFound',
    errors: ['ClusterNotFoundException', 'ClusterContainsNoInstances', 'BlockedException'],
    disposition: 'terminal-run',
    why: 'the cluster does not exist (or the account is blocked); this run fails, a later one may find it',
  },
  {
    reason: 'Rejected',
    errors: ['any other client fault'],
    disposition: 'terminal-run',
    why: 'the service refused the request as given; sending it unchanged cannot help',
  },
  {
    reason: 'QueueNotFound',
    errors: ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'InvalidAddress'],
    disposition: 'terminal-resource',
    why: 'spec.trigger.sqs names no queue: a spec problem, Stalled until the spec changes or the 10-minute resync finds the queue. For spec.deadLetter it is a failed send: the letter stays Pending, is retried with backoff and given up after --dead-letter-max-attempts or --dead-letter-max-age: the queue may be created after the resource',
  },
  {
    reason: 'PolicyDenied',
    errors: ['PolicyDenied', 'InvalidSecurity', 'KMS.DisabledException', 'KMS.NotFoundException'],
    disposition: 'terminal-resource',
    why: 'an EcsSchedulerPolicy (Stalled until the spec or a policy changes), or a queue or key policy of the trigger queue (Stalled until the spec changes or the resync), forbids what the spec asks; a person must change one of them. For spec.deadLetter these are failed sends, retried and given up the same way',
  },
  {
    reason: 'Unknown',
    errors: ['anything else'],
    disposition: 'retry',
    why: 'an error we cannot place is retried within the deadline rather than dropped, and logged with its name. A RunTask failures[].reason the table does not name fails the run instead: retrying an unexplained refusal would repeat it',
  },
];

export interface AwsErrorClass {
  readonly disposition: ErrorDisposition;
  readonly reason: string;
  /** The error's own name or code, for messages. */
  readonly name: string;
  readonly row: ErrorRow;
}

function row(reason: string): ErrorRow {
  const found = AWS_ERROR_TABLE.find((r) => r.reason === reason);
  if (found === undefined) throw new Error(`no row ${reason}`);
  return found;
}

const BY_NAME = new Map<string, ErrorRow>(
  AWS_ERROR_TABLE.flatMap((r) => r.errors.filter((e) => !e.endsWith('*')).map((e) => [e, r] as const)),
);
const PREFIXES = AWS_ERROR_TABLE.flatMap((r) =>
  r.errors.filter((e) => e.endsWith('*')).map((e) => [e.slice(0, -1).toLowerCase(), r] as const),
);

/**
 * Where `err` (anything an SDK call, a RunTask `failures[].reason` string or our own timeout threw)
 * falls in AWS_ERROR_TABLE. `failingForMs` is how long the same call has kept failing: an
 * AccessDenied older than the IAM propagation bound becomes terminal-resource.
 */
export function classifyAwsError(err: unknown, options: { failingForMs?: number } = {}): AwsErrorClass {
  const name = typeof err === 'string' ? err : awsErrorName(err);
  const found = findRow(err, name);
  const expired = found.retryForMs !== undefined && (options.failingForMs ?? 0) > found.retryForMs;
  return {
    disposition: expired ? 'terminal-resource' : found.disposition,
    reason: found.reason,
    name,
    row: found,
  };
}

function findRow(err: unknown, name: string): ErrorRow {
  const exact = BY_NAME.get(name);
  if (exact !== undefined) return exact;
  const text = typeof err === 'string' ? err.toLowerCase() : name.toLowerCase();
  for (const [prefix, r] of PREFIXES) if (text.startsWith(prefix)) return r;
  if (typeof err === 'string') return row('Unknown');
  const e = asErrorLike(err);
  if (isThrottlingError(err)) return row('Throttled');
  const status = e.$metadata?.httpStatusCode;
  if (e.$fault === 'server' || (typeof status === 'number' && status >= 500)) return row('ServerError');
  const message = typeof e.message === 'string' ? e.message : '';
  if (/socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT/.test(message)) return row('NetworkError');
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  if (cause !== undefined && cause !== err && typeof cause === 'object') {
    const inner = findRow(cause, awsErrorName(cause));
    if (inner.reason !== 'Unknown') return inner;
  }
  if (e.$fault === 'client') return row('Rejected');
  return row('Unknown');
}

/** The shape of an SDK v3 service exception, read defensively: anything may be thrown. */
interface AwsErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: { readonly throttling?: unknown };
}

/**
 * The service understood the request and refused it as given (bad parameters, unknown cluster,
 * access denied). Sending it again unchanged will not help, but the refusal may be lifted later
 * (an IAM fix, a cluster created), so it is transient to everything except RunTask, which reports
 * it as a launch failure instead.
 */
export class AwsRejectedError extends TransientError {
  constructor(message: string, reason: string, options?: { cause?: unknown }) {
    super(message, reason, options);
    this.name = 'AwsRejectedError';
  }
}

// The Throttled row of the table, less its HTTP status: one list of names, not two.
const THROTTLING_NAMES = new Set(
  AWS_ERROR_TABLE.find((row) => row.reason === 'Throttled')!.errors.filter((e) => !e.startsWith('HTTP ')),
);

// Client faults that a retry of the identical request could cure; everything else with
// $fault=client is a rejection.
const RETRYABLE_CLIENT_FAULTS = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'IDPCommunicationError',
]);

function asErrorLike(err: unknown): AwsErrorLike {
  return typeof err === 'object' && err !== null ? (err as AwsErrorLike) : {};
}

/** The error's SDK name (for example ThrottlingException), or its code, or 'UnknownError'. */
export function awsErrorName(err: unknown): string {
  const e = asErrorLike(err);
  if (typeof e.name === 'string' && e.name !== '' && e.name !== 'Error') return e.name;
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  return 'UnknownError';
}

export function awsErrorMessage(err: unknown): string {
  const e = asErrorLike(err);
  if (typeof e.message === 'string' && e.message !== '') return e.message;
  return typeof err === 'string' ? err : awsErrorName(err);
}

export function isThrottlingError(err: unknown): boolean {
  const e = asErrorLike(err);
  const name = awsErrorName(err);
  return (
    THROTTLING_NAMES.has(name) ||
    /throttl/i.test(name) ||
    e.$metadata?.httpStatusCode === 429 ||
    e.$retryable?.throttling === true
  );
}

/** A refusal of the request as given: a client fault that is neither throttling nor a timeout. */
export function isRejection(err: unknown): boolean {
  const e = asErrorLike(err);
  return e.$fault === 'client' && !isThrottlingError(err) && !RETRYABLE_CLIENT_FAULTS.has(awsErrorName(err));
}

/**
 * Maps any thrown value from an SDK call to one of our errors. `what` names the call for the
 * message, for example "ECS RunTask".
 */
export function mapAwsError(
  what: string,
  err: unknown,
): ThrottledError | AccessDeniedError | AwsRejectedError | TransientError {
  if (err instanceof TransientError) return err;
  const name = awsErrorName(err);
  const message = `${what} failed: ${name}: ${awsErrorMessage(err)}`;
  const cls = classifyAwsError(err);
  if (cls.reason === 'Throttled') return new ThrottledError(message, { cause: err });
  // Retried while IAM propagates; the reconciler stalls the resource when it persists.
  if (cls.reason === 'AccessDenied') return new AccessDeniedError(message, name, { cause: err });
  if (cls.disposition !== 'retry') return new AwsRejectedError(message, name, { cause: err });
  return new TransientError(message, name, { cause: err });
}
