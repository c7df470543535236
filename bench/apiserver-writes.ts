// The controller's writes as the kube-apiserver itself counts them (apiserver_request_total), so a
// benchmark needs no cooperation from the controller to count status writes and events.
import type { KubeConfig } from '@kubernetes/client-node';
import { request, type RequestOptions } from 'node:https';
import { metricSum } from '../test/integration/support/scheduled-runs.js';

/** GET on the kube-apiserver with the kubeconfig's credentials (for /metrics, not a typed API). */
function apiGet(kc: KubeConfig, path: string): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  return new Promise((resolve, reject) => {
    const opts: RequestOptions & { headers: Record<string, string> } = {
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'GET',
      headers: {},
    };
    void kc.applyToHTTPSOptions(opts).then(() => {
      const req = request(opts, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: HTTP ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end();
    }, reject);
  });
}

export interface ApiWrites {
  readonly statusWrites: number;
  /** Event creations (POST). */
  readonly eventCreates: number;
  /** Event updates (PATCH and PUT): an event series' count and last-seen time. */
  readonly eventUpdates: number;
}

/**
 * Status writes (PUT and PATCH of ecsscheduledtasks/status), event creations and event updates so
 * far. Both event APIs (core/v1 and events.k8s.io/v1) are the one `events` resource here.
 */
export async function apiWrites(kc: KubeConfig): Promise<ApiWrites> {
  const text = await apiGet(kc, '/metrics');
  const status = (verb: string) =>
    metricSum(text, 'apiserver_request_total', {
      resource: 'ecsscheduledtasks',
      subresource: 'status',
      verb,
    }) ?? 0;
  const events = (verb: string) =>
    metricSum(text, 'apiserver_request_total', { resource: 'events', verb }) ?? 0;
  return {
    statusWrites: status('PUT') + status('PATCH'),
    eventCreates: events('POST'),
    eventUpdates: events('PATCH') + events('PUT'),
  };
}
