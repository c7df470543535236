// EcsScheduledTask fixtures: a valid object to start from, with overrides per test.
import { API_VERSION, KIND } from '../../src/api/constants.js';
import type { EcsScheduledTaskResource, Spec } from '../../src/api/types.js';

export const fixtureUid = '5f0c2a3e-8d4b-4c1a-9e7f-2b6d8a1c3e5f';

export interface FixtureOptions {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly creationTimestamp?: string;
  readonly annotations?: Record<string, string>;
  readonly status?: EcsScheduledTaskResource['status'];
}

export function scheduledTask(
  spec: Partial<Spec> = {},
  options: FixtureOptions = {},
): EcsScheduledTaskResource {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: options.name ?? 'report',
      namespace: options.namespace ?? 'data',
      uid: options.uid ?? fixtureUid,
      generation: 1,
      creationTimestamp: options.creationTimestamp ?? '2026-03-01T09:30:00Z',
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: { schedule: '0 * * * *', task: { taskDefinition: 'report' }, ...spec },
    ...(options.status ? { status: options.status } : {}),
  };
}
