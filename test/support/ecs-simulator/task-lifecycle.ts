// How a simulated task moves through PROVISIONING, PENDING, RUNNING and STOPPED. A task's state is
// a pure function of its launch record and the time asked about, so the simulator keeps no timers
// and a fake clock moves every task at once.

export interface LifecycleConfig {
  /** Time in PROVISIONING after launch, ms. Default 500. */
  readonly provisioningMs: number;
  /** Then time in PENDING, ms. Default 500. */
  readonly pendingMs: number;
  /** Then time RUNNING before the containers exit by themselves, ms; null runs until StopTask. Default 5000. */
  readonly runningMs: number | null;
  /** Time from StopTask (or the exit) to STOPPED, passing through DEACTIVATING and STOPPING. Default 0. */
  readonly stoppingMs: number;
  /** Share of tasks whose essential containers exit non-zero. Default 0. */
  readonly failShare: number;
  /** Exit code of a failing task's essential containers. Default 1. */
  readonly failExitCode: number;
  /** Exit codes by container name for tasks that do not fail. Default 0 for every container. */
  readonly exitCodes: Readonly<Record<string, number>>;
  /** Overrides per task definition family. */
  readonly byFamily: Readonly<Record<string, Partial<Omit<LifecycleConfig, 'byFamily'>>>>;
}

export const DEFAULT_LIFECYCLE: LifecycleConfig = {
  provisioningMs: 500,
  pendingMs: 500,
  runningMs: 5_000,
  stoppingMs: 0,
  failShare: 0,
  failExitCode: 1,
  exitCodes: {},
  byFamily: {},
};

type Plain = Omit<LifecycleConfig, 'byFamily'>;

function checkPlain(raw: Record<string, unknown>, path: string, partial: boolean): Partial<Plain> {
  const out: Record<string, unknown> = {};
  const known = [
    'provisioningMs',
    'pendingMs',
    'runningMs',
    'stoppingMs',
    'failShare',
    'failExitCode',
    'exitCodes',
  ];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key) && !(key === 'byFamily' && !partial))
      throw new Error(
        `${path}.${key}: unknown field (known: ${known.join(', ')}${partial ? '' : ', byFamily'})`,
      );
  }
  for (const key of ['provisioningMs', 'pendingMs', 'stoppingMs'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
      throw new Error(`${path}.${key}: must be a number of milliseconds >= 0`);
    out[key] = v;
  }
  if (raw.runningMs !== undefined) {
    const v = raw.runningMs;
    if (v !== null && (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)))
      throw new Error(`${path}.runningMs: must be milliseconds >= 0, or null to run until stopped`);
    out.runningMs = v;
  }
  if (raw.failShare !== undefined) {
    const v = raw.failShare;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      throw new Error(`${path}.failShare: must be a number in [0, 1]`);
    out.failShare = v;
  }
  if (raw.failExitCode !== undefined) {
    if (!Number.isInteger(raw.failExitCode)) throw new Error(`${path}.failExitCode: must be an integer`);
    out.failExitCode = raw.failExitCode;
  }
  if (raw.exitCodes !== undefined) {
    const v = raw.exitCodes;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error(`${path}.exitCodes: must be an object of container name to exit code`);
    for (const [name, code] of Object.entries(v))
      if (!Number.isInteger(code)) throw new Error(`${path}.exitCodes.${name}: must be an integer`);
    out.exitCodes = { ...(v as Record<string, number>) };
  }
  return out as Partial<Plain>;
}

/** Validates a partial lifecycle (flag or PUT /_sim/lifecycle) over the defaults. */
export function lifecycleConfig(input: unknown, base: LifecycleConfig = DEFAULT_LIFECYCLE): LifecycleConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new Error(`lifecycle: expected a JSON object, got ${JSON.stringify(input)}`);
  const raw = input as Record<string, unknown>;
  const plain = checkPlain(raw, 'lifecycle', false);
  const byFamily: Record<string, Partial<Plain>> = { ...base.byFamily };
  if (raw.byFamily !== undefined) {
    if (typeof raw.byFamily !== 'object' || raw.byFamily === null || Array.isArray(raw.byFamily))
      throw new Error('lifecycle.byFamily: must be an object of family to lifecycle overrides');
    for (const [family, value] of Object.entries(raw.byFamily)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error(`lifecycle.byFamily.${family}: must be an object`);
      byFamily[family] = checkPlain(value as Record<string, unknown>, `lifecycle.byFamily.${family}`, true);
    }
  }
  return { ...base, ...plain, byFamily };
}

/** The lifecycle of one family: the global settings with the family's overrides. */
export function familyLifecycle(config: LifecycleConfig, family: string): Plain {
  return { ...config, ...config.byFamily[family] };
}

/** Fixed at launch: when each phase ends and how the containers exit. */
export interface TaskPlan {
  readonly createdAt: number;
  readonly pendingAt: number;
  readonly runningAt: number;
  /** When the containers exit by themselves; Infinity when they run until stopped. */
  readonly exitAt: number;
  readonly stoppingMs: number;
  /** Exit code per container when the task ends by itself. */
  readonly exitCodes: Readonly<Record<string, number>>;
}

export interface StopRequest {
  readonly at: number;
  readonly reason: string;
}

export function planTask(
  lifecycle: Plain,
  createdAt: number,
  containers: readonly { readonly name: string; readonly essential: boolean }[],
  random: () => number,
): TaskPlan {
  const pendingAt = createdAt + lifecycle.provisioningMs;
  const runningAt = pendingAt + lifecycle.pendingMs;
  const exitAt = lifecycle.runningMs === null ? Infinity : runningAt + lifecycle.runningMs;
  const fails = lifecycle.failShare > 0 && random() < lifecycle.failShare;
  const exitCodes: Record<string, number> = {};
  for (const c of containers)
    exitCodes[c.name] = fails && c.essential ? lifecycle.failExitCode : (lifecycle.exitCodes[c.name] ?? 0);
  return { createdAt, pendingAt, runningAt, exitAt, stoppingMs: lifecycle.stoppingMs, exitCodes };
}

export type TaskStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';

export interface TaskView {
  readonly lastStatus: TaskStatus;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly startedAt?: number;
  readonly stoppingAt?: number;
  readonly stoppedAt?: number;
  readonly stopCode?: 'EssentialContainerExited' | 'UserInitiated';
  readonly stoppedReason?: string;
  /** Per container; present once the task is stopped and the container had started. */
  readonly exitCodes?: Readonly<Record<string, number>>;
}

/** SIGTERM's exit code: what a container stopped by StopTask reports. */
const STOPPED_BY_USER_EXIT_CODE = 143;

/** The task as DescribeTasks shows it at `now`. */
export function viewTask(plan: TaskPlan, stop: StopRequest | undefined, now: number): TaskView {
  // The end begins at the earlier of the containers' own exit and a StopTask.
  const userStop = stop !== undefined && stop.at < plan.exitAt;
  const endAt = userStop ? stop.at : plan.exitAt;
  if (now < endAt) {
    if (now < plan.pendingAt) return { lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' };
    if (now < plan.runningAt) return { lastStatus: 'PENDING', desiredStatus: 'RUNNING' };
    return { lastStatus: 'RUNNING', desiredStatus: 'RUNNING', startedAt: plan.runningAt };
  }
  const started = endAt > plan.runningAt;
  const stoppedAt = endAt + plan.stoppingMs;
  const ending = {
    desiredStatus: 'STOPPED' as const,
    ...(started ? { startedAt: plan.runningAt } : {}),
    stoppingAt: endAt,
    stopCode: userStop ? ('UserInitiated' as const) : ('EssentialContainerExited' as const),
    stoppedReason: userStop ? stop.reason : 'Essential container in task exited',
  };
  if (now < stoppedAt)
    return { ...ending, lastStatus: now < endAt + plan.stoppingMs / 2 ? 'DEACTIVATING' : 'STOPPING' };
  const exitCodes: Record<string, number> = {};
  if (started)
    for (const [name, code] of Object.entries(plan.exitCodes))
      exitCodes[name] = userStop ? STOPPED_BY_USER_EXIT_CODE : code;
  return { ...ending, lastStatus: 'STOPPED', stoppedAt, ...(started ? { exitCodes } : {}) };
}
