// A child process whose JSON log lines (on stderr, one object per line) are parsed as they
// arrive, so a test can wait for a line, or SIGKILL the process the moment one appears.
import { spawn, type ChildProcess } from 'node:child_process';

export interface LogLine {
  readonly msg: string;
  readonly level: string;
  readonly [field: string]: unknown;
}

export interface LoggedProcess {
  readonly child: ChildProcess;
  /** Every JSON log line so far, parsed. */
  readonly lines: LogLine[];
  /** Raw stdout and stderr, for assertion messages. */
  output(): string;
  /** The first line (already seen or future) that matches; rejects on timeout or exit. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  /** Resolves once the process has exited and its output is read. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the process synchronously, as soon as a log line matches. */
  killOn(match: (line: LogLine, index: number) => boolean): void;
}

export function spawnLogged(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): LoggedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let raw = '';
  let pending = '';
  const lines: LogLine[] = [];
  const listeners = new Set<() => void>();
  let killOn: ((l: LogLine, index: number) => boolean) | undefined;
  const killIfMatches = (line: LogLine, index: number) => {
    if (!killOn?.(line, index)) return;
    killOn = undefined;
    child.kill('SIGKILL');
  };
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    raw += text;
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        continue; // a line cut by SIGKILL
      }
      lines.push(parsed);
      killIfMatches(parsed, lines.length - 1);
      for (const listener of [...listeners]) listener();
    }
  });
  child.stdout!.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );

  const waitFor = (match: (l: LogLine) => boolean, timeoutMs: number, what: string) =>
    new Promise<LogLine>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      const check = () => {
        const hit = lines.find(match);
        if (!hit) return;
        done();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output:\n${raw.slice(-4000)}`),
        );
      }, timeoutMs);
      listeners.add(check);
      void exited.then((how) => {
        if (!listeners.has(check)) return;
        done();
        reject(
          new Error(
            `exited (${how.code ?? how.signal}) while waiting for ${what}; output:\n${raw.slice(-4000)}`,
          ),
        );
      });
      check();
    });

  return {
    child,
    lines,
    output: () => raw,
    waitFor,
    exited,
    killOn: (match) => {
      killOn = match;
      lines.forEach(killIfMatches);
    },
  };
}
