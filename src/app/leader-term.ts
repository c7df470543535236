// What a leadership term starts and stops: the task events (only the leader reads them) and the
// term's controller. Every term, won through the Lease or alone, begins and ends here.
import type { ControllerTerms } from '../controller/controller-terms.js';
import type { TaskTracker } from '../controller/runtime/task-tracker.js';
import type { TaskEvents } from './task-events.js';

export interface LeaderTerm {
  /** Leading from now until `signal` aborts (the lease may no longer be ours). */
  begin(signal: AbortSignal): void;
  /**
   * The lease was lost (or is being handed back). The lost term's passes are aborted before they
   * follow anything, so the tracker stops spending this account's DescribeTasks budget on tasks
   * another replica now follows.
   */
  lost(): Promise<void>;
  /** Shutting down without a lease: the term's passes finish. */
  finish(): Promise<void>;
  /** Every pass of every term has settled. */
  settled(): Promise<void>;
  /** Whether a pass over `key`, of any term, has not settled (a drained resource waits for it). */
  isProcessing(key: string): boolean;
}

export function leaderTerm(
  terms: ControllerTerms,
  tracker: TaskTracker,
  taskEvents?: TaskEvents,
  /** Called when the lease is lost (not at shutdown): the term's leftovers elsewhere go. */
  onLost?: () => void,
): LeaderTerm {
  return {
    begin: (signal) => {
      taskEvents?.start();
      terms.lead(signal);
    },
    lost: async () => {
      tracker.clear();
      onLost?.();
      await taskEvents?.stop();
      return terms.finish();
    },
    finish: () => terms.finish(),
    settled: () => terms.settled(),
    isProcessing: (key) => terms.isProcessing(key),
  };
}
