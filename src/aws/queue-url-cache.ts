// Queue URLs resolved by name (GetQueueUrl), kept per (identity, region, name): the trigger reads
// its queue every pass and a dead letter may be sent every minute, and a queue's URL never changes
// while it exists. One cache type for every SQS adapter; each adapter holds its own instance.
import { TransientError } from '../controller/errors.js';
import type { AwsIdentity } from '../controller/ports.js';

export interface QueueRef {
  readonly identity: AwsIdentity | undefined;
  readonly region: string | undefined;
  readonly queueName: string | undefined;
}

export class QueueUrlCache {
  readonly #urls = new Map<string, string>();

  /**
   * The cached URL of `queue`, or the one `lookup` (a GetQueueUrl call, its errors already
   * mapped by the caller) finds, which is then kept. An answer without a URL is a TransientError.
   */
  async resolve(queue: QueueRef & { readonly queueName: string }, lookup: () => Promise<string | undefined>) {
    const key = queueKey(queue);
    const cached = this.#urls.get(key);
    if (cached !== undefined) return cached;
    const url = await lookup();
    if (url === undefined)
      throw new TransientError(`SQS GetQueueUrl returned no URL for ${queue.queueName}`, 'QueueNotFound');
    this.#urls.set(key, url);
    return url;
  }

  /** After a failed call: a cached URL may name a queue deleted since, so it is resolved afresh. */
  forget(queue: QueueRef): void {
    this.#urls.delete(queueKey(queue));
  }

  get size(): number {
    return this.#urls.size;
  }
}

function queueKey({ identity, region, queueName }: QueueRef): string {
  return [identity?.roleArn ?? '', identity?.externalId ?? '', region ?? '', queueName ?? ''].join('\u0000');
}
