// Process-level failure handling. The controller is crash-only: its durable state is the resource
// status, the ECS ledger (idempotent clientTokens) and the Lease, and recovery from a restart is
// the path the SIGKILL tests exercise every day. An exception nobody caught leaves memory in a
// state nobody reasoned about (a half-finished pass, a worker that never called done()), so the
// process logs it and exits, and its supervisor restarts it clean.
import type { Logger } from '../log/logger.js';

/** An uncaught exception or unhandled rejection (EX_SOFTWARE from sysexits.h). */
export const EXIT_SOFTWARE = 70;
/** stdout or stderr was closed by its reader: 128 + SIGPIPE, what a shell tool reports. */
export const EXIT_PIPE_CLOSED = 141;

/** How long exitAfterFlush waits for stdout and stderr before exiting anyway. */
const FLUSH_TIMEOUT_MS = 1_000;

type Exit = (code: number) => void;

/**
 * Exits with `code` once stdout and stderr have taken everything written so far, or after a
 * second when they will not (a full or vanished pipe). Exiting explicitly matters: an HTTP server
 * or a hung socket must never keep a process alive that has decided to stop.
 */
export function exitAfterFlush(code: number): void {
  process.exitCode = code;
  const timer = setTimeout(() => process.exit(code), FLUSH_TIMEOUT_MS);
  let pending = 2;
  const flushed = () => {
    if (--pending > 0) return;
    clearTimeout(timer);
    process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}

/**
 * An unhandled promise rejection or an uncaught exception is logged as the last line, then the
 * process exits with EXIT_SOFTWARE after a best-effort flush. A second failure while exiting
 * changes nothing. Call it once per process.
 */
export function installCrashGuards(logger: Logger, exit: Exit = exitAfterFlush): void {
  let crashing = false;
  const crash = (what: string, error: unknown) => {
    if (crashing) return;
    crashing = true;
    try {
      logger.error(`${what}: exiting so that a restart recovers from the durable state`, { error });
    } finally {
      exit(EXIT_SOFTWARE);
    }
  };
  process.on('unhandledRejection', (reason) => crash('unhandled promise rejection', reason));
  process.on('uncaughtException', (error) => crash('uncaught exception', error));
}

/**
 * A closed stdout or stderr pipe ends the process at once. Without a listener every failed write
 * becomes an uncaught exception, whose log line fails the same way: that loop once spun at 80 %
 * CPU and never reached the SIGTERM handler. With nobody reading, nothing is left to flush.
 */
export function installPipeGuards(exit: Exit = (code) => process.exit(code)): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      exit(error.code === 'EPIPE' ? EXIT_PIPE_CLOSED : EXIT_SOFTWARE);
    });
  }
}
