// A file the repository keeps generated from a source (the chart's copies, the spec reference):
// one drift check and one write-or-check entry point for every generator script, so that `--check`
// (CI, and the unit tests) and the writing mode can never disagree about what is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GeneratedFile {
  readonly target: string;
  readonly source: string;
  readonly content: string;
}

/** The files whose checked-in copy under `root` differs from what their source gives. */
export function driftOf<T extends GeneratedFile>(files: readonly T[], root: string): T[] {
  return files.filter(({ target, content }) => {
    try {
      return readFileSync(join(root, target), 'utf8') !== content;
    } catch {
      return true;
    }
  });
}

/**
 * Writes every stale file, or with `check` writes nothing and names each with the command that
 * regenerates it. Returns the process exit code.
 */
export function writeOrCheck(
  drift: readonly GeneratedFile[],
  options: { readonly root: string; readonly check: boolean; readonly regenerate: string },
): number {
  for (const { target, source, content } of drift) {
    if (options.check)
      console.error(`${target} is out of date with ${source}: run \`${options.regenerate}\` and commit it`);
    else {
      writeFileSync(join(options.root, target), content);
      console.log(`wrote ${target}`);
    }
  }
  return options.check && drift.length > 0 ? 1 : 0;
}
