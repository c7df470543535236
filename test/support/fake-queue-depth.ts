// A QueueDepthSource whose depth a test sets by hand; it can also be told to fail.
import type { QueueDepthSource } from '../../src/controller/ports.js';

export class FakeQueueDepth implements QueueDepthSource {
  depth = 0;
  error: Error | undefined;
  readonly calls: Parameters<QueueDepthSource['queueDepth']>[0][] = [];
  readonly options: Parameters<QueueDepthSource['queueDepth']>[1][] = [];

  async queueDepth(
    trigger: Parameters<QueueDepthSource['queueDepth']>[0],
    options?: Parameters<QueueDepthSource['queueDepth']>[1],
  ): Promise<number> {
    this.calls.push(trigger);
    this.options.push(options);
    if (this.error) throw this.error;
    return this.depth;
  }
}
