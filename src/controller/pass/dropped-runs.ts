// Runs the status could not keep (boundStatus, past its run cap or byte budget) that must not go
// silently: a running run's tasks are no longer followed, and a Pending dead letter is given up.
// Reported with the pass's other events, after the write that dropped them.
import type { RunRecord } from '../../api/types.js';
import { DeadLetterReason } from './dead-letter.js';
import type { Pass } from './reconcile-pass.js';
import { unfinishedTaskArns } from '../decide/run-tracking.js';

export const RUN_DROPPED_REASON = 'RunDropped';

/** Task ARNs named in one event; the log line names them all. */
const ARNS_IN_EVENT = 5;

export function reportDroppedRuns(pass: Pass, dropped: readonly RunRecord[]): void {
  for (const run of dropped) {
    const what = `run scheduled at ${run.scheduledTime}`;
    if (run.result === 'Running') {
      const arns = unfinishedTaskArns([run]);
      pass.log.warn('dropped a running run from the status: its tasks are no longer followed', {
        scheduledTime: run.scheduledTime,
        cluster: run.cluster,
        taskArns: arns,
      });
      const named = arns.slice(0, ARNS_IN_EVENT).join(', ');
      const more =
        arns.length > ARNS_IN_EVENT ? ` and ${arns.length - ARNS_IN_EVENT} more (see the log)` : '';
      pass.events.push({
        type: 'Warning',
        reason: RUN_DROPPED_REASON,
        message:
          `${what} dropped from the status to keep it under its size cap while running; its ${arns.length} task(s) are no longer followed: ${named}${more}`.slice(
            0,
            1024,
          ),
      });
    }
    if (run.deadLetter?.state === 'Pending') {
      pass.deadLetters.push('abandoned');
      pass.events.push({
        type: 'Warning',
        reason: DeadLetterReason.GaveUp,
        message: `${what}: the dead letter was not sent and is given up: the run was dropped from the status to keep it under its size cap`,
      });
    }
  }
}
