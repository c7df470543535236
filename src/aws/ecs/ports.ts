// Small ports of the ECS adapter. The composition root passes real implementations; tests pass
// fakes. Nothing here imports the SDK at runtime.

/** The ECS client's port is the base's AwsApi. */
export type { AwsApi } from '../aws-call.js';

export type EcsRequestOutcome = 'success' | 'error' | 'throttled';

/** Counts every ECS call: ecs_scheduler_ecs_requests_total{operation,outcome}. */
export interface EcsRequestMetrics {
  request(operation: string, outcome: EcsRequestOutcome): void;
}

export const noopEcsRequestMetrics: EcsRequestMetrics = { request: () => undefined };
