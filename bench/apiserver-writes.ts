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
  readonly events: number;
}

/** Status writes (PUT and PATCH of ecsscheduledtasks/status) and event creations so far. */
export async function apiWrites(kc: KubeConfig): Promise<ApiWrites> {
  const text = await apiGet(kc, '/metrics');
  const status = (verb: string) =>
    metricSum(text, 'apiserver_request_total', {
      resource: 'ecsscheduledtasks',
      subresource: 'status',
      verb,
    }) ?? 0;
  const events = (resource: string) =>
    metricSum(text, 'apiserver_request_total', { resource, verb: 'POST' }) ?? 0;
  return { statusWrites: status('PUT') + status('PATCH'), events: events('events') };
}
