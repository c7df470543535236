// Machine-wide port reservations of the test environment: two environments on one machine never
// get the same port, even while one of them has a peer down for a restart (its port then passes
// a listen test); a reservation whose holder died is taken over, and `down` drops only its own.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ephemeralPortRange,
  freePorts,
  holdPorts,
  releasePorts,
  reservePort,
  // @ts-expect-error: a plain JavaScript script without type declarations
} from '../../../scripts/testenv.js';

interface Owner {
  stateDir?: string;
  pids?: number[];
  dir?: string;
}
const reserve = reservePort as (port: number, owner: Owner) => boolean;
const hold = holdPorts as (ports: number[], owner: Owner) => void;
const release = releasePorts as (ports: number[], owner: Owner) => number;
const ports = freePorts as (
  n: number,
  options?: { reserve?: Owner; random?: () => number },
) => Promise<number[]>;
const range = ephemeralPortRange as () => [number, number];

/** A pid that is certainly dead: a child that has already exited and been reaped. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid;

describe('test environment: port reservations', () => {
  let dir: string;
  const lock = (port: number) => JSON.parse(readFileSync(join(dir, String(port)), 'utf8'));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'port-locks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a port is reserved once: a live holder keeps it from a second environment', () => {
    expect(reserve(12345, { stateDir: '/env/a', dir })).to.equal(true);
    expect(lock(12345)).to.deep.equal({ stateDir: '/env/a', pids: [process.pid] });
    expect(reserve(12345, { stateDir: '/env/b', dir })).to.equal(false);
    expect(lock(12345).stateDir).to.equal('/env/a');
  });

  it('any live pid keeps a reservation: a peer down for a restart does not free its port', () => {
    expect(reserve(12346, { stateDir: '/env/a', pids: [deadPid(), process.pid], dir })).to.equal(true);
    expect(reserve(12346, { stateDir: '/env/b', dir })).to.equal(false);
  });

  it('a reservation whose pids are all dead is stale and taken over', () => {
    writeFileSync(join(dir, '12347'), JSON.stringify({ stateDir: '/env/gone', pids: [deadPid()] }));
    expect(reserve(12347, { stateDir: '/env/b', dir })).to.equal(true);
    expect(lock(12347)).to.deep.equal({ stateDir: '/env/b', pids: [process.pid] });
  });

  it('a half-written reservation is left alone while fresh', () => {
    writeFileSync(join(dir, '12348'), '');
    expect(reserve(12348, { stateDir: '/env/b', dir })).to.equal(false);
  });

  it('holdPorts records the peers that keep the ports; releasePorts drops only its own', () => {
    expect(reserve(12349, { stateDir: '/env/a', dir })).to.equal(true);
    expect(reserve(12350, { stateDir: '/env/b', dir })).to.equal(true);
    hold([12349], { stateDir: '/env/a', pids: [process.pid, 4_000_000], dir });
    expect(lock(12349).pids).to.deep.equal([process.pid, 4_000_000]);
    expect(release([12349, 12350], { stateDir: '/env/a', dir })).to.equal(1);
    expect(existsSync(join(dir, '12349'))).to.equal(false);
    expect(lock(12350).stateDir).to.equal('/env/b');
  });

  it('freePorts with a reservation skips a port another live environment holds', async () => {
    const [low] = range();
    const [taken] = await ports(1);
    expect(reserve(taken!, { stateDir: '/env/other', dir })).to.equal(true);
    // The first two picks land on the reserved port, which is free to listen on.
    const atTaken = (taken! - 10000 + 0.5) / (low - 10000);
    const picks = [atTaken, atTaken];
    const picked = await ports(2, {
      reserve: { stateDir: '/env/mine', dir },
      random: () => picks.shift() ?? Math.random(),
    });
    expect(picked).to.not.include(taken);
    expect(new Set(picked).size).to.equal(2);
    for (const port of picked)
      expect(lock(port)).to.deep.equal({ stateDir: '/env/mine', pids: [process.pid] });
    expect(lock(taken!).stateDir).to.equal('/env/other');
  });
});
