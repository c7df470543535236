// The simulator on HTTP: ECS's JSON 1.1 protocol (POST /, X-Amz-Target:
// AmazonEC2ContainerServiceV20141113.<Operation>, application/x-amz-json-1.1) and a small control
// API under /_sim/ for tests and benchmarks in other processes. Requests are not authenticated:
// the SDK's SigV4 signature is accepted whatever it is.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EcsSimulator, type EcsSimulatorOptions } from './ecs-simulator.js';

const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const AMZ_JSON = 'application/x-amz-json-1.1';
/** Request bodies beyond this are refused: no ECS request comes near it. */
const MAX_BODY_BYTES = 1 << 20;

export interface EcsSimulatorServerOptions extends EcsSimulatorOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** An existing simulator to serve, instead of one built from the options. */
  readonly simulator?: EcsSimulator;
  /** How an added latency is waited out. Default setTimeout. */
  readonly delay?: (ms: number) => Promise<void>;
}

export interface EcsSimulatorServer {
  /** http://host:port, for an SDK client's `endpoint` or the controller's --ecs-endpoint. */
  readonly endpoint: string;
  readonly port: number;
  readonly simulator: EcsSimulator;
  /** Calls held by a black hole right now. */
  heldCalls(): number;
  /** Stops listening and drops every connection, held calls included. */
  close(): Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** The access key id of a SigV4-signed call (nothing is verified: the simulator takes any key). */
function signedBy(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  return typeof auth === 'string' ? /Credential=([^/,\s]+)\//.exec(auth)?.[1] : undefined;
}

export async function startEcsSimulatorServer(
  options: EcsSimulatorServerOptions = {},
): Promise<EcsSimulatorServer> {
  const simulator = options.simulator ?? new EcsSimulator(options);
  const delay = options.delay ?? wait;
  const held = new Set<ServerResponse>();

  async function ecs(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers['x-amz-target'];
    const body = await readBody(req);
    if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
      send(
        res,
        400,
        { __type: 'UnknownOperationException', message: `X-Amz-Target must start with ${TARGET_PREFIX}` },
        AMZ_JSON,
      );
      return;
    }
    const parsed = parseJson(body);
    if (!parsed.ok) {
      send(res, 400, { __type: 'SerializationException', message: parsed.error }, AMZ_JSON);
      return;
    }
    const served = simulator.serve(target.slice(TARGET_PREFIX.length), parsed.value, signedBy(req));
    if (served.kind === 'blackHole') {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    if (served.delayMs > 0) await delay(served.delayMs);
    if (res.destroyed) return;
    if (served.status !== 200) res.setHeader('x-amzn-ErrorType', String(served.body.__type));
    send(res, served.status, served.body, AMZ_JSON);
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    const body = req.method === 'PUT' || req.method === 'POST' ? await readBody(req) : '';
    const parsed = parseJson(body);
    if (!parsed.ok) {
      send(res, 400, { error: `invalid JSON: ${parsed.error}` });
      return;
    }
    const configure = (set: (v: unknown) => unknown) => {
      try {
        send(res, 200, set(parsed.value));
      } catch (err) {
        send(res, 400, { error: (err as Error).message });
      }
    };
    switch (route) {
      case 'GET /_sim/health':
        return send(res, 200, { ok: true });
      case 'GET /_sim/stats': {
        // The simulator's own cost, so a benchmark can tell it apart from the controller's.
        const cpu = process.cpuUsage();
        const usage = { rssBytes: process.memoryUsage.rss(), cpuSeconds: (cpu.user + cpu.system) / 1e6 };
        return send(res, 200, { ...simulator.stats(), process: usage });
      }
      case 'GET /_sim/ledger': {
        const raw = url.searchParams.get('tasksPerRun');
        const tasksPerRun = raw === null ? undefined : Number(raw);
        if (tasksPerRun !== undefined && !(Number.isInteger(tasksPerRun) && tasksPerRun >= 1))
          return send(res, 400, { error: 'tasksPerRun: must be an integer >= 1' });
        const report = simulator.ledger.report(tasksPerRun === undefined ? {} : { tasksPerRun });
        return send(res, 200, {
          report,
          ...(url.searchParams.get('runs') === '1' ? { runs: simulator.ledger.runs() } : {}),
          ...(url.searchParams.get('entries') === '0' ? {} : { entries: simulator.ledger.entries() }),
        });
      }
      case 'GET /_sim/faults':
        return send(res, 200, simulator.faults);
      case 'GET /_sim/fault-log': {
        const rawSince = url.searchParams.get('since');
        const since = rawSince === null ? undefined : Number(rawSince);
        if (since !== undefined && !Number.isFinite(since))
          return send(res, 400, { error: 'since: must be epoch milliseconds' });
        const operation = url.searchParams.get('operation') ?? undefined;
        return send(res, 200, {
          report: simulator.faultLog.report(),
          ...(url.searchParams.get('entries') === '0'
            ? {}
            : {
                entries: simulator.faultLog.entries({
                  ...(since === undefined ? {} : { since }),
                  ...(operation === undefined ? {} : { operation }),
                }),
              }),
        });
      }
      case 'PUT /_sim/faults':
        return configure((v) => simulator.setFaults(v));
      case 'GET /_sim/lifecycle':
        return send(res, 200, simulator.lifecycle);
      case 'PUT /_sim/lifecycle':
        return configure((v) => simulator.setLifecycle(v));
      case 'GET /_sim/quotas':
        return send(res, 200, simulator.quotas);
      case 'PUT /_sim/quotas':
        return configure((v) => simulator.setQuotas(v));
      case 'POST /_sim/reset':
        simulator.reset();
        return send(res, 200, { ok: true });
      default:
        return send(res, 404, { error: `no route ${route}` });
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const handle = url.pathname.startsWith('/_sim/') ? control(req, res, url) : ecs(req, res);
    handle.catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed)
        send(
          res,
          500,
          { __type: 'ServerException', message: `simulator: ${(err as Error).message}` },
          AMZ_JSON,
        );
    });
  });
  // SDK clients keep connections alive for a long time; do not close them under their feet.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    simulator,
    heldCalls: () => held.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
