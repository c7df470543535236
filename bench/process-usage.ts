// A local process's CPU time and RSS, read from /proc: what the controller bench samples every
// 2 s instead of scraping the controller's /metrics, which costs the controller CPU.
import { readFile } from 'node:fs/promises';

/** /proc/<pid>/stat counts CPU time in USER_HZ ticks, 100 a second on Linux. */
const USER_HZ = 100;

export interface ProcessUsage {
  /** User plus system CPU seconds since the process started. */
  readonly cpu: number;
  /** Resident set size in bytes. */
  readonly rss: number;
}

/** Parses /proc/<pid>/stat and /proc/<pid>/status; undefined when they do not read as such. */
export function parseProcUsage(stat: string, status: string): ProcessUsage | undefined {
  // The command name is in parentheses and may hold spaces and parentheses: the fields are
  // counted from its last ')'. utime and stime are the 14th and 15th fields of the line.
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  if (!Number.isFinite(ticks) || !Number.isFinite(rssKiB)) return undefined;
  return { cpu: ticks / USER_HZ, rss: rssKiB * 1024 };
}

/** The usage of process `pid`; undefined where there is no /proc or no such process. */
export async function procUsage(pid: number | undefined): Promise<ProcessUsage | undefined> {
  if (pid === undefined) return undefined;
  try {
    const [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    return parseProcUsage(stat, status);
  } catch {
    return undefined;
  }
}
