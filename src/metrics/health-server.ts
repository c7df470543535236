// /metrics, /healthz and /readyz over node:http. Metrics and probes listen on separate addresses,
// as controller-runtime's --metrics-bind-address and --health-probe-bind-address do.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { renderMetricsPage } from './metrics-page.js';

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready, shown in the 503 body. */
  readonly reason?: string;
}

export interface HttpServerOptions {
  /** `:8080`, `host:port`, `[::1]:8080`, `127.0.0.1:0` (any free port), or `0`/empty to disable. */
  readonly metricsAddress: string;
  /** Same forms as metricsAddress. */
  readonly healthAddress: string;
  readonly registry: Registry;
  /** Asked on every /readyz. */
  readonly readiness: () => Readiness;
  /** Asked on every /healthz (see liveness.ts). Default: healthy while the process answers. */
  readonly liveness?: () => Readiness;
}

export interface RunningHttpServer {
  /** The bound metrics port, or undefined when disabled. */
  readonly metricsPort: number | undefined;
  /** The bound health port, or undefined when disabled. */
  readonly healthPort: number | undefined;
  close(): Promise<void>;
}

export interface BindAddress {
  /** Undefined: all interfaces. */
  readonly host: string | undefined;
  readonly port: number;
}

/** Parses a bind address; undefined means disabled. Throws on a malformed one. */
export function parseBindAddress(address: string): BindAddress | undefined {
  const text = address.trim();
  if (text === '' || text === '0') return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:]*))?:(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `invalid bind address "${address}": expected [host]:port, for example :8080 or 127.0.0.1:8080`,
    );
  }
  const host = match[1] ?? match[2];
  return { host: host === '' || host === undefined ? undefined : host, port };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

function send(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * Writes the page chunk by chunk (metrics-page.ts), waiting for a slow scraper to drain rather
 * than buffering the whole page; a scraper that goes away ends the rendering.
 */
async function streamMetrics(registry: Registry, res: ServerResponse): Promise<void> {
  for await (const chunk of renderMetricsPage(registry)) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}

function probe(check: () => Readiness, failure: string): Handler {
  return (_req, res) => {
    let state: Readiness;
    try {
      state = check();
    } catch (err) {
      state = { ready: false, reason: err instanceof Error ? err.message : String(err) };
    }
    if (state.ready) send(res, 200, 'ok\n');
    else send(res, 503, `${failure}${state.reason ? `: ${state.reason}` : ''}\n`);
  };
}

function router(routes: ReadonlyMap<string, Handler>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = routes.get(path);
    if (handler === undefined) return send(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, `${err instanceof Error ? err.message : String(err)}\n`);
        else res.destroy();
      });
  };
}

function listen(server: Server, bind: BindAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ port: bind.port, ...(bind.host === undefined ? {} : { host: bind.host }) }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections (Prometheus scrapes) would hold close() open.
    server.closeAllConnections();
  });
}

/**
 * Starts the metrics and health servers. When both addresses name the same fixed port, one server
 * answers all three paths.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const metricsBind = parseBindAddress(options.metricsAddress);
  const healthBind = parseBindAddress(options.healthAddress);
  const metricsRoutes = new Map<string, Handler>([
    [
      '/metrics',
      async (req, res) => {
        res.writeHead(200, { 'content-type': options.registry.contentType, 'cache-control': 'no-store' });
        if (req.method === 'HEAD') return void res.end();
        await streamMetrics(options.registry, res);
      },
    ],
  ]);
  const healthRoutes = new Map<string, Handler>([
    ['/healthz', probe(options.liveness ?? (() => ({ ready: true })), 'unhealthy')],
    ['/readyz', probe(options.readiness, 'not ready')],
  ]);

  const servers: Server[] = [];
  const start = async (bind: BindAddress, routes: ReadonlyMap<string, Handler>) => {
    const server = createServer(router(routes));
    servers.push(server);
    return listen(server, bind);
  };
  try {
    const shared =
      metricsBind !== undefined &&
      healthBind !== undefined &&
      metricsBind.port !== 0 &&
      metricsBind.port === healthBind.port &&
      metricsBind.host === healthBind.host;
    let metricsPort: number | undefined;
    let healthPort: number | undefined;
    if (shared) {
      metricsPort = healthPort = await start(metricsBind, new Map([...metricsRoutes, ...healthRoutes]));
    } else {
      if (metricsBind !== undefined) metricsPort = await start(metricsBind, metricsRoutes);
      if (healthBind !== undefined) healthPort = await start(healthBind, healthRoutes);
    }
    let closing: Promise<void> | undefined;
    return {
      metricsPort,
      healthPort,
      close: () => (closing ??= Promise.all(servers.map(closeServer)).then(() => undefined)),
    };
  } catch (err) {
    await Promise.all(servers.filter((s) => s.listening).map(closeServer));
    throw err;
  }
}
