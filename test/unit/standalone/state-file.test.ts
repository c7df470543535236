// The crash test (a writer process SIGKILLed at random) is test/integration/state-file-crash.test.ts.
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, silentLogger } from '../../../src/log/logger.js';
import {
  emptyState,
  readStateFile,
  StateFile,
  StateFileCorruptError,
  StateFileMissingError,
  writeFileAtomic,
  type StateData,
  type StateRecord,
} from '../../../src/standalone/state-file.js';

function record(i: number, extra: Partial<StateRecord> = {}): StateRecord {
  return {
    uid: `uid-${i}`,
    generation: 1,
    resourceVersion: String(i),
    creationTimestamp: '2026-01-01T00:00:00.000Z',
    specHash: 'abc',
    ...extra,
  };
}

function stateWith(count: number): StateData {
  const state = emptyState();
  for (let i = 0; i < count; i++) state.resources[`ns/r${i}`] = record(i);
  return state;
}

describe('StateFile', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-scheduler-state-'));
    path = join(dir, 'state.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads an empty state when the file does not exist yet', async () => {
    const file = new StateFile({ path, logger: silentLogger });
    expect(await file.load()).to.deep.equal({ version: 1, resources: {} });
  });

  it('round-trips records, status included', async () => {
    const state = stateWith(2);
    state.resources['ns/r1']!.status = {
      lastResult: 'Failed',
      runs: [
        { scheduledTime: '2026-01-01T02:00:00.000Z', result: 'Failed', reason: 'EssentialContainerExited' },
      ],
    };
    await new StateFile({ path, logger: silentLogger }).save(state);
    expect(await new StateFile({ path, logger: silentLogger }).load()).to.deep.equal(state);
    expect(await readStateFile(path)).to.deep.equal(state);
  });

  it('replaces the file whole and leaves no temporary file behind', async () => {
    await writeFile(path, 'old content that is much longer than the new content will be');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).to.equal('new');
    expect(await readdir(dir)).to.deep.equal(['state.json']);
  });

  it('removes temporary files a crash left behind, and keeps the last complete file', async () => {
    await new StateFile({ path, logger: silentLogger }).save(stateWith(1));
    await writeFile(join(dir, 'state.json.tmp-12345-deadbeef'), '{"version": 1, "resou');
    const loaded = await new StateFile({ path, logger: silentLogger }).load();
    expect(Object.keys(loaded.resources)).to.deep.equal(['ns/r0']);
    expect(await readdir(dir)).to.deep.equal(['state.json']);
  });

  describe('a corrupt file', () => {
    const cases = [
      { name: 'truncated JSON', content: '{"version": 1, "resources": {', detail: /invalid JSON/ },
      {
        name: 'a newer version',
        content: '{"version": 2, "resources": {}}',
        detail: /unsupported version 2/,
      },
      {
        name: 'resources not an object',
        content: '{"version": 1, "resources": []}',
        detail: /"resources" is not/,
      },
      {
        name: 'a record without uid',
        content:
          '{"version":1,"resources":{"ns/a":{"generation":1,"resourceVersion":"1","creationTimestamp":"x","specHash":"y"}}}',
        detail: /resources\["ns\/a"\]\.uid is not a string/,
      },
    ];
    for (const { name, content, detail } of cases) {
      it(`is reported with its path and the problem: ${name}`, async () => {
        await writeFile(path, content);
        const error = await new StateFile({ path, logger: silentLogger }).load().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(StateFileCorruptError);
        expect((error as Error).message)
          .to.include(path)
          .and.match(detail);
        expect(await readFile(path, 'utf8'), 'left alone').to.equal(content);
      });
    }

    it('is moved aside, logged and replaced by an empty state with onCorrupt: reset', async () => {
      await writeFile(path, '{"version": 1,');
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger({ write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
      const file = new StateFile({
        path,
        logger,
        onCorrupt: 'reset',
        now: () => new Date('2026-05-01T10:00:00Z'),
      });
      expect(await file.load()).to.deep.equal(emptyState());
      const aside = `${path}.corrupt-2026-05-01T10-00-00-000Z`;
      expect(await readFile(aside, 'utf8')).to.equal('{"version": 1,');
      expect(lines[0]).to.include({ level: 'error', path, movedTo: aside });
      expect(lines[0]!.problem).to.match(/invalid JSON/);
    });
  });

  it('refuses a state file that is a symbolic link, and reads nothing through it', async () => {
    const elsewhere = join(dir, 'elsewhere.json');
    await writeFile(elsewhere, JSON.stringify(stateWith(1)));
    await symlink(elsewhere, path);
    const error = await new StateFile({ path, logger: silentLogger }).load().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StateFileCorruptError);
    expect((error as Error).message).to.match(/state\.json is corrupt: it is a symbolic link/);
  });

  it('readStateFile reports a missing file', async () => {
    const error = await readStateFile(path).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StateFileMissingError);
    expect((error as Error).message).to.include(path);
  });

  describe('write serialization', () => {
    function gatedWriter() {
      const writes: string[] = [];
      const gates: (() => void)[] = [];
      let fail = false;
      const writeFile = (_path: string, content: string) =>
        new Promise<void>((resolve, reject) => {
          writes.push(content);
          gates.push(() => (fail ? reject(new Error('disk full')) : resolve()));
        });
      const release = async () => {
        await new Promise<void>((r) => setImmediate(r));
        gates.shift()?.();
        await new Promise<void>((r) => setImmediate(r));
      };
      return { writes, release, failNext: (f: boolean) => (fail = f), writeFile };
    }

    it('runs one write at a time and coalesces a burst into one follow-up write', async () => {
      const w = gatedWriter();
      const file = new StateFile({ path, logger: silentLogger, writeFile: w.writeFile });
      const state = stateWith(1);
      const first = file.save(state);
      state.resources['ns/r1'] = record(1);
      const second = file.save(state);
      state.resources['ns/r2'] = record(2);
      const third = file.save(state);
      expect(w.writes).to.have.length(1);
      await w.release();
      await first;
      expect(w.writes, 'the burst became one write').to.have.length(2);
      expect(Object.keys((JSON.parse(w.writes[1]!) as StateData).resources)).to.deep.equal([
        'ns/r0',
        'ns/r1',
        'ns/r2',
      ]);
      await w.release();
      await Promise.all([second, third]);
      await file.flush();
      expect(w.writes).to.have.length(2);
    });

    it('keeps a coalesced save() pending until the write that carries it has landed', async () => {
      const w = gatedWriter();
      const file = new StateFile({ path, logger: silentLogger, writeFile: w.writeFile });
      const settled = new Set<string>();
      const track = (name: string, p: Promise<void>) => p.then(() => settled.add(name));
      const state = stateWith(1);
      const first = track('first', file.save(state));
      const second = track('second', file.save(state)); // coalesced behind the first write
      const third = track('third', file.save(state)); // joins the second
      await w.release(); // the first write lands
      await first;
      expect([...settled], 'only the first write has landed').to.deep.equal(['first']);
      expect(w.writes, 'the follow-up write has started').to.have.length(2);
      // Give every queued callback a chance: nothing but the write landing may settle them.
      for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
      expect([...settled], 'the follow-up write is still in flight').to.deep.equal(['first']);
      await w.release(); // the follow-up write lands
      await Promise.all([second, third]);
      expect([...settled].sort()).to.deep.equal(['first', 'second', 'third']);
    });

    it('rejects the saves a failed write carried, and writes again on the next save', async () => {
      const w = gatedWriter();
      const file = new StateFile({ path, logger: silentLogger, writeFile: w.writeFile });
      w.failNext(true);
      const failed = file.save(stateWith(1)).catch((e: unknown) => e);
      await w.release();
      expect(await failed)
        .to.be.instanceOf(Error)
        .with.property('message', 'disk full');
      w.failNext(false);
      const retried = file.save(stateWith(2));
      await w.release();
      await retried;
      expect(w.writes).to.have.length(2);
    });
  });
});
