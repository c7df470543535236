import { expect } from 'chai';
import { request } from 'node:http';
import { Registry } from 'prom-client';
import {
  parseBindAddress,
  startHttpServer,
  type RunningHttpServer,
} from '../../../src/metrics/health-server.js';
import { createMetrics } from '../../../src/metrics/index.js';

function get(
  port: number | undefined,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startHttpServer', () => {
  let server: RunningHttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /readyz 503 with the reason until ready, then 200', async () => {
    let state: { ready: boolean; reason?: string } = { ready: false, reason: 'cache not synced' };
    server = await startHttpServer({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '127.0.0.1:0',
      registry: new Registry(),
      readiness: () => state,
    });
    expect(await get(server.healthPort, '/readyz')).to.deep.equal({
      status: 503,
      body: 'not ready: cache not synced\n',
    });
    expect((await get(server.healthPort, '/healthz')).status).to.equal(200);
    state = { ready: true };
    expect(await get(server.healthPort, '/readyz')).to.deep.equal({ status: 200, body: 'ok\n' });
  });

  it('serves /healthz 503 with the reason while the liveness check fails', async () => {
    let alive: { ready: boolean; reason?: string } = { ready: false, reason: 'a reconcile is stuck' };
    server = await startHttpServer({
      metricsAddress: '0',
      healthAddress: '127.0.0.1:0',
      registry: new Registry(),
      readiness: () => ({ ready: true }),
      liveness: () => alive,
    });
    expect(await get(server.healthPort, '/healthz')).to.deep.equal({
      status: 503,
      body: 'unhealthy: a reconcile is stuck\n',
    });
    alive = { ready: true };
    expect(await get(server.healthPort, '/healthz')).to.deep.equal({ status: 200, body: 'ok\n' });
  });

  it('serves /metrics on the metrics port only', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.ecs.request('RunTask', 'success');
    server = await startHttpServer({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '127.0.0.1:0',
      registry: metrics.registry,
      readiness: () => ({ ready: true }),
    });
    expect(server.metricsPort).not.to.equal(server.healthPort);
    const scrape = await get(server.metricsPort, '/metrics');
    expect(scrape.status).to.equal(200);
    expect(scrape.body).to.include(
      'ecs_scheduler_ecs_requests_total{operation="RunTask",outcome="success"} 1',
    );
    expect((await get(server.healthPort, '/metrics')).status).to.equal(404);
    expect((await get(server.metricsPort, '/readyz')).status).to.equal(404);
    expect((await get(server.metricsPort, '/metrics', 'POST')).status).to.equal(405);
  });

  it('serves all paths from one server when both addresses name the same port', async () => {
    const probe = await startHttpServer({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '0',
      registry: new Registry(),
      readiness: () => ({ ready: true }),
    });
    const port = probe.metricsPort;
    await probe.close();
    server = await startHttpServer({
      metricsAddress: `127.0.0.1:${port}`,
      healthAddress: `127.0.0.1:${port}`,
      registry: new Registry(),
      readiness: () => ({ ready: true }),
    });
    expect(server.healthPort).to.equal(port);
    expect((await get(port, '/metrics')).status).to.equal(200);
    expect((await get(port, '/readyz')).status).to.equal(200);
  });

  it('answers 503 when the readiness check throws', async () => {
    server = await startHttpServer({
      metricsAddress: '0',
      healthAddress: '127.0.0.1:0',
      registry: new Registry(),
      readiness: () => {
        throw new Error('lease unknown');
      },
    });
    expect(server.metricsPort).to.equal(undefined);
    expect(await get(server.healthPort, '/readyz')).to.deep.equal({
      status: 503,
      body: 'not ready: lease unknown\n',
    });
  });

  it('rejects when the port is taken, leaving nothing listening', async () => {
    server = await startHttpServer({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '0',
      registry: new Registry(),
      readiness: () => ({ ready: true }),
    });
    const taken = `127.0.0.1:${server.metricsPort}`;
    await startHttpServer({
      metricsAddress: '127.0.0.1:0',
      healthAddress: taken,
      registry: new Registry(),
      readiness: () => ({ ready: true }),
    }).then(
      () => expect.fail('expected EADDRINUSE'),
      (e: unknown) => expect((e as NodeJS.ErrnoException).code).to.equal('EADDRINUSE'),
    );
  });
});

describe('parseBindAddress', () => {
  const cases: { address: string; expected: ReturnType<typeof parseBindAddress> | 'error' }[] = [
    { address: ':8080', expected: { host: undefined, port: 8080 } },
    { address: '127.0.0.1:0', expected: { host: '127.0.0.1', port: 0 } },
    { address: '[::1]:9090', expected: { host: '::1', port: 9090 } },
    { address: '8081', expected: { host: undefined, port: 8081 } },
    { address: '0', expected: undefined },
    { address: '', expected: undefined },
    { address: 'localhost', expected: 'error' },
    { address: ':99999', expected: 'error' },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.address), () => {
      if (c.expected === 'error') expect(() => parseBindAddress(c.address)).to.throw(/invalid bind address/);
      else expect(parseBindAddress(c.address)).to.deep.equal(c.expected);
    });
  }
});
