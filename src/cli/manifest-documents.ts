// Reads YAML manifests (files or folders, multi-document) for the offline commands, through the
// same file-to-documents source as standalone mode: the same refusals (symbolic links out of a
// folder, non-regular files, files over 3 MiB), the same YAML limits.
import { stat } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  listManifestFiles,
  parseManifestDocuments,
  readManifestText,
  type ManifestDocument,
  type SkippedEntry,
} from '../standalone/manifest-files.js';

export type { ManifestDocument, SkippedEntry } from '../standalone/manifest-files.js';

/**
 * The documents of the given files and folders (folders recursively, in path order). A path given
 * on the command line that does not exist throws: that is a usage error. Entries that cannot be
 * read go to `onSkipped` and the rest are read; without `onSkipped`, the first one throws. A file
 * named explicitly is read even through a symbolic link: there is no folder for it to escape.
 */
export async function readManifests(
  paths: readonly string[],
  onSkipped?: (entry: SkippedEntry) => void,
): Promise<ManifestDocument[]> {
  const skip =
    onSkipped ??
    ((entry: SkippedEntry) => {
      throw new Error(`${entry.path}: ${entry.problem}`);
    });
  const documents: ManifestDocument[] = [];
  for (const path of paths) {
    let files: string[];
    let isFolder: boolean;
    try {
      isFolder = (await stat(path)).isDirectory();
    } catch (error) {
      throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (isFolder) {
      const listing = await listManifestFiles(path);
      listing.skipped.forEach(skip);
      files = listing.files.map((f) => f.path);
    } else {
      files = [path];
    }
    for (const file of files) {
      const read = await readManifestText(file);
      if ('problem' in read) {
        skip({ path: file, problem: read.problem });
        continue;
      }
      documents.push(...(await parseManifestDocuments(file, read.text)));
      await nextTurn();
    }
  }
  return documents;
}

export function isEcsScheduledTask(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'EcsScheduledTask'
  );
}
