// Files to YAML documents: the one reader behind standalone mode's manifests folder and the CLI's
// `validate`. A folder of manifests is input someone else may write, so the reader holds it to
// what the API server would accept and never lets one bad entry stop the rest:
// - it stays inside the folder: a symlink whose target resolves outside it is skipped (a link to
//   `..` or `/` would otherwise read the whole disk); links inside it, such as a mounted
//   ConfigMap's `file.yaml -> ..data/file.yaml`, are followed;
// - it reads what it listed, and nothing swapped in since: a listed file is opened by its resolved
//   path with O_NOFOLLOW, and the open handle must be the same regular file (device and inode)
//   inside the folder (on Linux, the handle's own path is checked too), so a symbolic link to
//   `/etc` put in place between the listing and the read is refused, not followed;
// - it reads regular files only: opening a FIFO blocks, and a device never ends;
// - a file over 3 MiB is skipped: the API server refuses requests above that, so no manifest
//   that works in a cluster is larger;
// - it yields to the event loop between files and between documents, so a large folder does not
//   stall the controller's timers and probes;
// - every entry it cannot use comes back as a SkippedEntry naming the path and the problem.
// Names starting with a dot are not read (`.git`, editor swap files, a ConfigMap's `..data`).
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Composer, Lexer, LineCounter, Parser, type Document, type CST } from 'yaml';

type Token = CST.Token;

/** The API server's request size limit (3 MiB); a larger manifest could never be applied. */
export const MAX_MANIFEST_BYTES = 3 * 1024 * 1024;
/** Anchors a document may dereference: enough for real manifests, too few for a "billion laughs". */
const MAX_ALIAS_COUNT = 100;

const MANIFEST_NAME = /\.ya?ml$/i;
const READ_CHUNK_BYTES = 256 * 1024;

export interface ManifestFile {
  readonly path: string;
  readonly mtimeMs: number;
  readonly size: number;
  /** Set by listManifestFiles: what the read must find, so that nothing swapped in is read. */
  readonly listed?: ListedIdentity;
}

/** A listed file as the listing saw it: where it resolved, and which file that was. */
export interface ListedIdentity {
  /** The folder's real path. */
  readonly root: string;
  /** The file's real path, every symbolic link resolved. */
  readonly realPath: string;
  readonly dev: number;
  readonly ino: number;
}

export interface ListOptions {
  /** Folders not to descend into (the policies folder, when it sits inside the manifests). */
  readonly skip?: readonly string[];
  /** What the folder is, for messages. Default "manifests folder". */
  readonly label?: string;
}

/** An entry that looks like a manifest (or a folder of them) but cannot be read. */
export interface SkippedEntry {
  readonly path: string;
  readonly problem: string;
}

export interface ManifestDocument {
  readonly file: string;
  /** 1-based position of the document in its file. */
  readonly index: number;
  /** 1-based line where the document starts. */
  readonly line: number;
  /** The document as plain data; absent when it has a syntax error. */
  readonly value?: unknown;
  /** Set when the document is not valid YAML. */
  readonly syntaxError?: string;
}

export interface ManifestListing {
  readonly files: ManifestFile[];
  readonly skipped: SkippedEntry[];
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function describeError(error: unknown): string {
  switch (errorCode(error)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'does not exist';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** What kind of thing a non-regular file is, for the message. */
function kindOf(info: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}) {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  // `..2026_11_27/x` (a ConfigMap's data folder) is inside; only `..` as a whole segment leaves.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every `*.yaml`/`*.yml` regular file under `dir`, recursively, in path order, and the entries
 * skipped on the way. Throws only when `dir` itself cannot be read.
 */
export async function listManifestFiles(dir: string, options: ListOptions = {}): Promise<ManifestListing> {
  const label = options.label ?? 'manifests folder';
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory())
      throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (error) {
    throw new Error(`cannot read the ${label} ${dir}: ${describeError(error)}`, { cause: error });
  }
  const files: ManifestFile[] = [];
  const skipped: SkippedEntry[] = [];
  const visited = new Set<string>();
  for (const folder of options.skip ?? []) {
    const real = await realpath(folder).catch(() => undefined);
    if (real !== undefined) visited.add(real);
  }

  const walk = async (folder: string, real: string): Promise<void> => {
    // A link to a folder further up the tree would otherwise loop.
    if (visited.has(real)) return;
    visited.add(real);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (folder === dir)
        throw new Error(`cannot read the ${label} ${dir}: ${describeError(error)}`, { cause: error });
      if (errorCode(error) !== 'ENOENT')
        skipped.push({ path: folder, problem: `cannot list: ${describeError(error)}` });
      return;
    }
    for (const name of names.sort(byName)) {
      if (name.startsWith('.')) continue;
      const path = join(folder, name);
      let link;
      try {
        link = await lstat(path);
      } catch {
        continue; // removed while we walked
      }
      let target = link;
      let targetReal = join(real, name);
      if (link.isSymbolicLink()) {
        try {
          targetReal = await realpath(path);
          target = await stat(targetReal);
        } catch (error) {
          if (MANIFEST_NAME.test(name))
            skipped.push({ path, problem: `dangling symbolic link (${describeError(error)})` });
          continue;
        }
        if (!target.isDirectory() && !MANIFEST_NAME.test(name)) continue;
        if (!inside(root, targetReal)) {
          skipped.push({
            path,
            problem: `symbolic link resolves outside the ${label}, to ${targetReal}`,
          });
          continue;
        }
      }
      if (target.isDirectory()) {
        await walk(path, targetReal);
        continue;
      }
      if (!MANIFEST_NAME.test(name)) continue;
      if (!target.isFile()) {
        skipped.push({ path, problem: `${kindOf(target)}, not a regular file` });
        continue;
      }
      if (target.size > MAX_MANIFEST_BYTES) {
        skipped.push({ path, problem: tooBig(target.size) });
        continue;
      }
      files.push({
        path,
        mtimeMs: target.mtimeMs,
        size: target.size,
        listed: { root, realPath: targetReal, dev: target.dev, ino: target.ino },
      });
    }
  };
  await walk(dir, root);
  return { files, skipped };
}

function tooBig(size: number): string {
  return `${size} bytes, over the ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB limit of a manifest`;
}

/**
 * The text of one manifest file, read without blocking on a FIFO (opened non-blocking and
 * checked on the open descriptor, so a file swapped for a FIFO after listing is still refused)
 * and never beyond the size limit. Returns a problem instead of throwing. Given what a listing
 * saw (`file.listed`), it opens the resolved path without following a symbolic link and reads
 * only that same file; `changed` then says the file was replaced since (often an editor's save
 * by rename), for the next read to settle.
 */
export async function readManifestText(
  path: string,
  file?: ManifestFile,
): Promise<{ text: string } | { problem: string; gone?: true; changed?: true }> {
  const listed = file?.listed;
  let handle;
  try {
    handle = await open(
      listed?.realPath ?? path,
      constants.O_RDONLY | constants.O_NONBLOCK | (listed ? constants.O_NOFOLLOW : 0),
    );
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { problem: 'does not exist', gone: true };
    if (listed && errorCode(error) === 'ELOOP')
      return { problem: 'became a symbolic link after it was listed; refused, not followed' };
    return { problem: `cannot read: ${describeError(error)}` };
  }
  try {
    const info = await handle.stat();
    if (listed) {
      const where = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
      if (where !== undefined && !inside(listed.root, where))
        return { problem: `resolves outside the folder since it was listed, to ${where}; refused` };
      if (info.dev !== listed.dev || info.ino !== listed.ino)
        return { problem: 'was replaced after it was listed', changed: true };
    }
    if (!info.isFile()) return { problem: `${kindOf(info)}, not a regular file` };
    if (info.size > MAX_MANIFEST_BYTES) return { problem: tooBig(info.size) };
    // Read until the end, never past the limit: a file that grew since stat() is caught here.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(READ_CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, length);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > MAX_MANIFEST_BYTES) return { problem: tooBig(length) };
    }
    return { text: Buffer.concat(chunks, length).toString('utf8') };
  } catch (error) {
    return { problem: `cannot read: ${describeError(error)}` };
  } finally {
    await handle.close();
  }
}

/**
 * Deeper nesting than this is refused before the YAML parser sees it. The parser composes
 * recursively: a few thousand levels (`[[[[...`, or `- - - - ...` on one line, both cheap to
 * write) overflow the stack, and an overflow that lands inside V8's regular-expression compiler
 * aborts the whole process instead of throwing. Real manifests nest about ten levels.
 */
export const MAX_NESTING_DEPTH = 100;
/** Lexer tokens between two yields to the event loop while measuring the nesting. */
const TOKENS_PER_TURN = 20_000;

/**
 * How deep the text nests, measured on the YAML lexer's tokens (iterative, so safe on any
 * input): flow collections open, block indentation levels, and the compact indicators of one
 * line (`- - x`). An upper bound of what the parser would build. Yields to the event loop as it
 * goes. Returns where the limit is crossed, if it is.
 */
export async function findNestingProblem(
  text: string,
): Promise<{ line: number; message: string } | undefined> {
  const indents: number[] = [];
  let flow = 0;
  let lineStart = true;
  let indent = 0;
  let indicators = 0;
  let line = 1;
  let afterScalarMarker = false;
  let tokens = 0;
  for (const token of new Lexer().lex(text)) {
    if (++tokens % TOKENS_PER_TURN === 0) await nextTurn();
    if (afterScalarMarker) {
      // A scalar's source: count its line breaks, and nothing else in it.
      afterScalarMarker = false;
      line += token.split('\n').length - 1;
      continue;
    }
    if (token === '\u001f') {
      afterScalarMarker = true;
    } else if (token === '\n' || token === '\r\n') {
      line += 1;
      lineStart = true;
      indent = 0;
      indicators = 0;
      continue;
    } else if (token === '---' || token === '...' || token === '\u0002') {
      indents.length = 0;
      flow = 0;
      continue;
    } else if (lineStart && /^ +$/.test(token)) {
      indent = token.length;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      if (flow === 0) {
        while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
      }
    }
    if (token === '[' || token === '{') flow += 1;
    else if (token === ']' || token === '}') flow = Math.max(0, flow - 1);
    else if (flow === 0 && (token === '-' || token === '?' || token === ':')) indicators += 1;
    if (indents.length + indicators + flow > MAX_NESTING_DEPTH) {
      return { line, message: `nested deeper than ${MAX_NESTING_DEPTH} levels at line ${line}` };
    }
  }
  return undefined;
}

/**
 * The largest document composed: etcd's request limit (1.5 MiB), so no object the API server
 * could store is refused. The composer builds one document in a single synchronous step, so this
 * also bounds the longest pause a document can cause.
 */
export const MAX_DOCUMENT_BYTES = 1.5 * 1024 * 1024;
/** Lexer tokens lexed and parsed between two yields to the event loop. */
const LEXEMES_PER_TURN = 10_000;

/**
 * The documents of a YAML text, yielding to the event loop while lexing and parsing and between
 * documents. A document that is not valid YAML (syntax, too many aliases, too large, nesting too
 * deep) comes back with `syntaxError` and the rest are still returned. Documents are counted as
 * yaml's parseAllDocuments counts them.
 */
export async function parseManifestDocuments(file: string, text: string): Promise<ManifestDocument[]> {
  const tooDeep = await findNestingProblem(text);
  if (tooDeep !== undefined) return [{ file, index: 1, line: tooDeep.line, syntaxError: tooDeep.message }];
  const lines = new LineCounter();
  const documents: ManifestDocument[] = [];
  const composer = new Composer();
  const parser = new Parser(lines.addNewLine);
  lines.addNewLine(0); // as Parser.parse() does before the first lexeme
  /** Positions of the documents handed to the composer and not yet returned by it. */
  const pending: number[] = [];
  let index = 0;
  let consumed = 0;
  let skipping = false;

  const add = async (doc: Document.Parsed) => {
    const at = pending.shift() ?? ++index;
    const line = lines.linePos(doc.range[0]).line;
    if (doc.errors.length > 0) {
      const located = doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return `${e.message.split('\n')[0]} at line ${pos.line}, column ${pos.col}`;
      });
      documents.push({ file, index: at, line, syntaxError: located.join('; ') });
    } else if (doc.contents !== null) {
      try {
        const value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
        // `---` with nothing after it is an empty document, not a null manifest.
        if (value !== null) documents.push({ file, index: at, line, value });
      } catch (error) {
        documents.push({ file, index: at, line, syntaxError: firstLines([(error as Error).message]) });
      }
    }
    await nextTurn();
  };
  const feed = async (tokens: Iterable<Token>) => {
    for (const token of [...tokens]) {
      if (token.type === 'document') {
        index += 1;
        const size = consumed - token.offset;
        if (size > MAX_DOCUMENT_BYTES) {
          const line = lines.linePos(token.offset).line;
          documents.push({ file, index, line, syntaxError: documentTooBig(size) });
          skipping = true;
          continue;
        }
        pending.push(index);
      } else if (skipping && token.type === 'doc-end') {
        continue;
      }
      skipping = false;
      for (const doc of composer.next(token)) await add(doc);
    }
  };

  try {
    let lexemes = 0;
    for (const lexeme of new Lexer().lex(text)) {
      consumed += lexeme.length;
      await feed(parser.next(lexeme));
      if (++lexemes % LEXEMES_PER_TURN === 0) await nextTurn();
    }
    consumed = text.length;
    await feed(parser.end());
    for (const doc of composer.end(index === 0, text.length)) await add(doc);
  } catch (error) {
    // The parser itself gave up: the rest of the file is unusable.
    documents.push({ file, index: index + 1, line: 1, syntaxError: firstLines([(error as Error).message]) });
  }
  // The composer hands a document over only once the next one starts; a refused one is known at once.
  return documents.sort((a, b) => a.index - b.index);
}

function documentTooBig(size: number): string {
  return `the document is ${size} bytes, over the ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB an object may have (etcd's request limit)`;
}

function firstLines(messages: readonly string[]): string {
  return messages.map((m) => m.split('\n')[0]).join('; ');
}
