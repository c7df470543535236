// Reading the project's Markdown (README.md and docs/**/*.md) the way GitHub renders it: its code
// blocks (the examples the tests run), its headings' anchors and its links. Shared by the tests of
// the examples, of the links, and of the alerts' runbook_urls, so they agree on what an anchor is.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** README.md, then every Markdown file under docs/, sorted: paths relative to `root`. */
export function markdownFiles(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((e) => {
        const path = join(dir, e.name);
        if (e.isDirectory()) return walk(path);
        return e.isFile() && e.name.endsWith('.md') ? [path] : [];
      });
  return ['README.md', ...walk('docs')];
}

export interface Block {
  readonly lang: string;
  readonly body: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
}

/** The fenced code blocks, indented ones (in a list item) included, with the indent removed. */
export function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent));
    blocks.push({ lang: open[2]!, body: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

/** The lines outside fenced code blocks (code blocks become empty lines, so line numbers hold). */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((l) => {
    if (/^\s*```/.test(l)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : l;
  });
}

/**
 * GitHub's anchor for a heading's text: lower case, inline Markdown (backticks, emphasis, link
 * targets) and punctuation dropped, each space a dash.
 */
export function anchorOf(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every heading's anchor, with GitHub's `-1`, `-2` suffixes on repeated ones. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const m = /^#{1,6} (.+?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = anchorOf(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

export interface Link {
  readonly target: string;
  readonly line: number;
}

/** Inline links and images outside code (fenced blocks and `inline code`). */
export function links(markdown: string): Link[] {
  return proseLines(markdown).flatMap((l, i) =>
    [...l.replace(/`[^`]*`/g, '').matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => ({
      target: m[1]!,
      line: i + 1,
    })),
  );
}

/** Reads a repository file as text. */
export function readText(root: string, path: string): string {
  return readFileSync(join(root, path), 'utf8');
}
