/**
 * An expression or time zone that can never work. It is terminal: the reconciler reports it on
 * the resource (Ready=False) and does not retry, so the message must name the field and the fault.
 */
export class ScheduleError extends Error {
  constructor(
    /** `schedule`, `timeZone`, or `schedules[i]` for one expression of a list. */
    readonly field: 'schedule' | 'timeZone' | `schedules[${number}]`,
    /** The fault without the field name, so a caller can name another field. */
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'ScheduleError';
  }
}
