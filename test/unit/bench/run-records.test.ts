import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { foldRuns, laterRecord, type SeenRun } from '../../../bench/run-records.js';

const resource = (name: string, runs: { scheduledTime: string; result?: string; launchedAt?: string }[]) =>
  ({ metadata: { name }, spec: {}, status: { runs } }) as unknown as EcsScheduledTaskResource;

describe('bench run records (runs gathered from a watch as the history trims them)', () => {
  it('keeps a run the history trimmed later, by name and scheduled time', () => {
    const runs = new Map<string, SeenRun>();
    foldRuns(runs, resource('r-1', [{ scheduledTime: '2026-12-04T03:00:00Z', result: 'Succeeded' }]));
    foldRuns(runs, resource('r-1', [{ scheduledTime: '2026-12-04T03:01:00Z', result: 'Running' }]));
    expect([...runs.keys()]).to.deep.equal([
      `r-1@${Date.parse('2026-12-04T03:00:00Z')}`,
      `r-1@${Date.parse('2026-12-04T03:01:00Z')}`,
    ]);
  });

  it('takes the newer record, but never lets a stale Running undo a settled result', () => {
    expect(laterRecord({ result: 'Running' }, { result: 'Succeeded', launchedAt: 'x' })).to.deep.equal({
      result: 'Succeeded',
      launchedAt: 'x',
    });
    expect(laterRecord({ result: 'Failed' }, { result: 'Running' })).to.deep.equal({ result: 'Failed' });
    expect(laterRecord(undefined, { result: 'Running' })).to.deep.equal({ result: 'Running' });
  });
});
