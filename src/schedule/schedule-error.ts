/**
 * An expression or time zone that can never work. It is terminal: the reconciler reports it on
 * the resource (Ready=False) and does not retry, so the message must name the field and the fault.
 */
export class ScheduleError extends Error {
  constructor(
    readonly field: 'schedule' | 'timeZone',
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'ScheduleError';
  }
}
