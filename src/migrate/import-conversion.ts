/**
 * What every importer (EventBridge Scheduler, EventBridge rules, ecschedule) hands the CLI: one
 * resource per schedule, or the reasons it was refused, one per field that cannot be mapped
 * exactly. A note is a mapping that is exact in effect but worth a word to the reader.
 */
import { GROUP } from '../api/constants.js';
import type { EcsScheduledTaskResource } from '../api/types.js';
import { validateResource } from '../api/validation.js';

/** Records where a resource came from: a schedule ARN, `rule/<bus>/<name>#<target>`, a file. */
export const IMPORTED_FROM_ANNOTATION = `${GROUP}/imported-from`;
/** The source's own description, kept next to the resource rather than lost. */
export const DESCRIPTION_ANNOTATION = `${GROUP}/description`;

export type ImportConversion =
  | {
      readonly ok: true;
      /** How the source names the schedule, for messages. */
      readonly id: string;
      readonly resource: EcsScheduledTaskResource;
      /** The IAM role the source ran the task as (EventBridge's RoleArn); the policy assumes it. */
      readonly roleArn?: string;
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly id: string; readonly reasons: readonly string[] };

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A member of an AWS JSON object. The two APIs disagree on case (Scheduler's EcsParameters has
 * `CapacityProviderStrategy` of `capacityProvider` items; the CLI and the SDKs print as the
 * service does), so both first-letter cases are read.
 */
export function member(object: Json, name: string): unknown {
  if (object[name] !== undefined) return object[name];
  const other =
    name[0] === name[0]!.toUpperCase()
      ? name[0]!.toLowerCase() + name.slice(1)
      : name[0]!.toUpperCase() + name.slice(1);
  return object[other];
}

/** Keys of `object` that are none of `known` (compared without regard to the first letter's case). */
export function unknownKeys(object: Json, known: readonly string[]): string[] {
  const lower = new Set(known.map((k) => k.toLowerCase()));
  return Object.keys(object).filter((k) => object[k] !== undefined && !lower.has(k.toLowerCase()));
}

/**
 * A Kubernetes object name (lowercase letters, digits and `-`, starting and ending with a letter
 * or digit) for a source name, which may hold `_`, `.` and capitals.
 */
export function toResourceName(id: string, maxLength: number): string | undefined {
  const name = id
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
  return name === '' ? undefined : name;
}

/** A resource that passed the conversion is checked against the CRD once more, field by field. */
export function finish(
  id: string,
  resource: EcsScheduledTaskResource,
  notes: readonly string[],
  roleArn: string | undefined,
): ImportConversion {
  const issues = validateResource(resource);
  if (issues.length > 0) return { ok: false, id, reasons: issues.map((i) => `${i.path}: ${i.message}`) };
  return { ok: true, id, resource, notes, ...(roleArn !== undefined && { roleArn }) };
}

/**
 * Two schedules that would get the same metadata.name cannot both be applied: the later one is
 * refused, naming the earlier.
 */
export function refuseDuplicateNames(conversions: readonly ImportConversion[]): ImportConversion[] {
  const owners = new Map<string, string>();
  return conversions.map((c) => {
    if (!c.ok) return c;
    const key = `${c.resource.metadata.namespace ?? ''}/${c.resource.metadata.name ?? ''}`;
    const owner = owners.get(key);
    if (owner !== undefined) {
      return {
        ok: false,
        id: c.id,
        reasons: [`metadata.name "${c.resource.metadata.name ?? ''}" is already taken by ${owner}`],
      };
    }
    owners.set(key, c.id);
    return c;
  });
}

/** An AWS timestamp as the CLI prints it (ISO 8601), as the SDK returns it (Date), or epoch seconds. */
export function parseAwsTime(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1000);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** RFC 3339 in UTC, without a fraction when it is zero. */
export function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('.000Z', 'Z');
}
