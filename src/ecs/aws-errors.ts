// Turns AWS SDK errors (ECS and SQS) into ours. Nothing from the SDK crosses a port: callers get a
// ThrottledError, an AwsRejectedError (the service refused the request as given) or a
// TransientError (anything else, retried with backoff by the core).
import { ThrottledError, TransientError } from '../controller/errors.js';

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

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

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
export function mapAwsError(what: string, err: unknown): ThrottledError | AwsRejectedError | TransientError {
  if (err instanceof TransientError) return err;
  const name = awsErrorName(err);
  const message = `${what} failed: ${name}: ${awsErrorMessage(err)}`;
  if (isThrottlingError(err)) return new ThrottledError(message, { cause: err });
  if (isRejection(err)) return new AwsRejectedError(message, name, { cause: err });
  return new TransientError(message, name, { cause: err });
}

/** Exponential backoff with "equal jitter": at least half the step, so a retry never spins. */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(step / 2 + (step / 2) * random());
}
