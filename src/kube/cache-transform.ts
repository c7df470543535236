// What the informers keep of an object, as controller-runtime's cache transforms do: the cache
// holds one copy of every resource for the life of the process, so anything no reader looks at is
// memory spent per resource for nothing. The biggest such parts are metadata.managedFields (the
// server-side apply bookkeeping) and kubectl's last-applied-configuration annotation (a second,
// serialised copy of the whole object as last applied).
import { RUN_NOW_ANNOTATION } from '../api/constants.js';
import type { StringPool } from './string-pool.js';

/**
 * The metadata fields some reader takes from a cached object: keys and identity (name, namespace,
 * uid), optimistic concurrency (resourceVersion), spec changes and conditions' observedGeneration
 * (generation), the first due time and the backfills' start (creationTimestamp), sharding, drains
 * and the policy gate's namespace selectors (labels).
 */
const KEPT_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'labels',
] as const;

/** The annotations the controller reads; any other annotation is dropped from the cache. */
export const READ_ANNOTATIONS: readonly string[] = [RUN_NOW_ANNOTATION];

interface CachedObject {
  metadata?: Record<string, unknown>;
  spec?: unknown;
  status?: unknown;
}

/**
 * Fields whose values are new with every run or task (times to the millisecond, task ARNs): pooling
 * them would only fill the pool, so they are left as decoded.
 */
const UNPOOLED_FIELDS: ReadonlySet<string> = new Set([
  'taskArn',
  'failedTask',
  'launchedAt',
  'finishedAt',
  'startedAt',
  'stoppedAt',
  'sentAt',
]);

/**
 * Trims a freshly decoded object (ours to change, so in place) to what the controller reads, and
 * returns it. Only metadata is trimmed. The spec is read whole. So is the status: a status write
 * replaces the whole status with one built from the cached copy, so a status field left out here
 * would be erased on the server by the next write. The metadata is safe to trim because the
 * server takes none of it from a status write: a write from this copy changes nothing else.
 */
export function trimForCache<T extends CachedObject>(object: T): T {
  const metadata = object.metadata;
  if (metadata === undefined || metadata === null || typeof metadata !== 'object') return object;
  const kept: Record<string, unknown> = {};
  for (const field of KEPT_METADATA) if (metadata[field] !== undefined) kept[field] = metadata[field];
  const annotations = readAnnotations(metadata.annotations);
  if (annotations !== undefined) kept.annotations = annotations;
  object.metadata = kept;
  return object;
}

/**
 * Shares, through `pool`, the short strings that many cached objects repeat (reasons, messages,
 * scheduled times, the namespace and labels, the spec's cluster and schedule): in place, on a
 * freshly decoded object, whose strings nobody else holds yet. Returns it.
 */
export function poolStrings<T extends CachedObject>(object: T, pool: StringPool): T {
  const metadata = object.metadata;
  if (metadata !== undefined && metadata !== null && typeof metadata === 'object') {
    if (typeof metadata.namespace === 'string') metadata.namespace = pool.intern(metadata.namespace);
    pool.internAll(metadata.labels, UNPOOLED_FIELDS);
  }
  pool.internAll(object.spec, UNPOOLED_FIELDS);
  pool.internAll(object.status, UNPOOLED_FIELDS);
  return object;
}

function readAnnotations(annotations: unknown): Record<string, string> | undefined {
  if (typeof annotations !== 'object' || annotations === null) return undefined;
  let kept: Record<string, string> | undefined;
  for (const key of READ_ANNOTATIONS) {
    const value = (annotations as Record<string, unknown>)[key];
    if (typeof value === 'string') (kept ??= {})[key] = value;
  }
  return kept;
}
