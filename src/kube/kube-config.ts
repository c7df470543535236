// Where the controller finds its API server, in client-go's order: an explicit kubeconfig (the
// --kubeconfig flag or $KUBECONFIG, resolved by config.ts), else the pod's service account, else
// ~/.kube/config.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PooledKubeConfig, type KubeConnectionOptions } from './pooled-kube-config.js';

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeConfigOptions {
  /** A kubeconfig file; wins over in-cluster config when given. */
  readonly kubeconfigPath?: string;
  /** A context of the kubeconfig other than its current one (`--context`). */
  readonly context?: string;
  /**
   * Use the pod's service account. Default: when no kubeconfigPath is given and the service
   * account token is mounted. (client-node then reads KUBERNETES_SERVICE_HOST/PORT itself.)
   */
  readonly inCluster?: boolean;
  /** For tests: where ~/.kube/config and the token live. */
  readonly homeDir?: string;
  readonly fileExists?: (path: string) => boolean;
  /** Keep-alive pool and deadlines for every API call made through this config. */
  readonly connection?: KubeConnectionOptions;
}

export function loadKubeConfig(options: KubeConfigOptions = {}): PooledKubeConfig {
  const exists = options.fileExists ?? existsSync;
  const kc = new PooledKubeConfig(options.connection);
  const inCluster =
    options.inCluster ?? (options.kubeconfigPath === undefined && exists(SERVICE_ACCOUNT_TOKEN));
  if (options.kubeconfigPath !== undefined) {
    kc.loadFromFile(options.kubeconfigPath);
  } else if (inCluster) {
    if (options.context !== undefined)
      throw new Error('--context needs a kubeconfig; in-cluster config has none');
    kc.loadFromCluster();
    const server = kc.getCurrentCluster()?.server ?? '';
    if (server.includes('undefined')) {
      throw new Error('in-cluster config: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set');
    }
    return kc;
  } else {
    const fallback = join(options.homeDir ?? homedir(), '.kube', 'config');
    if (!exists(fallback)) {
      throw new Error(
        `no Kubernetes configuration: not in a pod, no --kubeconfig or KUBECONFIG, and no ${fallback}`,
      );
    }
    kc.loadFromFile(fallback);
  }
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(
        `kubeconfig has no context "${options.context}" (it has: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (kc.getCurrentCluster() === null)
    throw new Error(`kubeconfig: context "${kc.getCurrentContext()}" names no cluster`);
  return kc;
}
