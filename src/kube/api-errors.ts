// Turns client-node errors into facts the adapters can act on. client-node 2.x throws ApiException
// (`code`, `body`) from generated APIs; Watch reports `statusCode`; fetch failures carry `cause`.

/** The HTTP status of a failed Kubernetes request, when there was a response. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** A Kubernetes `Status` object (a watch ERROR event's object, or an error response body). */
export interface KubeStatus {
  readonly kind?: string;
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
}

export function asKubeStatus(value: unknown): KubeStatus | undefined {
  if (typeof value === 'string') {
    try {
      return asKubeStatus(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  return value as KubeStatus;
}

/** 410 Gone / reason Expired: the resourceVersion we watch from is too old; only a relist helps. */
export function isExpired(err: unknown): boolean {
  if (httpStatusOf(err) === 410) return true;
  const status = asKubeStatus(err);
  return status?.code === 410 || status?.reason === 'Expired' || status?.reason === 'Gone';
}

/** A short message for logs, including the server's Status message when there is one. */
export function describeError(err: unknown): string {
  if (err === undefined || err === null) return 'closed';
  const status = httpStatusOf(err);
  const body = asKubeStatus((err as { body?: unknown }).body);
  const message = body?.message ?? (err instanceof Error ? err.message : String(err));
  return status === undefined ? message : `HTTP ${status}: ${message}`;
}

/**
 * What a failed Kubernetes call means, by HTTP status (or the absence of one). The same three
 * classes as AWS_ERROR_TABLE (src/aws/aws-errors.ts), plus `gone`: the object was deleted, so
 * there is nothing left to report on. The "Error handling" table of docs/concepts/error-handling.md lists these rows too.
 */
export type KubeErrorDisposition = 'retry' | 'terminal-run' | 'terminal-resource' | 'gone';

export interface KubeErrorRow {
  readonly reason: string;
  /** HTTP statuses, or error codes when no response arrived. */
  readonly errors: readonly (number | string)[];
  readonly disposition: KubeErrorDisposition;
  readonly retryForMs?: number;
  readonly why: string;
}

/**
 * RBAC and token rotation settle within seconds; a denial that lasts longer is a real one. No row
 * uses it today: nothing the controller writes is per-resource enough to stall one resource on it.
 */
export const RBAC_PROPAGATION_MS = 2 * 60_000;

export const KUBE_ERROR_TABLE: readonly KubeErrorRow[] = [
  {
    reason: 'Conflict',
    errors: [409],
    disposition: 'retry',
    why: 'the object changed since it was read: re-read and decide again, never overwrite',
  },
  {
    reason: 'Expired',
    errors: [410],
    disposition: 'retry',
    why: 'the watched resourceVersion is too old: the informer relists',
  },
  {
    reason: 'Throttled',
    errors: [429],
    disposition: 'retry',
    why: 'API priority and fairness asked us to back off',
  },
  {
    reason: 'ServerError',
    errors: [500, 502, 503, 504],
    disposition: 'retry',
    why: 'the API server or etcd is restarting or overloaded',
  },
  {
    reason: 'NetworkError',
    errors: [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'EAI_AGAIN',
      'socket hang up',
      'TimeoutError',
      'AbortError',
    ],
    disposition: 'retry',
    why: 'no answer (an API server restart, a timeout): nothing was refused',
  },
  {
    reason: 'Unauthorized',
    errors: [401, 403],
    disposition: 'retry',
    why: 'a rotated service-account token or a RoleBinding still propagating; retried with backoff (growing to about 16 min between attempts) however long it lasts, never terminal: a missing RBAC rule stops every resource alike, and the logs and reconcile metrics show it',
  },
  {
    reason: 'Invalid',
    errors: [400, 422],
    disposition: 'terminal-resource',
    why: 'the API server rejected the status we wrote (it fails the CRD schema): logged as StatusRejected and not retried until the resource changes or the 10-minute resync; a stored status that fails the schema is repaired field by field when read',
  },
  {
    reason: 'TooLarge',
    errors: [413],
    disposition: 'retry',
    why: "the object would pass etcd's size limit: retried with backoff like any other write error; the status is bounded in size (boundStatus) so that it does not happen",
  },
  {
    reason: 'NotFound',
    errors: [404],
    disposition: 'gone',
    why: 'the resource was deleted: forget it, nothing to report on',
  },
  {
    reason: 'Unknown',
    errors: ['anything else'],
    disposition: 'retry',
    why: 'retried with backoff and logged with its status',
  },
];

export interface KubeErrorClass {
  readonly disposition: KubeErrorDisposition;
  readonly reason: string;
  readonly row: KubeErrorRow;
}

function networkCode(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 3) return undefined;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return e.name;
  if (typeof e.message === 'string' && /socket hang up/i.test(e.message)) return 'socket hang up';
  return networkCode(e.cause, depth + 1);
}

/**
 * Where `err` from a client-node call falls in KUBE_ERROR_TABLE. `failingForMs` is how long the
 * same call has kept failing: a 401/403 older than the RBAC bound becomes terminal-resource.
 */
export function classifyKubeError(err: unknown, options: { failingForMs?: number } = {}): KubeErrorClass {
  const status = httpStatusOf(err) ?? asKubeStatus((err as { body?: unknown } | undefined)?.body)?.code;
  const key = status ?? networkCode(err);
  const row =
    KUBE_ERROR_TABLE.find((r) => key !== undefined && r.errors.includes(key)) ??
    (typeof status === 'number' && status >= 500
      ? KUBE_ERROR_TABLE.find((r) => r.reason === 'ServerError')
      : undefined) ??
    KUBE_ERROR_TABLE[KUBE_ERROR_TABLE.length - 1]!;
  const expired = row.retryForMs !== undefined && (options.failingForMs ?? 0) > row.retryForMs;
  return { disposition: expired ? 'terminal-resource' : row.disposition, reason: row.reason, row };
}
