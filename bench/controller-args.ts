// The arguments the bench gives each controller, pure: from the bench's options and what the
// controller's `run --help` offers (older builds, measured side by side, lack newer flags).
import { DEFERRED_LAUNCH_WRITE, names } from '../test/integration/support/controller-process.js';

export interface BenchControllerOptions {
  readonly namespace: string;
  readonly ecsEndpoint: string;
  readonly replicas: number;
  readonly workers?: string;
  /** ECS's quotas are off on the simulator: the controller's own buckets must be too. */
  readonly quotasOff: boolean;
  /** --controller-arg values, last, so that they win. */
  readonly controllerArgs: readonly string[];
}

export interface BenchControllerArgs {
  readonly args: string[];
  readonly notes: string[];
}

export function benchControllerArgs(o: BenchControllerOptions, usage: string): BenchControllerArgs {
  const args = ['--namespace', o.namespace, '--log-level', 'info', '--ecs-endpoint', o.ecsEndpoint];
  const notes: string[] = [];
  if (o.replicas > 1)
    args.push(
      '--leader-elect',
      '--leader-election-namespace',
      o.namespace,
      '--leader-election-id',
      'bench-leader',
    );
  if (o.workers) args.push('--max-concurrent-reconciles', o.workers);
  // With ECS's quotas off, the controller's own client-side buckets would still hold it to them.
  if (o.quotasOff) {
    if (usage.includes('--ecs-rate-limits')) args.push('--ecs-rate-limits', 'off');
    else
      notes.push(
        'this controller has no --ecs-rate-limits flag; it keeps ECS quotas on its side, and the delay shows it',
      );
  }
  // The integration harness starts controllers with --launch-write-delay 0 (its tests wait for
  // finished runs); a bench measures the production default unless told otherwise. From 543c3b8
  // to 6ab8d1e every bench ran with 0, so each run cost two status writes.
  if (!names(o.controllerArgs, '--launch-write-delay') && usage.includes('--launch-write-delay'))
    args.push(...DEFERRED_LAUNCH_WRITE);
  args.push(...o.controllerArgs);
  return { args, notes };
}
