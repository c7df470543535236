import { expect } from 'chai';
import type { EcsScheduledTaskResource } from '../../../src/api/types.js';
import { createLogger } from '../../../src/log/logger.js';
import { FileEventRecorder } from '../../../src/standalone/file-event-recorder.js';

const resource = {
  apiVersion: 'ecs-scheduler.dev/v1alpha1',
  kind: 'EcsScheduledTask',
  metadata: { name: 'job', uid: 'u-1' },
  spec: { schedule: '@daily', task: { taskDefinition: 'td' } },
} as EcsScheduledTaskResource;

describe('FileEventRecorder', () => {
  const cases = [
    { type: 'Normal', reason: 'Launched', level: 'info' },
    { type: 'Warning', reason: 'InvalidSpec', level: 'warn' },
  ] as const;
  for (const { type, reason, level } of cases) {
    it(`logs a ${type} event as one structured ${level} line`, () => {
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger({ write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
      new FileEventRecorder(logger).record(resource, type, reason, 'something happened');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({
        level,
        msg: 'something happened',
        event: true,
        type,
        reason,
        resource: 'default/job',
        uid: 'u-1',
      });
    });
  }

  it("logs the details kept out of the message as fields: the run's scheduled time", () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    new FileEventRecorder(logger).record(resource, 'Normal', 'DryRun', 'dry run', {
      scheduledTime: '2026-03-01T10:00:00.000Z',
    });
    expect(lines[0]).to.include({ msg: 'dry run', scheduledTime: '2026-03-01T10:00:00.000Z' });
  });
});
