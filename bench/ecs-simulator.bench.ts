/**
 * How fast the ECS simulator answers, so that a controller benchmark on it measures the controller:
 *
 *   node --import tsx bench/ecs-simulator.bench.ts [--seconds 5] [--concurrency 32] [--tasks 20000]
 *
 * Starts the simulator as its own process (quotas off), launches --tasks tasks, then keeps
 * --concurrency keep-alive connections busy with a mix like a controller's (RunTask with a
 * clientToken, DescribeTasks of 100 ARNs, ListTasks by startedBy) for --seconds. Prints calls per
 * second by operation and the simulator's CPU seconds per call and RSS.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
    tasks: { type: 'string', default: '20000' },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const taskCount = Number(values.tasks);
for (const [name, v] of Object.entries({ seconds, concurrency, tasks: taskCount }))
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be an integer >= 1`);

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    'test/support/ecs-simulator/main.ts',
    '--quotas',
    'off',
    '--lifecycle',
    '{"runningMs":null}',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
const { endpoint } = JSON.parse(line) as { endpoint: string };
const agent = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });

async function ecs(op: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await request(endpoint, {
    method: 'POST',
    dispatcher: agent,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AmazonEC2ContainerServiceV20141113.${op}`,
    },
    body: JSON.stringify(body),
  });
  const out = (await res.body.json()) as Record<string, unknown>;
  if (res.statusCode !== 200) throw new Error(`${op}: ${res.statusCode} ${JSON.stringify(out)}`);
  return out;
}

async function control(path: string): Promise<Record<string, unknown>> {
  const res = await request(new URL(path, endpoint), { dispatcher: agent });
  return (await res.body.json()) as Record<string, unknown>;
}

try {
  await ecs('RegisterTaskDefinition', {
    family: 'bench',
    containerDefinitions: [{ name: 'main', image: 'x' }],
  });
  const arns: string[] = [];
  let seq = 0;
  const runTask = async () => {
    const n = seq++;
    const out = await ecs('RunTask', {
      taskDefinition: 'bench',
      startedBy: `ecss/bench/${n}`,
      clientToken: `bench-${n}`,
      tags: [{ key: 'ecs-scheduler.dev/run', value: String(n) }],
    });
    for (const t of out.tasks as { taskArn: string }[]) arns.push(t.taskArn);
  };
  const fill = async () => {
    while (seq < taskCount) await runTask();
  };
  await Promise.all(Array.from({ length: concurrency }, fill));
  const before = (await control('/_sim/stats')) as { process: { cpuSeconds: number } };

  const counts = { RunTask: 0, DescribeTasks: 0, ListTasks: 0 };
  const started = performance.now();
  const until = started + seconds * 1000;
  const worker = async (w: number) => {
    for (let i = w; performance.now() < until; i++) {
      const pick = i % 10;
      if (pick < 4) {
        await runTask();
        counts.RunTask++;
      } else if (pick < 9) {
        const from = (i * 97) % Math.max(1, arns.length - 100);
        await ecs('DescribeTasks', { tasks: arns.slice(from, from + 100) });
        counts.DescribeTasks++;
      } else {
        await ecs('ListTasks', { startedBy: `ecss/bench/${i % seq}` });
        counts.ListTasks++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = (performance.now() - started) / 1000;
  const after = (await control('/_sim/stats')) as {
    process: { cpuSeconds: number; rssBytes: number };
    tasks: { tracked: number };
  };
  const total = counts.RunTask + counts.DescribeTasks + counts.ListTasks;
  const cpu = after.process.cpuSeconds - before.process.cpuSeconds;
  console.log(
    `ecs simulator: ${(total / elapsed).toFixed(0)} calls/s over ${elapsed.toFixed(1)} s at concurrency ${concurrency} ` +
      `(RunTask ${(counts.RunTask / elapsed).toFixed(0)}/s, DescribeTasks x100 ARNs ${(counts.DescribeTasks / elapsed).toFixed(0)}/s, ` +
      `ListTasks ${(counts.ListTasks / elapsed).toFixed(0)}/s)`,
  );
  console.log(
    `simulator process: ${((cpu / total) * 1e6).toFixed(0)} µs CPU per call (${(cpu / elapsed).toFixed(2)} cores), ` +
      `RSS ${(after.process.rssBytes / 2 ** 20).toFixed(0)} MiB with ${after.tasks.tracked} tasks tracked`,
  );
} finally {
  await agent.close();
  child.kill('SIGTERM');
}
