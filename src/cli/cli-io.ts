/** What a CLI command may touch, so tests can run commands in-process and read their output. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Writes to stderr before returning, for the flush of buffered log lines at process exit
   * (no callback runs after it). Without it, `stderr` is used.
   */
  stderrAtExit?(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
}

/** A command returns its exit code; it never calls process.exit itself. */
export type Command = (args: readonly string[], io: CliIo) => Promise<number>;
