// Which watched updates of an EcsScheduledTask are worth a reconcile.
import { isDeepStrictEqual } from 'node:util';
import type { EcsScheduledTaskResource } from '../api/types.js';

/**
 * Whether a watched update asks for a pass: a new object, a spec change (generation), or new
 * annotations (run-now) or labels. (A deletion arrives as DELETED.) A status-only update is most often the echo of our
 * own write arriving before its response, and a pass for it would only find nothing to do, as
 * controller-runtime's GenerationChangedPredicate reasons; the cache still takes it.
 */
export function specOrMetadataChanged(
  before: EcsScheduledTaskResource | undefined,
  after: EcsScheduledTaskResource,
): boolean {
  if (before === undefined) return true;
  const a = before.metadata;
  const b = after.metadata;
  return (
    a.uid !== b.uid ||
    a.generation !== b.generation ||
    !isDeepStrictEqual(a.annotations ?? {}, b.annotations ?? {}) ||
    !isDeepStrictEqual(a.labels ?? {}, b.labels ?? {})
  );
}
