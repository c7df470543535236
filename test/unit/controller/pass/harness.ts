// A reconciler wired to in-memory fakes, driven by a fake clock.
import type { EcsScheduledTaskResource, Spec, Status } from '../../../../src/api/types.js';
import { alwaysHeld } from '../../../../src/controller/runtime/fencing.js';
import { Reconciler, type ReconcilerDeps } from '../../../../src/controller/pass/reconciler.js';
import { TaskTracker } from '../../../../src/controller/runtime/task-tracker.js';
import { silentLogger } from '../../../../src/log/logger.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeQueueDepth } from '../../../support/fake-queue-depth.js';
import { MemoryResourceStore } from '../../../support/memory-store.js';
import { RecordingEvents } from '../../../support/recording-events.js';
import { RecordingLauncher } from '../../../support/recording-launcher.js';
import { RecordingControllerMetrics } from '../../../support/recording-metrics.js';
import { scheduledTask, type FixtureOptions } from '../../../support/resources.js';

export const key = 'data/report';

export function harness(
  spec: Partial<Spec> = {},
  options: FixtureOptions & {
    now?: string;
    deps?: Partial<ReconcilerDeps>;
    /** Follow tasks with a shared TaskTracker on the fake clock, as app.ts does. */
    sharedTracker?: boolean;
  } = {},
) {
  const clock = new FakeClock(options.now ?? '2026-03-01T09:45:00Z');
  const store = new MemoryResourceStore();
  const launcher = new RecordingLauncher(clock);
  const events = new RecordingEvents();
  const metrics = new RecordingControllerMetrics();
  const queueDepth = new FakeQueueDepth();
  /** Keys the shared tracker asked to reconcile. */
  const woken: string[] = [];
  const tracker = options.sharedTracker
    ? new TaskTracker({ launcher, clock, logger: silentLogger, onWake: (k) => woken.push(k) })
    : undefined;
  const reconciler = new Reconciler({
    store,
    launcher,
    events,
    clock,
    metrics,
    logger: silentLogger,
    queueDepth,
    defaultCluster: 'default',
    fence: alwaysHeld,
    ...(tracker ? { tracker } : {}),
    ...options.deps,
  });
  store.put(scheduledTask(spec, options));
  return {
    clock,
    store,
    launcher,
    events,
    metrics,
    queueDepth,
    reconciler,
    tracker,
    woken,
    /** One pass at `at` (or at the clock's current time), in the term `signal` names. */
    reconcile: (at?: string, signal?: AbortSignal) => {
      if (at) clock.set(at);
      return reconciler.reconcile(key, signal);
    },
    resource: (): EcsScheduledTaskResource => store.get(key)!,
    status: (): Status => store.get(key)!.status ?? {},
    runs: () => store.get(key)!.status?.runs ?? [],
    /** Changes the spec as `kubectl apply` would (generation + 1). */
    apply: (change: Partial<Spec>) => {
      const current = store.get(key)!;
      store.put({ ...structuredClone(current), spec: { ...structuredClone(current.spec), ...change } });
    },
    annotate: (annotations: Record<string, string>) =>
      store.update(key, (r) => {
        r.metadata.annotations = { ...r.metadata.annotations, ...annotations };
      }),
  };
}
