// An Error as plain, loggable fields, cause chain included. Node's fetch fails with a bare
// "fetch failed" whose cause holds what an operator needs (ECONNREFUSED, the address and port);
// the AWS SDK and the Kubernetes client put the HTTP status and request id on their own
// properties. Each is kept; nothing else of the object is, so no request body or credential leaks.

export interface ErrorFields {
  readonly name: string;
  readonly message: string;
  readonly code?: string | number;
  readonly errno?: number;
  readonly syscall?: string;
  readonly address?: string;
  readonly port?: number;
  readonly hostname?: string;
  readonly host?: string;
  readonly url?: string;
  readonly path?: string;
  readonly httpStatus?: number;
  readonly requestId?: string;
  readonly cause?: ErrorFields;
  /** An AggregateError's errors (happy eyeballs: one per address tried). */
  readonly errors?: readonly ErrorFields[];
}

// Deep enough for fetch (TypeError -> AggregateError -> Error) with room to spare, shallow enough
// that a cyclic or pathological chain cannot blow up a log line.
const MAX_DEPTH = 5;
const MAX_AGGREGATED = 5;

const SCALARS = ['errno', 'syscall', 'address', 'port', 'hostname', 'host', 'url', 'path'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function httpStatusOf(err: Record<string, unknown>): number | undefined {
  const metadata = err.$metadata;
  if (isRecord(metadata) && typeof metadata.httpStatusCode === 'number') return metadata.httpStatusCode;
  for (const key of ['statusCode', 'status']) if (typeof err[key] === 'number') return err[key];
  // @kubernetes/client-node's ApiException carries the HTTP status as a numeric `code`.
  if (typeof err.code === 'number' && err.code >= 100 && err.code < 600) return err.code;
  return undefined;
}

function requestIdOf(err: Record<string, unknown>): string | undefined {
  const metadata = err.$metadata;
  return isRecord(metadata) && typeof metadata.requestId === 'string' ? metadata.requestId : undefined;
}

/** The error, or anything thrown, as fields; `cause` and AggregateError's `errors` followed. */
export function errorFields(value: unknown, depth = 0, seen = new Set<unknown>()): ErrorFields {
  if (!(value instanceof Error)) {
    return { name: typeof value, message: isRecord(value) ? safeJson(value) : String(value) };
  }
  seen.add(value);
  const err = value as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { name: value.name, message: value.message };
  if (typeof err.code === 'string' || typeof err.code === 'number') out.code = err.code;
  for (const key of SCALARS) {
    const v = err[key];
    if (typeof v === 'string' || typeof v === 'number') out[key] = v;
    else if (v instanceof URL) out[key] = v.href;
  }
  const status = httpStatusOf(err);
  if (status !== undefined) out.httpStatus = status;
  const requestId = requestIdOf(err);
  if (requestId !== undefined) out.requestId = requestId;
  if (depth < MAX_DEPTH) {
    if (value.cause !== undefined && !seen.has(value.cause))
      out.cause = errorFields(value.cause, depth + 1, seen);
    if (value instanceof AggregateError && Array.isArray(value.errors)) {
      out.errors = value.errors
        .slice(0, MAX_AGGREGATED)
        .filter((e) => !seen.has(e))
        .map((e) => errorFields(e, depth + 1, seen));
    }
  }
  return out as unknown as ErrorFields;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * One line for people: each error of the chain as `Name [code]: message (detail=...)`, joined by
 * " <- caused by ". For example:
 * `TypeError: fetch failed <- caused by Error [ECONNREFUSED]: connect ECONNREFUSED 127.0.0.1:6443 (syscall=connect address=127.0.0.1 port=6443)`.
 */
export function describeErrorChain(fields: ErrorFields): string {
  const parts: string[] = [];
  const visit = (f: ErrorFields) => {
    const code = f.code !== undefined && f.code !== f.httpStatus ? ` [${f.code}]` : '';
    const details = [...SCALARS, 'httpStatus', 'requestId']
      .filter((k) => k !== 'errno' && (f as unknown as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${k}=${String((f as unknown as Record<string, unknown>)[k])}`);
    const each = f.errors?.length ? ` {${f.errors.map((e) => describeErrorChain(e)).join('; ')}}` : '';
    const message = f.message ? `: ${f.message}` : '';
    parts.push(`${f.name}${code}${message}${details.length ? ` (${details.join(' ')})` : ''}${each}`);
    if (f.cause) visit(f.cause);
  };
  visit(fields);
  return parts.join(' <- caused by ');
}
