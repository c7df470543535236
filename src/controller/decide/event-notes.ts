// The notes of routine events. They carry no per-run detail (the scheduled time, task ARNs, task
// counts: all of it is in status.runs), so identical outcomes give identical notes, and the event
// recorder turns a resource that succeeds every minute into one Event with a growing series count
// instead of one Event per run. Failures keep their details in their notes: they are rare, and the
// details are what the reader of `kubectl describe` came for.
/** Where every note below sends the reader for what it leaves out. */
const SEE_STATUS = 'its time and tasks are in status.runs';

/** Launched: a run started its tasks. */
export function launchedNote(kind: 'scheduled' | 'run-now'): string {
  return `${kind === 'run-now' ? 'run-now' : 'scheduled run'} launched; ${SEE_STATUS}`;
}

/** RunSucceeded: reported for the first run and for a recovery only (not for every success). */
export const RUN_SUCCEEDED_NOTE = `run succeeded; ${SEE_STATUS}`;

/** DryRun: a run that launched nothing on purpose. */
export const DRY_RUN_NOTE = 'dry run: nothing launched; the RunTask request is in the controller log';

/** Sent: the dead letter of a failed run (whose own event has the details). */
export const DEAD_LETTER_SENT_NOTE = 'a failed run was sent to the dead-letter queue';

/** The skips that recur run after run, by their run reason; their messages hold counts and times. */
const ROUTINE_SKIPS: Readonly<Record<string, string>> = {
  ConcurrencyForbid: 'concurrencyPolicy is Forbid and an earlier run is still running',
  AlreadyRunning: 'concurrencyPolicy is TopUp and the desired tasks are already running',
  QueueEmpty: 'the trigger queue is empty',
  TriggerUnavailable: 'this controller has no SQS client configured',
};

/** Skipped: a due run that launched nothing, and why. */
export function skippedNote(reason: string | undefined, message: string | undefined): string {
  const routine = reason === undefined ? undefined : ROUTINE_SKIPS[reason];
  if (routine !== undefined) return `run skipped: ${routine}`;
  return `run skipped: ${reason ?? 'Unknown'}${message ? `: ${message}` : ''}`;
}
