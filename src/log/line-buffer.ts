// Log lines written in batches: the lines of one event-loop turn go out in one write. At thousands
// of resources a pass logs a few lines each, and a write per line to a pipe was a syscall per line
// (writeUtf8String was 3 % of the controller's profile). The exit flush below keeps what a write
// per line gave: the last lines before the process exits are never lost.
import { writeSync } from 'node:fs';

export interface LineBufferOptions {
  /** Writes whole lines (each ends with a newline), once per flush. */
  readonly write: (text: string) => void;
  /** The flush at process exit: must be done when it returns. Default `write`. */
  readonly writeAtExit?: (text: string) => void;
  /** Runs a flush later. Default setImmediate: once per event-loop turn, after its I/O. */
  readonly schedule?: (flush: () => void) => void;
  /** Characters that are flushed at once rather than at the end of the turn. Default 64 KiB. */
  readonly maxPending?: number;
}

const DEFAULT_MAX_PENDING = 64 * 1024;

export class LineBuffer {
  readonly #write: (text: string) => void;
  readonly #writeAtExit: (text: string) => void;
  readonly #schedule: (flush: () => void) => void;
  readonly #maxPending: number;
  #pending: string[] = [];
  #chars = 0;
  #scheduled = false;

  constructor(options: LineBufferOptions) {
    this.#write = options.write;
    this.#writeAtExit = options.writeAtExit ?? options.write;
    this.#schedule = options.schedule ?? ((flush) => setImmediate(flush));
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  }

  /** Queues one line (without its newline). */
  readonly line = (line: string): void => {
    this.#pending.push(`${line}\n`);
    this.#chars += line.length + 1;
    if (this.#chars >= this.#maxPending) {
      this.flush();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      this.flush();
    });
  };

  /** Writes what is queued, in one write. */
  flush(): void {
    const text = this.#take();
    if (text) this.#write(text);
  }

  /** Writes what is queued with the exit writer: for the process's `exit` event. */
  flushAtExit(): void {
    const text = this.#take();
    if (text) this.#writeAtExit(text);
  }

  #take(): string {
    if (this.#pending.length === 0) return '';
    const text = this.#pending.join('');
    this.#pending = [];
    this.#chars = 0;
    return text;
  }
}

const flushedAtExit = new Set<LineBuffer>();
let exitHooked = false;

/**
 * Flushes `buffer` synchronously when the process exits: process.exit() (which the crash guards
 * and the entry point call) or an empty event loop. Returns the unregistration.
 */
export function flushOnExit(buffer: LineBuffer): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const b of flushedAtExit) b.flushAtExit();
    });
  }
  flushedAtExit.add(buffer);
  return () => flushedAtExit.delete(buffer);
}

const EXIT_WRITE_PATIENCE_MS = 1_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `text` to `fd` before returning, whatever stream state Node keeps: for the exit flush,
 * after which no callback runs. A full pipe (EAGAIN: Node opens it non-blocking) is waited on for
 * at most a second; a closed one (EPIPE) ends the attempt, as nobody reads it any more.
 */
export function writeAllSync(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  const giveUpAt = Date.now() + EXIT_WRITE_PATIENCE_MS;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > giveUpAt) return;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
