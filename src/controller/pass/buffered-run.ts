// BufferOne's waiting run: started once the running one ended, dropped when it can no longer run.
// decideRun (../decide/) says which; this only carries it out, before the schedule step, so the
// waiting run (the older one) goes first and a time due in the same pass waits behind it.
import { EventReason } from '../ports.js';
import { addRun, jitterOf, type Pass } from './reconcile-pass.js';
import { decideRun } from '../decide/run-decision.js';
import type { LaunchStep } from './run-launch.js';

export async function runBuffered(pass: Pass, launches: LaunchStep): Promise<void> {
  const buffered = pass.buffered;
  if (!buffered) return;
  const [action] = decideRun({
    at: 'buffered',
    spec: pass.spec,
    now: pass.now,
    runs: pass.runs,
    buffered,
    launchedRunsTotal: pass.launchedRunsTotal,
    jitterSeconds: (t) => jitterOf(pass, t),
  }).actions;
  if (action.do === 'keep-waiting') return;
  pass.buffered = undefined;
  if (action.do === 'drop-buffered') {
    addRun(pass, action.run);
    if (action.run.result === 'Missed') pass.missedRunsTotal += 1;
    if (action.warning) {
      pass.events.push({ type: 'Warning', reason: EventReason.MissedSchedule, message: action.warning });
    }
    return;
  }
  // Not started (an unconfirmed launch, a queue that could not be read): it keeps its place.
  if (!(await launches.startRun(pass, action))) pass.buffered = buffered;
}
