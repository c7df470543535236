/**
 * How long reading a manifests folder holds the event loop, the way standalone mode and
 * `validate` read it (manifest-files.ts):
 *
 *   node --import tsx bench/manifest-read.bench.ts
 *
 * For each folder shape it prints the time to read and parse everything, and the longest gap
 * between two turns of the event loop meanwhile (a timer, a probe or a watch event waits at most
 * that long). Shapes: many small files, one 3 MiB file of many documents, one large document,
 * and the hostile ones the reader refuses (3 MiB of `[`, of `- `, a 3 MiB + 1 byte file).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  listManifestFiles,
  MAX_MANIFEST_BYTES,
  parseManifestDocuments,
  readManifestText,
} from '../src/standalone/manifest-files.js';

const task = (i: number) => `apiVersion: ecs-scheduler.dev/v1alpha1
kind: EcsScheduledTask
metadata: {name: job-${i}, namespace: team-${i % 7}}
spec:
  schedule: 'H H * * *'
  task:
    taskDefinition: etl
    tags: [{key: team, value: data}]
    overrides:
      containerOverrides:
        - name: app
          command: ["sh", "-c", "run --batch ${i} --verbose"]
          environment: [{name: A, value: "1"}, {name: B, value: "2"}]
`;

/** One EcsScheduledTask with `count` environment variables of 60 characters: about 100 bytes each. */
function oneDocument(count: number): string {
  const env = Array.from(
    { length: count },
    (_, i) => `            - {name: V${i}, value: "${'x'.repeat(60)}"}`,
  );
  return `${task(0).replace(/ {10}environment: .*\n/, '          environment:\n')}${env.join('\n')}\n`;
}

function fill(bytes: number, unit: string): string {
  return unit.repeat(Math.floor(bytes / unit.length));
}

const SHAPES: { name: string; files: () => Record<string, string> }[] = [
  {
    name: '2,000 files of one document',
    files: () => Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`t-${i}.yaml`, task(i)])),
  },
  {
    name: 'one 3 MiB file of ~8,000 documents',
    files: () => {
      const docs: string[] = [];
      let size = 0;
      for (let i = 0; size < MAX_MANIFEST_BYTES - 1000; i++) {
        const doc = `${task(i)}---\n`;
        if (size + doc.length > MAX_MANIFEST_BYTES) break;
        docs.push(doc);
        size += doc.length;
      }
      return { 'all.yaml': docs.join('') };
    },
  },
  {
    name: 'one 1.4 MiB document (14,000 environment variables)',
    files: () => ({ 'one.yaml': oneDocument(14_000) }),
  },
  {
    name: 'one 3 MiB document (refused: over 1.5 MiB)',
    files: () => ({ 'one.yaml': oneDocument(30_000).slice(0, MAX_MANIFEST_BYTES) }),
  },
  { name: 'hostile: 3 MiB of [', files: () => ({ 'flow.yaml': fill(MAX_MANIFEST_BYTES, '[') }) },
  {
    name: 'hostile: 3 MiB of "- "',
    files: () => ({ 'dash.yaml': `${fill(MAX_MANIFEST_BYTES - 2, '- ')}x` }),
  },
  { name: 'hostile: 3 MiB + 1 byte', files: () => ({ 'big.yaml': fill(MAX_MANIFEST_BYTES + 1, 'a') }) },
];

async function measure(
  dir: string,
): Promise<{ ms: number; maxGapMs: number; documents: number; skipped: number }> {
  let maxGap = 0;
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const start = performance.now();
  const { files, skipped } = await listManifestFiles(dir);
  let documents = 0;
  let refused = skipped.length;
  for (const file of files) {
    const read = await readManifestText(file.path);
    if ('problem' in read) {
      refused++;
      continue;
    }
    for (const doc of await parseManifestDocuments(file.path, read.text)) {
      if (doc.syntaxError) refused++;
      else documents++;
    }
  }
  const ms = performance.now() - start;
  running = false;
  return { ms, maxGapMs: maxGap, documents, skipped: refused };
}

const base = await mkdtemp(join(tmpdir(), 'ecs-scheduler-manifest-bench-'));
try {
  console.log('shape | read+parse ms | longest event-loop gap ms | documents | refused');
  for (const [i, shape] of SHAPES.entries()) {
    const dir = join(base, `shape-${i}`);
    await mkdir(dir);
    for (const [name, text] of Object.entries(shape.files())) await writeFile(join(dir, name), text);
    const r = await measure(dir);
    console.log(
      `${shape.name} | ${r.ms.toFixed(0)} | ${r.maxGapMs.toFixed(0)} | ${r.documents} | ${r.skipped}`,
    );
  }
} finally {
  await rm(base, { recursive: true, force: true });
}
