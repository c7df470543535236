// A status that fails the schema (hand-edited, or written by another version) is repaired, not
// thrown away: throwing it away would lose the watermark, so every passed-over time would be
// reported Missed, and the active tasks, so they would no longer be followed. Only what the
// validator names goes: a bad field, or the record it belongs to when a required field is bad.
// Pure.
import type { Status } from '../../api/types.js';
import type { ValidationIssue } from '../../api/validation.js';

type Segment = string | number;

/** `status.runs[2].tasks[0].exitCodes` -> ['runs', 2, 'tasks', 0, 'exitCodes'] (below status). */
export function statusPath(path: string): Segment[] | undefined {
  if (path !== 'status' && !path.startsWith('status.') && !path.startsWith('status[')) return undefined;
  const segments: Segment[] = [];
  for (const match of path.slice('status'.length).matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
    segments.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  }
  return segments;
}

/** Required fields per list: a record without a valid one goes whole. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  runs: ['scheduledTime', 'result'],
  tasks: ['taskArn'],
  attempts: ['attempt', 'result'],
  active: ['taskArn', 'scheduledTime'],
  conditions: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
};

function remove(root: unknown, segments: readonly Segment[]): void {
  if (segments.length === 0) return;
  let parent = root as Record<string | number, unknown>;
  for (const s of segments.slice(0, -1)) {
    const child = parent[s];
    if (child === null || typeof child !== 'object') return;
    parent = child as Record<string | number, unknown>;
  }
  const last = segments.at(-1)!;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else delete parent[last];
}

/** Where a removal goes: the field, or the record that holds a required field. */
function target(segments: readonly Segment[]): Segment[] {
  const [list, index, field] = segments.slice(-3);
  const required = typeof list === 'string' ? REQUIRED[list] : undefined;
  if (typeof index === 'number' && typeof field === 'string' && required?.includes(field)) {
    return segments.slice(0, -1);
  }
  return [...segments];
}

/**
 * The deepest part of `segments` that is there. A required field that is missing cannot be
 * removed; what holds it goes instead (for example a deadLetter mark without its state).
 */
function existing(root: unknown, segments: readonly Segment[]): Segment[] {
  let node = root;
  for (let i = 0; i < segments.length; i++) {
    // Never the whole status for want of one field: the watermark must survive.
    if (node === null || typeof node !== 'object' || !(segments[i]! in node))
      return i === 0 ? [...segments] : segments.slice(0, i);
    node = (node as Record<string | number, unknown>)[segments[i]!];
  }
  return [...segments];
}

export interface RepairResult {
  readonly status: Status;
  /** Paths removed, for the log. */
  readonly removed: string[];
}

/**
 * Removes what `issues` point at, repeating with `validate` until the status passes (each round
 * removes at least one thing, so it ends). Records go from the highest index down, so one
 * round's removals do not shift another's target.
 */
export function repairStatus(
  status: Status,
  issues: readonly ValidationIssue[],
  validate: (candidate: Status) => readonly ValidationIssue[],
): RepairResult {
  let current = structuredClone(status) as Status;
  let pending = issues;
  const removed: string[] = [];
  for (let round = 0; round < 50 && pending.length > 0; round++) {
    const targets = pending
      .map((i) => statusPath(i.path))
      .filter((s): s is Segment[] => s !== undefined)
      .map((s) => existing(current, target(s)));
    if (targets.length === 0 || targets.some((t) => t.length === 0))
      return { status: {}, removed: ['status'] };
    const unique = new Map(targets.map((t) => [JSON.stringify(t), t]));
    const ordered = [...unique.values()].sort((a, b) => compareDesc(a, b));
    for (const t of ordered) {
      remove(current, t);
      removed.push(formatPath(t));
    }
    current = structuredClone(current);
    pending = validate(current);
  }
  return { status: current, removed };
}

function compareDesc(a: readonly Segment[], b: readonly Segment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (typeof a[i] === 'number' && typeof b[i] === 'number') return (b[i] as number) - (a[i] as number);
    return String(a[i]) < String(b[i]) ? -1 : 1;
  }
  return b.length - a.length;
}

function formatPath(segments: readonly Segment[]): string {
  return `status${segments.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`;
}
