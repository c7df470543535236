// How the SQS adapters (the trigger's queue depth, the dead-letter sink) make a call: the shared
// awsCall, settled at the deadline even by a client that ignores its signal, with the SQS
// adapters' names for a timeout and a cancellation.
import type { Clock } from '../../controller/clock.js';
import { TransientError } from '../../controller/errors.js';
import { awsCall, type AwsApi } from '../aws-call.js';

export interface SqsCallOptions {
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** One SDK call, bounded by the timeout and the caller's signal, whichever comes first. */
export function sqsCall(client: AwsApi, command: unknown, options: SqsCallOptions): Promise<unknown> {
  return awsCall((abortSignal) => client.send(command, { abortSignal }), {
    ...options,
    settle: 'race',
    timedOut: () => new TransientError(`no answer within ${options.timeoutMs} ms`, 'SqsTimeout'),
    cancelled: (reason) => new TransientError('SQS call cancelled', 'Aborted', { cause: reason }),
  });
}
