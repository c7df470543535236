// Standalone mode has no API server to hold Events, so they become log lines: one per event, with
// `event: true` to select them (`jq 'select(.event)'`), the CamelCase `reason`, the Kubernetes
// event `type`, the `resource` key, and the details kept out of the message (`scheduledTime`).
// Warning events log at warn level, Normal ones at info.
import type { EcsScheduledTaskResource } from '../api/types.js';
import { keyOf, type EventDetails, type EventRecorder, type EventType } from '../controller/ports.js';
import type { Logger } from '../log/logger.js';

export class FileEventRecorder implements EventRecorder {
  constructor(private readonly logger: Logger) {}

  record(
    resource: EcsScheduledTaskResource,
    type: EventType,
    reason: string,
    message: string,
    details?: EventDetails,
  ): void {
    const fields = {
      event: true,
      type,
      reason,
      resource: keyOf(resource),
      uid: resource.metadata.uid,
      ...details,
    };
    if (type === 'Warning') this.logger.warn(message, fields);
    else this.logger.info(message, fields);
  }
}
