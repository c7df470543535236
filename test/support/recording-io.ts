import type { CliIo } from '../../src/cli/cli-io.js';

/** A CliIo that keeps what a command printed, with a fixed clock and an empty environment. */
export function recordingIo(now: Date): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
    env: {},
    now: () => now,
  };
  return io;
}
