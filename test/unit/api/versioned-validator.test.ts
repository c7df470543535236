import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { VersionedValidator } from '../../../src/api/validation.js';
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
});
