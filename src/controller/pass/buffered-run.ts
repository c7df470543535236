// BufferOne's waiting run: started once the running one ended, dropped when it can no longer run.
// decideBuffered (../decide/) says which; this only carries it out, before the schedule step, so
// the waiting run (the older one) goes first and a time due in the same pass waits behind it.
import { EventReason } from '../ports.js';
import { addRun, jitterOf, type Pass } from './reconcile-pass.js';
import { scheduledRunIdentity } from '../decide/run-identity.js';
import { decideBuffered } from '../decide/run-decision.js';
import type { LaunchStep } from './run-launch.js';

export async function runBuffered(pass: Pass, launches: LaunchStep): Promise<void> {
  const buffered = pass.buffered;
  if (!buffered) return;
  const time = new Date(buffered.scheduledTime);
  const decision = decideBuffered({
    spec: pass.spec,
    buffered,
    runs: pass.runs,
    now: pass.now,
    jitter: jitterOf(pass, time),
    ...(pass.spec.maxRuns !== undefined ? { runsLeft: pass.spec.maxRuns - pass.launchedRunsTotal } : {}),
  });
  if (decision.action === 'wait') return;
  pass.buffered = undefined;
  if (decision.action === 'drop') {
    addRun(pass, decision.run);
    if (decision.run.result === 'Missed') pass.missedRunsTotal += 1;
    if (decision.warning) {
      pass.events.push({ type: 'Warning', reason: EventReason.MissedSchedule, message: decision.warning });
    }
    return;
  }
  const started = await launches.startRun(
    pass,
    time,
    scheduledRunIdentity(pass.resource, time),
    'scheduled',
    undefined,
    buffered.since,
  );
  // Not started (an unconfirmed launch, a queue that could not be read): it keeps its place.
  if (!started) pass.buffered = buffered;
}
