// A torture scenario: the load (groups of EcsScheduledTasks) and the faults to inject, read from a
// YAML or JSON file. Every field has a default except the load; a bad field is refused with its
// path named, so a typo never silently tortures nothing.
import { parse } from 'yaml';

export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace' | 'TopUp';

export interface LoadGroup {
  /** Resource names are `<name>-<index>`. */
  readonly name: string;
  readonly count: number;
  /** Any schedule the controller accepts, e.g. every 2 s: `*\/2 * * * * *`. */
  readonly schedule: string;
  readonly concurrencyPolicy: ConcurrencyPolicy;
  readonly taskCount: number;
  readonly startingDeadlineSeconds: number;
  /**
   * An SQS trigger: a queue in moto per resource, fed about one message every 10 s, with maxCount
   * max(taskCount, 3), which is then all a run may launch.
   */
  readonly sqsTrigger: boolean;
}

export interface EcsFaults {
  /** Share of ECS calls that fail, split by `mix`. */
  readonly share: number;
  /** Relative weights of the failure kinds within `share`. */
  readonly mix: {
    readonly serverError: number;
    readonly throttle: number;
    readonly capacity: number;
    readonly lostResponse: number;
  };
  readonly latencySpikeRate: number;
  readonly latencySpikeMs: number;
}

export interface Faults {
  /** SIGKILLs of the leader (with sharding: of a replica drawn at random) at random moments. */
  readonly kills: number;
  /** SIGSTOP of the leader (with sharding: of a random replica) for `pauseSeconds`, then SIGCONT. */
  readonly pauses: number;
  readonly pauseSeconds: number;
  readonly apiserverRestarts: number;
  readonly etcdRestarts: number;
  /** Windows in which every ECS call hangs unanswered. */
  readonly blackHoles: number;
  readonly blackHoleSeconds: number;
  /** With sharding: one more replica joins (a Deployment scaled up). */
  readonly scaleUps: number;
  /** With sharding: a replica drawn at random gets SIGTERM and does not come back (scaled down). */
  readonly scaleDowns: number;
  readonly ecs: EcsFaults;
}

export interface Scenario {
  readonly name: string;
  /** Undefined: a fresh seed, logged, so the run can be replayed. */
  readonly seed: number | undefined;
  /** How long load and faults run. */
  readonly durationSeconds: number;
  /** After the last fault: time for the controllers to catch up before the scorecard is taken. */
  readonly settleSeconds: number;
  /** No fault lands in the first or last `quietSeconds` of the duration. */
  readonly quietSeconds: number;
  readonly replicas: number;
  /** `run --sharding`: every replica works on its own shard, instead of one elected leader. */
  readonly sharding: boolean;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
  /** How long a launched task runs in the simulator. */
  readonly taskRunningSeconds: number;
  readonly load: readonly LoadGroup[];
  readonly faults: Faults;
}

export class ScenarioError extends Error {
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ScenarioError';
  }
}

type Raw = Record<string, unknown>;

function object(path: string, value: unknown): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ScenarioError(path, 'must be a mapping');
  return value as Raw;
}

function only(path: string, raw: Raw, known: readonly string[]): void {
  for (const key of Object.keys(raw))
    if (!known.includes(key))
      throw new ScenarioError(`${path}.${key}`, `unknown field (known: ${known.join(', ')})`);
}

function num(path: string, raw: Raw, key: string, fallback: number, min = 0, max = Infinity): number {
  const v = raw[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new ScenarioError(
      `${path}.${key}`,
      `must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`,
    );
  return v;
}

function int(path: string, raw: Raw, key: string, fallback: number, min = 0): number {
  const v = num(path, raw, key, fallback, min);
  if (!Number.isInteger(v)) throw new ScenarioError(`${path}.${key}`, `must be an integer, got ${v}`);
  return v;
}

const POLICIES: readonly ConcurrencyPolicy[] = ['Allow', 'Forbid', 'Replace', 'TopUp'];

function loadGroup(path: string, value: unknown): LoadGroup {
  const raw = object(path, value);
  only(path, raw, [
    'name',
    'count',
    'schedule',
    'concurrencyPolicy',
    'taskCount',
    'startingDeadlineSeconds',
    'sqsTrigger',
  ]);
  if (typeof raw.name !== 'string' || !/^[a-z][a-z0-9-]{0,40}$/.test(raw.name))
    throw new ScenarioError(`${path}.name`, 'must be a lowercase DNS label of at most 41 characters');
  if (typeof raw.schedule !== 'string' || raw.schedule.trim() === '')
    throw new ScenarioError(`${path}.schedule`, 'must be a schedule expression');
  const policy = raw.concurrencyPolicy ?? 'Allow';
  if (!POLICIES.includes(policy as ConcurrencyPolicy))
    throw new ScenarioError(`${path}.concurrencyPolicy`, `must be one of ${POLICIES.join(', ')}`);
  if (raw.sqsTrigger !== undefined && typeof raw.sqsTrigger !== 'boolean')
    throw new ScenarioError(`${path}.sqsTrigger`, 'must be true or false');
  return {
    name: raw.name,
    count: int(path, raw, 'count', 1, 1),
    schedule: raw.schedule,
    concurrencyPolicy: policy as ConcurrencyPolicy,
    taskCount: int(path, raw, 'taskCount', 1, 1),
    startingDeadlineSeconds: int(path, raw, 'startingDeadlineSeconds', 60, 1),
    sqsTrigger: raw.sqsTrigger === true,
  };
}

function faults(path: string, value: unknown): Faults {
  const raw = object(path, value ?? {});
  only(path, raw, [
    'kills',
    'pauses',
    'pauseSeconds',
    'apiserverRestarts',
    'etcdRestarts',
    'blackHoles',
    'blackHoleSeconds',
    'scaleUps',
    'scaleDowns',
    'ecs',
  ]);
  const ecsPath = `${path}.ecs`;
  const ecsRaw = object(ecsPath, raw.ecs ?? {});
  only(ecsPath, ecsRaw, ['share', 'mix', 'latencySpikeRate', 'latencySpikeMs']);
  const mixPath = `${ecsPath}.mix`;
  const mixRaw = object(mixPath, ecsRaw.mix ?? {});
  only(mixPath, mixRaw, ['serverError', 'throttle', 'capacity', 'lostResponse']);
  return {
    kills: int(path, raw, 'kills', 0),
    pauses: int(path, raw, 'pauses', 0),
    pauseSeconds: num(path, raw, 'pauseSeconds', 20, 1),
    apiserverRestarts: int(path, raw, 'apiserverRestarts', 0),
    etcdRestarts: int(path, raw, 'etcdRestarts', 0),
    blackHoles: int(path, raw, 'blackHoles', 0),
    blackHoleSeconds: num(path, raw, 'blackHoleSeconds', 30, 1),
    scaleUps: int(path, raw, 'scaleUps', 0),
    scaleDowns: int(path, raw, 'scaleDowns', 0),
    ecs: {
      share: num(ecsPath, ecsRaw, 'share', 0, 0, 1),
      mix: {
        serverError: num(mixPath, mixRaw, 'serverError', 1),
        throttle: num(mixPath, mixRaw, 'throttle', 1),
        capacity: num(mixPath, mixRaw, 'capacity', 1),
        lostResponse: num(mixPath, mixRaw, 'lostResponse', 0),
      },
      latencySpikeRate: num(ecsPath, ecsRaw, 'latencySpikeRate', 0, 0, 1),
      latencySpikeMs: num(ecsPath, ecsRaw, 'latencySpikeMs', 0),
    },
  };
}

/** Parses and validates a scenario from YAML or JSON text; `source` names it in errors. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ScenarioError(source, `not YAML or JSON: ${(err as Error).message}`);
  }
  const raw = object(source, doc);
  only(source, raw, [
    'name',
    'seed',
    'durationSeconds',
    'settleSeconds',
    'quietSeconds',
    'replicas',
    'sharding',
    'leaseDurationSeconds',
    'renewDeadlineSeconds',
    'retryPeriodSeconds',
    'taskRunningSeconds',
    'load',
    'faults',
  ]);
  if (!Array.isArray(raw.load) || raw.load.length === 0)
    throw new ScenarioError(`${source}.load`, 'must list at least one load group');
  const load = raw.load.map((g, i) => loadGroup(`${source}.load[${i}]`, g));
  const names = new Set<string>();
  for (const [i, g] of load.entries()) {
    if (names.has(g.name)) throw new ScenarioError(`${source}.load[${i}].name`, `"${g.name}" is used twice`);
    names.add(g.name);
  }
  const scenario: Scenario = {
    name: typeof raw.name === 'string' ? raw.name : 'unnamed',
    seed: raw.seed === undefined ? undefined : int(source, raw, 'seed', 0),
    durationSeconds: num(source, raw, 'durationSeconds', 300, 10),
    settleSeconds: num(source, raw, 'settleSeconds', 30, 0),
    quietSeconds: num(source, raw, 'quietSeconds', 10, 0),
    replicas: int(source, raw, 'replicas', 2, 1),
    sharding: raw.sharding === true,
    leaseDurationSeconds: num(source, raw, 'leaseDurationSeconds', 6, 1),
    renewDeadlineSeconds: num(source, raw, 'renewDeadlineSeconds', 4, 1),
    retryPeriodSeconds: num(source, raw, 'retryPeriodSeconds', 1, 0.1),
    taskRunningSeconds: num(source, raw, 'taskRunningSeconds', 3, 0),
    load,
    faults: faults(`${source}.faults`, raw.faults),
  };
  if (scenario.renewDeadlineSeconds >= scenario.leaseDurationSeconds)
    throw new ScenarioError(`${source}.renewDeadlineSeconds`, 'must be shorter than leaseDurationSeconds');
  if (scenario.faults.pauses > 0 && scenario.faults.pauseSeconds <= scenario.leaseDurationSeconds)
    throw new ScenarioError(
      `${source}.faults.pauseSeconds`,
      'must be longer than the lease, or no failover happens',
    );
  if (raw.sharding !== undefined && typeof raw.sharding !== 'boolean')
    throw new ScenarioError(`${source}.sharding`, 'must be true or false');
  if (!scenario.sharding && scenario.faults.scaleUps + scenario.faults.scaleDowns > 0)
    throw new ScenarioError(`${source}.faults`, 'scaleUps and scaleDowns need sharding: true');
  if (scenario.faults.scaleDowns >= scenario.replicas + scenario.faults.scaleUps)
    throw new ScenarioError(`${source}.faults.scaleDowns`, 'must leave at least one replica');
  if (scenario.quietSeconds * 2 >= scenario.durationSeconds)
    throw new ScenarioError(`${source}.quietSeconds`, 'leaves no time for faults');
  return scenario;
}
