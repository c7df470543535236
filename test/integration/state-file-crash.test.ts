// The state file under SIGKILL: a child process appends one record per save() as fast as it can
// and prints `committed N` after each save resolved; it is killed at a random moment (from a
// logged seed, TEST_SEED replays it) and restarted, ten times. After every kill the file parses
// and holds every record the child reported as committed. In the integration tier because it runs
// real processes on the wall clock.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStateFile } from '../../src/standalone/state-file.js';
import { testSeed } from '../support/seeded-random.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WRITER = join(ROOT, 'test', 'integration', 'fixtures', 'state-writer.ts');

interface WriterRun {
  /** The last N the child printed as `committed N` (-1 if none). */
  readonly committed: number;
  /** How many records the restarted child found in the file. */
  readonly started: number;
}

/** Runs the writer until it is SIGKILLed `delayMs` after its first commit. */
function runWriterUntilKilled(path: string, delayMs: number): Promise<WriterRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/node'), ['--import', 'tsx', WRITER, path], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Kill only once the child is in its write loop.
      if (!timer && out.includes('committed ')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    // 'close', not 'exit': only then has all of stdout been read, so no `committed N` the child
    // wrote before dying is missed.
    child.on('close', (_code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited on its own (${signal}): ${err}`));
      const committed = [...out.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1]));
      const started = Number(/^started (\d+)$/m.exec(out)?.[1] ?? NaN);
      resolvePromise({ committed: committed.at(-1) ?? -1, started });
    });
  });
}

describe('StateFile crash safety (real processes, SIGKILL)', function () {
  this.timeout(90_000);
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-scheduler-state-crash-'));
    path = join(dir, 'state.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('SIGKILL during writes leaves a readable file holding every committed record', async () => {
    const random = testSeed('state file crash test');
    const seeded = (message: string) => `${message} (seed ${random.seed})`;
    let previousCommitted = -1;
    for (let kill = 0; kill < 10; kill++) {
      const delayMs = Math.floor(random.next() * 150);
      const { committed, started } = await runWriterUntilKilled(path, delayMs);
      expect(
        started,
        seeded(`kill ${kill}: the restarted writer saw every earlier commit`),
      ).to.be.greaterThan(previousCommitted);
      expect(committed, seeded(`kill ${kill}: the writer committed something`)).to.be.at.least(started);

      const state = await readStateFile(path); // throws if torn
      const keys = Object.keys(state.resources);
      for (let i = 0; i <= committed; i++) {
        const r = state.resources[`crash/r${i}`];
        expect(
          r,
          seeded(`kill ${kill} after ${delayMs} ms: record ${i} of ${committed} committed`),
        ).to.not.equal(undefined);
        expect(r!.uid).to.equal(`uid-${i}`);
        expect(r!.status?.runs?.[0]?.result).to.equal('Succeeded');
      }
      // At most the write in flight at the kill got further than what the child reported.
      expect(keys.length, seeded(`kill ${kill}`)).to.be.within(committed + 1, committed + 2);
      expect((await readdir(dir)).filter((n) => n === 'state.json')).to.have.length(1);
      previousCommitted = committed;
    }
  });
});
