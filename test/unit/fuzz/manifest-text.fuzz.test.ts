// Property-based fuzzing of the manifest reader on raw text: whatever bytes a file holds, reading
// it never throws, never pollutes a prototype, returns the documents in order, each either a
// value or a syntax error, and always finishes (it runs to completion here with no timer).
import { expect } from 'chai';
import fc from 'fast-check';
import { parseManifestDocuments } from '../../../src/standalone/manifest-files.js';

const SEED = 20261127;

/** Pieces real and broken YAML is made of, so generated texts get past the first character. */
const fragment = fc.oneof(
  fc.constantFrom(
    'apiVersion: ecs-scheduler.dev/v1alpha1\n',
    'kind: EcsScheduledTask\n',
    'metadata: {name: a}\n',
    '---\n',
    '...\n',
    '%YAML 1.2\n',
    '- ',
    '  ',
    '? ',
    ': ',
    '[',
    ']',
    '{',
    '}',
    '&a ',
    '*a ',
    '!!binary ',
    '!!js/function ',
    '__proto__: {polluted: true}\n',
    '<<: {polluted: true}\n',
    'constructor: {prototype: {polluted: true}}\n',
    '"\\u0000"',
    "'unterminated",
    '|\n  block\n',
    '>-\n  folded\n',
    '# comment\n',
    '\t',
    '\r\n',
    '\uFEFF',
    '.nan',
    '.inf',
    '0x1F',
    '1e400',
    '~',
  ),
  fc.string({ maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
);

describe('fuzz: the manifest reader on arbitrary text', function () {
  this.timeout(120_000);

  it('returns ordered documents, each a value or a syntax error, and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fragment, { maxLength: 60 }), async (parts) => {
        const text = parts.join('');
        const docs = await parseManifestDocuments('f.yaml', text);
        let last = 0;
        for (const doc of docs) {
          expect(doc.index).to.be.greaterThan(last);
          last = doc.index;
          expect(doc.line).to.be.at.least(1);
          expect((doc.value === undefined) !== (doc.syntaxError === undefined), JSON.stringify(doc)).to.equal(
            true,
          );
          if (doc.syntaxError !== undefined) expect(doc.syntaxError).to.not.equal('');
        }
        expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').to.equal(undefined);
      }),
      { numRuns: 3000, seed: SEED, endOnFailure: true },
    );
  });
});
