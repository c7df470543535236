// Small ports of the ECS adapter. The composition root passes real implementations; tests pass
// fakes. Nothing here imports the SDK at runtime.

/** What the adapter needs of an SDK client: `send`. An ECSClient or SQSClient satisfies it. */
export interface AwsApi {
  // Method syntax on purpose: it keeps the SDK clients' generic, overloaded `send` assignable.
  // `abortSignal` ends the call early: our per-call timeout, or a pass cancelled on lost leadership.
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy?(): void;
}

export type EcsRequestOutcome = 'success' | 'error' | 'throttled';

/** Counts every ECS call: ecs_scheduler_ecs_requests_total{operation,outcome}. */
export interface EcsRequestMetrics {
  request(operation: string, outcome: EcsRequestOutcome): void;
}

export const noopEcsRequestMetrics: EcsRequestMetrics = { request: () => undefined };
