import { expect } from 'chai';
import { DryRunLauncher } from '../../../../src/aws/ecs/dry-run-launcher.js';
import { buildRunTaskInputs } from '../../../../src/aws/ecs/run-task-request.js';
import { createLogger } from '../../../../src/log/logger.js';
import type { LaunchRequest } from '../../../../src/controller/ports.js';

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

const request: LaunchRequest = {
  cluster: 'default',
  task: { taskDefinition: 'sleeper-task', launchType: 'FARGATE', tags: [{ key: 'team', value: 'data' }] },
  count: 12,
  startedBy: 'ecss-x',
  clientToken: 'tok',
  tags: [{ key: 'ecs-scheduler.dev/resource', value: 'ns/n' }],
};

describe('DryRunLauncher', () => {
  it('launches nothing and logs the exact RunTask requests at info', async () => {
    const { logger, lines } = recordingLogger();
    const result = await new DryRunLauncher({ logger }).runTasks(request);
    expect(result).to.deep.equal({ tasks: [], failures: [], dryRun: true });
    expect(lines.map((l) => l.level)).to.deep.equal(['info', 'info']);
    expect(lines.map((l) => l.request)).to.deep.equal(buildRunTaskInputs(request));
    expect(lines[0]).to.include({
      resource: 'ns/n',
      dryRun: true,
      operation: 'RunTask',
      batch: 0,
      batches: 2,
    });
  });

  it('finds nothing and describes every ARN as MISSING', async () => {
    const { logger } = recordingLogger();
    const launcher = new DryRunLauncher({ logger });
    expect(await launcher.findTasks('default', 'ecss-x')).to.deep.equal([]);
    expect(await launcher.describeTasks('default', ['a', 'a', 'b'])).to.deep.equal([
      { taskArn: 'a', lastStatus: 'MISSING', exitCodes: {}, essentialContainers: [] },
      { taskArn: 'b', lastStatus: 'MISSING', exitCodes: {}, essentialContainers: [] },
    ]);
  });

  it('logs would-be StopTask calls', async () => {
    const { logger, lines } = recordingLogger();
    await new DryRunLauncher({ logger }).stopTasks('default', ['a'], 'deadline');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.deep.include({
      operation: 'StopTask',
      request: { cluster: 'default', task: 'a', reason: 'deadline' },
    });
  });
});
