import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  heapEnvironment,
  heapFlags,
  MALLOC_ARENAS,
  OLD_SPACE_MIB,
  oldSpaceMiB,
  SEMI_SPACE_MIB,
} from '../../../src/cli/heap-sizing.js';
import { mallocArenaMaxOf, nodeOptionsOf } from '../../../src/config.js';

const GiB = 1024 ** 3;
const CHILD = fileURLToPath(new URL('./fixtures/heap-relaunch-child.ts', import.meta.url));
// process.execve needs Node 22.15 or newer: the Node 24 that `npm ci` installs, as bin/ hands over to.
const NODE24 = fileURLToPath(new URL('../../../node_modules/node/bin/node', import.meta.url));

describe('heap sizing of `run`', () => {
  const base = { args: ['run'], execArgv: [], nodeOptions: undefined, memoryBytes: 16 * GiB };

  it('a plain run gets a bounded old generation and small semi-spaces', () => {
    expect(heapFlags(base)).to.deep.equal([
      `--max-old-space-size=${OLD_SPACE_MIB.max}`,
      `--max-semi-space-size=${SEMI_SPACE_MIB}`,
    ]);
  });

  it('the old generation is half the memory the process may use, within bounds', () => {
    expect(oldSpaceMiB(0.25 * GiB)).to.equal(OLD_SPACE_MIB.min);
    expect(oldSpaceMiB(1 * GiB)).to.equal(512);
    expect(oldSpaceMiB(64 * GiB)).to.equal(OLD_SPACE_MIB.max);
  });

  it("the user's own flags win, on the command line or in NODE_OPTIONS, in either spelling", () => {
    expect(heapFlags({ ...base, nodeOptions: '--max-old-space-size=256' })).to.deep.equal([
      `--max-semi-space-size=${SEMI_SPACE_MIB}`,
    ]);
    expect(heapFlags({ ...base, execArgv: ['--max_semi_space_size=32'] })).to.deep.equal([
      `--max-old-space-size=${OLD_SPACE_MIB.max}`,
    ]);
    expect(
      heapFlags({ ...base, execArgv: ['--max-semi-space-size=8'], nodeOptions: '--max-old-space-size=300' }),
    ).to.deep.equal([]);
    expect(heapFlags({ ...base, nodeOptions: '--enable-source-maps --max-heap-size=700' })).to.deep.equal([]);
  });

  it('other commands are left alone', () => {
    for (const args of [['next', '--schedule', '@daily'], ['validate'], []])
      expect(heapFlags({ ...base, args })).to.deep.equal([]);
  });

  it('a plain run caps the malloc arenas unless the user set MALLOC_ARENA_MAX; other commands are left alone', () => {
    expect(heapEnvironment(base)).to.deep.equal({ MALLOC_ARENA_MAX: String(MALLOC_ARENAS) });
    expect(heapEnvironment({ ...base, mallocArenaMax: '8' })).to.deep.equal({});
    expect(heapEnvironment({ ...base, args: ['next'] })).to.deep.equal({});
  });

  it('reads MALLOC_ARENA_MAX in config', () => {
    expect(mallocArenaMaxOf({ MALLOC_ARENA_MAX: '4' })).to.equal('4');
    expect(mallocArenaMaxOf({ MALLOC_ARENA_MAX: '' })).to.equal(undefined);
  });

  it('reads NODE_OPTIONS in config', () => {
    expect(nodeOptionsOf({ NODE_OPTIONS: '--max-old-space-size=300' })).to.equal('--max-old-space-size=300');
    expect(nodeOptionsOf({ NODE_OPTIONS: '' })).to.equal(undefined);
  });

  describe('the relaunch', function () {
    this.timeout(60_000);
    before(function () {
      if (!existsSync(NODE24)) throw new Error(`${NODE24} is missing: run npm ci`);
    });

    function child(args: string[], nodeOptions?: string, mallocArenaMax?: string) {
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      delete env.MALLOC_ARENA_MAX;
      if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
      if (mallocArenaMax !== undefined) env.MALLOC_ARENA_MAX = mallocArenaMax;
      const r = spawnSync(NODE24, ['--import', 'tsx', CHILD, ...args], {
        encoding: 'utf8',
        env,
        timeout: 30_000,
      });
      expect(r.status, r.stderr).to.equal(0);
      return {
        spawnedPid: r.pid,
        stderr: r.stderr,
        ...(JSON.parse(r.stdout) as {
          pid: number;
          args: string[];
          execArgv: string[];
          heapLimitMiB: number;
          mallocArenaMax: string | null;
        }),
      };
    }

    it('replaces the process (same pid, same arguments) with one that has the flags', () => {
      const r = child(['run', '--namespace', 'data']);
      expect(r.pid).to.equal(r.spawnedPid);
      expect(r.args).to.deep.equal(['run', '--namespace', 'data']);
      expect(r.execArgv).to.include(`--max-semi-space-size=${SEMI_SPACE_MIB}`);
      const old = r.execArgv.find((f) => f.startsWith('--max-old-space-size='));
      expect(old, JSON.stringify(r.execArgv)).to.not.equal(undefined);
      // V8's limit is the old generation plus three semi-spaces' worth of young generation.
      expect(r.heapLimitMiB).to.equal(Number(old!.split('=')[1]) + 3 * SEMI_SPACE_MIB);
      expect(r.mallocArenaMax).to.equal(String(MALLOC_ARENAS));
      expect(r.stderr).to.equal('');
    });

    it("relaunches for the malloc arenas alone when the user set every heap flag, and keeps the user's MALLOC_ARENA_MAX", () => {
      const flags = '--max-old-space-size=300 --max-semi-space-size=8';
      const r = child(['run'], flags);
      expect(r.pid).to.equal(r.spawnedPid);
      expect(r.mallocArenaMax).to.equal(String(MALLOC_ARENAS));
      expect(r.heapLimitMiB).to.equal(300 + 3 * 8);
      expect(child(['run'], flags, '8').mallocArenaMax).to.equal('8');
      expect(child(['run'], undefined, '8').mallocArenaMax).to.equal('8');
    });

    it("keeps the user's NODE_OPTIONS heap limit", () => {
      const r = child(['run'], '--max-old-space-size=300');
      expect(r.execArgv.filter((f) => f.startsWith('--max-old-space-size'))).to.deep.equal([]);
      expect(r.heapLimitMiB).to.equal(300 + 3 * SEMI_SPACE_MIB);
    });

    it('does not relaunch other commands', () => {
      const r = child(['next']);
      expect(r.execArgv.some((f) => f.startsWith('--max-'))).to.equal(false);
      expect(r.mallocArenaMax).to.equal(null);
    });
  });
});
