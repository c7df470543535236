// One AWS SDK call with a deadline and the caller's AbortSignal: the one wrapper every adapter
// (ECS, SQS, and any client to come) sends through, so timers and abort listeners are set up and
// released in one place. What a timeout or a cancellation is called stays the adapter's: it
// passes the errors to throw.
import type { Clock } from '../controller/clock.js';

/** What an adapter needs of an SDK client: `send`. An ECSClient or SQSClient satisfies it. */
export interface AwsApi {
  // Method syntax on purpose: it keeps the SDK clients' generic, overloaded `send` assignable.
  // `abortSignal` ends the call early: our per-call timeout, or a pass cancelled on lost leadership.
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy?(): void;
}

export interface AwsCallOptions {
  /** Runs the deadline's timer. */
  readonly clock: Clock;
  /** The call is abandoned this long after it is sent. */
  readonly timeoutMs: number;
  /** The caller's cancellation (a pass cancelled, a shutdown). */
  readonly signal?: AbortSignal;
  /**
   * What settles an abandoned call:
   * - `race` (default): the deadline or the abort itself, even when the client ignores its
   *   signal (a hung socket, a fake). Used where no answer may be awaited past the deadline.
   * - `client`: the client's own answer to the abort. The SDK rejects at once on abort; the
   *   launcher keeps this so that an answer already read is taken as it comes.
   */
  readonly settle?: 'race' | 'client';
  /** The error thrown past the deadline; `cause` is what the client threw, if it settled. */
  readonly timedOut: (cause: unknown) => Error;
  /** The error thrown when `signal` aborts (before or during the call); `cause` is its reason. */
  readonly cancelled: (cause: unknown) => Error;
}

/**
 * Sends one command through `send`, which gets the AbortSignal to hand the SDK. Throws
 * `cancelled` when the caller's signal aborted (checked first, before anything is sent),
 * `timedOut` past the deadline, and whatever the client threw otherwise, unmapped: the error
 * table (aws-errors.ts) is the adapter's next step.
 */
export async function awsCall<T>(
  send: (abortSignal: AbortSignal) => Promise<T>,
  options: AwsCallOptions,
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) throw options.cancelled(signal.reason);
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const cancelTimer = options.clock.setTimer(() => abort.abort(), options.timeoutMs);
  const race = options.settle !== 'client';
  try {
    const sent = send(abort.signal);
    if (!race) return await sent;
    // A client that ignores the signal still settles: the abort ends the call regardless.
    const abandoned = new Promise<never>((_, reject) => {
      abort.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    return await Promise.race([sent, abandoned]);
  } catch (err) {
    if (!abort.signal.aborted) throw err;
    throw signal?.aborted ? options.cancelled(signal.reason) : options.timedOut(err);
  } finally {
    cancelTimer();
    signal?.removeEventListener('abort', onAbort);
    // Releases the race's listener; the call has settled, so nothing is cut short.
    if (race && !abort.signal.aborted) abort.abort();
  }
}
