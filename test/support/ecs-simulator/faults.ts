// Fault injection: what the simulator does to a call before (or instead of) answering it. Every
// share is a probability in [0, 1] drawn per call from the injected random source, so a seeded
// source replays the same faults.

export interface FaultConfig {
  /** Share of calls answered with ServerException (HTTP 500) without doing anything. Default 0. */
  readonly serverErrorRate: number;
  /**
   * Share of RunTask calls that launch their tasks but answer ServerException, as when the
   * response is lost on the way back. The ledger records the launch. Default 0.
   */
  readonly lostResponseRate: number;
  /**
   * RunTask calls, numbered from 1 since these faults were set (or the simulator reset), that
   * launch their tasks and answer ServerException: the answer of exactly those calls is lost, for
   * example batch 2 of a 30-task launch. Counted whatever `operations` says. Default: none.
   */
  readonly lostResponseCalls: readonly number[];
  /**
   * Share of RunTask calls that launch their tasks and then never answer, as when the caller dies
   * or the connection drops while the call is in flight. The ledger records the launch. Default 0.
   */
  readonly hangAfterLaunchRate: number;
  /** Share of calls refused with ThrottlingException, on top of the quotas. Default 0. */
  readonly throttleRate: number;
  /** Share of the tasks of each RunTask that fail to place (a `failures` entry instead). Default 0. */
  readonly capacityFailureRate: number;
  /** The reason of a placement failure. Default "RESOURCE:CPU". */
  readonly capacityReason: string;
  /** Latency added to every answer, in ms. Default 0. */
  readonly latencyMs: number;
  /** Share of calls that get `latencySpikeMs` more. Default 0. */
  readonly latencySpikeRate: number;
  /** Default 0. */
  readonly latencySpikeMs: number;
  /** Share of calls accepted and never answered: the connection stays open and silent. Default 0. */
  readonly blackHoleRate: number;
  /** The operations the faults apply to, for example ["RunTask"]. Default: every ECS operation. */
  readonly operations?: readonly string[];
}

export const NO_FAULTS: FaultConfig = {
  serverErrorRate: 0,
  lostResponseRate: 0,
  lostResponseCalls: [],
  hangAfterLaunchRate: 0,
  throttleRate: 0,
  capacityFailureRate: 0,
  capacityReason: 'RESOURCE:CPU',
  latencyMs: 0,
  latencySpikeRate: 0,
  latencySpikeMs: 0,
  blackHoleRate: 0,
};

const RATES = [
  'serverErrorRate',
  'lostResponseRate',
  'hangAfterLaunchRate',
  'throttleRate',
  'capacityFailureRate',
  'latencySpikeRate',
  'blackHoleRate',
] as const;
const DURATIONS = ['latencyMs', 'latencySpikeMs'] as const;

/**
 * Validates a partial fault configuration (from a flag or PUT /_sim/faults) and fills in the
 * defaults. Unknown fields are refused, so a typo never silently injects nothing.
 */
export function faultConfig(input: unknown): FaultConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new Error(`faults: expected a JSON object, got ${JSON.stringify(input)}`);
  const known = new Set<string>([
    ...RATES,
    ...DURATIONS,
    'capacityReason',
    'operations',
    'lostResponseCalls',
  ]);
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new Error(`faults.${key}: unknown field (known: ${[...known].join(', ')})`);
  }
  const out: Record<string, unknown> = { ...NO_FAULTS };
  for (const key of RATES) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      throw new Error(`faults.${key}: must be a number in [0, 1]`);
    out[key] = v;
  }
  for (const key of DURATIONS) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
      throw new Error(`faults.${key}: must be a number of milliseconds >= 0`);
    out[key] = v;
  }
  if (raw.capacityReason !== undefined) {
    if (typeof raw.capacityReason !== 'string' || raw.capacityReason === '')
      throw new Error('faults.capacityReason: must be a non-empty string');
    out.capacityReason = raw.capacityReason;
  }
  if (raw.lostResponseCalls !== undefined) {
    const calls = raw.lostResponseCalls;
    if (!Array.isArray(calls) || calls.some((n) => !Number.isInteger(n) || (n as number) < 1))
      throw new Error('faults.lostResponseCalls: must be an array of RunTask call numbers >= 1');
    out.lostResponseCalls = [...(calls as number[])];
  }
  if (raw.operations !== undefined) {
    if (!Array.isArray(raw.operations) || raw.operations.some((o) => typeof o !== 'string'))
      throw new Error('faults.operations: must be an array of operation names');
    out.operations = [...(raw.operations as string[])];
  }
  return out as unknown as FaultConfig;
}

/** What happens to one call, decided before it is served. */
export interface FaultDecision {
  readonly blackHole: boolean;
  readonly serverError: boolean;
  readonly throttle: boolean;
  /** RunTask only: launch, then answer ServerException. */
  readonly loseResponse: boolean;
  /** RunTask only: launch, then never answer. */
  readonly hangAfterLaunch: boolean;
  readonly delayMs: number;
}

/**
 * `runTaskCall`: for a RunTask, its number since the faults were set (1 for the first); 0 for
 * other operations.
 */
export function decideFaults(
  config: FaultConfig,
  operation: string,
  random: () => number,
  runTaskCall = 0,
): FaultDecision {
  const applies = config.operations === undefined || config.operations.includes(operation);
  // A share of 0 draws nothing, so that a scripted random source in a test feeds only the faults
  // it turned on (and the task lifecycle's own draws).
  const draw = (rate: number) => applies && rate > 0 && random() < rate;
  const blackHole = draw(config.blackHoleRate);
  const serverError = draw(config.serverErrorRate);
  const throttle = draw(config.throttleRate);
  const loseResponse =
    (draw(config.lostResponseRate) && operation === 'RunTask') ||
    (runTaskCall > 0 && config.lostResponseCalls.includes(runTaskCall));
  const hangAfterLaunch = draw(config.hangAfterLaunchRate) && operation === 'RunTask';
  const spike = draw(config.latencySpikeRate);
  const delayMs = applies ? config.latencyMs + (spike ? config.latencySpikeMs : 0) : 0;
  return { blackHole, serverError, throttle, loseResponse, hangAfterLaunch, delayMs };
}
