// A DeadLetterSink that keeps what it was sent. Like an SQS FIFO queue, it can drop a message
// whose deduplication id it already holds, so a test can tell "sent twice" from "delivered twice".
import type {
  DeadLetterMessage,
  DeadLetterQueue,
  DeadLetterSendOptions,
  DeadLetterSink,
} from '../../src/controller/pass/dead-letter.js';
import { TransientError } from '../../src/controller/errors.js';

export interface SentLetter {
  readonly queue: DeadLetterQueue;
  readonly message: DeadLetterMessage;
  readonly identity: string;
}

export class MemoryDeadLetterSink implements DeadLetterSink {
  /** Every send call, in order, duplicates included. */
  readonly sends: SentLetter[] = [];
  /** Messages a FIFO queue would hold: one per deduplication id. */
  readonly delivered: SentLetter[] = [];
  /** The next send calls throw these, one per call. */
  readonly failures: Error[] = [];
  /** While true every send fails as SQS answers for a queue that does not exist. */
  queueMissing = false;
  /** Send calls that failed, scripted or with the queue missing. */
  failedSends = 0;
  #nextId = 1;

  async send(
    queue: DeadLetterQueue,
    message: DeadLetterMessage,
    options: DeadLetterSendOptions = {},
  ): Promise<{ messageId: string }> {
    const failure =
      this.failures.shift() ??
      (this.queueMissing
        ? new TransientError(`SQS dead-letter queue ${queue.queueName} does not exist (yet)`, 'QueueNotFound')
        : undefined);
    if (failure) {
      this.failedSends++;
      throw failure;
    }
    const letter = { queue, message, identity: options.identity?.roleArn ?? 'own' };
    this.sends.push(letter);
    if (!this.delivered.some((d) => d.message.deduplicationId === message.deduplicationId)) {
      this.delivered.push(letter);
    }
    return { messageId: `message-${this.#nextId++}` };
  }

  /** The parsed bodies of the delivered messages. */
  bodies(): Record<string, unknown>[] {
    return this.delivered.map((d) => JSON.parse(d.message.body) as Record<string, unknown>);
  }
}
