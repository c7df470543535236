import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { validateResource, VersionedValidator } from '../../../src/api/validation.js';
import { scheduledTask } from '../../support/resources.js';

const at = (
  resourceVersion: string | undefined,
  schedule: string,
  uid = 'uid-1',
): EcsScheduledTaskResource => {
  const resource = scheduledTask({ schedule }, { uid });
  return { ...resource, metadata: { ...resource.metadata, resourceVersion } };
};

describe('VersionedValidator', () => {
  it('validates a version once: a second read of it gets the first answer', () => {
    const validator = new VersionedValidator();
    expect(validator.validate(at('7', '0 * * * *'))).to.deep.equal([]);
    // The store never changes an object without a new resourceVersion; the memo trusts that.
    expect(validator.validate(at('7', 'not a schedule'))).to.deep.equal([]);
  });

  it('validates again when the resourceVersion changes (a spec edit)', () => {
    const validator = new VersionedValidator();
    expect(validator.validate(at('7', '0 * * * *'))).to.deep.equal([]);
    const issues = validator.validate(at('8', 'not a schedule'));
    expect(issues.map((i) => i.path)).to.deep.equal(['spec.schedule']);
    expect(validator.validate(at('9', '0 * * * *'))).to.deep.equal([]);
  });

  it('validates again when the object was deleted and created again (a new uid)', () => {
    const validator = new VersionedValidator();
    expect(validator.validate(at('7', '0 * * * *'))).to.deep.equal([]);
    expect(validator.validate(at('7', 'not a schedule', 'uid-2'))).to.have.length(1);
  });

  it('validates every time an object without a resourceVersion (a file, a fixture)', () => {
    const validator = new VersionedValidator();
    expect(validator.validate(at(undefined, '0 * * * *'))).to.deep.equal([]);
    expect(validator.validate(at(undefined, 'not a schedule'))).to.have.length(1);
  });

  it('hands out copies: a caller that changes its list does not change the next answer', () => {
    const validator = new VersionedValidator();
    validator.validate(at('8', 'not a schedule')).length = 0;
    expect(validator.validate(at('8', 'not a schedule'))).to.have.length(1);
  });

  describe('a version our own status write stored', () => {
    /** A validator that counts the versions it really checks. */
    const counting = () => {
      const checked: string[] = [];
      const validator = new VersionedValidator((r) => {
        checked.push(r.metadata.resourceVersion ?? '(none)');
        return validateResource(r);
      });
      return { validator, checked };
    };
    const written = (
      read: EcsScheduledTaskResource,
      resourceVersion: string,
      change: Partial<EcsScheduledTaskResource['metadata']> = {},
      status: EcsScheduledTaskResource['status'] = { lastScheduleTime: '2026-03-01T10:00:00Z' },
    ): EcsScheduledTaskResource => ({
      ...read,
      metadata: { ...read.metadata, resourceVersion, ...change },
      status,
    });

    it('takes the answer of the version it was based on: not checked again', () => {
      const { validator, checked } = counting();
      const read = at('7', '0 * * * *');
      expect(validator.validate(read)).to.deep.equal([]);
      const stored = written(read, '8');
      validator.wrote(read, stored);
      expect(validator.validate(stored)).to.deep.equal([]);
      // And the one after it, written from the one before.
      const next = written(stored, '9');
      validator.wrote(stored, next);
      expect(validator.validate(next)).to.deep.equal([]);
      expect(checked).to.deep.equal(['7']);
    });

    it("keeps the spec's issues (a stall's write): the same spec is as invalid as before", () => {
      const { validator, checked } = counting();
      const read = at('7', 'not a schedule');
      expect(validator.validate(read).map((i) => i.path)).to.deep.equal(['spec.schedule']);
      const stored = written(read, '8');
      validator.wrote(read, stored);
      expect(validator.validate(stored).map((i) => i.path)).to.deep.equal(['spec.schedule']);
      expect(checked).to.deep.equal(['7']);
    });

    const checkedAgain: {
      name: string;
      stored: (read: EcsScheduledTaskResource) => EcsScheduledTaskResource;
    }[] = [
      { name: 'a new generation (the spec changed)', stored: (r) => written(r, '8', { generation: 2 }) },
      { name: 'another object (a new uid)', stored: (r) => written(r, '8', { uid: 'uid-2' }) },
    ];
    for (const c of checkedAgain) {
      it(`checks again: ${c.name}`, () => {
        const { validator, checked } = counting();
        const read = at('7', '0 * * * *');
        validator.validate(read);
        const stored = c.stored(read);
        validator.wrote(read, stored);
        validator.validate(stored);
        expect(checked).to.deep.equal(['7', stored.metadata.resourceVersion]);
      });
    }

    it('checks again when the version it was based on is not the one last validated', () => {
      const { validator, checked } = counting();
      const read = at('7', '0 * * * *');
      validator.validate(read);
      // Someone else's version arrived and was validated meanwhile.
      validator.validate(at('8', '0 * * * *'));
      const stored = written(read, '9');
      validator.wrote(read, stored);
      validator.validate(stored);
      expect(checked).to.deep.equal(['7', '8', '9']);
    });

    it('checks again when the status it was based on had issues: they are found again, not forgotten', () => {
      const { validator, checked } = counting();
      const bad = { lastScheduleTime: 'yesterday' } as EcsScheduledTaskResource['status'];
      const read = { ...at('7', '0 * * * *'), status: bad };
      expect(validator.validate(read).map((i) => i.path)).to.deep.equal(['status.lastScheduleTime']);
      const stored = written(read, '8', {}, bad);
      validator.wrote(read, stored);
      expect(validator.validate(stored).map((i) => i.path)).to.deep.equal(['status.lastScheduleTime']);
      expect(checked).to.deep.equal(['7', '8']);
    });

    it('a version someone else wrote after ours is checked (kubectl edit --subresource=status)', () => {
      const { validator, checked } = counting();
      const read = at('7', '0 * * * *');
      validator.validate(read);
      const stored = written(read, '8');
      validator.wrote(read, stored);
      const edited = written(stored, '9', {}, {
        lastScheduleTime: 'yesterday',
      } as EcsScheduledTaskResource['status']);
      expect(validator.validate(edited).map((i) => i.path)).to.deep.equal(['status.lastScheduleTime']);
      expect(checked).to.deep.equal(['7', '9']);
    });
  });
});
