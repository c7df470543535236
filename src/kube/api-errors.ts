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
