import { expect } from 'chai';
import { buildSync } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
// @ts-expect-error: a plain JavaScript script, without types
import { decodeVlq, sourceMapLookup } from '../../../scripts/source-map-lookup.js';

describe('source-map-lookup (the profile tools read the bundle through its source maps)', () => {
  it('decodes base64 VLQ numbers, signs and continuations included', () => {
    expect(decodeVlq('AACA')).to.deep.equal([0, 0, 1, 0]);
    expect(decodeVlq('D')).to.deep.equal([-1]);
    expect(decodeVlq('gB')).to.deep.equal([16]);
    expect(decodeVlq('2H')).to.deep.equal([123]);
  });

  it('maps a function of a bundle back to the file and line it came from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'source-map-lookup-'));
    try {
      writeFileSync(join(dir, 'alpha.js'), '// alpha\n\nexport function alpha() {\n  return 1;\n}\n');
      writeFileSync(
        join(dir, 'beta.js'),
        "import { alpha } from './alpha.js';\nexport function beta() {\n  return alpha() + 1;\n}\n",
      );
      const out = join(dir, 'out.js');
      buildSync({
        entryPoints: [join(dir, 'beta.js')],
        bundle: true,
        format: 'esm',
        outfile: out,
        sourcemap: 'linked',
        logLevel: 'silent',
      });
      const lines = readFileSync(out, 'utf8').split('\n');
      const at = (name: string) => {
        const line = lines.findIndex((l) => l.includes(`function ${name}(`));
        return { line, column: lines[line]!.indexOf('function') };
      };
      const lookup = sourceMapLookup() as (
        url: string,
        line: number,
        column: number,
      ) => { file: string; line: number } | undefined;
      const url = pathToFileURL(out).href;
      expect(lookup(url, at('alpha').line, at('alpha').column)).to.deep.equal({
        file: join(dir, 'alpha.js'),
        line: 2,
      });
      expect(lookup(url, at('beta').line, at('beta').column)).to.deep.equal({
        file: join(dir, 'beta.js'),
        line: 1,
      });
      expect(lookup(pathToFileURL(join(dir, 'alpha.js')).href, 0, 0)).to.equal(undefined); // no map
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
