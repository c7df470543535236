// Where a position in a bundled file (dist/bundle/, built by scripts/bundle.js) came from, read
// from the source map beside it: so that the profile tools can still name our src/ areas and the
// packages, which one bundle file would otherwise hide. Only what they need of the format (version
// 3): the `mappings` string, decoded per generated line, and `sources`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The base64 VLQ numbers of one segment. */
export function decodeVlq(text) {
  const out = [];
  let value = 0;
  let shift = 0;
  for (const ch of text) {
    const digit = BASE64.indexOf(ch);
    if (digit < 0) throw new Error(`not a base64 VLQ digit: ${ch}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** Per generated line, its segments as [column, source index, source line], columns ascending. */
export function decodeMappings(mappings) {
  const lines = [];
  let source = 0;
  let sourceLine = 0;
  for (const lineText of mappings.split(';')) {
    const segments = [];
    let column = 0;
    for (const text of lineText === '' ? [] : lineText.split(',')) {
      // The source column (fourth) and the name (fifth) are not needed.
      const [dColumn, dSource, dLine] = decodeVlq(text);
      column += dColumn;
      if (dSource === undefined) continue; // a segment that maps to no source
      source += dSource;
      sourceLine += dLine;
      segments.push([column, source, sourceLine]);
    }
    lines.push(segments);
  }
  return lines;
}

/**
 * Looks positions of generated files up in their `<file>.map`. `lookup(url, line, column)` (0-based,
 * as in a .cpuprofile's callFrame) gives `{ file, line }` with `file` an absolute path, or undefined
 * when the file has no map or the position maps to nothing.
 */
export function sourceMapLookup() {
  const maps = new Map();
  const load = (url) => {
    const file = url.startsWith('file:') ? fileURLToPath(url) : url;
    if (!existsSync(`${file}.map`)) return null;
    const raw = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
    const root = resolve(dirname(file), raw.sourceRoot ?? '');
    return { sources: raw.sources.map((s) => resolve(root, s)), lines: decodeMappings(raw.mappings) };
  };
  return (url, line, column) => {
    if (!url) return undefined;
    if (!maps.has(url)) maps.set(url, load(url));
    const map = maps.get(url);
    const segments = map?.lines[line];
    if (!segments) return undefined;
    let found;
    for (const segment of segments) {
      if (segment[0] > column) break;
      found = segment;
    }
    return found ? { file: map.sources[found[1]], line: found[2] } : undefined;
  };
}
