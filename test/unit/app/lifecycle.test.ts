import { expect } from 'chai';
import { Lifecycle, type Stage } from '../../../src/app/lifecycle.js';

function recorded(log: string[], name: string, failStart = false): Stage {
  return {
    name,
    start: async () => {
      log.push(`start ${name}`);
      if (failStart) throw new Error(`${name} failed`);
    },
    stop: async () => {
      log.push(`stop ${name}`);
    },
  };
}

describe('Lifecycle', () => {
  it('starts the stages in order and stops them in the reverse order', async () => {
    const log: string[] = [];
    const lifecycle = new Lifecycle(['aws', 'http', 'source', 'leadership'].map((n) => recorded(log, n)));
    await lifecycle.start();
    await lifecycle.stop();
    expect(log).to.deep.equal([
      'start aws',
      'start http',
      'start source',
      'start leadership',
      'stop leadership',
      'stop source',
      'stop http',
      'stop aws',
    ]);
  });

  it('stops a stage without a start like any other', async () => {
    const log: string[] = [];
    const lifecycle = new Lifecycle([
      { name: 'clients', stop: () => void log.push('stop clients') },
      recorded(log, 'http'),
    ]);
    await lifecycle.start();
    await lifecycle.stop();
    expect(log).to.deep.equal(['start http', 'stop http', 'stop clients']);
  });

  it('on a failed start, stops the failed stage and the started ones (reversed), starts no more, and rethrows', async () => {
    const log: string[] = [];
    const lifecycle = new Lifecycle([
      recorded(log, 'aws'),
      recorded(log, 'http'),
      recorded(log, 'source', true),
      recorded(log, 'leadership'),
    ]);
    const error = await lifecycle.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).to.equal('source failed');
    expect(log).to.deep.equal([
      'start aws',
      'start http',
      'start source',
      'stop source',
      'stop http',
      'stop aws',
    ]);
  });

  it('does not wait for the failed stage to stop (it may still be starting)', async () => {
    const log: string[] = [];
    const lifecycle = new Lifecycle([
      recorded(log, 'http'),
      {
        name: 'source',
        start: () => Promise.reject(new Error('not loaded in time')),
        stop: () => new Promise<void>(() => undefined),
      },
    ]);
    const error = await lifecycle.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).to.equal('not loaded in time');
    expect(log).to.deep.equal(['start http', 'stop http']);
  });

  it('stops nothing twice', async () => {
    const log: string[] = [];
    const lifecycle = new Lifecycle([recorded(log, 'http')]);
    await lifecycle.start();
    await lifecycle.stop();
    await lifecycle.stop();
    expect(log).to.deep.equal(['start http', 'stop http']);
  });
});
