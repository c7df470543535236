// An EventRecorder that keeps every event for assertions.
import type { EcsScheduledTaskResource } from '../../src/api/types.js';
import { keyOf, type EventDetails, type EventRecorder, type EventType } from '../../src/controller/ports.js';

export interface RecordedEvent {
  readonly key: string;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
  readonly details?: EventDetails;
}

export class RecordingEvents implements EventRecorder {
  readonly events: RecordedEvent[] = [];

  record(
    resource: EcsScheduledTaskResource,
    type: EventType,
    reason: string,
    message: string,
    details?: EventDetails,
  ): void {
    this.events.push({ key: keyOf(resource), type, reason, message, ...(details ? { details } : {}) });
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }

  clear(): void {
    this.events.length = 0;
  }
}
