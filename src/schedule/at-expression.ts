import { daysInMonth } from './cron-calendar.js';
import { ScheduleError } from './schedule-error.js';

/** `at(yyyy-mm-ddThh:mm:ss)`: the one wall time (local as UTC milliseconds) a one-off run is due. */
export function parseAt(expression: string): number {
  const text = expression.trim();
  const match = /^at\s*\(\s*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\s*\)$/i.exec(text);
  if (!match) {
    throw new ScheduleError(
      'schedule',
      `malformed at expression "${text}" (expected at(yyyy-mm-ddThh:mm:ss))`,
    );
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const check = (name: string, value: number, min: number, max: number): void => {
    if (value < min || value > max) {
      throw new ScheduleError('schedule', `at(): ${name} ${value} out of range ${min}-${max}`);
    }
  };
  check('year', year, 1970, 9999);
  check('month', month, 1, 12);
  check('day', day, 1, daysInMonth(year, month));
  check('hour', hour, 0, 23);
  check('minute', minute, 0, 59);
  check('second', second, 0, 59);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}
