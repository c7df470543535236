// Status writes and events wait behind passes that are deciding (and may launch). Measured with
// 1,000 resources due in the same second (docs/developing/performance.md): the concurrency bounds
// below keep the API server busy without taking the event loop from the launches.
import { WriteLane } from '../flow/write-lane.js';

// Writes in flight: when no pass is deciding, enough to keep the API server's write path full;
// while passes decide, two, so writes keep moving under a steady stream of launches without taking
// the event loop from them.
const STATUS_WRITE_CONCURRENCY = 32;
const STATUS_WRITE_CONCURRENCY_WHILE_DECIDING = 2;
// Decided passes whose writes may wait before workers stop being handed back: enough for 1,000
// runs due in the same second; at 10,000 resources an unbounded backlog ran a 256 MiB heap out.
const STATUS_WRITES_WAITING_MAX = 1_000;

export function statusWriteLane(): WriteLane {
  return new WriteLane({
    concurrency: STATUS_WRITE_CONCURRENCY,
    concurrencyWhileDeciding: STATUS_WRITE_CONCURRENCY_WHILE_DECIDING,
    maxWaiting: STATUS_WRITES_WAITING_MAX,
  });
}
