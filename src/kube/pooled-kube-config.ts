// client-node 2.0.1 builds a new undici Agent, and so a new TCP and TLS connection, for every API
// request: KubeConfig.applySecurityAuthentication calls createDispatcher, which does not cache
// (createAgent beside it, used for WebSockets, does). At a few status writes and events a second
// that costs more CPU than the reconciles themselves. This subclass overrides only that public
// SecurityAuthentication hook, which makeApiClient and Watch both call, so the library is not
// forked: one keep-alive dispatcher per cluster and user, and a deadline on every API call.
import type { AgentOptions, RequestOptions } from 'node:https';
import { createRequire } from 'node:module';
import {
  createConfiguration,
  KubeConfig,
  ServerConfiguration,
  setHeaderMiddleware,
  type ApiConstructor,
  type ApiType,
  type Cluster,
  type User,
} from '@kubernetes/client-node';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import { undiciHttpApi } from './undici-http-library.js';

/** The User-Agent client-node's own makeApiClient sends. */
const USER_AGENT = `kubernetes-client-javascript/${
  (createRequire(import.meta.url)('@kubernetes/client-node/package.json') as { version?: string }).version ??
  ''
}`;

/** The slice of client-node's RequestContext the hook touches (it is not exported by name). */
type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

export interface KubeConnectionOptions {
  /**
   * Deadline for a whole API call, headers and body. Watches are exempt: the informer has its
   * own inactivity timeout for them. Default 30 s, well past a healthy API server's slowest
   * answer (a 500-item list page) and short enough that a hung call frees its worker.
   */
  readonly requestTimeoutMs?: number;
  /** TCP and TLS handshake deadline. Default 10 s, as client-go's dialer. */
  readonly connectTimeoutMs?: number;
  /**
   * Sockets per API server. undici offers HTTP/2 and the API server takes it, so normally one
   * connection carries every call, as in client-go; this bounds an HTTP/1.1 fallback, where each
   * call needs its own socket and a watch holds one for good. Default 64, the default workers.
   */
  readonly maxConnections?: number;
  /** An idle socket is closed after this. Default 30 s, under typical load-balancer idle timeouts. */
  readonly idleTimeoutMs?: number;
}

const DEFAULTS: Required<KubeConnectionOptions> = {
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  maxConnections: 64,
  idleTimeoutMs: 30_000,
};

interface CachedDispatcher {
  /** The TLS material it was built with: an exec plugin that rotates the client certificate gets a new one. */
  readonly material: readonly unknown[];
  readonly dispatcher: Dispatcher;
}

export class PooledKubeConfig extends KubeConfig {
  readonly #options: Required<KubeConnectionOptions>;
  /** Keyed by cluster and user name, as client-node's own agent cache. */
  readonly #dispatchers = new Map<string, CachedDispatcher>();
  #connectionsOpened = 0;

  constructor(options: KubeConnectionOptions = {}) {
    super();
    this.#options = { ...DEFAULTS, ...options };
  }

  /** TCP connections opened so far by this config's dispatchers (for the connection bench). */
  get connectionsOpened(): number {
    return this.#connectionsOpened;
  }

  /** Dispatchers alive: one per cluster and user in use. */
  get dispatcherCount(): number {
    return this.#dispatchers.size;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    if (!isWatch(context.getUrl())) {
      const deadline = AbortSignal.timeout(this.#options.requestTimeoutMs);
      const given = context.getSignal();
      context.setSignal(given === undefined ? deadline : AbortSignal.any([given, deadline]));
    }
    // SOCKS: client-node's connector is private to it. Rare enough to keep its per-request agent
    // rather than re-implement the tunnel.
    if (cluster?.proxyUrl?.startsWith('socks')) return super.applySecurityAuthentication(context);
    // applyToHTTPSOptions is client-node's public way to get the TLS material and the auth
    // headers (token, exec and OIDC plugins), the same data its own hook reads.
    const options: RequestOptions = {};
    await this.applyToHTTPSOptions(options);
    if (user?.username) {
      const basic = Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64');
      context.setHeaderParam('Authorization', `Basic ${basic}`);
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) context.setHeaderParam(name, String(value));
    }
    const dispatcher = this.#dispatcherFor(cluster, user, options);
    if (dispatcher !== undefined) context.setDispatcher(dispatcher);
  }

  /**
   * client-node's makeApiClient, sending through undici's request() (UndiciHttpLibrary) rather
   * than its fetch(): the same configuration otherwise (server, this hook, the User-Agent).
   */
  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    return new apiClientType(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: this },
        httpApi: undiciHttpApi(),
        middleware: [setHeaderMiddleware('User-Agent', USER_AGENT)],
      }),
    );
  }

  /** Closes every cached dispatcher; in-flight requests finish first. */
  async close(): Promise<void> {
    const all = [...this.#dispatchers.values()];
    this.#dispatchers.clear();
    await Promise.all(all.map(({ dispatcher }) => dispatcher.close().catch(() => undefined)));
  }

  #dispatcherFor(
    cluster: Cluster | null,
    user: User | null,
    options: RequestOptions,
  ): Dispatcher | undefined {
    const tls: AgentOptions = {};
    if (options.ca !== undefined) tls.ca = options.ca;
    if (options.cert !== undefined) tls.cert = options.cert;
    if (options.key !== undefined) tls.key = options.key;
    if (options.pfx !== undefined) tls.pfx = options.pfx;
    if (options.passphrase !== undefined) tls.passphrase = options.passphrase;
    if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized;
    if (options.servername !== undefined) tls.servername = options.servername;
    // The library's own mapping decides plain, TLS or proxy, and refuses http:// without
    // insecure-skip-tls-verify; we only decide how long the result lives.
    const plan = this.createDispatcherOptions(cluster, tls);
    if (plan.type === 'none' || plan.type === 'socks') return undefined;
    const key = `${cluster?.name ?? ''}\u0000${user?.name ?? ''}`;
    const material = materialOf(plan, tls);
    const cached = this.#dispatchers.get(key);
    if (cached !== undefined && sameMaterial(cached.material, material)) return cached.dispatcher;
    const dispatcher = this.#build(plan);
    this.#dispatchers.set(key, { material, dispatcher });
    // Rotated credentials: requests already on the old one finish, then it closes.
    if (cached !== undefined) void cached.dispatcher.close().catch(() => undefined);
    return dispatcher;
  }

  #build(plan: ProxyOrAgentPlan): Dispatcher {
    const { connectTimeoutMs, maxConnections, idleTimeoutMs } = this.#options;
    const pool = {
      connections: maxConnections,
      keepAliveTimeout: idleTimeoutMs,
      keepAliveMaxTimeout: idleTimeoutMs,
      // The per-call deadline is the AbortSignal above; a watch may stay quiet for minutes.
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    const dispatcher: Dispatcher =
      plan.type === 'proxy'
        ? new ProxyAgent({
            uri: plan.uri,
            requestTls: plan.requestTls,
            proxyTls: { timeout: connectTimeoutMs },
            ...pool,
          })
        : new Agent({ connect: { ...plan.connect, timeout: connectTimeoutMs }, ...pool });
    dispatcher.on('connect', () => this.#connectionsOpened++);
    return dispatcher;
  }
}

type ProxyOrAgentPlan = Extract<
  ReturnType<KubeConfig['createDispatcherOptions']>,
  { type: 'proxy' | 'agent' }
>;

/** Watches are long-lived by design and carry their own inactivity timeout. */
function isWatch(url: string): boolean {
  return /[?&]watch=(true|1)(&|$)/.test(url);
}

/**
 * What a dispatcher is built from. Compared, not hashed: the material is read afresh for every
 * request (client-node decodes or reads the certificates each time), and a SHA-256 of it per
 * request cost more than the rest of this hook.
 */
function materialOf(plan: ProxyOrAgentPlan, tls: AgentOptions): unknown[] {
  const uri = plan.type === 'proxy' ? plan.uri : '';
  return [
    plan.type,
    uri,
    tls.rejectUnauthorized,
    tls.servername,
    tls.passphrase,
    tls.ca,
    tls.cert,
    tls.key,
    tls.pfx,
  ];
}

function sameMaterial(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => samePart(x, b[i]));
}

/** Strings, bytes and lists of them (a CA bundle), by content. */
function samePart(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (Array.isArray(a) && Array.isArray(b)) return sameMaterial(a, b);
  return false;
}
