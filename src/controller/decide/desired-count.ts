// How many tasks a run wants. A trigger plugs in here as "desired task count", so the rest of the
// decision (concurrency policy, launching) does not know triggers exist.
import type { Spec } from '../../api/types.js';

/**
 * `taskCount` (default 1) capped by `maxCount`. With an SQS trigger: 0 when the queue is empty,
 * else `min(maxCount, max(taskCount, ceil(depth / messagesPerTask)))`, the old ECS Scheduler's
 * formula. Defaults are applied here, never assumed from the API server (standalone mode has none).
 */
export function desiredTaskCount(spec: Spec, queueDepth?: number): number {
  const taskCount = spec.taskCount ?? 1;
  const cap = spec.maxCount ?? Number.POSITIVE_INFINITY;
  const sqs = spec.trigger?.sqs;
  if (!sqs || queueDepth === undefined) return Math.min(cap, taskCount);
  if (queueDepth <= 0) return 0;
  const perTask = Math.max(1, sqs.messagesPerTask);
  return Math.min(cap, Math.max(taskCount, Math.ceil(queueDepth / perTask)));
}
