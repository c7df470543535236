/**
 * Errors crossing a port are ours, not a client library's. Two families matter to the reconciler:
 * terminal (an invalid spec: report it and do not retry) and transient (retry with backoff).
 */
export class TerminalError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'TerminalError';
  }
}

export class TransientError extends Error {
  constructor(
    message: string,
    readonly reason: string = 'TransientError',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** The resource changed since we read it: re-read and decide again, never overwrite blindly. */
export class ConflictError extends TransientError {
  constructor(message = 'the resource changed since it was read') {
    super(message, 'Conflict');
    this.name = 'ConflictError';
  }
}

/** ECS or SQS asked us to slow down. */
export class ThrottledError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'Throttled', options);
    this.name = 'ThrottledError';
  }
}

/**
 * AWS refused the call for lack of permission (AccessDenied and its kin in the error table). IAM
 * is eventually consistent, so it is transient at first; one that persists past
 * IAM_PROPAGATION_MS is a policy problem, and the reconciler stalls the resource on it.
 */
export class AccessDeniedError extends TransientError {
  constructor(message: string, reason: string, options?: { cause?: unknown }) {
    super(message, reason, options);
    this.name = 'AccessDeniedError';
  }
}

/**
 * How long an access denial is retried. AWS documents IAM changes as taking "a few seconds" to
 * apply, and minutes are seen in practice; past this, a denial is a policy a person must fix.
 */
export const IAM_PROPAGATION_MS = 2 * 60_000;
