// Where things are in a YAML manifest, for messages in the `file:line:column:` form editors and
// CI annotations jump to: the start of each document, the node at a field path, and YAML errors
// in full (yaml's message with its code frame).
import { isCollection, LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface YamlProblem extends Position {
  readonly message: string;
}

export interface DocumentPositions {
  readonly start: Position;
  /** The node at a dotted path such as `spec.task.overrides[0].name`, or its nearest present ancestor. */
  at(path: string): Position;
  readonly errors: YamlProblem[];
}

export function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const index of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
  }
  return out;
}

/** One entry per document, in the order the YAML composer yields them (as manifest reading counts them). */
export function documentPositions(text: string): DocumentPositions[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: true });
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const pos = (offset: number): Position => lines.linePos(offset);
  return list.map((doc) => ({
    start: pos(doc.contents?.range[0] ?? doc.range[0]),
    at(path: string): Position {
      const segments = pathSegments(path);
      for (let n = segments.length; n > 0; n--) {
        const node = doc.getIn(segments.slice(0, n), true) as
          { range?: [number, number, number] } | undefined;
        if (node && typeof node === 'object' && node.range) return pos(node.range[0]);
      }
      return pos(isCollection(doc.contents) ? doc.contents.range[0] : doc.range[0]);
    },
    errors: doc.errors.map((e: YAMLError) => ({
      message: e.message,
      ...(e.linePos?.[0] ?? pos(e.pos[0])),
    })),
  }));
}
