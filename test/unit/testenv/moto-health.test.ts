// The test environment's health check of moto must not depend on how much moto holds: a reuse
// that found a full moto "stale" tore the environment down under the tests still using it.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error: a plain JavaScript script without type declarations
import { motoResponds } from '../../../scripts/testenv.js';

const responds = motoResponds as (url: string) => Promise<boolean>;

describe('test environment: moto health', () => {
  let server: Server;
  let url: string;
  const pending = new Set<() => void>();

  before(async () => {
    // A moto whose full data dump never finishes in time, and whose dashboard answers at once.
    server = createServer((req, res) => {
      if (req.url === '/moto-api/data.json') {
        pending.add(() => res.end('{}'));
        return;
      }
      res.writeHead(req.url === '/moto-api/' ? 200 : 404).end('<html>moto</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const finish of pending) finish();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers from the dashboard, not from a dump of everything moto holds', async () => {
    expect(await responds(url)).to.equal(true);
  });
});
