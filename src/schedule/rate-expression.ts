import { ScheduleError } from './schedule-error.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/**
 * `rate(N unit)`, EventBridge style: a fixed interval in real time, not wall time. We accept the
 * singular and plural unit for any N (AWS insists on "1 minute" but "5 minutes"), because refusing
 * `rate(5 minute)` would help nobody.
 */
export function parseRate(expression: string): number {
  const match = /^rate\s*\(\s*(\S+)\s+(\S+)\s*\)$/i.exec(expression.trim());
  if (!match) {
    throw new ScheduleError(
      'schedule',
      `malformed rate expression "${expression.trim()}" (expected rate(N minutes|hours|days))`,
    );
  }
  const [, countText = '', unitText = ''] = match;
  const unit = UNIT_MS[unitText.toLowerCase()];
  if (unit === undefined) {
    throw new ScheduleError('schedule', `rate unit "${unitText}" is not one of minute(s), hour(s), day(s)`);
  }
  if (!/^\d+$/.test(countText) || Number(countText) < 1) {
    throw new ScheduleError('schedule', `rate value "${countText}" must be a whole number of at least 1`);
  }
  const period = Number(countText) * unit;
  if (!Number.isSafeInteger(period))
    throw new ScheduleError('schedule', `rate value "${countText}" is too large`);
  return period;
}
