// Reads YAML manifests (files or directories, multi-document) for the offline commands.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface ManifestDocument {
  readonly file: string;
  /** 1-based position of the document in its file. */
  readonly index: number;
  readonly value?: unknown;
  /** Set when the document is not valid YAML. */
  readonly syntaxError?: string;
}

async function expand(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(
    entries
      .filter((e) => e.isDirectory() || /\.ya?ml$/i.test(e.name))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => expand(join(path, e.name))),
  );
  return nested.flat();
}

export async function readManifests(paths: readonly string[]): Promise<ManifestDocument[]> {
  const files = (await Promise.all(paths.map(expand))).flat();
  const documents: ManifestDocument[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    parseAllDocuments(text).forEach((doc, i) => {
      const index = i + 1;
      if (doc.errors.length > 0) {
        documents.push({
          file,
          index,
          syntaxError: doc.errors.map((e) => e.message.split('\n')[0]).join('; '),
        });
      } else if (doc.contents !== null) {
        documents.push({ file, index, value: doc.toJS() as unknown });
      }
    });
  }
  return documents;
}

export function isEcsScheduledTask(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'EcsScheduledTask'
  );
}
