// What a due run does, given how many tasks it wants and which of this resource's tasks still run.
import type { ConcurrencyPolicy } from '../../api/types.js';

export type SkipReason = 'ConcurrencyForbid' | 'AlreadyRunning' | 'QueueEmpty';

export type LaunchDecision =
  | {
      readonly action: 'launch';
      readonly count: number;
      /** Tasks to stop first (Replace). */
      readonly stop: readonly string[];
      readonly message: string;
    }
  | { readonly action: 'skip'; readonly reason: SkipReason; readonly message: string };

export function decideLaunch(
  policy: ConcurrencyPolicy | undefined,
  desired: number,
  runningTaskArns: readonly string[],
): LaunchDecision {
  const running = runningTaskArns.length;
  if (desired <= 0) return { action: 'skip', reason: 'QueueEmpty', message: 'the trigger queue is empty' };
  switch (policy ?? 'Allow') {
    case 'Forbid':
      if (running > 0) {
        return {
          action: 'skip',
          reason: 'ConcurrencyForbid',
          message: `${running} task(s) of an earlier run still running`,
        };
      }
      break;
    case 'Replace':
      return {
        action: 'launch',
        count: desired,
        stop: runningTaskArns,
        message: running > 0 ? `replacing ${running} running task(s)` : `launching ${desired} task(s)`,
      };
    case 'TopUp': {
      const shortfall = desired - running;
      if (shortfall <= 0) {
        return {
          action: 'skip',
          reason: 'AlreadyRunning',
          message: `${running} task(s) running, ${desired} desired`,
        };
      }
      return {
        action: 'launch',
        count: shortfall,
        stop: [],
        message: `${running} task(s) running, topping up by ${shortfall} to ${desired}`,
      };
    }
    case 'Allow':
      break;
  }
  return { action: 'launch', count: desired, stop: [], message: `launching ${desired} task(s)` };
}
