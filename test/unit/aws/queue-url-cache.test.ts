import { expect } from 'chai';
import { QueueUrlCache } from '../../../src/aws/queue-url-cache.js';
import { TransientError } from '../../../src/controller/errors.js';

const role = { roleArn: 'arn:aws:iam::123456789012:role/data' };

describe('QueueUrlCache', () => {
  it('looks a queue up once per identity, region and name', async () => {
    const cache = new QueueUrlCache();
    const lookups: string[] = [];
    const lookup = (url: string) => () => {
      lookups.push(url);
      return Promise.resolve(url);
    };
    const q = { identity: undefined, region: 'eu-west-1', queueName: 'jobs' };
    expect(await cache.resolve(q, lookup('a'))).to.equal('a');
    expect(await cache.resolve(q, lookup('again'))).to.equal('a');
    expect(await cache.resolve({ ...q, identity: role }, lookup('b'))).to.equal('b');
    expect(await cache.resolve({ ...q, region: 'us-east-1' }, lookup('c'))).to.equal('c');
    expect(await cache.resolve({ ...q, queueName: 'other' }, lookup('d'))).to.equal('d');
    expect(lookups).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('forgets a queue after a failed call, so the next use looks it up again', async () => {
    const cache = new QueueUrlCache();
    const q = { identity: role, region: 'eu-west-1', queueName: 'jobs' };
    await cache.resolve(q, () => Promise.resolve('old'));
    cache.forget(q);
    expect(await cache.resolve(q, () => Promise.resolve('new'))).to.equal('new');
  });

  it('keeps neither an answer without a URL nor a failed look-up', async () => {
    const cache = new QueueUrlCache();
    const q = { identity: undefined, region: undefined, queueName: 'jobs' };
    const error = await cache.resolve(q, () => Promise.resolve(undefined)).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TransientError);
    expect((error as TransientError).reason).to.equal('QueueNotFound');
    await cache.resolve(q, () => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(cache.size).to.equal(0);
  });
});
