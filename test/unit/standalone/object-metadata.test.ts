// What the API server would assign, assigned by standalone mode: named cases over one record.
import { expect } from 'chai';
import { ConflictError } from '../../../src/controller/errors.js';
import { ObjectMetadata } from '../../../src/standalone/object-metadata.js';
import { emptyState } from '../../../src/standalone/state-file.js';

const firstSeen = new Date('2026-03-01T00:00:00Z');
const aDayLater = new Date('2026-03-02T00:00:00Z');
const retentionMs = 7 * 24 * 3600_000;

function fresh() {
  let uids = 0;
  return new ObjectMetadata(emptyState(), { removedRetentionMs: retentionMs, newUid: () => `uid-${++uids}` });
}

describe('ObjectMetadata', () => {
  it('creates uid, generation 1, resourceVersion and creationTimestamp on first sight', () => {
    const meta = fresh();
    expect(meta.observe('ns/a', 'spec-1', firstSeen, false)).to.equal(true);
    expect(meta.get('ns/a')).to.deep.equal({
      uid: 'uid-1',
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: firstSeen.toISOString(),
    });
  });

  const edits: {
    name: string;
    specHash: string;
    loaded: boolean;
    generation: number;
    rv: string;
    dirty: boolean;
  }[] = [
    {
      name: 'the same spec at start-up changes nothing',
      specHash: 'spec-1',
      loaded: false,
      generation: 1,
      rv: '1',
      dirty: false,
    },
    {
      name: 'an edit outside the spec bumps resourceVersion only',
      specHash: 'spec-1',
      loaded: true,
      generation: 1,
      rv: '2',
      dirty: true,
    },
    {
      name: 'a spec edit bumps generation too',
      specHash: 'spec-2',
      loaded: true,
      generation: 2,
      rv: '2',
      dirty: true,
    },
    {
      name: 'a spec edited while down bumps generation',
      specHash: 'spec-2',
      loaded: false,
      generation: 2,
      rv: '2',
      dirty: true,
    },
  ];
  for (const c of edits) {
    it(c.name, () => {
      const meta = fresh();
      meta.observe('ns/a', 'spec-1', firstSeen, false);
      expect(meta.observe('ns/a', c.specHash, aDayLater, c.loaded)).to.equal(c.dirty);
      expect(meta.get('ns/a')).to.include({ uid: 'uid-1', generation: c.generation, resourceVersion: c.rv });
    });
  }

  it('keeps a removed record for the retention, restores it with its uid, then drops it', () => {
    const meta = fresh();
    meta.observe('ns/a', 'spec-1', firstSeen, false);
    expect(meta.forgetAbsent(new Set(), aDayLater)).to.deep.equal({ dirty: true, dropped: [] });
    expect(meta.get('ns/a')).to.equal(undefined);
    meta.observe('ns/a', 'spec-1', aDayLater, false);
    expect(meta.get('ns/a')?.uid).to.equal('uid-1');
    meta.forgetAbsent(new Set(), aDayLater);
    const afterRetention = new Date(aDayLater.getTime() + retentionMs + 1);
    expect(meta.forgetAbsent(new Set(), afterRetention)).to.deep.equal({ dirty: true, dropped: ['ns/a'] });
    meta.observe('ns/a', 'spec-1', afterRetention, false);
    expect(meta.get('ns/a')?.uid).to.equal('uid-2');
  });

  it('writes status guarded by resourceVersion, and undoes a write that could not be persisted', () => {
    const meta = fresh();
    meta.observe('ns/a', 'spec-1', firstSeen, false);
    expect(() => meta.writeStatus('ns/a', '0', { lastResult: 'x' })).to.throw(ConflictError, /changed since/);
    const undo = meta.writeStatus('ns/a', '1', { lastResult: 'Succeeded' });
    expect(meta.get('ns/a')).to.deep.include({ resourceVersion: '2', status: { lastResult: 'Succeeded' } });
    undo();
    expect(meta.get('ns/a')).to.deep.equal({
      uid: 'uid-1',
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: firstSeen.toISOString(),
    });
    expect(() => meta.writeStatus('ns/gone', '1', {})).to.throw(ConflictError, /no longer exists/);
  });

  it('continues the resourceVersion counter of a loaded state', () => {
    const state = emptyState();
    state.resources['ns/a'] = {
      uid: 'u',
      generation: 3,
      resourceVersion: '41',
      creationTimestamp: firstSeen.toISOString(),
      specHash: 'spec-1',
    };
    const meta = new ObjectMetadata(state, { removedRetentionMs: retentionMs });
    meta.observe('ns/b', 'spec-9', firstSeen, false);
    expect(meta.get('ns/b')?.resourceVersion).to.equal('42');
  });
});
