import { expect } from 'chai';
import { CalendarReferences } from '../../../../src/controller/runtime/calendar-references.js';
import { scheduledTask } from '../../../support/resources.js';

describe('CalendarReferences: which resources a calendar change wakes', () => {
  it('follows spec.excludeCalendars as resources are added, changed and removed', () => {
    const refs = new CalendarReferences();
    const a = scheduledTask({ excludeCalendars: ['holidays', 'freeze'] }, { name: 'a' });
    const b = scheduledTask({ excludeCalendars: ['holidays'] }, { name: 'b' });
    refs.update('data/a', a);
    refs.update('data/b', b);
    expect(refs.referencing('data', 'holidays').sort()).to.deep.equal(['data/a', 'data/b']);
    expect(refs.referencing('data', 'freeze')).to.deep.equal(['data/a']);
    // Another namespace's calendar of the same name wakes none of them.
    expect(refs.referencing('other', 'holidays')).to.deep.equal([]);

    refs.update('data/a', scheduledTask({ excludeCalendars: ['freeze'] }, { name: 'a' }));
    expect(refs.referencing('data', 'holidays')).to.deep.equal(['data/b']);
    refs.update('data/b', undefined);
    expect(refs.referencing('data', 'holidays')).to.deep.equal([]);
    expect(refs.referencing('data', 'freeze')).to.deep.equal(['data/a']);
  });
});
