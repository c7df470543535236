import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LineBuffer } from '../../../src/log/line-buffer.js';
import { createLogger } from '../../../src/log/logger.js';

/** A buffer whose writes are recorded and whose scheduled flush runs when the test says. */
function recorded(maxPending?: number) {
  const writes: string[] = [];
  const atExit: string[] = [];
  let scheduled: (() => void)[] = [];
  const buffer = new LineBuffer({
    write: (text) => writes.push(text),
    writeAtExit: (text) => atExit.push(text),
    schedule: (flush) => scheduled.push(flush),
    ...(maxPending === undefined ? {} : { maxPending }),
  });
  const endTurn = () => {
    const due = scheduled;
    scheduled = [];
    for (const flush of due) flush();
  };
  return { buffer, writes, atExit, endTurn, scheduled: () => scheduled.length };
}

describe('LineBuffer', () => {
  it("writes a turn's lines in one write, in order, at the end of the turn", () => {
    const r = recorded();
    r.buffer.line('one');
    r.buffer.line('two');
    r.buffer.line('three');
    expect(r.writes, 'nothing before the turn ends').to.deep.equal([]);
    expect(r.scheduled(), 'one flush scheduled for the turn').to.equal(1);
    r.endTurn();
    expect(r.writes).to.deep.equal(['one\ntwo\nthree\n']);
    r.buffer.line('four');
    r.endTurn();
    expect(r.writes).to.deep.equal(['one\ntwo\nthree\n', 'four\n']);
    r.endTurn();
    expect(r.writes, 'an empty turn writes nothing').to.have.length(2);
  });

  it('the exit flush writes what is left with the exit writer, and nothing twice', () => {
    const r = recorded();
    r.buffer.line('written');
    r.endTurn();
    r.buffer.line('last');
    r.buffer.line('words');
    r.buffer.flushAtExit();
    expect(r.atExit).to.deep.equal(['last\nwords\n']);
    r.endTurn();
    r.buffer.flushAtExit();
    expect(r.writes).to.deep.equal(['written\n']);
    expect(r.atExit).to.have.length(1);
  });

  it('writes at once when more than maxPending characters wait', () => {
    const r = recorded(10);
    r.buffer.line('12345');
    expect(r.writes).to.deep.equal([]);
    r.buffer.line('67890');
    expect(r.writes).to.deep.equal(['12345\n67890\n']);
    r.buffer.line('after');
    r.endTurn();
    expect(r.writes).to.deep.equal(['12345\n67890\n', 'after\n']);
  });

  it('a logger writing through it renders the same lines, text and JSON', () => {
    const at = new Date('2026-03-01T10:00:05.000Z');
    for (const format of ['json', 'text'] as const) {
      const direct: string[] = [];
      createLogger({ format, now: () => at, write: (l) => direct.push(l) })
        .child({ resource: 'data/report' })
        .warn('launch failed', { error: new Error('boom'), attempt: 2 });
      const r = recorded();
      createLogger({ format, now: () => at, write: r.buffer.line })
        .child({ resource: 'data/report' })
        .warn('launch failed', { error: new Error('boom'), attempt: 2 });
      r.endTurn();
      expect(r.writes).to.deep.equal([`${direct[0]}\n`]);
    }
  });

  describe('the default logger in a process that exits in the same turn (child process)', function () {
    this.timeout(30_000);
    const CHILD = fileURLToPath(new URL('./fixtures/exit-flush-child.ts', import.meta.url));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', CHILD, ...args], { encoding: 'utf8', timeout: 20_000 });

    for (const c of [
      { name: 'process.exit(0)', args: [], code: 0 },
      { name: 'process.exit(3)', args: ['--fail'], code: 3 },
    ]) {
      it(`${c.name}: every line is written, in order`, () => {
        const r = run('500', ...c.args);
        expect(r.status, r.stderr).to.equal(c.code);
        const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
        expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).to.deep.equal(
          Array.from({ length: 500 }, (_, i) => i),
        );
        expect(JSON.parse(lines[0]!)).to.include({ level: 'info', msg: 'line 0', resource: 'data/report' });
      });
    }
  });
});
