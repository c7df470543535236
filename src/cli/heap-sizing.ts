// The V8 heap of `ecs-scheduler run`, sized for a controller rather than from the machine. Node sizes
// the old generation from the machine's memory (4 GiB on a machine of 16 GiB or more), and V8 lets
// it grow to up to four times the live heap before a full collection when that limit is large; its
// young generation grows to two semi-spaces of 64 MiB. A controller whose live heap is 100 MiB then
// sits at 400-700 MiB RSS, mostly garbage. A smaller limit also makes V8 collect sooner (its growing
// factor shrinks with the limit), so RSS follows the live heap. The flags can only take effect when
// the process starts, so `run` replaces itself (same pid, same stdio) with one that has them.
// The same relaunch caps glibc's malloc arenas: by default every thread that allocates (V8's
// compiler and GC helpers, libuv's pool) may get an arena of its own, up to eight per core, and each
// keeps what it freed; MALLOC_ARENA_MAX, like the heap flags, only takes effect at start-up.
import os from 'node:os';
import { environmentWith, mallocArenaMaxOf, nodeOptionsOf } from '../config.js';

const MiB = 1024 * 1024;

/** Each of the young generation's two semi-spaces, in MiB (V8's own default here: 64). */
export const SEMI_SPACE_MIB = 16;
/**
 * The old generation's limit: half of the memory the process may use (a container's limit, or the
 * machine's), as the Helm chart advises, within these bounds. 256 MiB holds 5,000 resources; the
 * upper bound leaves room for 10,000 and more while keeping V8's growing factor near 1.6.
 */
export const OLD_SPACE_MIB = { min: 256, max: 1024 } as const;

/** glibc malloc arenas for a plain run (glibc's own default: eight per core). */
export const MALLOC_ARENAS = 2;

export interface HeapSizingInput {
  /** The CLI's arguments: the command first. */
  readonly args: readonly string[];
  /** Node's own flags on the command line (process.execArgv). */
  readonly execArgv: readonly string[];
  /** NODE_OPTIONS, as the user set it. */
  readonly nodeOptions: string | undefined;
  /** What the process may use: the container's memory limit, or the machine's memory. */
  readonly memoryBytes: number;
  /** MALLOC_ARENA_MAX, as the user set it. */
  readonly mallocArenaMax?: string | undefined;
}

/**
 * The heap flags `run` should start with that it does not have yet: none for other commands, and
 * none that the user set (on the command line or in NODE_OPTIONS), so theirs always win. After the
 * relaunch the flags are in execArgv, so this returns none and the process goes on.
 */
export function heapFlags(input: HeapSizingInput): string[] {
  if (input.args[0] !== 'run') return [];
  const given = [...input.execArgv, ...(input.nodeOptions ?? '').split(/\s+/)].map(flagName);
  // V8 refuses --max-heap-size together with both of the others: the user's choice stands alone.
  if (given.includes('--max-heap-size')) return [];
  const flags: string[] = [];
  if (!given.includes('--max-old-space-size'))
    flags.push(`--max-old-space-size=${oldSpaceMiB(input.memoryBytes)}`);
  if (!given.includes('--max-semi-space-size')) flags.push(`--max-semi-space-size=${SEMI_SPACE_MIB}`);
  return flags;
}

/**
 * The environment `run` should start with that it does not have yet: MALLOC_ARENA_MAX, unless the
 * user set it (or the command is not `run`). After the relaunch it is set, so this returns none.
 */
export function heapEnvironment(input: HeapSizingInput): Record<string, string> {
  if (input.args[0] !== 'run' || input.mallocArenaMax !== undefined) return {};
  return { MALLOC_ARENA_MAX: String(MALLOC_ARENAS) };
}

export function oldSpaceMiB(memoryBytes: number): number {
  const half = Math.floor(memoryBytes / 2 / MiB);
  return Math.min(OLD_SPACE_MIB.max, Math.max(OLD_SPACE_MIB.min, half));
}

/** `--max_old_space_size=512` and `--max-old-space-size 512` both name --max-old-space-size. */
function flagName(arg: string): string {
  const name = arg.split('=', 1)[0] ?? '';
  return name.startsWith('--') ? `--${name.slice(2).replaceAll('_', '-')}` : name;
}

/** What this process may use: the cgroup's limit when there is one (0 or huge when there is none). */
function memoryBytes(): number {
  const constrained = process.constrainedMemory();
  const total = os.totalmem();
  return constrained > 0 && constrained < total ? constrained : total;
}

/**
 * Replaces this process with the same command and the heap flags it lacks; returns when there is
 * nothing to add, or where the platform cannot replace a process (Windows), which then runs with
 * Node's defaults.
 */
export function relaunchWithHeapFlags(script: string, args: readonly string[]): void {
  const input: HeapSizingInput = {
    args,
    execArgv: process.execArgv,
    nodeOptions: nodeOptionsOf(),
    memoryBytes: memoryBytes(),
    mallocArenaMax: mallocArenaMaxOf(),
  };
  const flags = heapFlags(input);
  const environment = heapEnvironment(input);
  if ((flags.length === 0 && Object.keys(environment).length === 0) || process.execve === undefined) return;
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, ...flags, script, ...args],
    environmentWith(environment),
  );
}
