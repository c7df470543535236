import { expect } from 'chai';
import { CronExpressionParser } from 'cron-parser';
import { compileSchedule } from '../../../src/schedule/schedule.js';

// In UTC, for the grammar both understand, our engine and cron-parser must agree exactly.
const startOf2026 = new Date('2026-01-01T00:00:00Z');
const EXPRESSIONS = [
  '*/7 * * * *',
  '0 9-17/2 * * MON-FRI',
  '30 4 1,15 * *',
  '0 0 13 * 5',
  '15 10 L * *',
  '0 12 * * 5L',
  '0 8 * * 1#2',
  '0 0 29 2 *',
  '*/20 5 3 * * *',
  '0 0 * JAN,JUL SUN',
];

describe('compileSchedule agrees with cron-parser in UTC', () => {
  for (const expression of EXPRESSIONS) {
    it(expression, () => {
      const ours = compileSchedule(expression, { hashKey: 'ns/name' });
      const theirs = CronExpressionParser.parse(expression, { currentDate: startOf2026, tz: 'UTC' });
      let cursor = startOf2026;
      for (let i = 0; i < 25; i++) {
        const next = ours.next(cursor);
        expect(next?.toISOString(), `fire ${i}`).to.equal(theirs.next().toDate().toISOString());
        cursor = next!;
      }
    });
  }
});
