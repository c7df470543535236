import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { ResourceCache } from '../../../src/kube/resource-cache.js';

function resource(namespace: string, name: string, resourceVersion: string): EcsScheduledTaskResource {
  return {
    apiVersion: 'ecs-scheduler.dev/v1alpha1',
    kind: 'EcsScheduledTask',
    metadata: { namespace, name, resourceVersion },
    spec: { schedule: '* * * * *', task: { taskDefinition: 'td' } },
  } as EcsScheduledTaskResource;
}

describe('ResourceCache', () => {
  describe('replaceAll (relist diff)', () => {
    const cases: {
      name: string;
      before: EcsScheduledTaskResource[];
      after: EcsScheduledTaskResource[];
      changed: string[];
    }[] = [
      {
        name: 'first list reports every key',
        before: [],
        after: [resource('a', 'x', '1'), resource('b', 'y', '2')],
        changed: ['a/x', 'b/y'],
      },
      {
        name: 'identical relist reports nothing',
        before: [resource('a', 'x', '1')],
        after: [resource('a', 'x', '1')],
        changed: [],
      },
      {
        name: 'a new resourceVersion is a change',
        before: [resource('a', 'x', '1')],
        after: [resource('a', 'x', '5')],
        changed: ['a/x'],
      },
      {
        name: 'a key missing from the relist is a deletion the watch never delivered',
        before: [resource('a', 'x', '1'), resource('a', 'gone', '2')],
        after: [resource('a', 'x', '1')],
        changed: ['a/gone'],
      },
      { name: 'everything gone', before: [resource('a', 'x', '1')], after: [], changed: ['a/x'] },
      {
        name: 'same name in another namespace is another key',
        before: [resource('a', 'x', '1')],
        after: [resource('a', 'x', '1'), resource('b', 'x', '1')],
        changed: ['b/x'],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const cache = new ResourceCache();
        cache.replaceAll(c.before);
        expect(cache.replaceAll(c.after).sort()).to.deep.equal([...c.changed].sort());
        expect(cache.keys().sort()).to.deep.equal(
          c.after.map((r) => `${r.metadata.namespace}/${r.metadata.name}`).sort(),
        );
      });
    }
  });

  it('upsert reports whether the version is new', () => {
    const cache = new ResourceCache();
    expect(cache.upsert(resource('a', 'x', '1'))).to.equal(true);
    expect(cache.upsert(resource('a', 'x', '1'))).to.equal(false);
    expect(cache.upsert(resource('a', 'x', '2'))).to.equal(true);
    expect(cache.get('a/x')?.metadata.resourceVersion).to.equal('2');
  });

  it('keeps no managedFields, whichever way an object arrives (list, watch, our own write)', () => {
    const managed = (rv: string, name = 'x') => {
      const r = resource('a', name, rv);
      Object.assign(r.metadata, {
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
        labels: { team: 'data' },
      });
      return r;
    };
    const cache = new ResourceCache();
    cache.replaceAll([managed('1'), managed('1', 'y')]);
    cache.upsert(managed('2', 'y'));
    cache.applyWrite('1', managed('3'));
    for (const key of ['a/x', 'a/y']) {
      const cached = cache.get(key)!;
      expect(cached.metadata, key).to.not.have.property('managedFields');
      expect(cached.metadata.labels, 'the rest of the metadata stays').to.deep.equal({ team: 'data' });
    }
    expect(cache.get('a/x')?.metadata.resourceVersion).to.equal('3');
  });

  it('remove reports whether the key was cached', () => {
    const cache = new ResourceCache();
    cache.upsert(resource('a', 'x', '1'));
    expect(cache.remove('a/x')).to.equal(true);
    expect(cache.remove('a/x')).to.equal(false);
    expect(cache.get('a/x')).to.equal(undefined);
  });

  describe('applyWrite (our own status write)', () => {
    it('replaces the version the write was based on', () => {
      const cache = new ResourceCache();
      cache.upsert(resource('a', 'x', '1'));
      expect(cache.applyWrite('1', resource('a', 'x', '2'))).to.equal(true);
      expect(cache.get('a/x')?.metadata.resourceVersion).to.equal('2');
    });

    it('leaves a version the watch delivered meanwhile alone', () => {
      const cache = new ResourceCache();
      cache.upsert(resource('a', 'x', '3'));
      expect(cache.applyWrite('1', resource('a', 'x', '2'))).to.equal(false);
      expect(cache.get('a/x')?.metadata.resourceVersion).to.equal('3');
    });

    it('does not resurrect a deleted resource', () => {
      const cache = new ResourceCache();
      expect(cache.applyWrite('1', resource('a', 'x', '2'))).to.equal(false);
      expect(cache.get('a/x')).to.equal(undefined);
    });
  });
});
