/**
 * CPU per log line written to stderr: a write per line (what the logger did before) against the
 * LineBuffer's one write per event-loop turn. Lines come in bursts of `--per-turn`, as a busy
 * controller's passes log them. Point stderr at a pipe, where each write is a syscall:
 *
 *   node --import tsx bench/log-lines.bench.ts 2>&1 >/tmp/log-lines.txt | cat >/dev/null
 *
 * Prints, on stdout (here the file), CPU microseconds per line of each way (process.cpuUsage).
 */
import { parseArgs } from 'node:util';
import { LineBuffer } from '../src/log/line-buffer.js';
import { createLogger, type Logger } from '../src/log/logger.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '200000' },
    'per-turn': { type: 'string', default: '20' },
  },
});
const lines = Number(values.lines);
const perTurn = Number(values['per-turn']);
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function measure(name: string, logger: Logger, done: () => void): Promise<void> {
  const child = logger.child({ resource: 'bench/report-1' });
  const start = process.cpuUsage();
  for (let i = 0; i < lines; i += perTurn) {
    for (let j = 0; j < perTurn; j++)
      child.info('launched tasks', { scheduledTime: '2026-03-01T10:00:00Z', i });
    await turn();
  }
  done();
  const cpu = process.cpuUsage(start);
  process.stdout.write(`${name}: ${((cpu.user + cpu.system) / lines).toFixed(2)} µs CPU per line\n`);
}

// Two rounds: the first warms the JIT up for both ways.
for (const round of [1, 2]) {
  await measure(
    `round ${round}, a write per line`,
    createLogger({ format: 'json', write: (line) => process.stderr.write(`${line}\n`) }),
    () => undefined,
  );
  const buffer = new LineBuffer({ write: (text) => process.stderr.write(text) });
  await measure(
    `round ${round}, one write per turn`,
    createLogger({ format: 'json', write: buffer.line }),
    () => buffer.flush(),
  );
}
