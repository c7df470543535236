// The file-to-documents source of standalone mode and `validate`, on a real folder: what it
// refuses to read (links out of the folder, FIFOs, oversize files, dangling links), what it still
// follows (a mounted ConfigMap's links), and that one bad entry never stops the rest.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  listManifestFiles,
  MAX_DOCUMENT_BYTES,
  MAX_MANIFEST_BYTES,
  MAX_NESTING_DEPTH,
  parseManifestDocuments,
  readManifestText,
} from '../../../src/standalone/manifest-files.js';
import { readFolder } from '../../../src/standalone/folder-read.js';

const est = (name: string) =>
  `apiVersion: ecs-scheduler.dev/v1alpha1\nkind: EcsScheduledTask\nmetadata: {name: ${name}}\nspec: {schedule: '@daily', task: {taskDefinition: t}}\n`;

/** A file of `bytes` bytes without writing them: a sparse file reads as zeros. */
async function sparseFile(path: string, bytes: number): Promise<void> {
  const handle = await open(path, 'w');
  await handle.truncate(bytes);
  await handle.close();
}

describe('manifest files', () => {
  let base: string;
  let dir: string;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'ecs-scheduler-files-'));
    dir = join(base, 'manifests');
    await mkdir(dir);
    await writeFile(join(base, 'secret.yaml'), est('outside'));
    await writeFile(join(dir, 'good.yaml'), est('good'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const refusals: {
    name: string;
    make: () => Promise<string>;
    problem: RegExp;
  }[] = [
    {
      name: 'a link to the parent folder',
      make: async () => {
        await symlink('..', join(dir, 'up'));
        return join(dir, 'up');
      },
      problem: /resolves outside the manifests folder/,
    },
    {
      name: 'a link to /',
      make: async () => {
        await symlink('/', join(dir, 'root'));
        return join(dir, 'root');
      },
      problem: /resolves outside the manifests folder, to \//,
    },
    {
      name: 'a link to a manifest outside',
      make: async () => {
        await symlink(join(base, 'secret.yaml'), join(dir, 'secret.yaml'));
        return join(dir, 'secret.yaml');
      },
      problem: /resolves outside the manifests folder/,
    },
    {
      name: 'a dangling link',
      make: async () => {
        await symlink(join(dir, 'gone.yaml'), join(dir, 'dangling.yaml'));
        return join(dir, 'dangling.yaml');
      },
      problem: /dangling symbolic link/,
    },
    {
      name: 'a FIFO',
      make: async () => {
        execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
        return join(dir, 'pipe.yaml');
      },
      problem: /a FIFO, not a regular file/,
    },
    {
      name: 'a file over 3 MiB',
      make: async () => {
        await sparseFile(join(dir, 'huge.yaml'), MAX_MANIFEST_BYTES + 1);
        return join(dir, 'huge.yaml');
      },
      problem: /3145729 bytes, over the 3 MiB limit/,
    },
  ];
  for (const c of refusals) {
    it(`skips ${c.name} with the reason, and still lists the rest`, async () => {
      const path = await c.make();
      const { files, skipped } = await listManifestFiles(dir);
      expect(files.map((f) => f.path)).to.deep.equal([join(dir, 'good.yaml')]);
      expect(skipped).to.have.length(1);
      expect(skipped[0]!.path).to.equal(path);
      expect(skipped[0]!.problem).to.match(c.problem);
    });
  }

  it('reads a file of exactly 3 MiB', async () => {
    await sparseFile(join(dir, 'big.yaml'), MAX_MANIFEST_BYTES);
    const { files, skipped } = await listManifestFiles(dir);
    expect(files.map((f) => f.path)).to.include(join(dir, 'big.yaml'));
    expect(skipped).to.deep.equal([]);
  });

  it("follows a mounted ConfigMap's links, which stay inside the folder", async () => {
    // kubelet's layout: ..2026_x/ holds the files, ..data -> it, and each key links through ..data.
    await mkdir(join(dir, '..2026_11_27'));
    await writeFile(join(dir, '..2026_11_27', 'jobs.yaml'), est('from-configmap'));
    await symlink('..2026_11_27', join(dir, '..data'));
    await symlink('..data/jobs.yaml', join(dir, 'jobs.yaml'));
    const { files, skipped } = await listManifestFiles(dir);
    expect(files.map((f) => f.path)).to.deep.equal([join(dir, 'good.yaml'), join(dir, 'jobs.yaml')]);
    expect(skipped).to.deep.equal([]);
  });

  it('walks a link to a folder inside once, however the links loop', async () => {
    await mkdir(join(dir, 'team'));
    await writeFile(join(dir, 'team', 'a.yaml'), est('a'));
    await symlink('..', join(dir, 'team', 'back-up'));
    await symlink('team', join(dir, 'alias'));
    const { files, skipped } = await listManifestFiles(dir);
    expect(files.map((f) => f.path)).to.deep.equal([join(dir, 'alias', 'a.yaml'), join(dir, 'good.yaml')]);
    expect(skipped).to.deep.equal([]);
  });

  it('names the folder when the folder itself cannot be read', async () => {
    const error = await listManifestFiles(join(base, 'missing')).catch((e: unknown) => e);
    expect((error as Error).message).to.equal(
      `cannot read the manifests folder ${join(base, 'missing')}: does not exist`,
    );
  });

  const reads: { name: string; make: (path: string) => Promise<void>; problem: RegExp }[] = [
    {
      name: 'a FIFO put in place after listing (opened without blocking)',
      make: async (path) => {
        execFileSync('mkfifo', [path]);
      },
      problem: /a FIFO, not a regular file/,
    },
    {
      name: 'a file grown past the limit after listing',
      make: (path) => sparseFile(path, MAX_MANIFEST_BYTES + 10),
      problem: /over the 3 MiB limit/,
    },
  ];
  for (const c of reads) {
    it(`readManifestText refuses ${c.name}`, async () => {
      const path = join(dir, 'late.yaml');
      await c.make(path);
      const read = await readManifestText(path);
      expect('problem' in read && read.problem).to.match(c.problem);
    });
  }

  describe('a symbolic link swapped in between the listing and the read', () => {
    it('in place of a listed file: refused (O_NOFOLLOW), never followed out of the folder', async () => {
      const { files } = await listManifestFiles(dir);
      await unlink(join(dir, 'good.yaml'));
      await symlink(join(base, 'secret.yaml'), join(dir, 'good.yaml'));
      const read = await readFolder(files);
      expect([...read.documents.keys()]).to.deep.equal([]);
      expect(read.problems).to.deep.equal([
        `${join(dir, 'good.yaml')}: skipped: became a symbolic link after it was listed; refused, not followed`,
      ]);
      expect(read.brokenFiles.has(join(dir, 'good.yaml')), 'what it held before is kept').to.equal(true);
    });

    it('in place of a listed folder: the open handle is outside the folder, refused', async () => {
      await mkdir(join(dir, 'team'));
      await writeFile(join(dir, 'team', 'job.yaml'), est('job'));
      await mkdir(join(base, 'elsewhere'));
      await writeFile(join(base, 'elsewhere', 'job.yaml'), est('outside'));
      const { files } = await listManifestFiles(dir);
      await rename(join(dir, 'team'), join(dir, 'team-old'));
      await symlink(join(base, 'elsewhere'), join(dir, 'team'));
      const read = await readFolder(files);
      expect([...read.documents.keys()]).to.deep.equal(['default/good']);
      expect(read.problems.join('\n')).to.match(/team\/job\.yaml: skipped: resolves outside the folder/);
    });

    it('an editor saving by rename is not a problem: the file is kept until the next read', async () => {
      const { files } = await listManifestFiles(dir);
      await writeFile(join(dir, 'good.yaml.tmp'), est('good'));
      await rename(join(dir, 'good.yaml.tmp'), join(dir, 'good.yaml'));
      const read = await readFolder(files);
      expect(read.problems).to.deep.equal([]);
      expect(read.brokenFiles.has(join(dir, 'good.yaml'))).to.equal(true);
    });
  });

  it('readManifestText reports a file gone since listing as gone, not as a problem to log', async () => {
    expect(await readManifestText(join(dir, 'nope.yaml'))).to.deep.equal({
      problem: 'does not exist',
      gone: true,
    });
  });
});

describe('parseManifestDocuments', () => {
  it('gives each document its index and the line it starts on (its ---), and a syntax error its position', async () => {
    const text = `${est('a')}---\nkey: [unclosed\n---\n${est('b')}`;
    const docs = await parseManifestDocuments('f.yaml', text);
    expect(docs.map((d) => [d.index, d.line, d.syntaxError === undefined])).to.deep.equal([
      [1, 1, true],
      [2, 5, false],
      [3, 7, true],
    ]);
    expect(docs[1]!.syntaxError).to.match(/at line \d+, column \d+/);
  });

  it('refuses an alias bomb instead of expanding it', async () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const docs = await parseManifestDocuments('bomb.yaml', lines.join('\n'));
    expect(docs).to.have.length(1);
    expect(docs[0]!.syntaxError).to.match(/alias/i);
  });

  const deep: { name: string; text: string; line: number }[] = [
    { name: 'flow sequences', text: `${'['.repeat(1_500_000)}${']'.repeat(1_500_000)}`, line: 1 },
    { name: 'compact block sequences on one line', text: `${'- '.repeat(1_500_000)}x`, line: 1 },
    { name: 'flow maps', text: `${'{a: '.repeat(500_000)}1${'}'.repeat(500_000)}`, line: 1 },
    {
      name: 'indented block maps',
      text: Array.from({ length: 150 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' v',
      line: 100,
    },
  ];
  for (const c of deep) {
    it(`refuses ${c.name} nested past ${MAX_NESTING_DEPTH} levels before the parser recurses`, async () => {
      const docs = await parseManifestDocuments('deep.yaml', c.text);
      expect(docs).to.deep.equal([
        {
          file: 'deep.yaml',
          index: 1,
          line: c.line,
          syntaxError: `nested deeper than ${MAX_NESTING_DEPTH} levels at line ${c.line}`,
        },
      ]);
    });
  }

  it('parses nesting up to the limit', async () => {
    const text = Array.from({ length: 90 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' v';
    const [doc] = await parseManifestDocuments('ok.yaml', text);
    expect(doc?.syntaxError).to.equal(undefined);
    expect(doc?.value).to.have.property('k0');
  });

  it('does not count brackets inside scalars as nesting', async () => {
    const text = `a: '${'['.repeat(500)}'\nb: |\n  ${'{'.repeat(500)}\nc: x${'['.repeat(500)}\n`;
    const [doc] = await parseManifestDocuments('scalars.yaml', text);
    expect(doc?.syntaxError).to.equal(undefined);
  });

  it(`refuses a document over ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB and reads the ones around it`, async () => {
    const big = `kind: ConfigMap\ndata:\n  blob: "${'x'.repeat(MAX_DOCUMENT_BYTES)}"\n`;
    const docs = await parseManifestDocuments('f.yaml', `${est('a')}---\n${big}---\n${est('b')}`);
    expect(docs.map((d) => [d.index, d.syntaxError === undefined])).to.deep.equal([
      [1, true],
      [2, false],
      [3, true],
    ]);
    expect(docs[1]!.syntaxError).to.match(/^the document is \d+ bytes, over the 1.5 MiB an object may have/);
    expect(docs[2]!.value).to.have.nested.property('metadata.name', 'b');
  });

  const shapes: { name: string; text: string }[] = [
    { name: 'an empty file', text: '' },
    { name: 'only a comment', text: '# nothing here\n' },
    { name: 'empty documents between markers', text: `---\n---\n${est('a')}---\n` },
    { name: 'document end markers', text: `${est('a')}...\n---\n${est('b')}...\n` },
    { name: 'a directive', text: `%YAML 1.2\n---\n${est('a')}` },
    { name: 'a syntax error in the middle', text: `${est('a')}---\nkey: [unclosed\n---\n${est('b')}` },
    { name: 'anchors and aliases', text: 'a: &x {k: v}\nb: *x\n---\nc: 1\n' },
  ];
  for (const c of shapes) {
    it(`counts and reads documents as yaml's parseAllDocuments does: ${c.name}`, async () => {
      const ours = await parseManifestDocuments('f.yaml', c.text);
      const theirs = parseAllDocuments(c.text)
        .map((d, i) => ({
          index: i + 1,
          ok: d.errors.length === 0,
          value: d.errors.length ? undefined : d.toJS(),
        }))
        .filter((d) => !d.ok || d.value !== null);
      expect(
        ours.map((d) => ({ index: d.index, ok: d.syntaxError === undefined, value: d.value })),
      ).to.deep.equal(theirs);
    });
  }

  it('yields to the event loop between documents', async () => {
    const text = Array.from({ length: 50 }, (_, i) => est(`job-${i}`)).join('---\n');
    let turns = 0;
    let spinning = true;
    const spin = () => {
      if (!spinning) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const docs = await parseManifestDocuments('many.yaml', text);
    spinning = false;
    expect(docs).to.have.length(50);
    // Other work ran while the file was parsed, not only after it.
    expect(turns).to.be.greaterThan(10);
  });
});
