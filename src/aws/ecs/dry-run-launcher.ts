// `--dry-run`: a TaskLauncher that launches nothing and logs the exact RunTask requests a real
// launch would send, built by the same function the AWS launcher uses.
import { TAG_RESOURCE } from '../../api/constants.js';
import type { LaunchRequest, LaunchResult, TaskLauncher, TaskObservation } from '../../controller/ports.js';
import type { Logger } from '../../log/logger.js';
import { buildRunTaskInputs } from './run-task-request.js';

export interface DryRunLauncherOptions {
  /** Where the would-be requests go, at info level. */
  readonly logger: Logger;
}

export class DryRunLauncher implements TaskLauncher {
  readonly #log: Logger;

  constructor(options: DryRunLauncherOptions) {
    this.#log = options.logger;
  }

  runTasks(request: LaunchRequest): Promise<LaunchResult> {
    const inputs = buildRunTaskInputs(request);
    // Every line about a resource names it; the request's own tag carries `namespace/name`.
    const resource = request.tags.find((t) => t.key === TAG_RESOURCE)?.value;
    for (const [batch, input] of inputs.entries()) {
      this.#log.info('dry run: would call ECS RunTask', {
        ...(resource === undefined ? {} : { resource }),
        dryRun: true,
        operation: 'RunTask',
        batch,
        batches: inputs.length,
        request: input,
      });
    }
    return Promise.resolve({ tasks: [], failures: [], dryRun: true });
  }

  findTasks(_cluster: string, _startedBy: string): Promise<string[]> {
    return Promise.resolve([]);
  }

  describeTasks(_cluster: string, taskArns: readonly string[]): Promise<TaskObservation[]> {
    return Promise.resolve(
      [...new Set(taskArns)].map((taskArn) => ({
        taskArn,
        lastStatus: 'MISSING',
        exitCodes: {},
        essentialContainers: [],
      })),
    );
  }

  stopTasks(cluster: string, taskArns: readonly string[], reason: string): Promise<void> {
    for (const task of taskArns) {
      this.#log.info('dry run: would call ECS StopTask', {
        dryRun: true,
        operation: 'StopTask',
        request: { cluster, task, reason },
      });
    }
    return Promise.resolve();
  }
}
