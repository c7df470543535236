// The lease fence on every HTTP attempt of a RunTask, the SDK's own retries included. The launcher
// asks the fence before each call, but the SDK resends a call that failed (a 5xx, a reset socket)
// after a backoff of its own: a replica paused in that backoff past its Lease resumed and sent
// the RunTask at once, after the new owner had already looked the time up and recorded it Missed
// (the sharded torture smoke, seed 777). Checked inside the retry loop, right before signing, the
// window between the check and the wire is a few microseconds of our own code.
import type { RunTaskCommand } from '@aws-sdk/client-ecs';

/** The command, with `check` run before every attempt; what `check` throws ends the call unsent. */
export function fencedOnEveryAttempt(command: RunTaskCommand, check: () => void): RunTaskCommand {
  command.middlewareStack.add(
    (next) => async (args) => {
      check();
      return next(args);
    },
    // finalizeRequest runs once per attempt: the retry middleware (priority high) wraps it.
    { step: 'finalizeRequest', priority: 'low', name: 'leaseFenceMiddleware' },
  );
  return command;
}
