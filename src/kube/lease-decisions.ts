// The decisions of leader election, pure: time is an argument. Like client-go, expiry is judged by
// our own clock from the moment we last saw the lease record change, never by the holder's
// renewTime, so clock skew between replicas cannot make two of them lead at once.

/** The fields of a coordination.k8s.io/v1 LeaseSpec that election uses. Times are RFC 3339. */
export interface LeaseRecord {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

/** What we last saw of the lease, and when (our clock) it last changed. */
export interface Observation {
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
  readonly observedAtMs: number;
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    (a.holderIdentity ?? '') === (b.holderIdentity ?? '') &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/**
 * Folds a freshly read lease into the observation. The clock restarts only when the record
 * changed: a holder that stopped renewing leaves the record unchanged, so its lease runs out on
 * our clock even if its renewTime claims otherwise.
 */
export function observe(
  previous: Observation | undefined,
  record: LeaseRecord,
  resourceVersion: string,
  nowMs: number,
): Observation {
  if (
    previous !== undefined &&
    previous.resourceVersion === resourceVersion &&
    sameRecord(previous.record, record)
  ) {
    return previous;
  }
  return { record, resourceVersion, observedAtMs: nowMs };
}

/** No holder, or the holder's lease ran out on our clock. */
export function isFree(
  observation: Observation,
  nowMs: number,
  defaultLeaseDurationSeconds: number,
): boolean {
  const holder = observation.record.holderIdentity ?? '';
  if (holder === '') return true;
  const durationMs = (observation.record.leaseDurationSeconds ?? defaultLeaseDurationSeconds) * 1000;
  return observation.observedAtMs + durationMs <= nowMs;
}

export type LeaseDecision =
  /** We hold it: write a renewed record. */
  | 'renew'
  /** Nobody validly holds it: write our record, taking it over. */
  | 'acquire'
  /** Someone else validly holds it. */
  | 'follow';

export function decide(
  observation: Observation,
  identity: string,
  nowMs: number,
  defaultLeaseDurationSeconds: number,
): LeaseDecision {
  if ((observation.record.holderIdentity ?? '') === identity) return 'renew';
  return isFree(observation, nowMs, defaultLeaseDurationSeconds) ? 'acquire' : 'follow';
}

/**
 * The record to write for `renew` or `acquire`. A renewal keeps acquireTime and the transition
 * count; a takeover starts a new term. Times are microsecond RFC 3339 (MicroTime).
 */
export function desiredRecord(
  current: LeaseRecord | undefined,
  identity: string,
  now: Date,
  leaseDurationSeconds: number,
): LeaseRecord {
  const stamp = toMicroTime(now);
  const renewing =
    current !== undefined && (current.holderIdentity ?? '') === identity && current.acquireTime !== undefined;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewing ? current.acquireTime : stamp,
    renewTime: stamp,
    leaseTransitions: renewing
      ? (current.leaseTransitions ?? 0)
      : (current?.leaseTransitions ?? 0) + (current?.holderIdentity ? 1 : 0),
  };
}

/**
 * The record written on a clean shutdown: no holder and a 1 s duration, so that a follower takes
 * over at its next retry instead of waiting out the full lease (client-go's ReleaseOnCancel).
 */
export function releasedRecord(current: LeaseRecord, now: Date): LeaseRecord {
  const stamp = toMicroTime(now);
  return { ...current, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp };
}

export function toMicroTime(date: Date): string {
  return `${date.toISOString().slice(0, -1)}000Z`;
}

export interface ElectionTimings {
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
}

/**
 * client-go's constraints. The leader must give up (renew deadline) before a follower may take
 * over (lease duration), and must be able to retry at least once within the deadline; the 1.2 is
 * client-go's jitter factor on the retry period.
 */
export function validateTimings(t: ElectionTimings): string | undefined {
  if (!(t.retryPeriodSeconds > 0)) return 'retryPeriodSeconds must be positive';
  if (!(t.renewDeadlineSeconds > t.retryPeriodSeconds * 1.2))
    return 'renewDeadlineSeconds must exceed 1.2 × retryPeriodSeconds';
  if (!(t.leaseDurationSeconds > t.renewDeadlineSeconds))
    return 'leaseDurationSeconds must exceed renewDeadlineSeconds';
  if (!Number.isInteger(t.leaseDurationSeconds)) return 'leaseDurationSeconds must be a whole number';
  return undefined;
}
