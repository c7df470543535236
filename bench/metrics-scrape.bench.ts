/**
 * What a Prometheus scrape costs the event loop: `npm run bench:metrics -- [--resources N]`.
 *
 * The metrics of N resources (default 10,000) with per-resource series on, as the controller
 * writes them (schedule times, queue depth, last result and success, runs, a retry and a dead
 * letter each), are served by the real /metrics server on 127.0.0.1; a client in the same process
 * scrapes it while a 1 ms timer chain measures how late its timers fire. The largest lateness
 * during a scrape is how long a launch or a Lease renewal due then would have waited (what
 * perf_hooks' monitorEventLoopDelay reports too, but its max missed whole blocked stretches here).
 * On a busy machine the lateness also counts time the process waited for a CPU, so the CPU time
 * the process used between two ticks is printed too: the longest synchronous stretch, whatever
 * the load. Prints, per scrape and as the median over scrapes: both, the scrape's wall time and
 * the page size. The last line is BENCH_RESULT {json}.
 */
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { startHttpServer } from '../src/metrics/health-server.js';
import { createMetrics } from '../src/metrics/index.js';
import { median } from './launch-delay.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '10000' },
    scrapes: { type: 'string', default: '15' },
  },
});
const RESOURCES = Number(values.resources);
const SCRAPES = Number(values.scrapes);

const metrics = createMetrics({ perResource: true });
metrics.leader.setLeader(true);
const now = Date.UTC(2026, 0, 1);
for (let i = 0; i < RESOURCES; i++) {
  const key = `team-${i % 50}/report-${String(i).padStart(5, '0')}`;
  const c = metrics.controller;
  c.scheduleTimes(key, new Date(now + 60_000), new Date(now));
  c.queueDepth(key, i % 17);
  c.lastRun!(key, i % 10 === 0 ? 'Failed' : 'Succeeded', new Date(now - 60_000));
  c.runRecorded('Succeeded', key);
  if (i % 10 === 0) c.runRecorded('Failed', key);
  c.runRetried!(key, 'NonZeroExit');
  c.deadLetter!(key, 'sent');
}

function scrape(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Runs `work` while a 1 ms timer chain records how late each timer fired and the CPU time used
 * between ticks; returns the worst of each.
 */
async function lateness<T>(work: () => Promise<T>): Promise<{ result: T; lateMs: number; cpuMs: number }> {
  let worst = 0;
  let worstCpu = 0;
  let running = true;
  let cpu = process.cpuUsage();
  const tick = (expected: number) => {
    worst = Math.max(worst, performance.now() - expected);
    const used = process.cpuUsage(cpu);
    worstCpu = Math.max(worstCpu, (used.user + used.system) / 1000);
    cpu = process.cpuUsage();
    if (running) setTimeout(tick, 1, performance.now() + 1);
  };
  setTimeout(tick, 1, performance.now() + 1);
  const result = await work();
  running = false;
  return { result, lateMs: worst, cpuMs: worstCpu };
}

const http = await startHttpServer({
  metricsAddress: '127.0.0.1:0',
  healthAddress: '0',
  registry: metrics.registry,
  readiness: () => ({ ready: true }),
});
const port = http.metricsPort!;
await scrape(port); // warm up (JIT, the first allocation of the page)

// The same probe with no scrape, for what the machine's load alone costs.
const idle: number[] = [];
for (let i = 0; i < 5; i++) {
  idle.push((await lateness(() => new Promise((r) => setTimeout(r, 300)))).lateMs);
}
console.log(
  `idle (no scrape): timer lateness max, median of 5 windows of 300 ms: ${median(idle).toFixed(1)} ms`,
);

const late: number[] = [];
const cpu: number[] = [];
const wall: number[] = [];
let bytes = 0;
console.log(`${RESOURCES} resources, ${SCRAPES} scrapes`);
for (let i = 0; i < SCRAPES; i++) {
  const start = performance.now();
  const { result, lateMs, cpuMs } = await lateness(() => scrape(port));
  const ms = performance.now() - start;
  bytes = result;
  late.push(lateMs);
  cpu.push(cpuMs);
  wall.push(ms);
  console.log(
    `scrape ${i + 1}: timer lateness max ${lateMs.toFixed(1)} ms, CPU between ticks max ${cpuMs.toFixed(1)} ms, ` +
      `${ms.toFixed(0)} ms, ${(bytes / 1e6).toFixed(2)} MB`,
  );
  await new Promise((r) => setTimeout(r, 50));
}
await http.close();

const result = {
  resources: RESOURCES,
  bytes,
  idleTimerLatenessMaxMsMedian: median(idle),
  timerLatenessMaxMsMedian: median(late),
  cpuBetweenTicksMaxMsMedian: median(cpu),
  scrapeMsMedian: median(wall),
};
console.log(
  `median: timer lateness max ${result.timerLatenessMaxMsMedian.toFixed(1)} ms, CPU between ticks max ` +
    `${result.cpuBetweenTicksMaxMsMedian.toFixed(1)} ms, ` +
    `scrape ${result.scrapeMsMedian.toFixed(0)} ms, ${(bytes / 1e6).toFixed(2)} MB`,
);
console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
