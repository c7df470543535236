/**
 * The reconciler's own CPU per run, without the API server or ECS: N resources on one schedule
 * (default `H * * * * *`) in the in-memory store, the recording launcher's tasks stopping after
 * `--task-seconds`, the shared task tracker and the launch-write delay, all on a fake clock, for
 * `--minutes` scheduled minutes. Prints CPU milliseconds per run (process.cpuUsage over the
 * measured minutes, the first minute being warm-up). Profile it with
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/cpuprof --import tsx bench/reconcile-pass.bench.ts
 *
 * and summarise with `node scripts/cpuprofile-top.js /tmp/cpuprof/*.cpuprofile`.
 */
import { parseArgs } from 'node:util';
import { keyOf } from '../src/controller/ports.js';
import { alwaysHeld } from '../src/controller/runtime/fencing.js';
import { Reconciler } from '../src/controller/pass/reconciler.js';
import { TaskTracker } from '../src/controller/runtime/task-tracker.js';
import { silentLogger } from '../src/log/logger.js';
import { FakeClock } from '../test/support/fake-clock.js';
import { MemoryResourceStore } from '../test/support/memory-store.js';
import { RecordingEvents } from '../test/support/recording-events.js';
import { RecordingLauncher } from '../test/support/recording-launcher.js';
import { RecordingControllerMetrics } from '../test/support/recording-metrics.js';
import { scheduledTask } from '../test/support/resources.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '2000' },
    schedule: { type: 'string', default: 'H * * * * *' },
    minutes: { type: 'string', default: '3' },
    'task-seconds': { type: 'string', default: '5' },
  },
});
const N = Number(values.resources);
const minutes = Number(values.minutes);
const taskMs = Number(values['task-seconds']) * 1000;

const clock = new FakeClock('2026-03-01T09:59:30Z');
const store = new MemoryResourceStore();
const launcher = new RecordingLauncher(clock);
const woken = new Set<string>();
const tracker = new TaskTracker({ launcher, clock, logger: silentLogger, onWake: (k) => woken.add(k) });
const reconciler = new Reconciler({
  store,
  launcher,
  events: new RecordingEvents(),
  clock,
  metrics: new RecordingControllerMetrics(),
  logger: silentLogger,
  defaultCluster: 'default',
  fence: alwaysHeld,
  tracker,
  launchWriteDelayMs: 10_000,
});
const due = new Map<string, number>();
for (let i = 0; i < N; i++) {
  const r = store.put(
    scheduledTask(
      { schedule: values.schedule, successfulRunsHistoryLimit: 10, failedRunsHistoryLimit: 10 },
      { name: `bench-${i}`, namespace: 'bench', uid: `uid-${i}`, creationTimestamp: '2026-03-01T09:59:00Z' },
    ),
  );
  due.set(keyOf(r), clock.now().getTime());
}

const started = new Map<string, number>();
let runs = 0;
let passes = 0;
let writes = 0;
let cpuAtStart: NodeJS.CpuUsage | undefined;
const end = clock.now().getTime() + (minutes + 0.5) * 60_000;
const measureFrom = clock.now().getTime() + 90_000;
for (let t = clock.now().getTime(); t < end; t += 250) {
  if (cpuAtStart === undefined && t >= measureFrom) {
    cpuAtStart = process.cpuUsage();
    runs = 0;
    passes = 0;
    writes = store.statusWrites.length;
  }
  clock.advanceTo(new Date(t));
  for (const arn of launcher.runningArns()) {
    const at = started.get(arn) ?? (started.set(arn, t), t);
    if (t - at >= taskMs) launcher.finish(arn);
  }
  await new Promise((resolve) => setImmediate(resolve));
  const keys = new Set(woken);
  woken.clear();
  for (const [key, at] of due) if (at <= t) keys.add(key);
  for (const key of keys) {
    const before = launcher.runRequests.length;
    const result = await reconciler.reconcile(key);
    passes++;
    runs += launcher.runRequests.length - before;
    due.set(key, result.requeueAfterMs === undefined ? Infinity : t + result.requeueAfterMs);
  }
}
const cpu = process.cpuUsage(cpuAtStart);
const cpuMs = (cpu.user + cpu.system) / 1000;
writes = store.statusWrites.length - writes;
console.log(
  `${runs} runs launched in the measured window, ${(passes / runs).toFixed(2)} passes and ` +
    `${(writes / runs).toFixed(2)} status writes per run; CPU ${cpuMs.toFixed(0)} ms, ${(cpuMs / runs).toFixed(3)} ms per run`,
);
