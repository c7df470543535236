import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { CustomObjectsApi, HttpMethod, RequestContext } from '@kubernetes/client-node';
import { httpStatusOf } from '../../../src/kube/api-errors.js';
import { PooledKubeConfig } from '../../../src/kube/pooled-kube-config.js';
import { UndiciHttpLibrary } from '../../../src/kube/undici-http-library.js';

// A local HTTP server that records what arrives and answers as told: the transport under test is
// the library's, not the API server's (the integration tier runs these calls against a real one).
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function serve(answer: (seen: Seen, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      answer(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const json = (status: number, body: unknown) => (_: Seen, res: ServerResponse) => {
  res.writeHead(status, { 'Content-Type': 'application/json', 'X-Two': ['a', 'b'] });
  res.end(JSON.stringify(body));
};

describe('UndiciHttpLibrary', () => {
  it('sends the method, headers and body, and hands back the status, headers and body', async () => {
    const server = await serve(json(201, { ok: true }));
    try {
      const context = new RequestContext(`${server.url}/apis/x/v1/things`, HttpMethod.PUT);
      context.setHeaderParam('Content-Type', 'application/json');
      context.setBody('{"status":{}}');
      const response = await new UndiciHttpLibrary().send(context);
      expect(response.httpStatusCode).to.equal(201);
      expect(response.headers['content-type']).to.equal('application/json');
      expect(response.headers['x-two']).to.equal('a, b');
      expect(JSON.parse(await response.body.text())).to.deep.equal({ ok: true });
      expect((await response.body.binary()).toString()).to.equal('{"ok":true}');
      expect(server.seen).to.have.length(1);
      expect(server.seen[0]).to.deep.include({
        method: 'PUT',
        url: '/apis/x/v1/things',
        body: '{"status":{}}',
      });
      expect(server.seen[0]!.headers['content-type']).to.equal('application/json');
    } finally {
      await server.close();
    }
  });

  it('fails as fetch does when nothing answers: TypeError "fetch failed" with the cause', async () => {
    const server = await serve(json(200, {}));
    await server.close();
    const error = await new UndiciHttpLibrary()
      .send(new RequestContext(`${server.url}/api`, HttpMethod.GET))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.equal('fetch failed');
    expect(((error as Error).cause as { code?: string }).code).to.equal('ECONNREFUSED');
  });

  it("rejects with the signal's reason when the call is aborted", async () => {
    const server = await serve(() => undefined); // never answers
    try {
      const context = new RequestContext(`${server.url}/api`, HttpMethod.GET);
      const abort = new AbortController();
      context.setSignal(abort.signal);
      const sent = new UndiciHttpLibrary().send(context);
      const reason = new Error('deadline');
      abort.abort(reason);
      expect(
        await sent.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ).to.equal(reason);
    } finally {
      await server.close();
    }
  });
});

describe('PooledKubeConfig.makeApiClient', () => {
  function config(server: string): PooledKubeConfig {
    const kc = new PooledKubeConfig();
    kc.loadFromString(`
apiVersion: v1
kind: Config
current-context: c
clusters:
  - name: c
    cluster: {server: '${server}', insecure-skip-tls-verify: true}
users:
  - name: u
    user: {token: secret-token}
contexts:
  - name: c
    context: {cluster: c, user: u}
`);
    return kc;
  }

  it("sends a generated API's call through the library, with the token and client-node's User-Agent", async () => {
    const server = await serve(json(200, { kind: 'Thing', status: { n: 1 } }));
    const kc = config(server.url);
    try {
      const api = kc.makeApiClient(CustomObjectsApi);
      const out = await api.replaceNamespacedCustomObjectStatus({
        group: 'g.dev',
        version: 'v1',
        namespace: 'ns',
        plural: 'things',
        name: 'a',
        body: { status: { n: 1 } },
      });
      expect(out).to.deep.equal({ kind: 'Thing', status: { n: 1 } });
      const [call] = server.seen;
      expect(call).to.deep.include({ method: 'PUT', url: '/apis/g.dev/v1/namespaces/ns/things/a/status' });
      expect(JSON.parse(call!.body)).to.deep.equal({ status: { n: 1 } });
      expect(call!.headers.authorization).to.equal('Bearer secret-token');
      expect(call!.headers['user-agent']).to.match(/^kubernetes-client-javascript\/\d/);
      // What fetch() adds to every call: its absence says the call went through request().
      expect(call!.headers['sec-fetch-mode']).to.equal(undefined);
    } finally {
      await kc.close();
      await server.close();
    }
  });

  it('keeps the API errors the adapters read: a 409 is an ApiException with code 409', async () => {
    const server = await serve(
      json(409, { kind: 'Status', code: 409, reason: 'Conflict', message: 'changed' }),
    );
    const kc = config(server.url);
    try {
      const error = await kc
        .makeApiClient(CustomObjectsApi)
        .replaceNamespacedCustomObjectStatus({
          group: 'g.dev',
          version: 'v1',
          namespace: 'ns',
          plural: 'things',
          name: 'a',
          body: {},
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(httpStatusOf(error)).to.equal(409);
    } finally {
      await kc.close();
      await server.close();
    }
  });
});
